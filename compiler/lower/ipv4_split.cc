#include "lower/ipv4_split.h"

#include <algorithm>
#include <cstring>

#include "lower/map_entries.h"
#include "psl_classify.h"

namespace psl::lower {

void Ipv4Split::add(const AddrPrefix &p, const Value &v) {
  const uint32_t first = static_cast<uint32_t>(p.base >> 16);
  if (p.len > 16) {
    Slot &slot = slots[first];
    slot.longer |= uint32_t{1} << (p.len - 17);
    // A prefix of /21 or shorter is aligned to whole blocks, a longer
    // one lies in one: a step of a block reaches each block it holds.
    for (Point a = p.base; a <= p.last(); a += Point{1} << 11)
      slot.blocks |= PSL_CLASS4_BLOCK(static_cast<uint32_t>(a));
    longer.push_back({p, v});
    return;
  }
  const uint32_t last = static_cast<uint32_t>(p.last() >> 16);
  for (uint32_t s = first;; ++s) {
    slots[s].v = v;
    if (s == last)
      break;
  }
}

void write_ipv4_split(Classifier &c_, LookupGroup &grp,
                      const Ipv4Split &split) {
  const MapSpec &trie = c_.maps[grp.map];
  MapSpec slots{trie.name + "_v4a",
                MapKind::Array,
                4,
                24,
                kIpv4Slots,
                trie.purpose + " (IPv4 by /16)",
                {}};
  MapSpec longer{
      trie.name + "_v4h",
      MapKind::Hash,
      8,
      16,
      static_cast<uint32_t>(std::max<size_t>(1, split.longer.size())),
      trie.purpose + " (IPv4 prefixes /17 to /32)",
      {}};
  grp.v4_slots = static_cast<uint32_t>(c_.maps.size());
  c_.maps.push_back(std::move(slots));
  grp.v4_longer = static_cast<uint32_t>(c_.maps.size());
  c_.maps.push_back(std::move(longer));
  grp.shape += ", ipv4 by /16 array + hash";
  for (uint32_t s = 0; s < kIpv4Slots; ++s) {
    const Ipv4Split::Slot &slot = split.slots[s];
    if (slot.v[1] == 0 && slot.longer == 0)
      continue;
    add_entry(
        c_, *grp.v4_slots, host_u32_key(s),
        {slot.v[0], slot.v[1], slot.v[2], slot.v[3], slot.longer, slot.blocks});
  }
  for (const auto &[p, v] : split.longer) {
    std::vector<uint8_t> key;
    key.reserve(8);
    put_be32(key, static_cast<uint32_t>(p.base));
    const uint32_t len = p.len;
    key.resize(8);
    std::memcpy(key.data() + 4, &len, 4);
    add_entry(c_, *grp.v4_longer, key, {v[0], v[1], v[2], v[3]});
  }
}

} // namespace psl::lower
