// place_rules (group.h): each rule to a lookup group, a decision tree, a
// rate group or code. Three steps: plan each field-only terminal rule's
// shapes, let the cost model (cost_model.h) choose how each unit of shapes
// is lowered, then emit in rule order.
#include <algorithm>
#include <map>
#include <string>

#include "lower/conjunctions.h"
#include "lower/field_values.h"
#include "lower/group.h"
#include "lower/group_builder.h"
#include "lower/lowering_choice.h"
#include "lower/prefixes.h"
#include "lower/rate_groups.h"

namespace psl::lower {

namespace {

using Lowering = CostChoice::Lowering;

// The shapes rules were planned into, each once.
struct Shapes {
  std::map<GroupKey, uint32_t> index;
  std::vector<GroupKey> keys;
  std::vector<size_t> entries; // map keys planned into each

  uint32_t intern(const GroupKey &k) {
    auto [it, added] = index.emplace(k, static_cast<uint32_t>(keys.size()));
    if (added) {
      keys.push_back(k);
      entries.push_back(0);
    }
    return it->second;
  }
};

// A field-only terminal rule's alternatives and the shape of each.
struct RulePlan {
  Conjunctions dnf;
  std::vector<uint32_t> shapes; // per alternative
  size_t keys = 0;              // map keys it adds
  double code_ns = 0;           // the whole rule as code
  size_t code_tests = 0;
};

// What step one decided for a rule.
struct RuleStep {
  enum class Kind : uint8_t { Skip, Planned, Rate, Code } kind = Kind::Skip;
  uint32_t index = 0; // Planned: into plans; Rate: into rates
  std::string why;    // Code
};

struct RatePlan {
  Conj conj;
  uint32_t rate = 0;
};

// Each alternative's shape (group.h). Returns "" when every alternative
// has one, else why not (the rule stays code).
std::string plan_rule(const GroupLimits &l_, Shapes &shapes, RulePlan &plan) {
  Point rule_keys = 0;
  const std::string too_many = "its conditions combine into more than " +
                               std::to_string(l_.max_entries_per_conjunct) +
                               " map keys";
  std::vector<std::pair<GroupKey, Point>> planned;
  for (const Conj &cj : plan.dnf) {
    if (cj.empty())
      return "its condition holds for every packet";
    std::vector<const FieldAtom *> ips;
    std::vector<const FieldAtom *>
        ranges; // addresses that are prefixes or ranges
    for (const FieldAtom &a : cj)
      if (is_ip_field(a.field)) {
        ips.push_back(&a);
        if (!all_single(a))
          ranges.push_back(&a);
      }
    GroupKey key;
    Point keys = 1;
    if (cj.size() == 1 && !ips.empty()) {
      // Address only (prefixes or single addresses): an entry of the
      // address's class table.
      key = class_table_key(cj[0].field);
      keys = prefix_count(cj[0]);
    } else if (!ips.empty()) {
      // Address and more: the class of the address, then the rest, so the
      // address's prefixes are not multiplied with the other values, and
      // a packet looks up only the groups its class has keys in. The
      // second key part matched by prefix is the other address when it is
      // a range too, else the dimension with the most values, if it has
      // more than a hash key should enumerate.
      const FieldAtom *cls = ranges.empty() ? ips.front() : ranges[0];
      key.class_field = cls->field;
      const FieldAtom *range = ranges.size() > 1 ? ranges[1] : nullptr;
      if (!range)
        for (const FieldAtom &a : cj)
          if (!is_ip_field(a.field) &&
              count_points(a.values) > l_.class_hash_max_values &&
              (!range || count_points(a.values) > count_points(range->values)))
            range = &a;
      key.kind = range ? MapKind::Lpm : MapKind::Hash;
      if (range)
        key.prefix = range->field;
      keys = sat_mul(prefix_count(*cls), range ? prefix_count(*range) : 1);
      for (const FieldAtom &a : cj)
        if (&a != cls && &a != range) {
          key.exact.push_back(a.field);
          keys = sat_mul(keys, dim_values(a));
          if (keys > l_.max_entries_per_conjunct)
            return too_many;
        }
    } else if (cj.size() == 1 && !is_mac_field(cj[0].field) &&
               field_bits(cj[0].field) <= 16) {
      key.kind = MapKind::Array;
      key.exact.push_back(cj[0].field);
      keys = count_points(cj[0].values);
    } else {
      // Exact tuples: a hash.
      key.kind = MapKind::Hash;
      for (const FieldAtom &a : cj) {
        if (!is_ip_field(a.field) &&
            count_points(a.values) > l_.max_entries_per_conjunct)
          return "'" + std::string(field_info(a.field).name) +
                 "' takes too many values for a map key";
        key.exact.push_back(a.field);
        keys = sat_mul(keys, dim_values(a));
        if (keys > l_.max_entries_per_conjunct)
          return too_many;
      }
    }
    if (keys > l_.max_entries_per_conjunct)
      return too_many;
    rule_keys += keys;
    if (rule_keys > l_.max_entries_per_conjunct)
      return too_many;
    planned.push_back({std::move(key), keys});
  }
  for (auto &[key, keys] : planned) {
    const uint32_t s = shapes.intern(key);
    shapes.entries[s] += static_cast<size_t>(keys);
    plan.shapes.push_back(s);
  }
  plan.keys = static_cast<size_t>(rule_keys);
  return "";
}

std::string shape_text(const GroupKey &k) {
  std::string s = k.kind == MapKind::Lpm    ? "lpm"
                  : k.kind == MapKind::Hash ? "hash"
                                            : "array";
  if (k.class_field)
    s += std::string(" class(") + field_info(*k.class_field).name + ")";
  for (size_t i = 0; i < k.exact.size(); ++i)
    s += std::string(i || k.class_field ? ", " : " ") +
         field_info(k.exact[i]).name;
  if (k.prefix)
    s += std::string(k.class_field || !k.exact.empty() ? " + " : " ") +
         field_info(*k.prefix).name;
  return s;
}

// The units of cost_model.h: a class table with the class-keyed groups
// keyed by it, or one other shape.
struct Units {
  std::vector<uint32_t> of_shape;              // shape -> unit
  std::vector<CostUnit> units;                 // estimates and choices
  std::vector<std::optional<FieldId>> address; // class units: the field
  std::vector<std::vector<uint32_t>> rules;    // per unit, ascending
};

Units estimate_units(const Shapes &shapes, const std::vector<RulePlan> &plans,
                     const GroupLimits &limits, const CostOptions &o) {
  const CostConstants &k = o.ns;
  Units u;
  std::map<FieldId, uint32_t> class_unit;
  u.of_shape.resize(shapes.keys.size());
  for (size_t s = 0; s < shapes.keys.size(); ++s) {
    const GroupKey &key = shapes.keys[s];
    std::optional<FieldId> addr = key.classes       ? key.prefix
                                  : key.class_field ? key.class_field
                                                    : std::nullopt;
    if (addr) {
      auto [it, added] = class_unit.emplace(*addr, u.units.size());
      if (added) {
        u.units.emplace_back();
        u.address.push_back(addr);
      }
      u.of_shape[s] = it->second;
    } else {
      u.of_shape[s] = static_cast<uint32_t>(u.units.size());
      u.units.emplace_back();
      u.address.push_back(std::nullopt);
    }
  }
  u.rules.resize(u.units.size());
  // Per unit: the address-only prefixes (by family) and class prefixes;
  // the code of its rules, of those with class-keyed alternatives.
  std::vector<size_t> v4(u.units.size()), v6(u.units.size()),
      class_prefixes(u.units.size()), class_keyed(u.units.size());
  std::vector<int64_t> last_keyed(u.units.size(), -1);
  for (size_t p = 0; p < plans.size(); ++p) {
    const RulePlan &plan = plans[p];
    for (size_t a = 0; a < plan.dnf.size(); ++a) {
      const uint32_t s = plan.shapes[a];
      const uint32_t un = u.of_shape[s];
      const GroupKey &key = shapes.keys[s];
      auto &rs = u.rules[un];
      const bool first = rs.empty() || rs.back() != p;
      if (first) {
        rs.push_back(static_cast<uint32_t>(p));
        u.units[un].code_ns += plan.code_ns;
        u.units[un].code_tests += plan.code_tests;
      }
      if (key.classes) {
        const FieldAtom &at = plan.dnf[a][0];
        (at.family == 6 ? v6 : v4)[un] += prefix_count(at);
      } else if (key.class_field) {
        class_prefixes[un] += prefix_count(atom(plan.dnf[a], *key.class_field));
        if (last_keyed[un] != static_cast<int64_t>(p)) {
          last_keyed[un] = static_cast<int64_t>(p);
          u.units[un].treecode_ns += plan.code_ns;
          u.units[un].treecode_tests += plan.code_tests;
        }
        ++class_keyed[un];
      }
    }
  }
  std::vector<size_t> keyed_shapes(u.units.size());
  for (size_t s = 0; s < shapes.keys.size(); ++s)
    if (shapes.keys[s].class_field)
      ++keyed_shapes[u.of_shape[s]];
  for (size_t un = 0; un < u.units.size(); ++un) {
    CostUnit &cu = u.units[un];
    CostChoice &c = cu.choice;
    c.rules = u.rules[un].size();
    c.map_ns = 0;
    for (size_t s = 0; s < shapes.keys.size(); ++s) {
      if (u.of_shape[s] != un)
        continue;
      const GroupKey &key = shapes.keys[s];
      size_t entries = shapes.entries[s];
      if (key.classes)
        entries += class_prefixes[un];
      c.map_ns += lookup_ns(k, key, entries, v4[un] + class_prefixes[un],
                            limits.ipv4_split_min_prefixes);
      if (!u.address[un])
        c.unit = "group " + shape_text(key);
    }
    if (u.address[un]) {
      const std::string f = field_info(*u.address[un]).name;
      // Class-keyed groups without address-only rules still need the table.
      bool table = false;
      for (size_t s = 0; s < shapes.keys.size(); ++s)
        table |= u.of_shape[s] == un && shapes.keys[s].classes;
      if (!table)
        c.map_ns +=
            lookup_ns(k, class_table_key(*u.address[un]), class_prefixes[un],
                      class_prefixes[un], limits.ipv4_split_min_prefixes);
      c.unit = "class table of " + f;
      if (keyed_shapes[un])
        c.unit += " + " + std::to_string(keyed_shapes[un]) + " class-keyed " +
                  (keyed_shapes[un] == 1 ? "group" : "groups");
      const size_t leaves = 2 * std::max(v4[un], v6[un]) + 1;
      cu.tree_ok = v4[un] + v6[un] > 0;
      cu.tree_leaves = leaves;
      cu.tree_ns = tree_ns(k, leaves);
      if (!class_keyed[un]) {
        cu.treecode_ns = 0;
        cu.treecode_tests = 0;
      }
    }
    cu.code_ok = true;
  }
  choose_lowerings(u.units, o);
  return u;
}

// Whether every alternative of the rule goes to code.
bool goes_to_code(const RulePlan &plan, const Shapes &shapes, const Units &u) {
  for (uint32_t s : plan.shapes) {
    const Lowering l = u.units[u.of_shape[s]].choice.choice;
    if (l == Lowering::Code)
      continue;
    if (l == Lowering::TreeCode && shapes.keys[s].class_field)
      continue;
    return false;
  }
  return true;
}

// A rule that keeps a map for one alternative takes the unit of its other
// alternatives back to maps where they would have gone to code (a class
// table is then needed for them). Until nothing changes.
void settle(const std::vector<RulePlan> &plans, const Shapes &shapes,
            Units &u) {
  for (bool changed = true; changed;) {
    changed = false;
    for (const RulePlan &plan : plans) {
      if (goes_to_code(plan, shapes, u))
        continue;
      for (uint32_t s : plan.shapes) {
        CostChoice &c = u.units[u.of_shape[s]].choice;
        if (c.choice == Lowering::Code ||
            (c.choice == Lowering::TreeCode && shapes.keys[s].class_field)) {
          c.choice = Lowering::Map;
          c.why = "a rule with alternatives in maps holds a key here";
          changed = true;
        }
      }
    }
  }
}

struct TreeItem {
  uint8_t family;
  Point lo, hi;
  uint32_t enc;
};

// The leaves of a tree: the maximal intervals where the least enc of the
// items covering them is the same, without those no item covers.
std::vector<TreeLeaf> tree_leaves(std::vector<TreeItem> items) {
  std::vector<TreeLeaf> out;
  for (uint8_t fam : {uint8_t{4}, uint8_t{6}}) {
    const Point max =
        fam == 6 ? ~Point(0) : (Point(1) << 32) - 1; // domain's last point
    std::vector<Point> cuts;
    std::vector<const TreeItem *> mine;
    for (const TreeItem &t : items)
      if (t.family == fam) {
        mine.push_back(&t);
        cuts.push_back(t.lo);
        if (t.hi != max)
          cuts.push_back(t.hi + 1);
      }
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    for (size_t i = 0; i < cuts.size(); ++i) {
      const Point lo = cuts[i];
      const Point hi = i + 1 < cuts.size() ? cuts[i + 1] - 1 : max;
      uint32_t enc = 0;
      for (const TreeItem *t : mine)
        if (t->lo <= lo && lo <= t->hi && (!enc || t->enc < enc))
          enc = t->enc;
      if (!enc)
        continue;
      if (!out.empty() && out.back().family == fam && out.back().enc == enc &&
          out.back().hi + 1 == lo)
        out.back().hi = hi;
      else
        out.push_back({fam, lo, hi, enc});
    }
  }
  return out;
}

} // namespace

void place_rules(const std::vector<std::optional<Cond>> &conds, Classifier &c,
                 const GroupLimits &limits, const CostOptions &cost) {
  // Step one: what each rule is, and the shapes of the field-only ones.
  Shapes shapes;
  std::vector<RulePlan> plans;
  std::vector<RatePlan> rates;
  std::vector<RuleStep> steps(conds.size());
  for (uint32_t i = 0; i < conds.size(); ++i) {
    const RuleInfo &r = c.rules[i];
    RuleStep &st = steps[i];
    std::string why;
    if (!conds[i])
      why = "its condition could not be normalized";
    else if (r.action == Action::Count)
      why = "it is a count rule";
    else if (r.shadow)
      why = "it is a shadow rule";
    else if (conds[i]->has_side_effects()) {
      why = "it uses rate() other than as the last test of `CONDITION and "
            "rate(...) > R`";
      if (auto split =
              limits.rate_groups ? split_rate(*conds[i]) : std::nullopt) {
        auto dnf = to_conjunctions(split->first, limits.max_conjuncts);
        if (!dnf || dnf->size() > 1)
          why = "its condition before rate() has more than one alternative";
        else if (dnf->empty())
          continue; // never true: never reaches its rate()
        else {
          st.kind = RuleStep::Kind::Rate;
          st.index = static_cast<uint32_t>(rates.size());
          rates.push_back({std::move(dnf->front()), split->second});
          continue;
        }
      }
    } else if (conds[i]->is_opaque())
      why = "it uses a dynamic set or compares two fields";
    if (why.empty()) {
      auto dnf = to_conjunctions(*conds[i], limits.max_conjuncts);
      if (!dnf)
        why = "its condition has more than " +
              std::to_string(limits.max_conjuncts) + " alternatives";
      else if (dnf->empty())
        continue; // never true: no entries, no code
      else {
        RulePlan plan;
        plan.dnf = std::move(*dnf);
        why = plan_rule(limits, shapes, plan);
        if (why.empty()) {
          double ns = cost.ns.rule;
          size_t tests = 0;
          for (const Conj &cj : plan.dnf) {
            const ConjCost cc = conj_code_cost(cost.ns, cj);
            tests += cc.tests;
            ns += cc.lookups_ns;
          }
          plan.code_tests = tests;
          plan.code_ns = ns + cost.ns.test * static_cast<double>(tests);
          st.kind = RuleStep::Kind::Planned;
          st.index = static_cast<uint32_t>(plans.size());
          plans.push_back(std::move(plan));
          continue;
        }
      }
    }
    st.kind = RuleStep::Kind::Code;
    st.why = std::move(why);
  }

  // Step two: the cost model's choice per unit.
  Units units = estimate_units(shapes, plans, limits, cost);
  settle(plans, shapes, units);
  for (const CostUnit &cu : units.units)
    c.costs.push_back(cu.choice);

  // Step three: in rule order, into groups, trees or code.
  GroupBuilder builder(c, limits);
  std::vector<std::vector<TreeItem>> tree_items(units.units.size());
  std::vector<std::vector<uint32_t>> tree_rules(units.units.size());
  for (uint32_t i = 0; i < conds.size(); ++i) {
    RuleStep &st = steps[i];
    RuleInfo &r = c.rules[i];
    std::string why;
    switch (st.kind) {
    case RuleStep::Kind::Skip:
      continue;
    case RuleStep::Kind::Code:
      why = std::move(st.why);
      break;
    case RuleStep::Kind::Rate:
      why = place_rate(builder, i, rates[st.index].conj, rates[st.index].rate);
      break;
    case RuleStep::Kind::Planned: {
      RulePlan &plan = plans[st.index];
      if (goes_to_code(plan, shapes, units)) {
        why = "the cost model lowered its part of the policy to code";
        break;
      }
      if (builder.total_keys() + plan.keys > limits.max_group_entries) {
        why = "the policy's lookup groups already hold " +
              std::to_string(builder.total_keys()) + " keys (limit " +
              std::to_string(limits.max_group_entries) + ")";
        break;
      }
      builder.add_keys(plan.keys);
      const uint32_t enc = Classifier::encode(i, r.action);
      for (size_t a = 0; a < plan.dnf.size(); ++a) {
        const uint32_t s = plan.shapes[a];
        const uint32_t un = units.of_shape[s];
        const Lowering l = units.units[un].choice.choice;
        if (shapes.keys[s].classes &&
            (l == Lowering::Tree || l == Lowering::TreeCode)) {
          const FieldAtom &at = plan.dnf[a][0];
          for (const Interval &iv : at.values)
            tree_items[un].push_back({at.family, iv.lo, iv.hi, enc});
          if (tree_rules[un].empty() || tree_rules[un].back() != i)
            tree_rules[un].push_back(i);
          continue;
        }
        builder.emit(i, shapes.keys[s], plan.dnf[a], enc);
      }
      plan.dnf.clear();
      plan.dnf.shrink_to_fit();
      break;
    }
    }
    if (!why.empty()) {
      r.in_code = true;
      r.why_code = why;
    }
  }
  builder.finish();
  for (size_t un = 0; un < units.units.size(); ++un) {
    if (tree_items[un].empty())
      continue;
    AddrTree t;
    t.field = *units.address[un];
    t.leaves = tree_leaves(std::move(tree_items[un]));
    t.rules = std::move(tree_rules[un]);
    for (uint32_t r : t.rules)
      c.rules[r].trees.push_back(static_cast<uint32_t>(c.trees.size()));
    c.trees.push_back(std::move(t));
  }
}

} // namespace psl::lower
