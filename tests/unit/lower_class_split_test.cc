// The IPv4 part of a class table split off the trie (classifier.h): the
// /16 slots and the hash of prefixes /17 to /32; and the IPv6 part: the /32
// buckets and the hash of prefixes /33 to /128; as the lowering writes
// them, on real PSL through the real front end.
#include <arpa/inet.h>
#include <array>
#include <cstring>
#include <gtest/gtest.h>
#include <map>
#include <optional>

#include "codegen/xdp_generator.h"
#include "driver.h"
#include "lower/lower.h"
#include "lower_test_util.h"

namespace psl::lower {
namespace {

using test_util::Lowered;

// Lowers with the IPv4 split forced on (threshold `split_min`, 0: always),
// the IPv6 split at threshold `split6_min` and its dense /32s from
// `dense_min` longer prefixes on.
std::unique_ptr<Lowered>
lower_text(const std::string &body, size_t split_min = 0,
           size_t split6_min = GroupLimits{}.ipv6_split_min_prefixes,
           size_t dense_min = GroupLimits{}.ipv6_dense_min_prefixes) {
  LowerOptions opts;
  opts.groups.ipv4_split_min_prefixes = split_min;
  opts.groups.ipv6_split_min_prefixes = split6_min;
  opts.groups.ipv6_dense_min_prefixes = dense_min;
  return test_util::lower_body(body, test_util::maps_only(opts));
}

// struct psl_class4_slot as words: best, class, groups (low, high), longer,
// blocks.
using SlotWords = std::array<uint32_t, 6>;
// struct psl_class_val as words: best, class, groups (low, high).
using ValWords = std::array<uint32_t, 4>;

std::map<uint32_t, SlotWords> slots_of(const Classifier &c,
                                       const LookupGroup &g) {
  std::map<uint32_t, SlotWords> out;
  for (const auto &e : c.entries)
    if (e.map == g.v4_slots) {
      EXPECT_EQ(e.key.size(), 4u);
      EXPECT_EQ(e.value.size(), 24u);
      uint32_t index;
      std::memcpy(&index, e.key.data(), 4);
      SlotWords w;
      std::memcpy(w.data(), e.value.data(), 24);
      out[index] = w;
    }
  return out;
}

// Hash entries keyed "a.b.c.d/len".
std::map<std::string, ValWords> longer_of(const Classifier &c,
                                          const LookupGroup &g) {
  std::map<std::string, ValWords> out;
  for (const auto &e : c.entries)
    if (e.map == g.v4_longer) {
      EXPECT_EQ(e.key.size(), 8u);
      EXPECT_EQ(e.value.size(), 16u);
      uint32_t len;
      std::memcpy(&len, e.key.data() + 4, 4);
      std::string k = std::to_string(e.key[0]) + "." +
                      std::to_string(e.key[1]) + "." +
                      std::to_string(e.key[2]) + "." +
                      std::to_string(e.key[3]) + "/" + std::to_string(len);
      ValWords w;
      std::memcpy(w.data(), e.value.data(), 16);
      out[k] = w;
    }
  return out;
}

size_t entries_in(const Classifier &c, uint32_t map) {
  size_t n = 0;
  for (const auto &e : c.entries)
    n += e.map == map;
  return n;
}

constexpr uint32_t slot(uint32_t a, uint32_t b) { return a << 8 | b; }

TEST(LowerClassSplit, NestedPrefixesFillSlotsAndLongerPrefixes) {
  auto l = lower_text(R"(
    rule wide: ip.src in 10.0.0.0/8 => drop
    rule mid: ip.src in 10.1.0.0/16 => pass
    rule sub: ip.src in 10.1.2.0/24 => pass
    rule host: ip.src == 10.1.2.3 => pass
    rule v6: ip.src in 2001:db8::/32 => drop)");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 1u) << to_string(c);
  const LookupGroup &g = c.groups[0];
  EXPECT_EQ(g.shape, "lpm ip.src, ipv4 by /16 array + hash");
  ASSERT_TRUE(g.v4_slots.has_value());
  ASSERT_TRUE(g.v4_longer.has_value());
  const MapSpec &a = c.maps[*g.v4_slots];
  const MapSpec &h = c.maps[*g.v4_longer];
  EXPECT_EQ(a.name, "psl_g0_v4a");
  EXPECT_EQ(a.kind, MapKind::Array);
  EXPECT_EQ(a.key_size, 4u);
  EXPECT_EQ(a.value_size, 24u);
  EXPECT_EQ(a.max_entries, 65536u);
  EXPECT_EQ(h.name, "psl_g0_v4h");
  EXPECT_EQ(h.kind, MapKind::Hash);
  EXPECT_EQ(h.key_size, 8u);
  EXPECT_EQ(h.value_size, 16u);
  EXPECT_EQ(h.max_entries, 2u);
  // The trie keeps the IPv6 prefix alone; class ids still count every
  // stored prefix (IPv4 first: 1..4, then IPv6: 5).
  EXPECT_EQ(c.maps[g.map].max_entries, 1u);
  EXPECT_EQ(entries_in(c, g.map), 1u);
  EXPECT_EQ(g.entries, 5u);
  // psc build -v names every map of the table.
  EXPECT_NE(to_string(c).find(
                "group 0 (psl_g0, psl_g0_v4a, psl_g0_v4h): lpm ip.src, ipv4 by "
                "/16 array + hash, 5 entries"),
            std::string::npos)
      << to_string(c);

  const uint32_t wide = Classifier::encode(0, Action::Drop);
  auto slots = slots_of(c, g);
  // Every /16 of 10/8 is written: 256 slots.
  ASSERT_EQ(slots.size(), 256u);
  for (uint32_t s = slot(10, 0); s <= slot(10, 255); ++s)
    if (s != slot(10, 1)) {
      EXPECT_EQ(slots[s], (SlotWords{wide, 1, 0, 0, 0, 0})) << s;
    }
  // 10.1/16 is its own class (mid lies under wide, which comes first) and
  // holds a /24 and a /32: bits 24 - 17 and 32 - 17.
  // Both longer prefixes lie in 10.1.0.0/21, the /16's block 0.
  EXPECT_EQ(slots[slot(10, 1)],
            (SlotWords{wide, 2, 0, 0, (1u << 7) | (1u << 15), 1u << 0}));
  auto longer = longer_of(c, g);
  EXPECT_EQ(longer, (std::map<std::string, ValWords>{
                        {"10.1.2.0/24", {wide, 3, 0, 0}},
                        {"10.1.2.3/32", {wide, 4, 0, 0}}}));
}

TEST(LowerClassSplit, SlotBoundaries) {
  // A /15 spans two slots; a /16 is one slot; a /17 in the upper half of
  // a /16 marks that slot only; a /16 and a /17 just past a /15 stay apart.
  auto l = lower_text(R"(
    rule two: ip.dst in 172.16.0.0/15 => drop
    rule one: ip.dst in 172.18.0.0/16 => pass
    rule half: ip.dst in 192.168.128.0/17 => drop
    rule last: ip.dst == 255.255.255.255 => pass
    rule first: ip.dst == 0.0.0.0 => drop)");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 1u) << to_string(c);
  const LookupGroup &g = c.groups[0];
  // No IPv6 prefix and no IPv4 one left: the trie's place is an empty hash.
  EXPECT_EQ(g.shape, "hash ip.dst, ipv4 by /16 array + hash");
  EXPECT_EQ(entries_in(c, g.map), 0u);
  const uint32_t two = Classifier::encode(0, Action::Drop),
                 one = Classifier::encode(1, Action::Pass),
                 half = Classifier::encode(2, Action::Drop),
                 last = Classifier::encode(3, Action::Pass),
                 first = Classifier::encode(4, Action::Drop);
  // Classes in address order: 0.0.0.0 (1), 172.16/15 (2), 172.18/16 (3),
  // 192.168.128/17 (4), 255.255.255.255 (5).
  EXPECT_EQ(
      slots_of(c, g),
      (std::map<uint32_t, SlotWords>{
          {slot(0, 0), {0, 0, 0, 0, 1u << 15, 1u << 0}},
          {slot(172, 16), {two, 2, 0, 0, 0, 0}},
          {slot(172, 17), {two, 2, 0, 0, 0, 0}},
          {slot(172, 18), {one, 3, 0, 0, 0, 0}},
          {slot(192, 168), {0, 0, 0, 0, 1u << 0, 0xffff0000u}}, // blocks 16..31
          {slot(255, 255), {0, 0, 0, 0, 1u << 15, 1u << 31}},
      }));
  EXPECT_EQ(longer_of(c, g), (std::map<std::string, ValWords>{
                                 {"0.0.0.0/32", {first, 1, 0, 0}},
                                 {"192.168.128.0/17", {half, 4, 0, 0}},
                                 {"255.255.255.255/32", {last, 5, 0, 0}},
                             }));
}

TEST(LowerClassSplit, ShortPrefixesExpandToEverySlotTheyCover) {
  // /0 writes all 65536 slots; the /8 and /12 inside overwrite theirs
  // with their own (longer) classes, folding the /0's rule, which comes
  // first.
  auto l = lower_text(R"(
    rule all: ip.src in 0.0.0.0/0 => drop
    rule net8: ip.src in 10.0.0.0/8 => pass
    rule net12: ip.src in 10.16.0.0/12 => pass
    rule host: ip.src == 10.16.0.1 => pass)");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 1u) << to_string(c);
  const LookupGroup &g = c.groups[0];
  auto slots = slots_of(c, g);
  ASSERT_EQ(slots.size(), 65536u);
  const uint32_t all = Classifier::encode(0, Action::Drop);
  EXPECT_EQ(slots[slot(0, 0)], (SlotWords{all, 1, 0, 0, 0, 0}));
  EXPECT_EQ(slots[slot(9, 255)], (SlotWords{all, 1, 0, 0, 0, 0}));
  EXPECT_EQ(slots[slot(10, 0)], (SlotWords{all, 2, 0, 0, 0, 0}));
  EXPECT_EQ(slots[slot(10, 15)], (SlotWords{all, 2, 0, 0, 0, 0}));
  EXPECT_EQ(slots[slot(10, 16)], (SlotWords{all, 3, 0, 0, 1u << 15, 1u << 0}));
  EXPECT_EQ(slots[slot(10, 31)], (SlotWords{all, 3, 0, 0, 0, 0}));
  EXPECT_EQ(slots[slot(10, 32)], (SlotWords{all, 2, 0, 0, 0, 0}));
  EXPECT_EQ(slots[slot(11, 0)], (SlotWords{all, 1, 0, 0, 0, 0}));
  EXPECT_EQ(slots[slot(255, 255)], (SlotWords{all, 1, 0, 0, 0, 0}));
  EXPECT_EQ(longer_of(c, g), (std::map<std::string, ValWords>{
                                 {"10.16.0.1/32", {all, 4, 0, 0}}}));
}

TEST(LowerClassSplit, EveryLongerLengthHasItsBit) {
  // One prefix of each length 17..32, nested, all starting at 10.1.0.0:
  // the slot's mask has all 16 bits, the /17 overlaps the /16's /21 blocks
  // 0..15, and each is in the hash under its length with the first rule
  // folded in.
  std::string body;
  for (int len = 17; len <= 32; ++len)
    body += "rule r" + std::to_string(len) + ": ip.src in 10.1.0.0/" +
            std::to_string(len) + " => " + (len == 20 ? "drop" : "pass") + "\n";
  auto l = lower_text(body);
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 1u) << to_string(c);
  const LookupGroup &g = c.groups[0];
  EXPECT_EQ(slots_of(c, g),
            (std::map<uint32_t, SlotWords>{
                {slot(10, 1), {0, 0, 0, 0, 0xffffu, 0xffffu}}}));
  auto longer = longer_of(c, g);
  ASSERT_EQ(longer.size(), 16u);
  const uint32_t r17 = Classifier::encode(0, Action::Pass);
  for (uint32_t len = 17; len <= 32; ++len)
    EXPECT_EQ(longer["10.1.0.0/" + std::to_string(len)],
              (ValWords{r17, len - 16, 0, 0}))
        << len;
}

TEST(LowerClassSplit, ClassKeyedGroupsKeepTheirMask) {
  // The class of 192.0.2.0/24 leads the keys of the port group (group 1):
  // its hash entry carries bit 1; the /16 around it, an address-only rule,
  // carries none.
  auto l = lower_text(R"(
    rule web: tcp.dport == 443 and ip.dst in 192.0.2.0/24 => drop
    rule net: ip.dst in 192.0.0.0/16 => pass)");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 2u) << to_string(c);
  const LookupGroup &g = c.groups[0];
  ASSERT_TRUE(g.v4_slots.has_value());
  const uint32_t net = Classifier::encode(1, Action::Pass);
  EXPECT_EQ(slots_of(c, g),
            (std::map<uint32_t, SlotWords>{
                {slot(192, 0), {net, 1, 0, 0, 1u << 7, 1u << 0}}}));
  EXPECT_EQ(longer_of(c, g), (std::map<std::string, ValWords>{
                                 {"192.0.2.0/24", {net, 2, 1u << 1, 0}}}));
}

TEST(LowerClassSplit, ThresholdCountsIpv4PrefixesOnly) {
  const std::string body = R"(
    rule a: ip.src in 10.0.0.0/8 => drop
    rule b: ip.src in { 10.1.0.0/16, 2001:db8::/32, 2001:db8:1::/48 } => pass)";
  auto below = lower_text(body, 3);
  ASSERT_TRUE(below && below->result.ok());
  EXPECT_FALSE(below->c().groups[0].v4_slots.has_value());
  EXPECT_EQ(below->c().groups[0].shape, "lpm ip.src");
  auto at = lower_text(body, 2);
  ASSERT_TRUE(at && at->result.ok());
  EXPECT_TRUE(at->c().groups[0].v4_slots.has_value());
  // Without IPv4 prefixes nothing is split, whatever the threshold.
  auto v6 = lower_text("rule a: ip.src in 2001:db8::/32 => drop", 0);
  ASSERT_TRUE(v6 && v6->result.ok());
  EXPECT_FALSE(v6->c().groups[0].v4_slots.has_value());
  // The default keeps a handful of prefixes in the trie.
  auto def = lower_text(body, GroupLimits{}.ipv4_split_min_prefixes);
  ASSERT_TRUE(def && def->result.ok());
  EXPECT_FALSE(def->c().groups[0].v4_slots.has_value());
}

