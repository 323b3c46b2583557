#include "lower/rate_groups.h"

#include <algorithm>
#include <set>

#include "lower/field_values.h"
#include "lower/map_entries.h"
#include "psl_rate.h"
#include "psl_rate_table.h"

namespace psl::lower {

std::string place_rate(GroupBuilder &builder, uint32_t rule, const Conj &cj,
                       uint32_t rate) {
  Classifier &c_ = builder.classifier();
  const GroupLimits &l_ = builder.limits();
  if (cj.empty())
    return "its condition is rate() alone";
  std::vector<const FieldAtom *> ips, ranges;
  for (const FieldAtom &a : cj)
    if (is_ip_field(a.field)) {
      ips.push_back(&a);
      if (!all_single(a))
        ranges.push_back(&a);
    }
  if (ranges.size() > 1)
    return "its rate() follows two address ranges";
  GroupKey key;
  key.kind = MapKind::Hash;
  key.rate = true;
  Point keys = 1;
  const FieldAtom *cls = nullptr;
  if (!ips.empty()) {
    // The class of the address (a range if there is one), then the rest
    // enumerated: a rule on prefix P is listed under every class P covers.
    cls = ranges.empty() ? ips.front() : ranges.front();
    key.class_field = cls->field;
    keys = prefix_count(*cls);
  }
  for (const FieldAtom &a : cj) {
    if (&a == cls)
      continue;
    key.exact.push_back(a.field);
    keys = sat_mul(keys, dim_values(a));
    if (keys > l_.max_entries_per_conjunct)
      return "its conditions combine into more than " +
             std::to_string(l_.max_entries_per_conjunct) + " map keys";
  }
  if (builder.total_keys() + keys > l_.max_group_entries)
    return "the policy's lookup groups already hold " +
           std::to_string(builder.total_keys()) + " keys (limit " +
           std::to_string(l_.max_group_entries) + ")";
  if (!builder.has_group(key) && c_.rate_groups >= PSL_RATE_GROUPS_MAX)
    return "the policy's rate rules already have " +
           std::to_string(PSL_RATE_GROUPS_MAX) + " condition shapes in maps";
  const std::vector<FieldId> &fields = c_.rates[rate].keys;
  auto kind = std::find(c_.rate_kinds.begin(), c_.rate_kinds.end(), fields);
  if (kind == c_.rate_kinds.end()) {
    if (c_.rate_kinds.size() >= kMaxRateKinds)
      return "the policy's rate rules in maps already use " +
             std::to_string(kMaxRateKinds) + " different rate() keys";
    kind = c_.rate_kinds.insert(kind, fields);
  }
  builder.add_keys(static_cast<size_t>(keys));
  RateSlot slot;
  slot.rule = rule;
  slot.rate = rate;
  slot.kind = static_cast<uint32_t>(kind - c_.rate_kinds.begin());
  c_.rate_slots.push_back(slot);
  builder.emit(rule, key, cj, static_cast<uint32_t>(c_.rate_slots.size() - 1));
  return "";
}

void finish_rate_group(Classifier &c_, size_t g, GroupBuild &b) {
  LookupGroup &grp = c_.groups[g];
  std::set<uint32_t> moved;
  for (const std::vector<uint32_t> &list : b.lists)
    for (size_t i = PSL_RATE_LIST_MAX; i < list.size(); ++i)
      moved.insert(list[i]);
  for (uint32_t slot : moved) {
    RateSlot &s = c_.rate_slots[slot];
    s.moved = true;
    RuleInfo &r = c_.rules[s.rule];
    r.in_code = true;
    r.why_code =
        "more than " + std::to_string(PSL_RATE_LIST_MAX) +
        " rate rules before it hold for the same key of its rate group";
    r.groups.erase(std::remove(r.groups.begin(), r.groups.end(), g),
                   r.groups.end());
    grp.rules.erase(std::remove(grp.rules.begin(), grp.rules.end(), s.rule),
                    grp.rules.end());
  }
  const KeyTable &keys = b.list_of;
  size_t written = 0;
  std::vector<uint32_t> words(1 + PSL_RATE_LIST_MAX);
  for (const uint32_t i : keys.sorted()) {
    std::vector<uint32_t> &list = b.lists[keys.value(i) - 1];
    if (!moved.empty())
      list.erase(
          std::remove_if(list.begin(), list.end(),
                         [&](uint32_t slot) { return moved.count(slot) > 0; }),
          list.end());
    if (list.empty())
      continue;
    std::fill(words.begin(), words.end(), 0);
    words[0] = static_cast<uint32_t>(list.size());
    std::copy(list.begin(), list.end(), words.begin() + 1);
    add_entry(c_, grp.map, {keys.key(i), keys.key_size()}, words);
    ++written;
  }
  grp.entries = written;
  c_.maps[grp.map].max_entries =
      static_cast<uint32_t>(std::max<size_t>(1, written));
  b.list_of.clear();
  b.lists = {};
}

void finish_rate_rules(Classifier &c_) {
  if (c_.rate_slots.empty())
    return;
  MapSpec m;
  m.name = "psl_rate_rules";
  m.kind = MapKind::Array;
  m.key_size = 4;
  m.value_size = sizeof(psl_rate_rule);
  m.max_entries = static_cast<uint32_t>(c_.rate_slots.size());
  m.purpose = "rate rules of the rate groups, by slot";
  c_.rate_rules_map = static_cast<uint32_t>(c_.maps.size());
  c_.maps.push_back(m);
  for (uint32_t slot = 0; slot < c_.rate_slots.size(); ++slot) {
    const RateSlot &s = c_.rate_slots[slot];
    if (s.moved)
      continue;
    const RateSpec &spec = c_.rates[s.rate];
    psl_rate_rule v{};
    // normalize_condition() checked that the bucket can be made.
    psl_rate_cfg_make(spec.per_second, spec.burst, &v.cfg);
    v.enc = Classifier::encode(s.rule, c_.rules[s.rule].action);
    v.rule = s.rule;
    v.rate_id = spec.id;
    v.kind = static_cast<uint16_t>(s.kind);
    v.bits = spec.bits ? 1 : 0;
    c_.entries.add(*c_.rate_rules_map, reinterpret_cast<const uint8_t *>(&slot),
                   4, reinterpret_cast<const uint8_t *>(&v), sizeof(v));
  }
}

} // namespace psl::lower
