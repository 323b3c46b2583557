#include "lower/classifier.h"

#include <sstream>

#include "lower/field_values.h"

namespace psl::lower {

bool Cond::has_side_effects() const {
  if (kind == Kind::Rate)
    return true;
  for (const Cond &ch : children)
    if (ch.has_side_effects())
      return true;
  return false;
}

bool Cond::is_opaque() const {
  if (kind == Kind::Rate || kind == Kind::DynSet || kind == Kind::FieldCmp)
    return true;
  for (const Cond &ch : children)
    if (ch.is_opaque())
      return true;
  return false;
}

std::string to_string(const Classifier &c) {
  std::ostringstream o;
  o << "policy " << c.policy << ": " << c.rules.size() << " rules, "
    << c.groups.size() << " groups, " << c.code.size() << " code rules, "
    << c.entries.size() << " map entries\n";
  for (const CostChoice &cc : c.costs)
    o << "cost: " << to_string(cc) << '\n';
  for (size_t t = 0; t < c.trees.size(); ++t) {
    const AddrTree &tree = c.trees[t];
    o << "tree " << t << " (" << field_info(tree.field).name
      << "): " << tree.leaves.size() << " intervals, rules";
    for (uint32_t r : tree.rules)
      o << ' ' << c.rules[r].name;
    o << '\n';
  }
  for (size_t g = 0; g < c.groups.size(); ++g) {
    const LookupGroup &grp = c.groups[g];
    o << "group " << g << " (" << c.maps[grp.map].name;
    // A class table's other maps: its host hash, its IPv4 slots and
    // prefixes, its IPv6 buckets and prefixes.
    for (std::optional<uint32_t> m :
         {grp.exact_map, grp.v4_slots, grp.v4_longer, grp.v6_dir,
          grp.v6_buckets, grp.v6_slots, grp.v6_longer})
      if (m)
        o << ", " << c.maps[*m].name;
    o << "): " << grp.shape << ", " << grp.entries << " entries, rules";
    for (uint32_t r : grp.rules)
      o << ' ' << c.rules[r].name;
    o << '\n';
  }
  for (const MapSpec &m : c.maps)
    if (m.perfect)
      o << "perfect hash: " << m.name << ", " << m.perfect->keys << " keys of "
        << m.perfect->key_bytes << " bytes in " << m.perfect->slots
        << " slots, " << m.perfect->buckets << " buckets\n";
  for (const CodeRule &cr : c.code)
    o << "code: " << c.rules[cr.rule].name << " (" << c.rules[cr.rule].why_code
      << ")\n";
  return o.str();
}

} // namespace psl::lower