TEST(LowerClassSplit, HostListsSplitWithStraightLineProbes) {
  // Mostly /32 hosts and few longer lengths (32 and 24): split at the
  // default threshold, and the generated code probes /32 then /24 without
  // psl_class4()'s loop.
  const std::string hosts = R"(
    rule a: ip.src in { 10.0.0.1, 10.0.0.2, 10.9.0.3 } => drop
    rule b: ip.src in 192.0.2.0/24 => pass)";
  auto l = lower_text(hosts, GroupLimits{}.ipv4_split_min_prefixes);
  ASSERT_TRUE(l && l->result.ok());
  const LookupGroup &g = l->c().groups[0];
  ASSERT_TRUE(g.v4_slots.has_value());
  EXPECT_EQ(g.v4_lengths, (1u << (32 - 17)) | (1u << (24 - 17)));
  const std::string c = codegen::generate_xdp(l->c());
  const size_t at32 = c.find("PSL_CLASS4_HAS(s, 32)");
  const size_t at24 = c.find("PSL_CLASS4_HAS(s, 24)");
  ASSERT_NE(at32, std::string::npos) << c;
  ASSERT_NE(at24, std::string::npos) << c;
  EXPECT_LT(at32, at24);
  EXPECT_EQ(c.find("psl_class4(&"), std::string::npos) << c;
  // Four longer lengths: the loop, and only from the threshold on.
  const std::string four = R"(
    rule a: ip.src in { 10.0.0.1, 10.0.0.2, 10.0.1.0/24, 10.0.2.0/25, 10.0.3.0/26 } => drop)";
  auto by_default = lower_text(four, GroupLimits{}.ipv4_split_min_prefixes);
  ASSERT_TRUE(by_default && by_default->result.ok());
  EXPECT_FALSE(by_default->c().groups[0].v4_slots.has_value());
  auto forced = lower_text(four, 0);
  ASSERT_TRUE(forced && forced->result.ok());
  EXPECT_NE(codegen::generate_xdp(forced->c()).find("psl_class4(&"),
            std::string::npos);
  // Mostly prefixes: not a host list, the trie.
  auto prefixes = lower_text(R"(
    rule a: ip.src in { 10.0.0.1, 10.1.0.0/16, 10.2.0.0/16 } => drop)",
                             GroupLimits{}.ipv4_split_min_prefixes);
  ASSERT_TRUE(prefixes && prefixes->result.ok());
  EXPECT_FALSE(prefixes->c().groups[0].v4_slots.has_value());
}

