#include "policy/rule_expiry.h"

#include <algorithm>
#include <cerrno>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "codegen/policy_build.h"
#include "driver.h"
#include "policy/files.h"
#include "policy/in_force.h"

namespace psr::policy {

std::vector<ExpiredRule> expired_rules(const ProgramState &s, uint64_t now) {
  std::vector<ExpiredRule> out;
  for (const RuleEntry &r : s.rules) {
    if (r.ttl_ns == 0)
      continue;
    auto it = s.rule_started_ns.find(r.name);
    if (it == s.rule_started_ns.end())
      continue;
    if (it->second + r.ttl_ns <= now)
      out.push_back({r.name, r.ttl_ns, it->second, it->second + r.ttl_ns});
  }
  return out;
}

be::Expected<std::vector<ExpiredRule>>
expired_rules(const StateLayout &layout, const Target &t, uint64_t now) {
  be::Expected<InForce> in = find_in_force(layout, t);
  if (!in)
    return in.error();
  if (!in->state)
    return std::vector<ExpiredRule>{};
  return expired_rules(*in->state, now);
}

namespace {

struct Span {
  size_t begin = 0, end = 0;
};

std::vector<size_t> line_starts(const std::string &text) {
  std::vector<size_t> starts{0};
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n')
      starts.push_back(i + 1);
  return starts;
}

size_t offset_of(const std::vector<size_t> &starts, const psl::SourceLoc &l) {
  return starts[l.line - 1] + (l.column - 1);
}

bool blank(const std::string &text, size_t from, size_t to) {
  for (size_t i = from; i < to; ++i)
    if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r')
      return false;
  return true;
}

// The checked policy of `text`, which must have no errors; else "SUBJECT
// does not check: <the first error>".
be::Expected<psl::CheckedModule> check(const std::string &path,
                                       const std::string &text,
                                       const std::string &subject) {
  psl::CheckedModule m = psl::check_source(path, text);
  if (!m.ok()) {
    std::string first;
    for (const psl::Diagnostic &d : m.diags.diagnostics())
      if (d.severity == psl::Severity::Error) {
        first = d.message;
        break;
      }
    return be::Error::user(subject + " does not check" +
                           (first.empty() ? std::string() : ": " + first));
  }
  return m;
}

be::Expected<psl::CheckedModule>
without_rules(const std::string &path, const std::string &text,
              const std::vector<std::string> &rules, std::string &out_text) {
  be::Expected<psl::CheckedModule> m = check(path, text, "the policy in force");
  if (!m)
    return m.error();
  const psl::Policy &p = *m->module.policy;
  const std::vector<size_t> starts = line_starts(text);
  std::vector<Span> spans;
  std::vector<std::string> expected;
  for (const psl::RuleDecl *r : p.rules) {
    if (std::find(rules.begin(), rules.end(), r->name) == rules.end()) {
      expected.push_back(r->name);
      continue;
    }
    psl::SourceLoc b = r->range.begin, e = r->range.end;
    for (const psl::Comment &c : r->leading_comments)
      if (c.own_line && c.range.valid()) {
        b = c.range.begin;
        break;
      }
    if (r->trailing_comment && r->trailing_comment->range.valid())
      e = r->trailing_comment->range.end;
    if (!r->range.valid() || b.line == 0 || e.line == 0 ||
        e.line > starts.size())
      return be::Error::internal("rule '" + r->name +
                                 "' has no place in the text");
    Span s{offset_of(starts, b), offset_of(starts, e)};
    const size_t line_begin = starts[b.line - 1];
    size_t line_end = text.find('\n', s.end);
    line_end = line_end == std::string::npos ? text.size() : line_end;
    if (blank(text, line_begin, s.begin) && blank(text, s.end, line_end))
      s = Span{line_begin, std::min(text.size(), line_end + 1)};
    spans.push_back(s);
  }
  for (const std::string &name : rules)
    if (std::find_if(p.rules.begin(), p.rules.end(),
                     [&](const psl::RuleDecl *r) { return r->name == name; }) ==
        p.rules.end())
      return be::Error::user("the policy has no rule '" + name + "'");
  std::sort(spans.begin(), spans.end(),
            [](const Span &a, const Span &b) { return a.begin > b.begin; });
  out_text = text;
  for (const Span &s : spans)
    out_text.erase(s.begin, s.end - s.begin);
  be::Expected<psl::CheckedModule> after = check(path, out_text, "the policy");
  if (!after) // the cut is ours: what is left of a checked policy checks
    return be::Error::internal("without the rules taken out, " +
                               after.error().message);
  std::vector<std::string> got;
  for (const psl::RuleDecl *r : after->module.policy->rules)
    got.push_back(r->name);
  if (got != expected)
    return be::Error::internal(
        "taking the rules out of the text changed other rules");
  return after;
}

} // namespace

be::Expected<std::string>
remove_rules_from_text(const std::string &path, const std::string &text,
                       const std::vector<std::string> &rules) {
  std::string out;
  be::Expected<psl::CheckedModule> m = without_rules(path, text, rules, out);
  if (!m)
    return m.error();
  return out;
}

be::Expected<ExpiryResult> enforce_rule_expiry(const StateLayout &layout,
                                               const Target &t, uint64_t now,
                                               const ExpiryOptions &options) {
  ExpiryResult result;
  be::Expected<NetnsId> ns = current_netns();
  if (!ns)
    return ns.error();
  if (ns->name() != t.netns) // the caller's to enter it first
    return be::Error::internal("rule expiry on '" + t.ifname +
                               "' of network namespace " + t.netns +
                               " runs from inside it, not from " + ns->name());
  be::Expected<InForce> in = find_in_force(layout, t, ns->cookie);
  if (!in)
    return in.error();
  if (!in->state)
    return result;
  const ProgramState &s = *in->state;
  std::vector<ExpiredRule> expired = expired_rules(s, now);
  if (expired.empty())
    return result;
  be::Expected<std::string> text = read_program_text(layout, t, s.prog_id);
  if (!text)
    return text.error();
  std::vector<std::string> names;
  for (const ExpiredRule &e : expired)
    names.push_back(e.name);
  const std::string path = layout.program_dir(t, s.prog_id) + "/policy.psl";
  std::string new_text;
  be::Expected<psl::CheckedModule> checked =
      without_rules(path, *text, names, new_text);
  if (!checked)
    return checked.error();
  be::Expected<be::PolicyArtifact> built = be::build_policy(
      *checked->module.policy, checked->diags.file_ptr().get(), options.build);
  if (!built)
    return built.error();
  PolicyToLoad load;
  load.artifact = &*built;
  load.text = new_text;
  load.source = s.source;
  load.rule_ttls = rule_ttls(*checked->module.policy);
  load.expired_rules = s.expired_rules;
  for (const RuleEntry &r : s.rules)
    if (r.origin != "operator")
      load.rule_origins[r.name] = r.origin;
  load.expired_rules.insert(load.expired_rules.end(), names.begin(),
                            names.end());
  PutOptions put;
  put.lock_wait = options.lock_wait;
  put.load = options.load;
  put.purpose = "expiry";
  put.expected_prog_id = s.prog_id;
  be::Expected<PutResult> r = put_in_force(layout, t, load, put);
  if (!r) {
    if (r.error().code == ESTALE)
      return ExpiryResult{}; // changed meanwhile: look again next time
    return r.error();
  }
  result.removed = std::move(expired);
  result.put = std::move(*r);
  return result;
}

namespace {

std::string enforcer_file(const StateLayout &layout, const std::string &netns) {
  return layout.state_root + "/enforcer-" + netns + ".lock";
}

} // namespace

be::Expected<ExpiryEnforcer> ExpiryEnforcer::acquire(const StateLayout &layout,
                                                     const std::string &netns) {
  if (be::Status s = make_dirs(layout.state_root, 0755); !s.ok())
    return s.error();
  const std::string path = enforcer_file(layout, netns);
  ExpiryEnforcer e;
  e.fd_ =
      be::UniqueFd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!e.fd_)
    return be::errno_error("cannot open '" + path + "'", errno);
  if (::flock(e.fd_.get(), LOCK_EX | LOCK_NB) != 0)
    return be::Error("another process already enforces rule ttls in " + netns,
                     EBUSY);
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(e.fd_.get(), 0) == 0)
    (void)!::pwrite(e.fd_.get(), pid.data(), pid.size(), 0);
  return e;
}

bool expiry_enforced(const StateLayout &layout, const std::string &netns) {
  be::UniqueFd fd(
      ::open(enforcer_file(layout, netns).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd)
    return false;
  if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0)
    return false; // nobody holds it (closing fd unlocks)
  return errno == EWOULDBLOCK;
}

} // namespace psr::policy
