#include "lower/perfect_hash.h"

#include <algorithm>
#include <cstring>

#include "psl_phash.h"

namespace psl::lower {

namespace {

// Slots per key: 1 / 0.85 first; later tries leave more room.
constexpr double kLoad[] = {0.85, 0.85, 0.85, 0.75, 0.75, 0.6};
constexpr uint32_t kKeysPerBucket = 4;
constexpr uint32_t kMaxPilot = 1u << 16;

uint64_t seed_of(uint32_t attempt) {
  // splitmix64 of the attempt: seeds far apart.
  uint64_t z = (attempt + 1) * 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

struct Keys {
  uint32_t kw = 0;
  std::vector<uint32_t> words; // n * kw, zero padded
  const uint32_t *key(size_t i) const { return words.data() + i * kw; }
};

enum class Placement { Placed, Retry, Duplicate };

// One try: pilots for every bucket, or Retry (a bucket found none, two
// keys hashed alike) or Duplicate (two keys are the same).
Placement place(const Keys &keys, uint64_t seed, uint32_t buckets,
                uint32_t slots, std::vector<uint32_t> &pilot,
                std::vector<uint32_t> &slot_of) {
  const size_t n = keys.words.size() / keys.kw;
  std::vector<uint64_t> h(n);
  std::vector<uint32_t> start(buckets + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    h[i] = psl_phash_key(keys.key(i), static_cast<int>(keys.kw), seed);
    start[psl_phash_bucket(h[i], buckets) + 1] += 1;
  }
  uint32_t largest = 0;
  for (uint32_t b = 0; b < buckets; ++b) {
    largest = std::max(largest, start[b + 1]);
    start[b + 1] += start[b];
  }
  std::vector<uint32_t> member(n), fill(start.begin(), start.end() - 1);
  for (size_t i = 0; i < n; ++i)
    member[fill[psl_phash_bucket(h[i], buckets)]++] = static_cast<uint32_t>(i);
  // Largest buckets first (counting sort by size, stable by index).
  std::vector<uint32_t> by_size(largest + 2, 0), order(buckets);
  for (uint32_t b = 0; b < buckets; ++b)
    by_size[largest - (start[b + 1] - start[b]) + 1] += 1;
  for (uint32_t s = 1; s < by_size.size(); ++s)
    by_size[s] += by_size[s - 1];
  for (uint32_t b = 0; b < buckets; ++b)
    order[by_size[largest - (start[b + 1] - start[b])]++] = b;

  std::vector<uint8_t> taken(slots, 0);
  pilot.assign(buckets, 0);
  slot_of.assign(n, 0);
  std::vector<uint32_t> pos(largest);
  for (uint32_t b : order) {
    const uint32_t lo = start[b], size = start[b + 1] - lo;
    if (size == 0)
      break; // the rest are empty too
    for (uint32_t i = 1; i < size; ++i)
      for (uint32_t j = 0; j < i; ++j)
        if (h[member[lo + i]] == h[member[lo + j]])
          return std::memcmp(keys.key(member[lo + i]), keys.key(member[lo + j]),
                             4 * keys.kw) == 0
                     ? Placement::Duplicate
                     : Placement::Retry;
    uint32_t p = 0;
    for (; p < kMaxPilot; ++p) {
      bool ok = true;
      for (uint32_t i = 0; i < size && ok; ++i) {
        pos[i] = psl_phash_slot(h[member[lo + i]], p, slots);
        ok = !taken[pos[i]];
        for (uint32_t j = 0; j < i && ok; ++j)
          ok = pos[j] != pos[i];
      }
      if (ok)
        break;
    }
    if (p == kMaxPilot)
      return Placement::Retry;
    pilot[b] = p;
    for (uint32_t i = 0; i < size; ++i) {
      taken[pos[i]] = 1;
      slot_of[member[lo + i]] = pos[i];
    }
  }
  return Placement::Placed;
}

void put_u32(uint8_t *at, uint32_t v) { std::memcpy(at, &v, 4); }

} // namespace

std::optional<PerfectHashLayout>
lay_out_perfect_hash(const std::vector<MapEntryView> &entries,
                     uint32_t key_bytes, uint32_t value_bytes) {
  const size_t n = entries.size();
  Keys keys;
  keys.kw = (key_bytes + 3) / 4;
  if (n == 0 || keys.kw == 0 || keys.kw > PSL_PHASH_MAX_KW ||
      n > (size_t{1} << 30))
    return std::nullopt;
  keys.words.assign(n * keys.kw, 0);
  for (size_t i = 0; i < n; ++i) {
    if (entries[i].key.size() != key_bytes ||
        entries[i].value.size() != value_bytes)
      return std::nullopt;
    std::memcpy(keys.words.data() + i * keys.kw, entries[i].key.data(),
                key_bytes);
  }
  const uint32_t buckets = static_cast<uint32_t>(
      std::max<size_t>(1, (n + kKeysPerBucket - 1) / kKeysPerBucket));
  std::vector<uint32_t> pilot, slot_of;
  for (uint32_t a = 0; a < sizeof(kLoad) / sizeof(kLoad[0]); ++a) {
    const uint64_t seed = seed_of(a);
    const uint32_t slots = static_cast<uint32_t>(std::max<size_t>(
        {n + 1, buckets,
         static_cast<size_t>(static_cast<double>(n) / kLoad[a]) + 1}));
    const Placement r = place(keys, seed, buckets, slots, pilot, slot_of);
    if (r == Placement::Duplicate)
      return std::nullopt;
    if (r == Placement::Retry)
      continue;
    PerfectHashLayout l;
    l.spec.key_bytes = key_bytes;
    l.spec.key_words = keys.kw;
    l.spec.value_bytes = value_bytes;
    l.spec.seed = seed;
    l.spec.buckets = buckets;
    l.spec.slots = slots;
    l.spec.keys = static_cast<uint32_t>(n);
    l.attempts = a + 1;
    l.slot_size = PSL_PHASH_SLOT_SIZE(keys.kw, value_bytes);
    l.bytes.assign(size_t{slots} * l.slot_size, 0);
    std::vector<uint8_t> used(slots, 0);
    const uint32_t voff = PSL_PHASH_VALUE_OFF(keys.kw);
    for (size_t i = 0; i < n; ++i) {
      uint8_t *s = l.bytes.data() + size_t{slot_of[i]} * l.slot_size;
      std::memcpy(s, keys.key(i), 4 * keys.kw);
      put_u32(s + 4 * keys.kw + 4, 1);
      std::memcpy(s + voff, entries[i].value.data(), value_bytes);
      used[slot_of[i]] = 1;
    }
    for (uint32_t b = 0; b < buckets; ++b)
      if (pilot[b]) {
        put_u32(l.bytes.data() + size_t{b} * l.slot_size + 4 * keys.kw,
                pilot[b]);
        used[b] = 1;
      }
    for (uint32_t s = 0; s < slots; ++s)
      if (used[s])
        l.used.push_back(s);
    return l;
  }
  return std::nullopt;
}

std::optional<ByteView> find_in_layout(const PerfectHashLayout &l,
                                       ByteView key) {
  const PerfectHash &p = l.spec;
  if (key.size() != p.key_bytes)
    return std::nullopt;
  std::vector<uint32_t> w(p.key_words, 0);
  std::memcpy(w.data(), key.data(), key.size());
  const uint64_t h =
      psl_phash_key(w.data(), static_cast<int>(p.key_words), p.seed);
  auto slot = [&](uint32_t i) {
    return l.bytes.data() + size_t{i} * l.slot_size;
  };
  uint32_t pilot;
  std::memcpy(&pilot, slot(psl_phash_bucket(h, p.buckets)) + 4 * p.key_words,
              4);
  const uint8_t *s = slot(psl_phash_slot(h, pilot, p.slots));
  uint32_t full;
  std::memcpy(&full, s + 4 * p.key_words + 4, 4);
  if (!full || std::memcmp(s, w.data(), 4 * p.key_words) != 0)
    return std::nullopt;
  return ByteView(s + PSL_PHASH_VALUE_OFF(p.key_words), p.value_bytes);
}

void use_perfect_hashes(Classifier &c, size_t min_entries) {
  // A policy with rate groups keeps kernel hashes. Its frame holds the
  // packet's rate candidates (struct psl_rate_run) and calls two more
  // frames (psl_rate_drain, psl_rate_test): it sits within a 32-byte step
  // of the verifier's 512 bytes for the whole call chain, and the inlined
  // lookups' spills took a differential-test policy past it (528 bytes).
  if (c.rate_groups > 0)
    return;
  // The maps a group reads with a plain key, in map order.
  std::vector<uint8_t> eligible(c.maps.size(), 0);
  for (const LookupGroup &g : c.groups) {
    if (g.kind == MapKind::Hash)
      eligible[g.map] = 1;
    if (g.exact_map)
      eligible[*g.exact_map] = 1;
    // Not the IPv6 buckets and longer prefixes: probed inside psl_class6's
    // binary search, laid out they took the frame of a 100k-rule rate
    // policy past the verifier's 512 bytes of stack (docs/performance.md).
    if (g.v4_longer)
      eligible[*g.v4_longer] = 1;
  }
  std::vector<std::vector<MapEntryView>> of(c.maps.size());
  std::vector<size_t> count(c.maps.size(), 0);
  for (const MapEntryView e : c.entries)
    count[e.map] += 1;
  bool any = false;
  for (size_t m = 0; m < c.maps.size(); ++m) {
    eligible[m] = eligible[m] && c.maps[m].kind == MapKind::Hash &&
                  count[m] > 0 && count[m] >= min_entries;
    any = any || eligible[m];
    if (eligible[m])
      of[m].reserve(count[m]);
  }
  if (!any)
    return;
  for (const MapEntryView e : c.entries)
    if (eligible[e.map])
      of[e.map].push_back(e);
  std::vector<std::optional<PerfectHashLayout>> laid(c.maps.size());
  std::vector<uint8_t> replaced(c.maps.size(), 0);
  size_t slots = 0, slot_bytes = 0;
  for (size_t m = 0; m < c.maps.size(); ++m) {
    if (eligible[m])
      laid[m] =
          lay_out_perfect_hash(of[m], c.maps[m].key_size, c.maps[m].value_size);
    of[m] = {};
    if (!laid[m])
      continue;
    replaced[m] = 1;
    slots += laid[m]->used.size();
    slot_bytes += laid[m]->used.size() * (4 + laid[m]->slot_size);
  }
  // In place: at 100k rules the store holds tens of MB, and a second copy
  // of it cost more than the layouts (fresh pages cleared by the kernel).
  c.entries.erase_maps(replaced);
  c.entries.reserve(slots, slot_bytes);
  for (size_t m = 0; m < c.maps.size(); ++m) {
    if (!laid[m])
      continue;
    const PerfectHashLayout &l = *laid[m];
    for (uint32_t s : l.used) {
      uint8_t key[4];
      put_u32(key, s);
      c.entries.add(static_cast<uint32_t>(m), key, 4,
                    l.bytes.data() + size_t{s} * l.slot_size, l.slot_size);
    }
    MapSpec &spec = c.maps[m];
    spec.kind = MapKind::Array;
    spec.key_size = 4;
    spec.value_size = l.slot_size;
    spec.max_entries = l.spec.slots;
    spec.perfect = l.spec;
  }
}

} // namespace psl::lower