TEST(LowerClassSplit, Ipv6HostListsStayInTheHostHash) {
  // 130 IPv6 hosts and one /48: over the threshold, but a host list, which
  // the hash of full-length addresses answers in one lookup.
  std::string hosts;
  for (int i = 0; i < 130; ++i)
    hosts += std::string(i ? ", " : "") +
             "2001:db8:1::" + std::to_string(2 * i + 1); // no neighbours
  const std::string body = "rule a: ip.src in { " + hosts + " } => drop\n" +
                           "rule b: ip.src in 2001:db8:2::/48 => pass";
  auto def = lower_text(body, GroupLimits{}.ipv4_split_min_prefixes);
  ASSERT_TRUE(def && def->result.ok());
  const LookupGroup &g = def->c().groups[0];
  EXPECT_FALSE(g.v6_buckets.has_value());
  ASSERT_TRUE(g.exact_map.has_value());
  EXPECT_EQ(def->c().maps[*g.exact_map].max_entries, 130u);
  // Threshold 0 (the differential tester's odd cases) splits them anyway.
  auto forced = lower_text(body, GroupLimits{}.ipv4_split_min_prefixes, 0);
  ASSERT_TRUE(forced && forced->result.ok());
  EXPECT_TRUE(forced->c().groups[0].v6_buckets.has_value());
}

