#include "lower/group_builder.h"

#include <algorithm>
#include <string>

#include "lower/class_table.h"
#include "lower/field_values.h"
#include "lower/key_emission.h"
#include "lower/map_entries.h"
#include "lower/rate_groups.h"
#include "psl_rate_table.h"

namespace psl::lower {

GroupKey class_table_key(FieldId f) {
  GroupKey k;
  k.kind = MapKind::Lpm;
  k.prefix = f;
  k.classes = true;
  return k;
}

void GroupBuilder::emit(uint32_t rule, const GroupKey &key, const Conj &cj,
                        uint32_t enc) {
  uint32_t g = group_for(key);
  LookupGroup &grp = c_.groups[g];
  GroupBuild &b = builds_[g];
  note_rule(rule, g);
  if (key.kind == MapKind::Array) {
    for (const Interval &i : cj[0].values)
      for (Point v = i.lo;; ++v) {
        keep_min(b.array[static_cast<size_t>(v)], enc);
        if (v == i.hi)
          break;
      }
    return;
  }
  if (grp.classes) {
    for (const AddrPrefix &p : addr_prefixes(cj[0]))
      keep_min(b.prefixes[p], enc);
    return;
  }
  if (grp.class_group) {
    // Keys wait for the class ids; the class table learns the prefixes now.
    const FieldAtom &cls = atom(cj, *key.class_field);
    GroupBuild &table = builds_[*grp.class_group];
    uint32_t conj = static_cast<uint32_t>(class_conjs_.size());
    class_conjs_.push_back(cj);
    for (const AddrPrefix &p : addr_prefixes(cls)) {
      table.prefixes.add(p);
      b.items.push_back({p, enc, conj});
    }
    return;
  }
  std::vector<uint8_t> data;
  emit_keys(grp, b, cj, data, enc);
}

void GroupBuilder::finish() {
  for (size_t g = 0; g < c_.groups.size(); ++g)
    if (c_.groups[g].classes) {
      GroupBuild &b = builds_[g];
      const std::vector<std::pair<AddrPrefix, uint32_t>> sorted =
          b.prefixes.take_sorted();
      b.classes.reserve(sorted.size());
      b.class_encs.reserve(sorted.size());
      for (const auto &[prefix, enc] : sorted) {
        b.classes.push_back(prefix);
        b.class_encs.push_back(enc);
      }
      b.masks.assign(b.classes.size(), 0);
    }
  for (size_t g = 0; g < c_.groups.size(); ++g) {
    LookupGroup &grp = c_.groups[g];
    GroupBuild &b = builds_[g];
    if (grp.classes)
      continue;
    if (grp.kind == MapKind::Array) {
      for (uint32_t i = 0; i < b.array.size(); ++i)
        if (b.array[i]) {
          add_entry(c_, grp.map, host_u32_key(i), {b.array[i]});
          ++grp.entries;
        }
      continue;
    }
    if (grp.class_group)
      expand_class_items(c_, g, b, builds_[*grp.class_group], class_conjs_);
    if (grp.rate_group) {
      finish_rate_group(c_, g, b);
      continue;
    }
    if (grp.kind == MapKind::Lpm)
      fold_covering(b);
    // Deterministic order: sort keys.
    const KeyTable &keys = b.hash;
    c_.entries.reserve(keys.size(), keys.size() * (keys.key_size() + 4));
    for (const uint32_t i : keys.sorted())
      add_entry(c_, grp.map, {keys.key(i), keys.key_size()}, {keys.value(i)});
    grp.entries = keys.size();
    c_.maps[grp.map].max_entries =
        static_cast<uint32_t>(std::max<size_t>(1, keys.size()));
    if (grp.class_group && grp.kind == MapKind::Hash &&
        keys.size() >= l_.value_filter_min_entries)
      add_value_filter(c_, grp, keys);
    if (grp.class_group && grp.kind == MapKind::Lpm &&
        keys.size() >= l_.value_filter_min_entries)
      add_class_block_filter(c_, grp, keys);
    b.hash.clear();
  }
  for (size_t g = 0; g < c_.groups.size(); ++g)
    if (c_.groups[g].classes)
      finish_class_table(c_, l_, c_.groups[g], builds_[g]);
  finish_rate_rules(c_);
}

uint32_t GroupBuilder::group_for(const GroupKey &key) {
  auto it = index_.find(key);
  if (it != index_.end())
    return it->second;
  std::optional<uint32_t> class_group;
  if (key.class_field)
    class_group = group_for(class_table_key(*key.class_field));
  LookupGroup g;
  g.kind = key.kind;
  g.classes = key.classes;
  g.class_group = class_group;
  uint32_t off = 0;
  std::string shape = key.kind == MapKind::Lpm    ? "lpm"
                      : key.kind == MapKind::Hash ? "hash"
                                                  : "array";
  if (key.rate) {
    shape = "rate " + shape;
    g.rate_group = c_.rate_groups++;
  }
  std::string dims;
  if (key.class_field) {
    off = 4; // the class id, big-endian
    dims = std::string(" class(") + field_info(*key.class_field).name + ")";
  }
  for (FieldId f : key.exact) {
    g.exact.push_back({f, off, key_bytes(f)});
    off += key_bytes(f);
    dims += std::string(dims.empty() ? " " : ", ") + field_info(f).name;
  }
  if (key.prefix) {
    FieldId f = *key.prefix;
    g.prefix = KeyPart{f, off, key_bytes(f)};
    off += key_bytes(f);
    if (key.class_field)
      dims += std::string(" + ") + field_info(f).name;
    else
      dims = std::string(" ") + field_info(f).name +
             (dims.empty() ? "" : " +" + dims);
  }
  g.data_size = off;
  g.shape = shape + dims;
  MapSpec m;
  m.name = "psl_g" + std::to_string(c_.groups.size());
  m.kind = key.kind;
  m.value_size = key.classes ? 16 // struct psl_class_val
                 : key.rate  ? static_cast<uint32_t>(sizeof(psl_rate_list))
                             : 4;
  if (key.kind == MapKind::Array) {
    m.key_size = 4;
    m.max_entries = static_cast<uint32_t>(domain_max(key.exact[0]) + 1);
  } else {
    m.key_size = key.kind == MapKind::Lpm ? 4 + ((off + 3) & ~3u) : off;
    m.max_entries = 1;
  }
  m.purpose = "group " + std::to_string(c_.groups.size()) + ": " + g.shape;
  g.map = static_cast<uint32_t>(c_.maps.size());
  c_.maps.push_back(m);
  uint32_t id = static_cast<uint32_t>(c_.groups.size());
  c_.groups.push_back(std::move(g));
  GroupBuild &b = builds_.emplace_back();
  if (key.kind == MapKind::Array)
    b.array.assign(c_.maps.back().max_entries, 0);
  else {
    b.hash.set_key_size(c_.maps.back().key_size);
    b.list_of.set_key_size(c_.maps.back().key_size);
  }
  index_[key] = id;
  return id;
}

void GroupBuilder::note_rule(uint32_t rule, uint32_t g) {
  LookupGroup &grp = c_.groups[g];
  if (grp.rules.empty() || grp.rules.back() != rule)
    grp.rules.push_back(rule);
  auto &groups = c_.rules[rule].groups;
  if (std::find(groups.begin(), groups.end(), g) == groups.end())
    groups.push_back(g);
}

} // namespace psl::lower
