#include "lower/lowering_choice.h"

#include <algorithm>
#include <cmath>

#include "lower/code_rules.h"
#include "lower/field_values.h"

namespace psl::lower {

namespace {

double log2_ceil(double n) { return n <= 1 ? 0 : std::ceil(std::log2(n)); }

} // namespace

double lookup_ns(const CostConstants &k, const GroupKey &key, size_t entries,
                 size_t v4_prefixes, size_t split4_min) {
  if (key.kind == MapKind::Array)
    return k.array_lookup;
  if (key.classes) {
    if (v4_prefixes >= split4_min)
      return k.split4;
    return k.lpm_base + k.lpm_per_level * log2_ceil(double(entries) + 1);
  }
  uint32_t bytes = key.class_field ? 4 : 0;
  for (FieldId f : key.exact)
    bytes += key_bytes(f);
  if (key.kind == MapKind::Lpm)
    return k.lpm_base + k.lpm_per_level * log2_ceil(double(entries) + 1);
  return k.hash_base + k.hash_per_byte * bytes;
}

ConjCost conj_code_cost(const CostConstants &k, const Conj &cj) {
  ConjCost out;
  for (const FieldAtom &a : cj) {
    out.tests += 1; // the field's presence (and family)
    const Point max = domain_max(a.field, a.family);
    if (a.values.empty() || a.values.is_full(max))
      continue;
    if (is_ip_field(a.field)) {
      const size_t n = prefix_count(a);
      if (n > kInlineIpPrefixes) {
        out.lookups_ns += k.lpm_base + k.lpm_per_level * log2_ceil(n + 1);
        continue;
      }
      out.tests += n * (a.family == 6 ? 2 : 1);
      continue;
    }
    if (a.values.size() > kInlineIntervals) {
      out.lookups_ns += k.hash_base + 4 * k.hash_per_byte;
      continue;
    }
    for (const Interval &i : a.values)
      out.tests += i.lo == i.hi || i.lo == 0 || i.hi == max ? 1 : 2;
  }
  return out;
}

double tree_ns(const CostConstants &k, size_t leaves) {
  // The family test and the address load, then one level per halving.
  return 2 * k.test + k.tree_step * log2_ceil(double(leaves) + 1);
}

void choose_lowerings(std::vector<CostUnit> &units, const CostOptions &o) {
  using L = CostChoice::Lowering;
  struct Alt {
    L lowering;
    double ns;
    size_t tests;
  };
  // The best alternative to the map of each unit, by what it saves.
  std::vector<std::pair<double, size_t>> order;
  std::vector<std::vector<Alt>> alts(units.size());
  for (size_t u = 0; u < units.size(); ++u) {
    CostUnit &cu = units[u];
    CostChoice &c = cu.choice;
    c.choice = L::Map;
    if (cu.code_ok) {
      c.code_ns = cu.code_ns;
      c.code_tests = cu.code_tests;
      alts[u].push_back({L::Code, cu.code_ns, cu.code_tests});
    }
    if (cu.tree_ok) {
      c.tree_ns = cu.tree_ns;
      c.tree_leaves = cu.tree_leaves;
      if (cu.tree_leaves <= o.max_tree_leaves)
        alts[u].push_back({cu.treecode_tests ? L::TreeCode : L::Tree,
                           cu.tree_ns + cu.treecode_ns, cu.treecode_tests});
    }
    if (o.mode == CostOptions::Mode::Maps || alts[u].empty())
      continue;
    std::sort(alts[u].begin(), alts[u].end(),
              [](const Alt &a, const Alt &b) { return a.ns < b.ns; });
    const double saved = c.map_ns - alts[u].front().ns;
    if (o.mode == CostOptions::Mode::Code || saved > 0)
      order.push_back({saved, u});
  }
  std::stable_sort(
      order.begin(), order.end(),
      [](const auto &a, const auto &b) { return a.first > b.first; });
  size_t tests = 0;
  for (const auto &[saved, u] : order) {
    CostChoice &c = units[u].choice;
    for (const Alt &a : alts[u]) {
      if (o.mode == CostOptions::Mode::Auto && a.ns >= c.map_ns)
        break;
      if (tests + a.tests > o.max_code_tests) {
        c.why = "over the budget of " + std::to_string(o.max_code_tests) +
                " code tests";
        continue;
      }
      tests += a.tests;
      c.choice = a.lowering;
      c.why.clear();
      break;
    }
  }
  for (CostUnit &cu : units)
    if (cu.tree_ok && cu.tree_leaves > o.max_tree_leaves &&
        cu.choice.choice == L::Map && cu.choice.why.empty() &&
        cu.tree_ns + cu.treecode_ns < cu.choice.map_ns)
      cu.choice.why =
          "over " + std::to_string(o.max_tree_leaves) + " tree intervals";
}

} // namespace psl::lower