TEST(LowerClassSplit, HostsWithIpv6HostsKeepTheHashInFrontOfTheTrie) {
  // The IPv6 part decides the trie's shape on its own: two hosts and one
  // prefix make a host hash in front of a one-prefix trie.
  auto l = lower_text(R"(
    rule a: ip.src in { 2001:db8::1, 2001:db8::2, 2001:db9::/32 } => drop
    rule b: ip.src in { 10.0.0.0/8, 10.1.1.1 } => pass)");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  const LookupGroup &g = c.groups[0];
  EXPECT_EQ(g.shape, "hash+lpm ip.src, ipv4 by /16 array + hash");
  ASSERT_TRUE(g.exact_map.has_value());
  EXPECT_EQ(c.maps[*g.exact_map].max_entries, 2u);
  EXPECT_EQ(c.maps[g.map].max_entries, 1u);
  EXPECT_EQ(entries_in(c, g.map), 1u);
  EXPECT_EQ(entries_in(c, *g.exact_map), 2u);
}

// Lowers with only the IPv6 split forced on.
std::unique_ptr<Lowered> lower_v6(const std::string &body) {
  return lower_text(body, SIZE_MAX, 0);
}

// struct psl_class6_bucket, decoded.
struct Bucket6 {
  ValWords v{};
  std::vector<uint32_t> lens; // the first nlens
  uint32_t trie = 0;
  uint32_t slots = 0;
  bool operator==(const Bucket6 &o) const {
    return v == o.v && lens == o.lens && trie == o.trie && slots == o.slots;
  }
};

