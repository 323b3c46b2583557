#include "lower/class_table.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "lower/field_values.h"
#include "lower/ipv4_split.h"
#include "lower/ipv6_split.h"
#include "lower/key_emission.h"
#include "lower/map_entries.h"

namespace psl::lower {

void finish_class_table(Classifier &c_, const GroupLimits &l_, LookupGroup &grp,
                        GroupBuild &b) {
  const size_t n = b.classes.size();
  // Each stored prefix's value, and the innermost stored prefix covering
  // it (kNone: none), which an IPv6 bucket takes its value from.
  std::vector<ClassValue> vals(n);
  std::vector<size_t> parent(n, kNoClass);
  std::vector<size_t> chain; // covering prefixes of the current one
  size_t v4 = 0, v6 = 0, hosts4 = 0, hosts6 = 0;
  uint32_t lengths4 = 0; // bit L - 17: an IPv4 prefix of length L > 16
  for (size_t i = 0; i < n; ++i) {
    const AddrPrefix &p = b.classes[i];
    (p.family == 4 ? v4 : v6) += 1;
    hosts6 += p.family == 6 && p.len == 128;
    if (p.family == 4) {
      hosts4 += p.len == 32;
      if (p.len > 16)
        lengths4 |= uint32_t{1} << (p.len - 17);
    }
    while (!chain.empty() && !b.classes[chain.back()].covers(p))
      chain.pop_back();
    uint32_t best = b.class_encs[i];
    if (!chain.empty()) {
      parent[i] = chain.back();
      if (vals[chain.back()][0])
        keep_min(best, vals[chain.back()][0]);
    }
    vals[i] = {best, static_cast<uint32_t>(i + 1),
               static_cast<uint32_t>(b.masks[i]),
               static_cast<uint32_t>(b.masks[i] >> 32)};
    chain.push_back(i);
  }
  // A host list (group.h) splits below the threshold.
  const bool host_list =
      2 * hosts4 >= v4 && static_cast<size_t>(__builtin_popcount(lengths4)) <=
                              l_.ipv4_split_max_host_lengths;
  std::optional<Ipv4Split> split4;
  if (v4 > 0 && (v4 >= l_.ipv4_split_min_prefixes || host_list))
    split4.emplace();
  // IPv6 host lists stay in the hash of full-length addresses in front
  // of the trie: one lookup answers a host, and the split's arrays would
  // cost lowering, Clang and load time for nothing (threshold 0, for
  // tests, splits them too).
  const bool host_list6 = 2 * hosts6 >= v6;
  std::optional<Ipv6Split> split6;
  if (v6 > 0 && v6 >= l_.ipv6_split_min_prefixes &&
      (!host_list6 || l_.ipv6_split_min_prefixes == 0))
    split6.emplace(b.classes, vals, parent, l_.ipv6_dense_min_prefixes);
  if (split6 && split6->buckets.empty()) // only prefixes shorter than /32
    split6.reset();
  // Where each stored prefix goes: the IPv4 split, the IPv6 split, else
  // the trie (or the hash of full-length addresses in front of it).
  auto in_split = [&](size_t i) {
    const AddrPrefix &p = b.classes[i];
    return p.family == 4 ? split4.has_value() : split6 && split6->holds(i);
  };
  size_t full = 0, shorter = 0;
  for (size_t i = 0; i < n; ++i) {
    if (in_split(i))
      continue;
    const AddrPrefix &p = b.classes[i];
    const bool is_full = p.len == (p.family == 6 ? 128u : 32u);
    (is_full ? full : shorter) += 1;
    grp.v6_trie = grp.v6_trie || p.family == 6;
  }
  if (shorter == 0) {
    MapSpec &trie = c_.maps[grp.map];
    grp.kind = trie.kind = MapKind::Hash;
    trie.key_size = grp.data_size;
    grp.shape = "hash " + grp.shape.substr(grp.shape.find(' ') + 1);
  } else if (full > shorter) {
    MapSpec m = c_.maps[grp.map];
    m.name += "s";
    m.kind = MapKind::Hash;
    m.key_size = grp.data_size;
    m.max_entries = static_cast<uint32_t>(full);
    m.purpose += " (full-length addresses)";
    grp.exact_map = static_cast<uint32_t>(c_.maps.size());
    grp.shape = "hash+" + grp.shape;
    c_.maps.push_back(std::move(m));
  }
  size_t in_trie = 0;
  for (size_t i = 0; i < n; ++i) {
    const AddrPrefix &p = b.classes[i];
    if (in_split(i)) {
      if (p.family == 4)
        split4->add(p, vals[i]);
      continue;
    }
    const bool is_full = p.len == (p.family == 6 ? 128u : 32u);
    const bool hashed = grp.kind == MapKind::Hash || (grp.exact_map && is_full);
    std::vector<uint8_t> k;
    k.reserve(hashed ? 17 : 4 + ((grp.data_size + 3) & ~uint32_t{3}));
    if (!hashed) {
      const uint32_t bits = 8 + (p.family == 6 ? 0 : 96) + p.len;
      k.resize(4);
      std::memcpy(k.data(), &bits, 4);
      ++in_trie;
    }
    k.push_back(p.family);
    uint8_t addr[16];
    ip_point_bytes(p.family, p.base, addr);
    k.insert(k.end(), addr, addr + 16);
    if (!hashed)
      k.resize(4 + ((grp.data_size + 3) & ~uint32_t{3}), 0);
    add_entry(c_, hashed && grp.exact_map ? *grp.exact_map : grp.map, k,
              vals[i]);
  }
  grp.entries = n;
  c_.maps[grp.map].max_entries = static_cast<uint32_t>(
      std::max<size_t>(1, grp.exact_map ? in_trie : full + shorter));
  if (split4) {
    grp.v4_lengths = lengths4; // every IPv4 prefix is in the split
    write_ipv4_split(c_, grp, *split4);
  }
  if (split6)
    write_ipv6_split(c_, grp, *split6);
}

void expand_class_items(Classifier &c_, size_t g, GroupBuild &b,
                        GroupBuild &table, const std::vector<Conj> &conjs) {
  const LookupGroup &grp = c_.groups[g];
  // Groups past bit 63 are always looked up (the lowering refuses that
  // many maps anyway).
  const uint64_t bit = g < 64 ? uint64_t{1} << g : 0;
  std::vector<uint8_t> data;
  // Consecutive items of one conjunct (one per prefix of its address)
  // share its resolved keys.
  ConjKeys keys(grp);
  std::optional<uint32_t> bound;
  for (const ClassItem &it : b.items) {
    auto first =
        std::lower_bound(table.classes.begin(), table.classes.end(), it.prefix);
    for (auto q = first; q != table.classes.end() && it.prefix.covers(*q);
         ++q) {
      table.masks[static_cast<size_t>(q - table.classes.begin())] |= bit;
      data.clear();
      put_be32(data, static_cast<uint32_t>(q - table.classes.begin()) + 1);
      if (bound != it.conj) {
        keys.bind(conjs[it.conj]);
        bound = it.conj;
      }
      keys.emit(b, data, it.enc);
    }
  }
  b.items.clear();
}

} // namespace psl::lower
