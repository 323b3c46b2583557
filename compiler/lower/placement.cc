// place_rules (group.h): each rule to a lookup group, a rate group or code.
#include <string>

#include "lower/conjunctions.h"
#include "lower/field_values.h"
#include "lower/group.h"
#include "lower/group_builder.h"
#include "lower/rate_groups.h"

namespace psl::lower {

namespace {

// Each conjunct of a field-only terminal rule into the lookup group of its
// shape (group.h). Returns "" when every conjunct found a group, else why
// not (the rule stays code).
std::string place(GroupBuilder &builder, uint32_t rule,
                  const Conjunctions &dnf) {
  Classifier &c_ = builder.classifier();
  const GroupLimits &l_ = builder.limits();
  struct Plan {
    GroupKey key;
    const Conj *conj;
  };
  std::vector<Plan> plans;
  Point rule_keys = 0;
  const std::string too_many = "its conditions combine into more than " +
                               std::to_string(l_.max_entries_per_conjunct) +
                               " map keys";
  for (const Conj &cj : dnf) {
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
    plans.push_back({key, &cj});
  }
  if (builder.total_keys() + rule_keys > l_.max_group_entries)
    return "the policy's lookup groups already hold " +
           std::to_string(builder.total_keys()) + " keys (limit " +
           std::to_string(l_.max_group_entries) + ")";
  builder.add_keys(static_cast<size_t>(rule_keys));
  for (const Plan &p : plans)
    builder.emit(rule, p.key, *p.conj,
                 Classifier::encode(rule, c_.rules[rule].action));
  return "";
}

} // namespace

void place_rules(const std::vector<std::optional<Cond>> &conds, Classifier &c,
                 const GroupLimits &limits) {
  GroupBuilder builder(c, limits);
  for (uint32_t i = 0; i < conds.size(); ++i) {
    RuleInfo &r = c.rules[i];
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
        else if ((why = place_rate(builder, i, dnf->front(), split->second))
                     .empty())
          continue; // in a rate group
      }
    } else if (conds[i]->is_opaque())
      why = "it uses a dynamic set or compares two fields";
    if (why.empty()) {
      auto dnf = to_conjunctions(*conds[i], limits.max_conjuncts);
      if (!dnf)
        why = "its condition has more than " +
              std::to_string(limits.max_conjuncts) + " alternatives";
      else if (dnf->empty()) {
        // Never true: no entries, no code.
        continue;
      } else {
        why = place(builder, i, *dnf);
      }
    }
    if (!why.empty()) {
      r.in_code = true;
      r.why_code = why;
    }
  }
  builder.finish();
}

} // namespace psl::lower