std::ostream &operator<<(std::ostream &os, const Bucket6 &b) {
  os << "{v " << b.v[0] << "," << b.v[1] << "," << b.v[2] << "," << b.v[3]
     << " lens";
  for (uint32_t l : b.lens)
    os << " " << l;
  return os << " trie " << b.trie << " slots " << b.slots << "}";
}

// A struct psl_class6_bucket value (a bucket or a slot).
Bucket6 unit_of(ByteView value) {
  EXPECT_EQ(value.size(), 40u);
  Bucket6 b;
  if (value.size() != 40)
    return b;
  std::memcpy(b.v.data(), value.data(), 16);
  const uint32_t nlens = value[32];
  EXPECT_LE(nlens, 16u);
  for (size_t i = 0; i < 16; ++i)
    if (i < nlens)
      b.lens.push_back(value[16 + i]);
    else
      EXPECT_EQ(value[16 + i], 0) << "unused length slot " << i;
  b.trie = value[33];
  EXPECT_EQ(value[34] | value[35], 0);
  std::memcpy(&b.slots, value.data() + 36, 4);
  return b;
}

// Buckets keyed by the /32 as a 32-bit number.
std::map<uint32_t, Bucket6> buckets_of(const Classifier &c,
                                       const LookupGroup &g) {
  std::map<uint32_t, Bucket6> out;
  for (const auto &e : c.entries)
    if (e.map == g.v6_buckets) {
      EXPECT_EQ(e.key.size(), 4u);
      const uint32_t top = uint32_t{e.key[0]} << 24 | uint32_t{e.key[1]} << 16 |
                           uint32_t{e.key[2]} << 8 | e.key[3];
      out[top] = unit_of(e.value);
    }
  return out;
}

// The written slots of the dense buckets, by array index.
std::map<uint32_t, Bucket6> slots6_of(const Classifier &c,
                                      const LookupGroup &g) {
  std::map<uint32_t, Bucket6> out;
  for (const auto &e : c.entries)
    if (e.map == g.v6_slots) {
      EXPECT_EQ(e.key.size(), 4u);
      uint32_t index;
      std::memcpy(&index, e.key.data(), 4);
      out[index] = unit_of(e.value);
    }
  return out;
}

// The directory's entries to which one bucket hashes (kind 1), by /32;
// `shared` counts those to which several do (kind 2).
std::map<uint32_t, Bucket6> dir_of(const Classifier &c, const LookupGroup &g,
                                   size_t *shared) {
  std::map<uint32_t, Bucket6> out;
  *shared = 0;
  for (const auto &e : c.entries)
    if (e.map == g.v6_dir) {
      EXPECT_EQ(e.value.size(), 48u);
      if (e.value.size() != 48)
        continue;
      uint32_t kind;
      std::memcpy(&kind, e.value.data() + 44, 4);
      EXPECT_TRUE(kind == 1 || kind == 2) << kind;
      if (kind == 2) {
        ++*shared;
        continue;
      }
      const uint8_t *t = e.value.data() + 40;
      const uint32_t top = uint32_t{t[0]} << 24 | uint32_t{t[1]} << 16 |
                           uint32_t{t[2]} << 8 | t[3];
      out[top] =
          unit_of(std::vector<uint8_t>(e.value.begin(), e.value.begin() + 40));
    }
  return out;
}

// Hash entries keyed "address/len" (inet_ntop's form).
std::map<std::string, ValWords> longer6_of(const Classifier &c,
                                           const LookupGroup &g) {
  std::map<std::string, ValWords> out;
  for (const auto &e : c.entries)
    if (e.map == g.v6_longer) {
      EXPECT_EQ(e.key.size(), 20u);
      EXPECT_EQ(e.value.size(), 16u);
      char text[INET6_ADDRSTRLEN];
      EXPECT_NE(inet_ntop(AF_INET6, e.key.data(), text, sizeof(text)), nullptr);
      uint32_t len;
      std::memcpy(&len, e.key.data() + 16, 4);
      ValWords w;
      std::memcpy(w.data(), e.value.data(), 16);
      out[std::string(text) + "/" + std::to_string(len)] = w;
    }
  return out;
}

