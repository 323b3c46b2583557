#include "analyze/llm/answer_check.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "driver.h"
#include "fmt/printer.h"
#include "frontend/parser.h"
#include "interp/interpreter.h"
#include "interp/packet_builder.h"
#include "report/report.h"

namespace psr::analyze::llm {

namespace {

// A problem of ours (not the compiler's), printed like a diagnostic.
struct Problem {
  std::string reason;
  psl::SourceRange range;
  std::string message;
};

// Order of the refusal reasons: the first one present names the refusal.
const char *const kReasonOrder[] = {"check_failed",   "drops_protected",
                                    "missing_ttl",    "forbidden_declaration",
                                    "name_collision", "drops_everything"};

std::string render_problem(const psl::SourceFile &file, const Problem &p) {
  std::string out = file.path();
  if (p.range.valid())
    out += ":" + std::to_string(p.range.begin.line) + ":" +
           std::to_string(p.range.begin.column);
  out += ": error: " + p.message + "\n";
  out += psl::render_snippet(file, p.range);
  return out;
}

// The text with the operator's protect conditions added before the
// policy's closing brace; `llm_lines` is the last line of the model's own
// text before that brace.
std::string with_protects(const std::string &text, const OperatorView &op,
                          uint32_t &llm_lines) {
  size_t brace = text.rfind('}');
  llm_lines =
      1 + static_cast<uint32_t>(std::count(text.begin(), text.end(), '\n'));
  if (brace == std::string::npos || op.protects.empty())
    return text;
  llm_lines = 1 + static_cast<uint32_t>(
                      std::count(text.begin(), text.begin() + brace, '\n'));
  std::string added = "\n  # the operator policy's protect conditions\n";
  for (const std::string &p : op.protects)
    added += "  protect " + p + "\n";
  return text.substr(0, brace) + added + text.substr(brace);
}

std::string canonical(const std::string &file_name, const std::string &text) {
  auto file = std::make_shared<const psl::SourceFile>(file_name, text);
  psl::DiagnosticSink diags(file);
  psl::Module m = psl::parse_policy(file, diags);
  m.header_comments.clear();
  m.footer_comments.clear();
  m.policy->trailing_inner_comments.clear();
  for (auto &d : m.policy->decls) {
    d->leading_comments.clear();
    d->trailing_comment.reset();
  }
  m.file.reset();
  return psl::format_module(m);
}

// ------------------------------------------------------------ the probe

psl::interp::FieldAssign assign(const char *field, psl::Value v) {
  psl::interp::FieldAssign a;
  a.field = psl::find_field(field);
  a.value = std::move(v);
  return a;
}

std::vector<std::vector<uint8_t>> probe_frames() {
  std::vector<psl::IpAddr> sources;
  uint32_t x = 0x9e3779b9;
  while (sources.size() < 64) {
    x = x * 1664525u + 1013904223u;
    uint8_t first = static_cast<uint8_t>(x >> 24);
    if (first == 0 || first == 127 || first >= 224)
      continue;
    psl::IpAddr a;
    a.family = 4;
    for (int i = 0; i < 4; ++i)
      a.bytes[i] = static_cast<uint8_t>(x >> (24 - 8 * i));
    sources.push_back(a);
  }
  for (int i = 0; i < 16; ++i) {
    psl::IpAddr a;
    a.family = 6;
    for (int b = 0; b < 16; ++b) {
      x = x * 1664525u + 1013904223u;
      a.bytes[b] = static_cast<uint8_t>(x >> 24);
    }
    a.bytes[0] = static_cast<uint8_t>(0x20 | (a.bytes[0] & 0x1f)); // 2000::/3
    sources.push_back(a);
  }
  std::vector<std::vector<uint8_t>> frames;
  for (int kind = 0; kind < 5; ++kind)
    for (const psl::IpAddr &src : sources) {
      bool v6 = src.family == 6;
      std::vector<psl::interp::FieldAssign> f{
          assign("ip.src", psl::Value{src})};
      switch (kind) {
      case 0: // a new connection to a web server
        f.push_back(assign("tcp.dport", psl::Value{uint64_t{443}}));
        f.push_back(assign("tcp.syn", psl::Value{true}));
        break;
      case 1: // the answer to a connection of ours
        f.push_back(assign("tcp.sport", psl::Value{uint64_t{443}}));
        f.push_back(assign("tcp.ack", psl::Value{true}));
        break;
      case 2: // a DNS query
        f.push_back(assign("udp.dport", psl::Value{uint64_t{53}}));
        break;
      case 3: // a DNS answer
        f.push_back(assign("udp.sport", psl::Value{uint64_t{53}}));
        f.push_back(assign("udp.len", psl::Value{uint64_t{120}}));
        break;
      default: // a ping
        f.push_back(
            v6 ? assign("icmp6.type", psl::Value{psl::IcmpTypeValue{true, 128}})
               : assign("icmp.type", psl::Value{psl::IcmpTypeValue{false, 8}}));
        break;
      }
      psl::interp::BuiltPacket p = psl::interp::build_packet(f);
      if (p.ok())
        frames.push_back(std::move(p.frame));
    }
  return frames;
}

} // namespace

double probe_drop_share(const psl::Policy &policy) {
  try {
    psl::interp::Interpreter interp(policy);
    std::vector<std::vector<uint8_t>> frames = probe_frames();
    size_t dropped = 0;
    uint64_t now = 1000000000ull;
    for (const auto &f : frames) {
      now += 10000000ull; // 10 ms apart: a source's packets 0.8 s apart
      if (interp.evaluate_frame(f.data(), f.size(), now).verdict ==
          psl::Action::Drop)
        ++dropped;
    }
    return frames.empty() ? 0 : static_cast<double>(dropped) / frames.size();
  } catch (const psl::interp::InterpError &) {
    return 0; // the governor's build will say why
  }
}

CheckOutcome check_policy_answer(const std::string &text,
                                 const std::string &file_name,
                                 const OperatorView &op,
                                 const CheckLimits &limits,
                                 const Redactor &redact) {
  CheckOutcome out;
  if (text.size() > limits.max_policy_bytes) {
    out.reason = "too_large";
    out.message = "the policy has " + std::to_string(text.size()) +
                  " bytes, more than the " +
                  std::to_string(limits.max_policy_bytes) + " allowed";
    return out;
  }
  if (redact.contains_secret(text)) {
    out.reason = "names_secret";
    out.message = "the policy contains the API key";
    return out;
  }

  // The rule count first, from the parse alone: the passes (the lint
  // above all) need not run over 50,000 hostile rules.
  {
    auto file = std::make_shared<const psl::SourceFile>(file_name, text);
    psl::DiagnosticSink parse_diags(file);
    psl::Module parsed = psl::parse_policy(file, parse_diags);
    if (parsed.policy && parsed.policy->rules.size() > limits.max_rules) {
      out.reason = "too_many_rules";
      out.message = "the policy has " +
                    std::to_string(parsed.policy->rules.size()) +
                    " rules, more than the " +
                    std::to_string(limits.max_rules) + " allowed";
      return out;
    }
  }

  uint32_t llm_lines = 0;
  std::string composed = with_protects(text, op, llm_lines);
  psl::PassOptions check;
  check.generated = true;
  psl::CheckedModule checked = psl::check_source(file_name, composed, check);
  const psl::SourceFile &file = checked.diags.file();

  std::vector<Problem> problems;
  std::set<std::string> reasons;
  for (const psl::Diagnostic &d : checked.diags.diagnostics()) {
    if (d.severity != psl::Severity::Error)
      continue;
    reasons.insert(d.code == psl::DiagCode::E0401   ? "drops_protected"
                   : d.code == psl::DiagCode::E0402 ? "missing_ttl"
                                                    : "check_failed");
  }
  const psl::Policy *policy = checked.module.policy.get();
  if (policy) {
    std::set<std::string> taken(op.names.begin(), op.names.end());
    for (const psl::DeclPtr &d : policy->decls) {
      const char *kind = nullptr;
      switch (d->kind) {
      case psl::DeclKind::Default:
        kind = "default";
        break;
      case psl::DeclKind::Set:
        kind = "set";
        break;
      case psl::DeclKind::Test:
        kind = "test";
        break;
      case psl::DeclKind::Protect:
        if (d->range.begin.line <= llm_lines)
          kind = "protect";
        break;
      default:
        break;
      }
      if (kind)
        problems.push_back(
            {"forbidden_declaration", d->range,
             std::string("a generated policy holds only const and rule "
                         "declarations; remove this '") +
                 kind + "'"});
    }
    for (const psl::ConstDecl *c : policy->consts)
      if (taken.count(c->name))
        problems.push_back({"name_collision", c->name_range,
                            "the operator policy already declares '" + c->name +
                                "'; choose another name"});
    for (const psl::RuleDecl *r : policy->rules) {
      if (taken.count(r->name))
        problems.push_back({"name_collision", r->name_range,
                            "the operator policy already declares '" + r->name +
                                "'; choose another name"});
      if (!r->ttl && r->action != psl::Action::Drop) // E0402 covers drops
        problems.push_back({"missing_ttl", r->range,
                            "rule '" + r->name +
                                "' has no ttl: every generated rule needs "
                                "one (e.g. '=> " +
                                psl::action_name(r->action) + " ttl 10m')"});
    }
    for (const psl::Diagnostic &d : checked.diags.diagnostics()) {
      if (d.code != psl::DiagCode::W0205)
        continue;
      for (const psl::RuleDecl *r : policy->rules)
        if (r->action == psl::Action::Drop && !r->shadow &&
            d.range.begin.line >= r->range.begin.line &&
            d.range.begin.line <= r->range.end.line)
          problems.push_back({"drops_everything", r->name_range,
                              "rule '" + r->name +
                                  "' drops every packet it can see; name "
                                  "the attack's sources, ports or flags"});
    }
    if (reasons.empty() && problems.empty()) {
      double share = probe_drop_share(*policy);
      if (share > 0.5) {
        char pct[16];
        std::snprintf(pct, sizeof pct, "%.0f%%", share * 100);
        problems.push_back(
            {"drops_everything", policy->name_range,
             std::string("the policy drops ") + pct +
                 " of a sample of ordinary traffic (TCP to port 443, "
                 "replies, DNS, pings from 80 sources); name the "
                 "attack's sources, ports or flags"});
      }
    }
  }
  for (const Problem &p : problems)
    reasons.insert(p.reason);

  if (reasons.empty()) {
    out.accepted = true;
    out.psl = canonical(file_name, text);
    out.policy_name = policy->name;
    for (const psl::RuleDecl *r : policy->rules)
      out.rules.push_back({r->name, psl::action_name(r->action),
                           r->ttl ? r->ttl->value.ns / 1000000 : 0, r->shadow});
    return out;
  }

  for (const char *r : kReasonOrder)
    if (reasons.count(r)) {
      out.reason = r;
      break;
    }
  out.repairable = true;
  psl::FileReport report{checked.diags.file_ptr(), {}};
  for (const psl::Diagnostic &d : checked.diags.diagnostics())
    report.diagnostics.push_back(d);
  out.diagnostics = redact(psl::render_text(report));
  for (const Problem &p : problems)
    out.diagnostics += redact(render_problem(file, p));
  size_t errors = checked.diags.error_count() + problems.size();
  out.message = "the policy does not pass the checks (" +
                std::to_string(errors) + " error" + (errors == 1 ? "" : "s") +
                ", first: " + out.reason + ")";
  return out;
}

} // namespace psr::analyze::llm
