#include "lower/lower.h"

#include "lower/field_values.h"
#include "lower/normalize.h"
#include "lower/perfect_hash.h"

namespace psl::lower {

namespace {

std::string range_text(const SourceFile *file, const SourceRange &r) {
  if (!file || !r.valid())
    return "";
  std::string out;
  for (uint32_t l = r.begin.line; l <= r.end.line && l <= file->line_count();
       ++l) {
    std::string_view line = file->line(l);
    size_t from = l == r.begin.line ? r.begin.column - 1 : 0;
    size_t to = l == r.end.line ? r.end.column - 1 : line.size();
    if (from > line.size())
      from = line.size();
    if (to > line.size())
      to = line.size();
    if (!out.empty())
      out += ' ';
    out += std::string(line.substr(from, to > from ? to - from : 0));
  }
  // Comments in generated C must not end early.
  for (size_t p; (p = out.find("*/")) != std::string::npos;)
    out.replace(p, 2, "* /");
  return out;
}

} // namespace

LowerResult lower_policy(const Policy &policy, const SourceFile *file,
                         const LowerOptions &options) {
  LowerResult res;
  Classifier &c = res.classifier;
  c.policy = policy.name;
  c.default_action = policy.default_action();
  register_dynsets(policy, c);

  std::vector<std::optional<Cond>> conds;
  conds.reserve(policy.rules.size());
  c.rules.reserve(policy.rules.size());
  for (const RuleDecl *r : policy.rules) {
    RuleInfo info;
    info.index = static_cast<uint32_t>(c.rules.size());
    info.name = r->name;
    info.action = r->action;
    info.shadow = r->shadow;
    info.terminal = r->terminal();
    info.counter_id = info.index + 1;
    info.range = r->range;
    const uint32_t index = info.index;
    c.rules.push_back(std::move(info));
    std::string err;
    std::optional<Cond> cond;
    if (r->cond)
      cond = normalize_condition(*r->cond, index, c, &err);
    if (!cond) {
      res.error = LowerError{"rule '" + r->name + "': " +
                                 (err.empty() ? "it has no condition" : err),
                             {{r->name, r->range, err}}};
      return res;
    }
    conds.push_back(std::move(cond));
  }

  place_rules(conds, c, options.groups, options.cost);
  // A program may use at most 64 maps; the templates take 6 (counters,
  // clock, rate buckets, .rodata, .bss) and code rules' sets 2.
  // Group maps: one per group, two for a class table with a hash of
  // full-length addresses in front of its trie (set maps come later).
  const size_t kMaxGroupMaps = 56;
  if (c.maps.size() + c.dynsets.size() > kMaxGroupMaps) {
    LowerError e;
    e.message =
        "the policy needs " + std::to_string(c.maps.size()) +
        " lookup group maps and " + std::to_string(c.dynsets.size()) +
        " dynamic sets, more than the " + std::to_string(kMaxGroupMaps) +
        " maps one program may use; these rules start a group of their own";
    for (size_t g = 0; g < c.groups.size(); ++g) {
      const RuleInfo &ri = c.rules[c.groups[g].rules.front()];
      e.rules.push_back({ri.name, ri.range, "group " + c.groups[g].shape});
    }
    res.error = std::move(e);
    return res;
  }
  // The source text only where the generated C shows it: a string per
  // rule is 100k allocations at 100k rules.
  for (RuleInfo &ri : c.rules)
    if (ri.in_code && policy.rules[ri.index]->cond)
      ri.condition = range_text(file, policy.rules[ri.index]->cond->range);
  use_perfect_hashes(c, options.groups.perfect_hash_min_entries);
  if (auto err = build_code_rules(conds, c, options.code)) {
    LowerError e;
    e.message = err->message;
    for (uint32_t i : err->rules) {
      const RuleInfo &ri = c.rules[i];
      e.rules.push_back({ri.name, ri.range, ri.why_code});
    }
    res.error = std::move(e);
  }
  return res;
}

} // namespace psl::lower