TEST(LowerClassSplit, Ipv6BucketsByTheTop32Bits) {
  // Classes in address order, IPv4 first: 10.0.0.0/8 (1), 2001::/16 (2),
  // 2001:db8::/32 (3), 2001:db8:1::/48 (4), 2001:db8:1::1 (5),
  // 2001:db8:ffff:ffff::/64 (6), 2001:db9:8000::/33 (7), 3000:: (8),
  // ffff:...:ffff (9).
  auto l = lower_v6(R"(
    rule host: ip.src == 2001:db8:1::1 => pass
    rule sub: ip.src in 2001:db8:1::/48 => drop
    rule tail: ip.src in 2001:db8:ffff:ffff::/64 => pass
    rule net: ip.src in 2001:db8::/32 => pass
    rule odd: ip.src in 2001:db9:8000::/33 => pass
    rule wide: ip.src in 2001::/16 => drop
    rule low: ip.src == 3000:: => drop
    rule top: ip.src == ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff => pass
    rule v4: ip.src in 10.0.0.0/8 => drop)");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 1u) << to_string(c);
  const LookupGroup &g = c.groups[0];
  EXPECT_EQ(g.shape, "lpm ip.src, ipv6 by /32 hash + hash");
  ASSERT_TRUE(g.v6_buckets.has_value());
  ASSERT_TRUE(g.v6_longer.has_value());
  EXPECT_FALSE(g.v4_slots.has_value());
  EXPECT_TRUE(g.v6_trie);
  const MapSpec &bm = c.maps[*g.v6_buckets];
  const MapSpec &hm = c.maps[*g.v6_longer];
  EXPECT_EQ(bm.name, "psl_g0_v6b");
  EXPECT_EQ(bm.kind, MapKind::Hash);
  EXPECT_EQ(bm.key_size, 4u);
  EXPECT_EQ(bm.value_size, 40u);
  EXPECT_EQ(bm.max_entries, 4u);
  EXPECT_EQ(hm.name, "psl_g0_v6h");
  EXPECT_EQ(hm.kind, MapKind::Hash);
  EXPECT_EQ(hm.key_size, 20u);
  EXPECT_EQ(hm.value_size, 16u);
  EXPECT_EQ(hm.max_entries, 7u); // 6 prefixes, 1 marker
  // The trie keeps the /16 and the IPv4 /8.
  EXPECT_EQ(c.maps[g.map].max_entries, 2u);
  EXPECT_EQ(entries_in(c, g.map), 2u);
  EXPECT_EQ(g.entries, 9u);
  EXPECT_NE(
      to_string(c).find(
          "group 0 (psl_g0, psl_g0_v6d, psl_g0_v6b, psl_g0_v6a, psl_g0_v6h): "
          "lpm ip.src, ipv6 by /32 hash + hash, 9 entries"),
      std::string::npos)
      << to_string(c);

  const uint32_t host = Classifier::encode(0, Action::Pass),
                 sub = Classifier::encode(1, Action::Drop),
                 tail = Classifier::encode(2, Action::Pass),
                 net = Classifier::encode(3, Action::Pass),
                 odd = Classifier::encode(4, Action::Pass),
                 wide = Classifier::encode(5, Action::Drop),
                 low = Classifier::encode(6, Action::Drop),
                 top = Classifier::encode(7, Action::Pass);
  EXPECT_EQ(buckets_of(c, g),
            (std::map<uint32_t, Bucket6>{
                // Its /32 is stored: net (the /16's later rule folds in
                // nothing); lengths ascending.
                {0x20010db8, {{net, 3, 0, 0}, {48, 64, 128}, 0}},
                // Its /32 is not: the /16 around it answers below the /33.
                {0x20010db9, {{wide, 2, 0, 0}, {33}, 0}},
                // Nothing covers these /32s; the first and last /32s.
                {0x30000000, {{0, 0, 0, 0}, {128}, 0}},
                {0xffffffff, {{0, 0, 0, 0}, {128}, 0}},
            }))
      << to_string(c);
  // The search over 48, 64, 128 starts at 64: the host leaves a marker
  // there, holding the /48 that covers it.
  // The directory copies every bucket (no two share an entry here).
  const MapSpec &dm = c.maps[*g.v6_dir];
  EXPECT_EQ(dm.name, "psl_g0_v6d");
  EXPECT_EQ(dm.kind, MapKind::Array);
  EXPECT_EQ(dm.value_size, 48u);
  EXPECT_EQ(dm.max_entries, 65536u);
  size_t shared = 0;
  EXPECT_EQ(dir_of(c, g, &shared), buckets_of(c, g));
  EXPECT_EQ(shared, 0u);
  EXPECT_EQ(entries_in(c, *g.v6_dir), 4u);
  EXPECT_EQ(longer6_of(c, g),
            (std::map<std::string, ValWords>{
                {"2001:db8:1::/48", {sub, 4, 0, 0}},
                {"2001:db8:1::/64", {sub, 4, 0, 0}},
                {"2001:db8:1::1/128", {host, 5, 0, 0}},
                {"2001:db8:ffff:ffff::/64", {tail, 6, 0, 0}},
                {"2001:db9:8000::/33", {odd, 7, 0, 0}},
                {"3000::/128", {low, 8, 0, 0}},
                {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", {top, 9, 0, 0}},
            }));
}

TEST(LowerClassSplit, Ipv6BucketWithTooManyLengthsStaysInTheTrie) {
  // 17 nested lengths /33../49 at 2001:db8::, 16 (/33../48) at 2001:db9::.
  // The first bucket would cost 17 probes: it is marked, its prefixes stay
  // in the trie (its /32 with them); the second lists all 16.
  std::string body = "rule net: ip.src in 2001:db8::/32 => drop\n";
  for (const auto &[net, last] :
       {std::pair<std::string, int>{"2001:db8", 49}, {"2001:db9", 48}})
    for (int len = 33; len <= last; ++len)
      body += "rule r" + std::to_string(len) + "_" + net.substr(5) +
              ": ip.src in " + net + "::/" + std::to_string(len) + " => pass\n";
  auto l = lower_v6(body);
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 1u) << to_string(c);
  const LookupGroup &g = c.groups[0];
  EXPECT_TRUE(g.v6_trie);
  auto buckets = buckets_of(c, g);
  ASSERT_EQ(buckets.size(), 2u);
  EXPECT_EQ(buckets[0x20010db8], (Bucket6{{0, 0, 0, 0}, {}, 1}));
  std::vector<uint32_t> lens;
  for (uint32_t len = 33; len <= 48; ++len)
    lens.push_back(len);
  const uint32_t r33 = Classifier::encode(18, Action::Pass);
  EXPECT_EQ(buckets[0x20010db9], (Bucket6{{0, 0, 0, 0}, lens, 0}));
  // The /32 and its 17 prefixes are in the trie; the other 16 in the hash
  // (their markers fall on each other: all start at 2001:db9::).
  EXPECT_EQ(entries_in(c, g.map), 18u);
  EXPECT_EQ(c.maps[g.map].max_entries, 18u);
  auto longer = longer6_of(c, g);
  ASSERT_EQ(longer.size(), 16u);
  EXPECT_EQ(c.maps[*g.v6_longer].max_entries, 16u);
  // Classes: the /32 and its 17 (1..18), then 2001:db9::/33.. (19..34); the
  // /33's rule comes first of those, so every longer one folds it in.
  for (uint32_t len = 33; len <= 48; ++len)
    EXPECT_EQ(longer["2001:db9::/" + std::to_string(len)],
              (ValWords{r33, len - 14, 0, 0}))
        << len;
}

