// The IPv4 part of a class table split off the trie (classifier.h): the
// /16 slots and the hash of prefixes /17 to /32, as the lowering writes
// them, on real PSL through the real front end.
#include <array>
#include <cstring>
#include <map>
#include <optional>
#include <gtest/gtest.h>

#include "codegen/xdp_generator.h"
#include "driver.h"
#include "lower/lower.h"

namespace psl::lower {
namespace {

struct Lowered {
  explicit Lowered(CheckedModule m) : checked(std::move(m)) {}
  CheckedModule checked;
  LowerResult result;
  const Classifier &c() const { return result.classifier; }
};

// Lowers with the split forced on (threshold `split_min`, 0: always).
std::unique_ptr<Lowered> lower_text(const std::string &body, size_t split_min = 0) {
  auto l = std::make_unique<Lowered>(check_source("t.psl", "policy t {\n" + body + "\n}\n"));
  EXPECT_TRUE(l->checked.ok());
  if (!l->checked.ok())
    return nullptr;
  LowerOptions opts;
  opts.groups.ipv4_split_min_prefixes = split_min;
  l->result = lower_policy(*l->checked.module.policy, l->checked.diags.file_ptr().get(), opts);
  return l;
}

// struct psl_class4_slot as words: best, class, groups (low, high), longer, pad.
using SlotWords = std::array<uint32_t, 6>;
// struct psl_class_val as words: best, class, groups (low, high).
using ValWords = std::array<uint32_t, 4>;

std::map<uint32_t, SlotWords> slots_of(const Classifier &c, const LookupGroup &g) {
  std::map<uint32_t, SlotWords> out;
  for (const auto &e : c.entries)
    if (static_cast<int>(e.map) == g.v4_slots) {
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
std::map<std::string, ValWords> longer_of(const Classifier &c, const LookupGroup &g) {
  std::map<std::string, ValWords> out;
  for (const auto &e : c.entries)
    if (static_cast<int>(e.map) == g.v4_longer) {
      EXPECT_EQ(e.key.size(), 8u);
      EXPECT_EQ(e.value.size(), 16u);
      uint32_t len;
      std::memcpy(&len, e.key.data() + 4, 4);
      std::string k = std::to_string(e.key[0]) + "." + std::to_string(e.key[1]) + "." +
                      std::to_string(e.key[2]) + "." + std::to_string(e.key[3]) + "/" +
                      std::to_string(len);
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
  ASSERT_GE(g.v4_slots, 0);
  ASSERT_GE(g.v4_longer, 0);
  const MapSpec &a = c.maps[static_cast<size_t>(g.v4_slots)];
  const MapSpec &h = c.maps[static_cast<size_t>(g.v4_longer)];
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
  EXPECT_NE(to_string(c).find("group 0 (psl_g0, psl_g0_v4a, psl_g0_v4h): lpm ip.src, ipv4 by "
                              "/16 array + hash, 5 entries"),
            std::string::npos)
      << to_string(c);

  const uint32_t wide = Classifier::encode(0, Action::Drop);
  auto slots = slots_of(c, g);
  // Every /16 of 10/8 is written: 256 slots.
  ASSERT_EQ(slots.size(), 256u);
  for (uint32_t s = slot(10, 0); s <= slot(10, 255); ++s)
    if (s != slot(10, 1))
      EXPECT_EQ(slots[s], (SlotWords{wide, 1, 0, 0, 0, 0})) << s;
  // 10.1/16 is its own class (mid lies under wide, which comes first) and
  // holds a /24 and a /32: bits 24 - 17 and 32 - 17.
  EXPECT_EQ(slots[slot(10, 1)], (SlotWords{wide, 2, 0, 0, (1u << 7) | (1u << 15), 0}));
  auto longer = longer_of(c, g);
  EXPECT_EQ(longer, (std::map<std::string, ValWords>{{"10.1.2.0/24", {wide, 3, 0, 0}},
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
  const uint32_t two = Classifier::encode(0, Action::Drop), one = Classifier::encode(1, Action::Pass),
                 half = Classifier::encode(2, Action::Drop), last = Classifier::encode(3, Action::Pass),
                 first = Classifier::encode(4, Action::Drop);
  // Classes in address order: 0.0.0.0 (1), 172.16/15 (2), 172.18/16 (3),
  // 192.168.128/17 (4), 255.255.255.255 (5).
  EXPECT_EQ(slots_of(c, g), (std::map<uint32_t, SlotWords>{
                                {slot(0, 0), {0, 0, 0, 0, 1u << 15, 0}},
                                {slot(172, 16), {two, 2, 0, 0, 0, 0}},
                                {slot(172, 17), {two, 2, 0, 0, 0, 0}},
                                {slot(172, 18), {one, 3, 0, 0, 0, 0}},
                                {slot(192, 168), {0, 0, 0, 0, 1u << 0, 0}},
                                {slot(255, 255), {0, 0, 0, 0, 1u << 15, 0}},
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
  EXPECT_EQ(slots[slot(10, 16)], (SlotWords{all, 3, 0, 0, 1u << 15, 0}));
  EXPECT_EQ(slots[slot(10, 31)], (SlotWords{all, 3, 0, 0, 0, 0}));
  EXPECT_EQ(slots[slot(10, 32)], (SlotWords{all, 2, 0, 0, 0, 0}));
  EXPECT_EQ(slots[slot(11, 0)], (SlotWords{all, 1, 0, 0, 0, 0}));
  EXPECT_EQ(slots[slot(255, 255)], (SlotWords{all, 1, 0, 0, 0, 0}));
  EXPECT_EQ(longer_of(c, g),
            (std::map<std::string, ValWords>{{"10.16.0.1/32", {all, 4, 0, 0}}}));
}

TEST(LowerClassSplit, EveryLongerLengthHasItsBit) {
  // One prefix of each length 17..32, nested, all starting at 10.1.0.0:
  // the slot's mask has all 16 bits, and each is in the hash under its
  // length with the first rule folded in.
  std::string body;
  for (int len = 17; len <= 32; ++len)
    body += "rule r" + std::to_string(len) + ": ip.src in 10.1.0.0/" + std::to_string(len) +
            " => " + (len == 20 ? "drop" : "pass") + "\n";
  auto l = lower_text(body);
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 1u) << to_string(c);
  const LookupGroup &g = c.groups[0];
  EXPECT_EQ(slots_of(c, g),
            (std::map<uint32_t, SlotWords>{{slot(10, 1), {0, 0, 0, 0, 0xffffu, 0}}}));
  auto longer = longer_of(c, g);
  ASSERT_EQ(longer.size(), 16u);
  const uint32_t r17 = Classifier::encode(0, Action::Pass);
  for (uint32_t len = 17; len <= 32; ++len)
    EXPECT_EQ(longer["10.1.0.0/" + std::to_string(len)], (ValWords{r17, len - 16, 0, 0})) << len;
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
  ASSERT_GE(g.v4_slots, 0);
  const uint32_t net = Classifier::encode(1, Action::Pass);
  EXPECT_EQ(slots_of(c, g),
            (std::map<uint32_t, SlotWords>{{slot(192, 0), {net, 1, 0, 0, 1u << 7, 0}}}));
  EXPECT_EQ(longer_of(c, g),
            (std::map<std::string, ValWords>{{"192.0.2.0/24", {net, 2, 1u << 1, 0}}}));
}

TEST(LowerClassSplit, ThresholdCountsIpv4PrefixesOnly) {
  const std::string body = R"(
    rule a: ip.src in 10.0.0.0/8 => drop
    rule b: ip.src in { 10.1.0.0/16, 2001:db8::/32, 2001:db8:1::/48 } => pass)";
  auto below = lower_text(body, 3);
  ASSERT_TRUE(below && below->result.ok());
  EXPECT_EQ(below->c().groups[0].v4_slots, -1);
  EXPECT_EQ(below->c().groups[0].shape, "lpm ip.src");
  auto at = lower_text(body, 2);
  ASSERT_TRUE(at && at->result.ok());
  EXPECT_GE(at->c().groups[0].v4_slots, 0);
  // Without IPv4 prefixes nothing is split, whatever the threshold.
  auto v6 = lower_text("rule a: ip.src in 2001:db8::/32 => drop", 0);
  ASSERT_TRUE(v6 && v6->result.ok());
  EXPECT_EQ(v6->c().groups[0].v4_slots, -1);
  // The default keeps a handful of prefixes in the trie.
  auto def = lower_text(body, GroupLimits{}.ipv4_split_min_prefixes);
  ASSERT_TRUE(def && def->result.ok());
  EXPECT_EQ(def->c().groups[0].v4_slots, -1);
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
  ASSERT_GE(g.v4_slots, 0);
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
  EXPECT_EQ(by_default->c().groups[0].v4_slots, -1);
  auto forced = lower_text(four, 0);
  ASSERT_TRUE(forced && forced->result.ok());
  EXPECT_NE(codegen::generate_xdp(forced->c()).find("psl_class4(&"), std::string::npos);
  // Mostly prefixes: not a host list, the trie.
  auto prefixes = lower_text(R"(
    rule a: ip.src in { 10.0.0.1, 10.1.0.0/16, 10.2.0.0/16 } => drop)",
                             GroupLimits{}.ipv4_split_min_prefixes);
  ASSERT_TRUE(prefixes && prefixes->result.ok());
  EXPECT_EQ(prefixes->c().groups[0].v4_slots, -1);
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
  ASSERT_GE(g.exact_map, 0);
  EXPECT_EQ(c.maps[static_cast<size_t>(g.exact_map)].max_entries, 2u);
  EXPECT_EQ(c.maps[g.map].max_entries, 1u);
  EXPECT_EQ(entries_in(c, g.map), 1u);
  EXPECT_EQ(entries_in(c, static_cast<uint32_t>(g.exact_map)), 2u);
}

} // namespace
} // namespace psl::lower
