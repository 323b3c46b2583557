#include "lower/code_rules.h"

#include <algorithm>
#include <cstring>

#include "lower/conjunctions.h"
#include "lower/field_values.h"

namespace psl::lower {

namespace {

class CodeBuilder {
public:
  CodeBuilder(Classifier &c, const CodeLimits &l) : c_(c), l_(l) {}

  // Returns the atoms of `cond`; sets *too_wide for an inline test that
  // exceeds the limit.
  size_t prepare(Cond &cond, bool *too_wide) {
    size_t n = 0;
    switch (cond.kind) {
    case Cond::Kind::And:
    case Cond::Kind::Or:
      for (Cond &ch : cond.children)
        n += prepare(ch, too_wide);
      return n;
    case Cond::Kind::Field:
      place_atom(cond, too_wide);
      return 1;
    case Cond::Kind::True:
    case Cond::Kind::False:
      return 0;
    default:
      return 1;
    }
  }

private:
  void place_atom(Cond &cond, bool *too_wide) {
    FieldAtom &a = cond.atom;
    Point max = domain_max(a.field, a.family);
    if (a.values.empty() || a.values.is_full(max))
      return; // just the guard (and family)
    if (is_ip_field(a.field)) {
      if (prefix_count(a) > kInlineIpPrefixes)
        cond.set_map = ip_set_map(cond);
      return;
    }
    if (a.values.size() <= kInlineIntervals)
      return;
    if (field_bits(a.field) <= 16) {
      cond.set_map = flag_map(cond);
      return;
    }
    if (a.values.size() > l_.max_inline_intervals)
      *too_wide = true;
  }

  uint32_t shared_map(int &slot, MapKind kind, const char *name, uint32_t key,
                      const char *purpose) {
    if (slot < 0) {
      MapSpec m;
      m.name = name;
      m.kind = kind;
      m.key_size = key;
      m.value_size = 1;
      m.max_entries = 0;
      m.purpose = purpose;
      c_.maps.push_back(m);
      slot = static_cast<int>(c_.maps.size() - 1);
    }
    return static_cast<uint32_t>(slot);
  }

  uint32_t ip_set_map(Cond &cond) {
    const FieldAtom &a = cond.atom;
    unsigned width = a.family == 6 ? 128 : 32;
    uint32_t id = shared_map(ip_map_, MapKind::Lpm, "psl_sets_ip", 28,
                             "literal address sets of code rules");
    cond.set_id = next_set_++;
    for (const Interval &i : a.values)
      for (auto [base, plen] : interval_prefixes(i.lo, i.hi, width)) {
        MapEntry e;
        e.map = id;
        e.key.assign(28, 0);
        uint32_t bits = 32 + 8 + plen + (a.family == 6 ? 0 : 96);
        std::memcpy(e.key.data(), &bits, 4);
        std::memcpy(e.key.data() + 4, &cond.set_id, 4);
        e.key[8] = a.family;
        ip_point_bytes(a.family, base, e.key.data() + 9);
        e.value = {1};
        c_.entries.push_back(std::move(e));
        ++c_.maps[id].max_entries;
      }
    return id;
  }

  uint32_t flag_map(Cond &cond) {
    const FieldAtom &a = cond.atom;
    uint32_t id = shared_map(val_map_, MapKind::Hash, "psl_sets_val", 4,
                             "literal value sets of code rules");
    cond.set_id = next_set_++;
    for (const Interval &i : a.values)
      for (Point v = i.lo;; ++v) {
        MapEntry e;
        e.map = id;
        uint32_t k = (cond.set_id << 16) | static_cast<uint32_t>(v);
        e.key.resize(4);
        std::memcpy(e.key.data(), &k, 4);
        e.value = {1};
        c_.entries.push_back(std::move(e));
        ++c_.maps[id].max_entries;
        if (v == i.hi)
          break;
      }
    return id;
  }

  Classifier &c_;
  const CodeLimits &l_;
  int ip_map_ = -1, val_map_ = -1;
  uint32_t next_set_ = 0;
};

} // namespace

std::optional<CodeBudgetError>
build_code_rules(std::vector<std::optional<Cond>> &conds, Classifier &c,
                 const CodeLimits &limits) {
  CodeBuilder b(c, limits);
  size_t atoms = 0;
  std::vector<uint32_t> wide;
  for (uint32_t i = 0; i < conds.size(); ++i) {
    if (!c.rules[i].in_code || !conds[i])
      continue;
    CodeRule cr;
    cr.rule = i;
    cr.cond = std::move(*conds[i]);
    bool too_wide = false;
    cr.cost = std::max<size_t>(1, b.prepare(cr.cond, &too_wide));
    if (too_wide)
      wide.push_back(i);
    atoms += cr.cost;
    c.code.push_back(std::move(cr));
  }
  if (!wide.empty()) {
    return CodeBudgetError{
        "a test in these rules compares a field wider than 16 bits "
        "with more than " +
            std::to_string(limits.max_inline_intervals) +
            " separate values or ranges",
        wide};
  }
  if (c.code.size() > limits.max_code_rules || atoms > limits.max_code_atoms) {
    std::vector<const CodeRule *> by_cost;
    for (const CodeRule &r : c.code)
      by_cost.push_back(&r);
    std::stable_sort(
        by_cost.begin(), by_cost.end(),
        [](const CodeRule *a, const CodeRule *b) { return a->cost > b->cost; });
    CodeBudgetError e;
    e.message = "the policy's irregular part is too large for one program: " +
                std::to_string(c.code.size()) + " rules need code (limit " +
                std::to_string(limits.max_code_rules) + ") with " +
                std::to_string(atoms) + " tests (limit " +
                std::to_string(limits.max_code_atoms) + ")";
    for (const CodeRule *r : by_cost)
      e.rules.push_back(r->rule);
    return e;
  }
  return std::nullopt;
}

} // namespace psl::lower