TEST(LowerClassSplit, Ipv6PrefixesShorterThan32StayInTheTrie) {
  // A /8 is not expanded into its 2^24 /32s: it stays in the trie, which a
  // /32 without a bucket asks. With both families split and no IPv6 left
  // in the trie, v6_trie tells code generation to skip the trie.
  auto l = lower_text(R"(
    rule all: ip.src in 2000::/8 => drop
    rule net: ip.src in 2001:db8::/32 => pass)",
                      0, 0);
  ASSERT_TRUE(l && l->result.ok());
  const LookupGroup &g = l->c().groups[0];
  EXPECT_FALSE(g.v4_slots.has_value()); // no IPv4 prefix
  EXPECT_TRUE(g.v6_trie);
  EXPECT_EQ(entries_in(l->c(), g.map), 1u);
  const uint32_t all = Classifier::encode(0, Action::Drop);
  EXPECT_EQ(buckets_of(l->c(), g), (std::map<uint32_t, Bucket6>{
                                       {0x20010db8, {{all, 2, 0, 0}, {}, 0}}}));
  EXPECT_TRUE(longer6_of(l->c(), g).empty());
  // Without a prefix of /32 or longer there is no bucket: no split.
  auto short_only =
      lower_text("rule all: ip.src in 2000::/8 => drop", SIZE_MAX, 0);
  ASSERT_TRUE(short_only && short_only->result.ok());
  EXPECT_FALSE(short_only->c().groups[0].v6_buckets.has_value());
  EXPECT_EQ(short_only->c().groups[0].shape, "lpm ip.src");

  auto both = lower_text(R"(
    rule a: ip.src in { 10.0.0.0/8, 2001:db8::/32 } => drop
    rule b: ip.src in 2001:db8:1::/48 => pass)",
                         0, 0);
  ASSERT_TRUE(both && both->result.ok());
  const LookupGroup &b = both->c().groups[0];
  EXPECT_TRUE(b.v4_slots.has_value());
  EXPECT_TRUE(b.v6_buckets.has_value());
  EXPECT_FALSE(b.v6_trie);
  EXPECT_EQ(entries_in(both->c(), b.map), 0u);
}

TEST(LowerClassSplit, Ipv6ThresholdCountsIpv6PrefixesOnly) {
  // Three IPv6 prefixes (a set merges the prefixes it covers, hence one
  // rule each), four IPv4 ones.
  const std::string body = R"(
    rule a: ip.src in { 10.0.0.0/8, 11.0.0.0/8, 12.0.0.0/8, 13.0.0.0/8 } => drop
    rule b: ip.src in 2001:db8::/32 => pass
    rule c: ip.src in 2001:db8:1::/48 => drop
    rule d: ip.src in 2001:db9::/32 => pass)";
  auto below = lower_text(body, SIZE_MAX, 4);
  ASSERT_TRUE(below && below->result.ok());
  EXPECT_FALSE(below->c().groups[0].v6_buckets.has_value());
  EXPECT_EQ(below->c().groups[0].shape, "lpm ip.src");
  auto at = lower_text(body, SIZE_MAX, 3);
  ASSERT_TRUE(at && at->result.ok());
  EXPECT_TRUE(at->c().groups[0].v6_buckets.has_value());
  // Without IPv6 prefixes nothing is split, whatever the threshold.
  auto v4 = lower_text("rule a: ip.src in 10.0.0.0/8 => drop", SIZE_MAX, 0);
  ASSERT_TRUE(v4 && v4->result.ok());
  EXPECT_FALSE(v4->c().groups[0].v6_buckets.has_value());
  // The default keeps a handful of prefixes in the trie.
  auto def = lower_text(body, SIZE_MAX);
  ASSERT_TRUE(def && def->result.ok());
  EXPECT_FALSE(def->c().groups[0].v6_buckets.has_value());
}

