#include "lower/ipv6_split.h"

#include <algorithm>
#include <cstring>

#include "lower/field_values.h"
#include "lower/map_entries.h"
#include "psl_classify.h"

namespace psl::lower {

static_assert(kClass6Lens == PSL_CLASS6_LENS);
static_assert(sizeof(psl_class6_bucket) == 40 && sizeof(psl_class6_key) == 20 &&
                  sizeof(psl_class6_dir) == 48 &&
                  offsetof(psl_class6_bucket, nlens) == 32 &&
                  offsetof(psl_class6_bucket, slots) == 36,
              "unit_words and write_ipv6_split write these layouts");

Ipv6Split::Ipv6Split(const std::vector<AddrPrefix> &cls,
                     const std::vector<ClassValue> &v,
                     const std::vector<size_t> &par, size_t dense_min)
    : classes(cls), vals(v), parent(par), held(cls.size()) {
  // In class order the first class of a /32 is the /32 itself or one
  // whose covering prefixes are all shorter than /32.
  for (size_t i = 0; i < classes.size(); ++i) {
    const AddrPrefix &p = classes[i];
    if (p.family != 6 || p.len < 32)
      continue;
    auto [it, fresh] = buckets.try_emplace(static_cast<uint32_t>(p.base >> 96));
    Bucket &bk = it->second;
    if (fresh && p.len == 32)
      bk.unit.v = vals[i];
    else if (fresh && parent[i] != kNoClass)
      bk.unit.v = vals[parent[i]];
    if (p.len > 32)
      bk.unit.longer.push_back(i);
    bk.members.push_back(i);
    held[i] = true;
  }
  std::vector<Bucket *> by_size;
  for (auto &[top, bk] : buckets)
    if (bk.unit.longer.size() >= std::max<size_t>(1, dense_min))
      by_size.push_back(&bk);
  std::stable_sort(by_size.begin(), by_size.end(),
                   [](const Bucket *a, const Bucket *b) {
                     return a->unit.longer.size() > b->unit.longer.size();
                   });
  for (Bucket *bk : by_size)
    if (dense < kDenseBuckets)
      make_dense(*bk, ++dense);
  for (auto &[top, bk] : buckets)
    if (!bk.dense)
      finish(bk.unit, bk.members);
}

void Ipv6Split::make_dense(Bucket &bk, uint32_t ordinal) {
  bk.dense = ordinal;
  bk.slots.assign(kSlots6, Unit{bk.unit.v, {}, {}, false});
  for (size_t i : bk.unit.longer) {
    const AddrPrefix &p = classes[i];
    const uint32_t first = static_cast<uint32_t>(p.base >> 80) & (kSlots6 - 1);
    if (p.len > 48) {
      bk.slots[first].longer.push_back(i);
      continue;
    }
    const uint32_t last = static_cast<uint32_t>(p.last() >> 80) & (kSlots6 - 1);
    for (uint32_t s = first; s <= last; ++s)
      bk.slots[s].v = vals[i];
  }
  for (Unit &u : bk.slots)
    finish(u, u.longer);
}

void Ipv6Split::finish(Unit &u, const std::vector<size_t> &members) {
  for (size_t i : u.longer)
    u.lens.push_back(classes[i].len);
  std::sort(u.lens.begin(), u.lens.end());
  u.lens.erase(std::unique(u.lens.begin(), u.lens.end()), u.lens.end());
  u.trie = u.lens.size() > kClass6Lens;
  if (!u.trie)
    return;
  for (size_t i : members)
    for (size_t j = i; j != kNoClass && classes[j].len >= 32; j = parent[j])
      held[j] = false;
}

std::map<Ipv6Split::Key, ClassValue> Ipv6Split::entries(const Unit &u) const {
  std::map<Key, ClassValue> out;
  for (size_t i : u.longer) {
    const AddrPrefix &p = classes[i];
    const size_t t = static_cast<size_t>(
        std::lower_bound(u.lens.begin(), u.lens.end(), p.len) - u.lens.begin());
    // psl_class6's search for length index t, hitting all the way.
    size_t lo = 0, hi = u.lens.size();
    while (lo < hi) {
      const size_t mid = (lo + hi - 1) / 2;
      if (mid == t)
        break;
      if (mid > t) {
        hi = mid;
        continue;
      }
      const uint32_t len = u.lens[mid];
      out.try_emplace({p.base & ~((Point(1) << (128 - len)) - 1), len},
                      covering(i, len));
      lo = mid + 1;
    }
  }
  for (size_t i : u.longer) // a prefix's own value wins over a marker's
    out[{classes[i].base, classes[i].len}] = vals[i];
  return out;
}

ClassValue Ipv6Split::covering(size_t i, uint32_t len) const {
  size_t j = parent[i];
  while (j != kNoClass && classes[j].len > len)
    j = parent[j];
  return j == kNoClass ? ClassValue{} : vals[j];
}

std::vector<uint32_t> unit_words(const Ipv6Split::Unit &u, uint32_t dense) {
  const ClassValue v = u.trie ? ClassValue{} : u.v;
  std::vector<uint32_t> words(v.begin(), v.end());
  uint8_t tail[kClass6Lens + 4] = {}; // lens, nlens, trie, padding
  if (!u.trie) {
    std::copy(u.lens.begin(), u.lens.end(), tail);
    tail[kClass6Lens] = static_cast<uint8_t>(u.lens.size());
  }
  tail[kClass6Lens + 1] = u.trie ? 1 : 0;
  words.resize(4 + sizeof(tail) / 4);
  std::memcpy(words.data() + 4, tail, sizeof(tail));
  words.push_back(dense);
  return words;
}

void write_ipv6_split(Classifier &c_, LookupGroup &grp,
                      const Ipv6Split &split) {
  std::vector<std::map<Ipv6Split::Key, ClassValue>> longer;
  size_t longer_count = 0;
  auto search = [&](const Ipv6Split::Unit &u) {
    if (u.trie || u.longer.empty())
      return;
    longer.push_back(split.entries(u));
    longer_count += longer.back().size();
  };
  for (const auto &[top, bk] : split.buckets) {
    if (!bk.dense)
      search(bk.unit);
    for (const Ipv6Split::Unit &u : bk.slots)
      search(u);
  }
  const MapSpec &trie = c_.maps[grp.map];
  MapSpec buckets_map{trie.name + "_v6b",
                      MapKind::Hash,
                      4,
                      40,
                      static_cast<uint32_t>(split.buckets.size()),
                      trie.purpose + " (IPv6 by /32)",
                      {}};
  MapSpec slots_map{trie.name + "_v6a",
                    MapKind::Array,
                    4,
                    40,
                    std::max<uint32_t>(1, split.dense * kSlots6),
                    trie.purpose + " (IPv6 dense /32s by /48)",
                    {}};
  MapSpec longer_map{trie.name + "_v6h",
                     MapKind::Hash,
                     20,
                     16,
                     static_cast<uint32_t>(std::max<size_t>(1, longer_count)),
                     trie.purpose + " (IPv6 prefixes /33 to /128 and markers)",
                     {}};
  MapSpec dir_map{trie.name + "_v6d",
                  MapKind::Array,
                  4,
                  48,
                  PSL_CLASS6_DIR_SIZE,
                  trie.purpose + " (IPv6 bucket directory)",
                  {}};
  grp.v6_dir = static_cast<uint32_t>(c_.maps.size());
  c_.maps.push_back(std::move(dir_map));
  grp.v6_buckets = static_cast<uint32_t>(c_.maps.size());
  c_.maps.push_back(std::move(buckets_map));
  grp.v6_slots = static_cast<uint32_t>(c_.maps.size());
  c_.maps.push_back(std::move(slots_map));
  grp.v6_longer = static_cast<uint32_t>(c_.maps.size());
  c_.maps.push_back(std::move(longer_map));
  grp.shape += split.dense ? ", ipv6 by /32 hash + /48 array + hash"
                           : ", ipv6 by /32 hash + hash";
  // The directory: each entry holds the bucket of the one /32 hashing to
  // it (kind 1), or sends to the hash when several do (kind 2).
  std::map<uint32_t, std::vector<uint32_t>> dir;
  for (const auto &[top, bk] : split.buckets) {
    std::vector<uint8_t> key;
    put_be32(key, top);
    dir[psl_class6_dir_index(key.data())].push_back(top);
  }
  for (const auto &[index, tops] : dir) {
    std::vector<uint32_t> words(10, 0);
    std::vector<uint8_t> top;
    if (tops.size() == 1) {
      const Ipv6Split::Bucket &bk = split.buckets.at(tops[0]);
      words = bk.dense ? unit_words(Ipv6Split::Unit{}, bk.dense)
                       : unit_words(bk.unit, 0);
      put_be32(top, tops[0]);
    } else {
      top.resize(4, 0);
    }
    words.resize(12);
    std::memcpy(&words[10], top.data(), 4);
    words[11] = tops.size() == 1 ? 1 : 2;
    add_entry(c_, *grp.v6_dir, host_u32_key(index), words);
  }
  for (const auto &[top, bk] : split.buckets) {
    std::vector<uint8_t> key;
    put_be32(key, top);
    add_entry(c_, *grp.v6_buckets, key,
              bk.dense ? unit_words(Ipv6Split::Unit{}, bk.dense)
                       : unit_words(bk.unit, 0));
    for (uint32_t s = 0; s < bk.slots.size(); ++s) {
      const Ipv6Split::Unit &u = bk.slots[s];
      if (u.v[1] == 0 && u.longer.empty())
        continue;
      const uint32_t index = (bk.dense - 1) * kSlots6 + s;
      add_entry(c_, *grp.v6_slots, host_u32_key(index), unit_words(u, 0));
    }
  }
  for (const auto &entries : longer)
    for (const auto &[k, v] : entries) {
      std::vector<uint8_t> key(20);
      ip_point_bytes(6, k.first, key.data());
      std::memcpy(key.data() + 16, &k.second, 4);
      add_entry(c_, *grp.v6_longer, key, v);
    }
}

} // namespace psl::lower
