// The perfect hash layout of a group's hash map (compiler/lower/
// perfect_hash.h): every key is found where the program looks, with its
// value; keys not stored are not; the slots follow psl_phash.h; the pass
// turns exactly the groups' plain-key hash maps into arrays and keeps
// every other entry.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <set>

#include "lower/lower.h"
#include "lower/perfect_hash.h"
#include "lower_test_util.h"
#include "psl_phash.h"

namespace psl::lower {
namespace {

struct Table {
  uint32_t key_bytes, value_bytes;
  MapEntries store;
  std::vector<MapEntryView> views() const {
    return {store.begin(), store.end()};
  }
};

// n distinct keys: sequential, the way address lists and port tables are
// (the hard case for a weak hash), then random ones.
Table make_table(size_t n, uint32_t key_bytes, uint32_t value_bytes,
                 uint64_t seed) {
  Table t{key_bytes, value_bytes, {}};
  std::mt19937_64 rng(seed);
  std::set<std::vector<uint8_t>> seen;
  std::vector<uint8_t> key(key_bytes), value(value_bytes);
  for (size_t i = 0; seen.size() < n; ++i) {
    if (i < n / 2) {
      std::fill(key.begin(), key.end(), 0);
      for (uint32_t b = 0; b < key_bytes && b < 8; ++b)
        key[key_bytes - 1 - b] = static_cast<uint8_t>(i >> (8 * b));
    } else {
      for (auto &b : key)
        b = static_cast<uint8_t>(rng());
    }
    if (!seen.insert(key).second)
      continue;
    for (uint32_t b = 0; b < value_bytes; ++b)
      value[b] = static_cast<uint8_t>(rng() | 1);
    t.store.add(0, key.data(), key.size(), value.data(), value.size());
  }
  return t;
}

void expect_layout_finds_every_key(const Table &t) {
  auto l = lay_out_perfect_hash(t.views(), t.key_bytes, t.value_bytes);
  ASSERT_TRUE(l) << t.store.size() << " keys of " << t.key_bytes;
  EXPECT_EQ(l->spec.keys, t.store.size());
  EXPECT_EQ(l->spec.key_words, (t.key_bytes + 3) / 4);
  EXPECT_GE(l->spec.slots, t.store.size());
  EXPECT_EQ(l->slot_size,
            PSL_PHASH_SLOT_SIZE(l->spec.key_words, t.value_bytes));
  EXPECT_EQ(l->bytes.size(), size_t{l->spec.slots} * l->slot_size);
  for (const MapEntryView e : t.store) {
    auto v = find_in_layout(*l, e.key);
    ASSERT_TRUE(v) << e.key;
    EXPECT_EQ(*v, e.value) << e.key;
  }
  // Keys not stored miss (a key differing in its last byte, and zero).
  size_t probed = 0;
  std::set<std::vector<uint8_t>> stored;
  for (const MapEntryView e : t.store)
    stored.insert(e.key.to_vector());
  for (const MapEntryView e : t.store) {
    std::vector<uint8_t> k = e.key.to_vector();
    k.back() ^= 0x5a;
    if (stored.count(k))
      continue;
    EXPECT_FALSE(find_in_layout(*l, k)) << ByteView(k);
    if (++probed == 2000)
      break;
  }
  const std::vector<uint8_t> zero(t.key_bytes, 0);
  if (!stored.count(zero)) {
    EXPECT_FALSE(find_in_layout(*l, zero)) << "the zero key";
  }
  // Written slots: every full slot and every nonzero pilot, nothing else.
  size_t full = 0;
  for (uint32_t s = 0; s < l->spec.slots; ++s) {
    const uint8_t *p = l->bytes.data() + size_t{s} * l->slot_size;
    uint32_t pilot, is_full;
    std::memcpy(&pilot, p + 4 * l->spec.key_words, 4);
    std::memcpy(&is_full, p + 4 * l->spec.key_words + 4, 4);
    full += is_full;
    const bool used = std::binary_search(l->used.begin(), l->used.end(), s);
    EXPECT_EQ(used, is_full || pilot) << "slot " << s;
  }
  EXPECT_EQ(full, t.store.size());
}

TEST(PerfectHash, EveryKeyIsFoundAndNoOtherAcrossSizes) {
  for (size_t n : {1, 2, 3, 7, 100, 1000, 20000})
    for (auto [kb, vb] : {std::pair{2u, 4u}, {8u, 16u}, {17u, 16u}, {23u, 36u}})
      expect_layout_finds_every_key(make_table(n, kb, vb, n * 31 + kb));
}

TEST(PerfectHash, AHundredThousandHostsIsPlacedAtTheFirstSeed) {
  Table t = make_table(100000, 8, 16, 7);
  auto l = lay_out_perfect_hash(t.views(), 8, 16);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->attempts, 1u);
  EXPECT_LE(l->spec.slots, 100000 / 0.85 + 2);
  for (size_t i = 0; i < t.store.size(); i += 97)
    EXPECT_EQ(*find_in_layout(*l, t.store[i].key), t.store[i].value);
}

TEST(PerfectHash, RefusesWhatItCannotLayOut) {
  Table dup = make_table(10, 4, 4, 1);
  dup.store.push_back({0, dup.store[3].key.to_vector(), {9, 9, 9, 9}});
  EXPECT_FALSE(lay_out_perfect_hash(dup.views(), 4, 4)) << "a key twice";
  Table wide = make_table(4, 4 * PSL_PHASH_MAX_KW + 1, 4, 2);
  EXPECT_FALSE(lay_out_perfect_hash(wide.views(), wide.key_bytes, 4));
  EXPECT_FALSE(lay_out_perfect_hash({}, 4, 4)) << "no keys";
}

// `body` lowered to maps (whatever the cost model would pick for a policy
// this small), with perfect hashes from `min_entries` keys on.
std::unique_ptr<test_util::Lowered> lower_text(const std::string &body,
                                               size_t min_entries) {
  LowerOptions o = test_util::maps_only();
  o.groups.perfect_hash_min_entries = min_entries;
  auto l = test_util::lower_body(body, o);
  EXPECT_TRUE(l && l->result.ok());
  return l;
}

// A hash group and a class table's host hash and IPv4 prefixes: each
// laid out, the same keys and values found in its slots
// as the kernel hash held; the trie and the arrays as they were.
TEST(PerfectHash, ThePassLaysOutTheGroupsHashMapsAndKeepsTheRest) {
  std::string text;
  for (int i = 0; i < 40; ++i)
    text +=
        "rule h" + std::to_string(i) + ": ip.src == 10.0." +
        std::to_string(i / 8) + "." + std::to_string(i) + " => drop\nrule s" +
        std::to_string(i) + ": ip.src in 10." + std::to_string(i) +
        ".128.0/17 => drop\nrule d" + std::to_string(i) +
        ": ip.dst == 2001:db8::" + std::to_string(i + 1) + " => drop\nrule t" +
        std::to_string(i) + ": tcp.dport == " + std::to_string(1000 + i) +
        " and ip.proto == 6 and tcp.sport == " + std::to_string(i) +
        " => drop\n";
  text += "rule w: ip.src in 2001:db8::/32 => drop\n"
          "rule n: ip.dst in 2001:db9::/32 => drop\n";
  auto kl = lower_text(text, SIZE_MAX), ll = lower_text(text, 1);
  ASSERT_TRUE(kl && ll);
  const Classifier &kernel = kl->c(), &laid = ll->c();
  ASSERT_EQ(kernel.maps.size(), laid.maps.size());
  size_t converted = 0;
  for (size_t m = 0; m < kernel.maps.size(); ++m) {
    const MapSpec &a = kernel.maps[m], &b = laid.maps[m];
    EXPECT_FALSE(a.perfect);
    if (!b.perfect) {
      EXPECT_EQ(a.kind, b.kind) << a.name;
      std::vector<std::pair<std::vector<uint8_t>, std::vector<uint8_t>>> ea, eb;
      for (const MapEntryView e : kernel.entries)
        if (e.map == m)
          ea.push_back({e.key.to_vector(), e.value.to_vector()});
      for (const MapEntryView e : laid.entries)
        if (e.map == m)
          eb.push_back({e.key.to_vector(), e.value.to_vector()});
      EXPECT_EQ(ea, eb) << a.name << " kept as it was";
      continue;
    }
    ++converted;
    EXPECT_EQ(a.kind, MapKind::Hash) << a.name;
    EXPECT_EQ(b.kind, MapKind::Array);
    EXPECT_EQ(b.key_size, 4u);
    EXPECT_EQ(b.perfect->key_bytes, a.key_size);
    EXPECT_EQ(b.perfect->value_bytes, a.value_size);
    // Rebuild the layout from the written slots and look every key up.
    PerfectHashLayout l;
    l.spec = *b.perfect;
    l.slot_size = b.value_size;
    l.bytes.assign(size_t{b.max_entries} * b.value_size, 0);
    for (const MapEntryView e : laid.entries)
      if (e.map == m) {
        uint32_t s;
        ASSERT_EQ(e.key.size(), 4u);
        std::memcpy(&s, e.key.data(), 4);
        ASSERT_LT(s, b.max_entries);
        std::memcpy(l.bytes.data() + size_t{s} * b.value_size, e.value.data(),
                    e.value.size());
      }
    size_t keys = 0;
    for (const MapEntryView e : kernel.entries)
      if (e.map == m) {
        ++keys;
        auto v = find_in_layout(l, e.key);
        ASSERT_TRUE(v) << a.name << " " << e.key;
        EXPECT_EQ(*v, e.value) << a.name;
      }
    EXPECT_EQ(keys, b.perfect->keys) << a.name;
  }
  // The port group, ip.src's IPv4 /17-/32 prefixes and ip.dst's hash of
  // IPv6 hosts in front of its trie.
  EXPECT_EQ(converted, 3u) << to_string(laid);
  for (const LookupGroup &g : laid.groups) {
    if (g.v4_longer) {
      EXPECT_TRUE(laid.maps[*g.v4_longer].perfect) << to_string(laid);
    }
    if (g.exact_map) {
      EXPECT_TRUE(laid.maps[*g.exact_map].perfect) << to_string(laid);
    }
    if (g.kind == MapKind::Hash) {
      EXPECT_TRUE(laid.maps[g.map].perfect) << to_string(laid);
    }
  }
  EXPECT_NE(to_string(laid).find("perfect hash: "), std::string::npos);
  EXPECT_EQ(to_string(kernel).find("perfect hash: "), std::string::npos);
}

// A rate group's frame is near the verifier's stack limit: the whole
// policy keeps kernel hashes.
TEST(PerfectHash, APolicyWithRateGroupsKeepsKernelHashes) {
  std::string text;
  for (int i = 0; i < 20; ++i)
    text += "rule t" + std::to_string(i) +
            ": tcp.dport == " + std::to_string(1000 + i) +
            " and tcp.sport == " + std::to_string(i) + " => drop\n";
  auto without = lower_text(text, 1);
  auto with = lower_text(
      text + "rule r: udp.dport == 53 and rate(ip.src) > 100/s => drop\n", 1);
  ASSERT_TRUE(without && with);
  ASSERT_GT(with->c().rate_groups, 0u);
  EXPECT_TRUE(std::any_of(without->c().maps.begin(), without->c().maps.end(),
                          [](const MapSpec &m) { return m.perfect; }));
  for (const MapSpec &m : with->c().maps)
    EXPECT_FALSE(m.perfect) << m.name;
}

TEST(PerfectHash, BelowTheThresholdAMapStaysAKernelHash) {
  const std::string text = "rule a: tcp.dport == 80 and tcp.sport == 1 => "
                           "drop\n"
                           "rule b: tcp.dport == 81 and tcp.sport == 2 => "
                           "drop\n";
  auto c = lower_text(text, 3), d = lower_text(text, 2);
  ASSERT_TRUE(c && d);
  for (const MapSpec &m : c->c().maps)
    EXPECT_FALSE(m.perfect) << m.name;
  EXPECT_TRUE(std::any_of(d->c().maps.begin(), d->c().maps.end(),
                          [](const MapSpec &m) { return m.perfect; }))
      << to_string(d->c());
}

} // namespace
} // namespace psl::lower