TEST(LowerClassSplit, DenseIpv6BucketsGetSlotsByTheNext16Bits) {
  // Every bucket with a prefix longer than /32 is dense here: 2001:db8::
  // (four) gets the slots at 0, 2001:db9:: (one) those at 65536. The /40
  // and /48 are expanded into their slots; the /64 and the host are
  // searched from theirs. The /16 stays in the trie.
  auto l = lower_text(R"(
    rule mid: ip.src in 2001:db8:100::/40 => pass
    rule sub: ip.src in 2001:db8:1ff::/48 => drop
    rule deep: ip.src in 2001:db8:1ff:1::/64 => pass
    rule host: ip.src == 2001:db8:2::1 => drop
    rule wide: ip.src in 2001::/16 => drop
    rule other: ip.src in 2001:db9::/48 => pass)",
                      SIZE_MAX, 0, 1);
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 1u) << to_string(c);
  const LookupGroup &g = c.groups[0];
  ASSERT_TRUE(g.v6_slots.has_value());
  const MapSpec &a = c.maps[*g.v6_slots];
  EXPECT_EQ(a.name, "psl_g0_v6a");
  EXPECT_EQ(a.kind, MapKind::Array);
  EXPECT_EQ(a.value_size, 40u);
  EXPECT_EQ(a.max_entries, 2u * 65536);
  EXPECT_NE(
      to_string(c).find(
          "group 0 (psl_g0, psl_g0_v6d, psl_g0_v6b, psl_g0_v6a, psl_g0_v6h): "
          "lpm ip.src, ipv6 by /32 hash + /48 array + hash, 6 entries"),
      std::string::npos)
      << to_string(c);
  EXPECT_EQ(entries_in(c, g.map), 1u);
  EXPECT_EQ(buckets_of(c, g),
            (std::map<uint32_t, Bucket6>{{0x20010db8, {{}, {}, 0, 1}},
                                         {0x20010db9, {{}, {}, 0, 2}}}));
  // Classes: 2001::/16 (1), 2001:db8:2::1 (2), 2001:db8:100::/40 (3),
  // 2001:db8:1ff::/48 (4), 2001:db8:1ff:1::/64 (5), 2001:db9::/48 (6).
  const uint32_t mid = Classifier::encode(0, Action::Pass),
                 host = Classifier::encode(3, Action::Drop),
                 wide = Classifier::encode(4, Action::Drop);
  auto slots = slots6_of(c, g);
  // The /16 covers both /32s: every slot has a value.
  ASSERT_EQ(slots.size(), 2u * 65536);
  EXPECT_EQ(slots[0x0000], (Bucket6{{wide, 1, 0, 0}, {}, 0, 0}));
  EXPECT_EQ(slots[0x0002], (Bucket6{{wide, 1, 0, 0}, {128}, 0, 0}));
  EXPECT_EQ(slots[0x00ff], (Bucket6{{wide, 1, 0, 0}, {}, 0, 0}));
  EXPECT_EQ(slots[0x0100], (Bucket6{{mid, 3, 0, 0}, {}, 0, 0}));
  EXPECT_EQ(slots[0x01fe], (Bucket6{{mid, 3, 0, 0}, {}, 0, 0}));
  EXPECT_EQ(slots[0x01ff], (Bucket6{{mid, 4, 0, 0}, {64}, 0, 0}));
  EXPECT_EQ(slots[0x0200], (Bucket6{{wide, 1, 0, 0}, {}, 0, 0}));
  EXPECT_EQ(slots[0xffff], (Bucket6{{wide, 1, 0, 0}, {}, 0, 0}));
  EXPECT_EQ(slots[65536 + 0], (Bucket6{{wide, 6, 0, 0}, {}, 0, 0}));
  EXPECT_EQ(slots[65536 + 1], (Bucket6{{wide, 1, 0, 0}, {}, 0, 0}));
  EXPECT_EQ(longer6_of(c, g), (std::map<std::string, ValWords>{
                                  {"2001:db8:2::1/128", {host, 2, 0, 0}},
                                  {"2001:db8:1ff:1::/64", {mid, 5, 0, 0}},
                              }));
}

} // namespace
} // namespace psl::lower
