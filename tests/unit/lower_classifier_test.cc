// The lowering on real PSL through the real front end: which rules become
// which groups, key layouts, priorities at overlapping prefixes, and the
// rules that stay code.
#include <array>
#include <cstring>
#include <gtest/gtest.h>
#include <map>
#include <optional>

#include "codegen/source_builder.h"
#include "codegen/xdp_generator.h"
#include "driver.h"
#include "lower/lower.h"
#include "lower_test_util.h"
#include "psl_classify.h"
#include "psl_rate_table.h"

namespace psl::lower {
namespace {

using test_util::Lowered;

std::unique_ptr<Lowered> lower_text(const std::string &body,
                                    const LowerOptions &opts = {}) {
  return test_util::lower_body(body, test_util::maps_only(opts));
}

// The trie and hash layouts of a class table, which IPv6 always uses: with
// the IPv4 split off, IPv4 host lists use them too (lower_class_split_test
// covers the split).
LowerOptions trie_layouts() {
  LowerOptions o;
  o.groups.ipv4_split_max_host_lengths = 0;
  return o;
}

const RuleInfo &rule(const Classifier &c, const std::string &name) {
  for (const auto &r : c.rules)
    if (r.name == name)
      return r;
  throw std::runtime_error("no rule " + name);
}

TEST(LowerClassifier, SameShapeRulesShareOneGroup) {
  auto l = lower_text(R"(
    rule a: ip.src == 10.0.0.1 => drop
    rule b: ip.src in 10.1.0.0/16 => pass
    rule c: ip.src in 2001:db8::/32 => drop
    rule d: tcp.dport == 22 => pass
    rule e: tcp.dport in { 80, 443 } => drop
    rule f: udp.dport == 53 and ip.proto == udp => drop
    rule g: ip.src == 2001:db8::7 => drop)",
                      trie_layouts());
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 3u) << to_string(c);
  // Addresses of both families, single or prefixes: the class table of
  // ip.src; as many prefixes as single addresses, so one LPM trie.
  EXPECT_EQ(c.groups[0].shape, "lpm ip.src");
  EXPECT_TRUE(c.groups[0].classes);
  EXPECT_FALSE(c.groups[0].exact_map.has_value());
  EXPECT_EQ(c.groups[0].rules, (std::vector<uint32_t>{0, 1, 2, 6}));
  EXPECT_EQ(c.maps[c.groups[0].map].key_size,
            4u + 20u);                                // 17 bytes padded to 20
  EXPECT_EQ(c.maps[c.groups[0].map].value_size, 16u); // struct psl_class_val
  EXPECT_EQ(c.groups[1].shape, "array tcp.dport");
  EXPECT_EQ(c.groups[1].rules, (std::vector<uint32_t>{3, 4}));
  EXPECT_EQ(c.groups[2].shape, "hash ip.proto, udp.dport");
  EXPECT_TRUE(c.code.empty());
}

// Class trie entries of group g: prefix -> { best, class }.
struct ClassEntry {
  uint32_t best = 0, cls = 0;
};
std::optional<ClassEntry> class_entry(const Classifier &c, size_t g,
                                      uint8_t family,
                                      const std::array<uint8_t, 16> &addr,
                                      uint32_t plen) {
  const auto &grp = c.groups[g];
  for (const auto &e : c.entries) {
    if (e.map != grp.map)
      continue;
    uint32_t bits;
    std::memcpy(&bits, e.key.data(), 4);
    if (bits == 8 + plen && e.key[4] == family &&
        std::memcmp(e.key.data() + 5, addr.data(), 16) == 0) {
      ClassEntry out;
      std::memcpy(&out.best, e.value.data(), 4);
      std::memcpy(&out.cls, e.value.data() + 4, 4);
      return out;
    }
  }
  return std::nullopt;
}

std::array<uint8_t, 16> a4(uint8_t x, uint8_t y, uint8_t z, uint8_t w) {
  std::array<uint8_t, 16> b{};
  b[10] = b[11] = 0xff;
  b[12] = x, b[13] = y, b[14] = z, b[15] = w;
  return b;
}

// The entries of one map, as (key bytes, value word), for exact checks.
std::map<std::vector<uint8_t>, uint32_t> entries_of(const Classifier &c,
                                                    size_t g) {
  std::map<std::vector<uint8_t>, uint32_t> out;
  for (const auto &e : c.entries)
    if (e.map == c.groups[g].map) {
      uint32_t v;
      std::memcpy(&v, e.value.data(), 4);
      out[e.key.to_vector()] = v;
    }
  return out;
}

TEST(LowerClassifier, CoveringPrefixesFoldTheFirstMatch) {
  auto l = lower_text(R"(
    rule wide: ip.src in 10.0.0.0/8 => drop
    rule narrow: ip.src in 10.1.0.0/16 => pass
    rule subnet: ip.src in 10.1.2.0/24 => pass
    rule late_wide: ip.src in 10.9.0.0/16 => drop)");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 1u);
  uint32_t wide = Classifier::encode(0, Action::Drop);
  // narrow, subnet and late_wide lie under `wide`, which comes first: all
  // store wide. Classes are the prefixes' ranks.
  auto e = class_entry(c, 0, 4, a4(10, 0, 0, 0), 96 + 8);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->best, wide);
  EXPECT_EQ(e->cls, 1u);
  e = class_entry(c, 0, 4, a4(10, 1, 0, 0), 96 + 16);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->best, wide);
  EXPECT_EQ(e->cls, 2u);
  e = class_entry(c, 0, 4, a4(10, 1, 2, 0), 96 + 24);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->best, wide);
  EXPECT_EQ(e->cls, 3u);
  e = class_entry(c, 0, 4, a4(10, 9, 0, 0), 96 + 16);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->best, wide);
  EXPECT_EQ(e->cls, 4u);
}

TEST(LowerClassifier, LaterCoveringPrefixDoesNotOverrideEarlierHost) {
  auto l = lower_text(R"(
    rule host: ip.src == 10.1.2.3 => pass
    rule net: ip.src in 10.1.0.0/16 => drop)",
                      trie_layouts());
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 1u) << to_string(c);
  auto e = class_entry(c, 0, 4, a4(10, 1, 2, 3), 128);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->best, Classifier::encode(0, Action::Pass));
  e = class_entry(c, 0, 4, a4(10, 1, 0, 0), 96 + 16);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->best, Classifier::encode(1, Action::Drop));
}

// A class table's hash entry for a full-length address: { best, class, groups
// }.
std::array<uint32_t, 4> hashed_class(const Classifier &c, uint32_t map,
                                     uint8_t family,
                                     const std::array<uint8_t, 16> &addr) {
  for (const auto &e : c.entries)
    if (e.map == map && e.key.size() == 17 && e.key[0] == family &&
        std::memcmp(e.key.data() + 1, addr.data(), 16) == 0) {
      std::array<uint32_t, 4> v{};
      std::memcpy(v.data(), e.value.data(), 16);
      return v;
    }
  return {};
}

TEST(LowerClassifier, SingleAddressesAloneAreOneHash) {
  auto l = lower_text(R"(
    rule a: ip.src == 10.0.0.1 => drop
    rule b: ip.src in { 10.0.0.2, 2001:db8::7 } => pass
    rule late: ip.src == 10.0.0.1 => pass)",
                      trie_layouts());
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 1u) << to_string(c);
  const LookupGroup &g = c.groups[0];
  EXPECT_EQ(g.shape, "hash ip.src");
  EXPECT_EQ(g.kind, MapKind::Hash);
  EXPECT_EQ(c.maps[g.map].kind, MapKind::Hash);
  EXPECT_EQ(c.maps[g.map].key_size, 17u); // family + 16 bytes
  EXPECT_EQ(c.maps[g.map].max_entries, 3u);
  EXPECT_EQ(g.entries, 3u);
  // Sorted by family then address: class ids 1, 2 (IPv4), 3 (IPv6). The
  // later duplicate of 10.0.0.1 does not win.
  using V = std::array<uint32_t, 4>;
  EXPECT_EQ(hashed_class(c, g.map, 4, a4(10, 0, 0, 1)),
            (V{Classifier::encode(0, Action::Drop), 1, 0, 0}));
  EXPECT_EQ(hashed_class(c, g.map, 4, a4(10, 0, 0, 2)),
            (V{Classifier::encode(1, Action::Pass), 2, 0, 0}));
  std::array<uint8_t, 16> v6{0x20, 0x01, 0x0d, 0xb8};
  v6[15] = 7;
  EXPECT_EQ(hashed_class(c, g.map, 6, v6),
            (V{Classifier::encode(1, Action::Pass), 3, 0, 0}));
}

TEST(LowerClassifier, MostlySingleAddressesAreAHashBeforeTheTrie) {
  // Three hosts, one prefix: the hosts go to a hash looked up first (a hit
  // is the longest match); the trie keeps the prefix. `inside` lies under
  // `wide`, which comes first, so its hash entry holds wide.
  auto l = lower_text(R"(
    rule h1: ip.src == 192.0.2.1 => pass
    rule wide: ip.src in 10.0.0.0/8 => drop
    rule inside: ip.src == 10.1.1.1 => pass
    rule h2: ip.src == 192.0.2.2 => pass)",
                      trie_layouts());
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 1u) << to_string(c);
  const LookupGroup &g = c.groups[0];
  EXPECT_EQ(g.shape, "hash+lpm ip.src");
  ASSERT_TRUE(g.exact_map.has_value());
  const auto &h = c.maps[*g.exact_map];
  EXPECT_EQ(h.kind, MapKind::Hash);
  EXPECT_EQ(h.max_entries, 3u);
  EXPECT_EQ(c.maps[g.map].kind, MapKind::Lpm);
  EXPECT_EQ(c.maps[g.map].max_entries, 1u);
  uint32_t wide = Classifier::encode(1, Action::Drop);
  EXPECT_EQ(hashed_class(c, *g.exact_map, 4, a4(10, 1, 1, 1))[0], wide);
  EXPECT_EQ(hashed_class(c, *g.exact_map, 4, a4(192, 0, 2, 2))[0],
            Classifier::encode(3, Action::Pass));
  auto e = class_entry(c, 0, 4, a4(10, 0, 0, 0), 96 + 8);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->best, wide);
}

TEST(LowerClassifier, PrefixAndPortIsClassKeyed) {
  auto l =
      lower_text("rule r: tcp.dport == 443 and ip.dst in 192.0.2.0/24 => drop");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 2u) << to_string(c);
  EXPECT_TRUE(c.groups[0].classes);
  EXPECT_EQ(c.groups[0].shape, "lpm ip.dst");
  EXPECT_TRUE(c.groups[0].rules.empty()); // only a class, no address-only rule
  const LookupGroup &g = c.groups[1];
  EXPECT_EQ(g.shape, "hash class(ip.dst), tcp.dport");
  EXPECT_EQ(g.class_group, 0u);
  ASSERT_EQ(g.exact.size(), 1u);
  EXPECT_EQ(g.exact[0].offset, 4u);
  EXPECT_EQ(g.exact[0].size, 2u);
  auto e = class_entry(c, 0, 4, a4(192, 0, 2, 0), 96 + 24);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->best, 0u);
  EXPECT_EQ(e->cls, 1u);
  EXPECT_EQ(entries_of(c, 1), (std::map<std::vector<uint8_t>, uint32_t>{
                                  {{0, 0, 0, 1, 0x01, 0xbb},
                                   Classifier::encode(0, Action::Drop)}}));
}

TEST(LowerClassifier, PortRangesArePrefixesNotAProduct) {
  // 1024..2047 is one prefix (/6 of the port), 3008..3071 one more (/10):
  // no port is enumerated, whatever the width of the range.
  auto l = lower_text(R"(
    rule a: ip.src in 10.0.0.0/8 and l4.dport in 1024..2047 => drop
    rule b: ip.src in 10.0.0.0/8 and l4.dport in 3008..3071 => pass)");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 2u) << to_string(c);
  const LookupGroup &g = c.groups[1];
  EXPECT_EQ(g.shape, "lpm class(ip.src) + l4.dport");
  ASSERT_TRUE(g.prefix);
  EXPECT_EQ(g.prefix->offset, 4u);
  auto key = [](uint32_t bits, uint8_t hi, uint8_t lo) {
    std::vector<uint8_t> k(4);
    std::memcpy(k.data(), &bits, 4);
    std::vector<uint8_t> rest{0, 0, 0, 1, hi, lo, 0, 0}; // class 1, port, pad
    k.insert(k.end(), rest.begin(), rest.end());
    return k;
  };
  EXPECT_EQ(
      entries_of(c, 1),
      (std::map<std::vector<uint8_t>, uint32_t>{
          {key(32 + 6, 0x04, 0x00), Classifier::encode(0, Action::Drop)},
          {key(32 + 10, 0x0b, 0xc0), Classifier::encode(1, Action::Pass)}}));
}

// From GroupLimits::value_filter_min_entries keys on (0 here), a
// class-keyed port group gets the bitmap of the ports in its keys: word
// port / 64, bit port % 64. Smaller groups (the default threshold) do not.
TEST(LowerClassifier, LargeClassKeyedPortGroupsHaveABitmapOfTheirPorts) {
  const char *body = R"(
    rule a: ip.src in 10.0.0.0/8 and tcp.dport in {22, 443} => drop
    rule b: ip.src in 10.1.0.0/16 and tcp.dport == 8080 => pass
    rule c: ip.src in 10.0.0.0/8 and ip.proto == 17 => drop)";
  LowerOptions opts;
  opts.groups.value_filter_min_entries = 0;
  auto l = lower_text(body, opts);
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 3u) << to_string(c);
  const LookupGroup &ports = c.groups[1];
  EXPECT_EQ(ports.shape, "hash class(ip.src), tcp.dport");
  ASSERT_TRUE(ports.value_filter.has_value());
  EXPECT_EQ(ports.value_filter_part, 0u);
  const MapSpec &m = c.maps[*ports.value_filter];
  EXPECT_EQ(m.name, c.maps[ports.map].name + "_f");
  EXPECT_EQ(m.kind, MapKind::Array);
  EXPECT_EQ(m.max_entries, 1024u);
  std::map<uint32_t, uint64_t> words;
  for (const auto &e : c.entries)
    if (e.map == *ports.value_filter) {
      uint32_t i;
      uint64_t w;
      std::memcpy(&i, e.key.data(), 4);
      std::memcpy(&w, e.value.data(), 8);
      words[i] = w;
    }
  EXPECT_EQ(words, (std::map<uint32_t, uint64_t>{
                       {22 / 64, uint64_t{1} << 22},
                       {443 / 64, uint64_t{1} << (443 % 64)},
                       {8080 / 64, uint64_t{1} << (8080 % 64)}}));
  // ip.proto is 8 bits: no bitmap.
  EXPECT_FALSE(c.groups[2].value_filter.has_value()) << c.groups[2].shape;

  auto small = lower_text(body);
  ASSERT_TRUE(small && small->result.ok());
  EXPECT_FALSE(small->c().groups[1].value_filter.has_value());
}

// From GroupLimits::value_filter_min_entries keys on (0 here), a
// class-keyed LPM group of port ranges gets the bitmap of the (class, block
// of 64 ports) pairs its keys cover, so a packet in no covered block skips
// the trie walk. The classes of 10.1.0.0/16 and 10.2.0.0/16 hold rule a's
// range too (its prefix covers them). Smaller groups (the default threshold)
// and groups whose prefix dimension is not 16 bits do not get one.
TEST(LowerClassifier, LargeClassKeyedPortRangeGroupsHaveABitmapOfBlocks) {
  const char *body = R"(
    rule a: ip.src in 10.0.0.0/8 and l4.dport in 1024..2047 => drop
    rule b: ip.src in 10.1.0.0/16 and l4.dport in 3000..3071 => pass
    rule c: ip.src in 10.2.0.0/16 and ip.dst in 192.168.0.0/16 => drop)";
  LowerOptions opts;
  opts.groups.value_filter_min_entries = 0;
  auto l = lower_text(body, opts);
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  const LookupGroup &ranges = c.groups[1];
  ASSERT_EQ(ranges.shape, "lpm class(ip.src) + l4.dport") << to_string(c);
  ASSERT_TRUE(ranges.class_block_filter.has_value());
  const MapSpec &m = c.maps[*ranges.class_block_filter];
  EXPECT_EQ(m.name, c.maps[ranges.map].name + "_b");
  EXPECT_EQ(m.kind, MapKind::Array);
  EXPECT_EQ(m.max_entries, uint32_t{PSL_CLASS_BLOCK_WORDS});
  auto a = class_entry(c, 0, 4, a4(10, 0, 0, 0), 96 + 8);
  auto b = class_entry(c, 0, 4, a4(10, 1, 0, 0), 96 + 16);
  auto d = class_entry(c, 0, 4, a4(10, 2, 0, 0), 96 + 16);
  ASSERT_TRUE(a && b && d);
  std::map<uint32_t, uint64_t> want;
  auto cover = [&](uint32_t cls, uint32_t lo, uint32_t hi) {
    for (uint32_t block = lo / 64; block <= hi / 64; ++block) {
      const uint32_t bit = psl_class_block_bit(cls, block * 64);
      want[bit / 64] |= uint64_t{1} << (bit % 64);
    }
  };
  cover(a->cls, 1024, 2047);
  cover(b->cls, 1024, 2047);
  cover(b->cls, 3000, 3071); // 2944..3071 as blocks
  cover(d->cls, 1024, 2047);
  std::map<uint32_t, uint64_t> words;
  for (const auto &e : c.entries)
    if (e.map == *ranges.class_block_filter) {
      uint32_t i;
      uint64_t w;
      std::memcpy(&i, e.key.data(), 4);
      std::memcpy(&w, e.value.data(), 8);
      words[i] = w;
    }
  EXPECT_EQ(words, want);
  // A port of a block no key covers has no bit in its class.
  const uint32_t miss = psl_class_block_bit(a->cls, 3000);
  EXPECT_FALSE(words.count(miss / 64) && (words[miss / 64] >> (miss % 64) & 1));
  // The prefix dimension of the class(ip.src) + ip.dst group is an
  // address: no bitmap.
  for (const LookupGroup &g : c.groups)
    if (g.prefix && g.prefix->size != 2) {
      EXPECT_FALSE(g.class_block_filter.has_value()) << g.shape;
    }

  auto small = lower_text(body);
  ASSERT_TRUE(small && small->result.ok());
  EXPECT_FALSE(small->c().groups[1].class_block_filter.has_value());
}

TEST(LowerClassifier, FewPortsAfterAClassAreHashKeys) {
  // A set of two ports and a range of three: enumerated into the hash
  // group of (class, port), not a trie (GroupLimits::class_hash_max_values).
  auto l = lower_text(R"(
    rule a: ip.src in 10.0.0.0/8 and udp.dport in {53, 123} => drop
    rule b: ip.src in 10.0.0.0/8 and udp.dport in 3000..3002 => pass)");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 2u) << to_string(c);
  const LookupGroup &g = c.groups[1];
  EXPECT_EQ(g.shape, "hash class(ip.src), udp.dport");
  EXPECT_FALSE(g.prefix);
  const uint32_t drop = Classifier::encode(0, Action::Drop),
                 pass = Classifier::encode(1, Action::Pass);
  EXPECT_EQ(entries_of(c, 1), (std::map<std::vector<uint8_t>, uint32_t>{
                                  {{0, 0, 0, 1, 0x00, 0x35}, drop},
                                  {{0, 0, 0, 1, 0x00, 0x7b}, drop},
                                  {{0, 0, 0, 1, 0x0b, 0xb8}, pass},
                                  {{0, 0, 0, 1, 0x0b, 0xb9}, pass},
                                  {{0, 0, 0, 1, 0x0b, 0xba}, pass}}));
}

TEST(LowerClassifier, CoveringPrefixRulesReachEveryNestedClass) {
  // `wide` must be seen by packets whose longest prefix is 10.1.0.0/16
  // (class 2): its key is stored under both classes. `narrow` (later, same
  // port) must not win there: the key keeps the least priority.
  auto l = lower_text(R"(
    rule wide: ip.src in 10.0.0.0/8 and tcp.dport == 22 => drop
    rule narrow: ip.src in 10.1.0.0/16 and tcp.dport == 22 => pass
    rule other: ip.src in 10.1.0.0/16 and tcp.dport == 80 => pass)");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 2u) << to_string(c);
  uint32_t wide = Classifier::encode(0, Action::Drop);
  EXPECT_EQ(entries_of(c, 1),
            (std::map<std::vector<uint8_t>, uint32_t>{
                {{0, 0, 0, 1, 0, 22}, wide},
                {{0, 0, 0, 2, 0, 22}, wide},
                {{0, 0, 0, 2, 0, 80}, Classifier::encode(2, Action::Pass)}}));
}

TEST(LowerClassifier, SingleAddressesWithMoreAreClassKeyed) {
  auto l = lower_text(R"(
    rule one: ip.src == 10.0.0.1 and tcp.dport == 22 => drop
    rule many: ip.src == 10.0.0.2 and tcp.dport in 1000..1999 => drop)",
                      trie_layouts());
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 3u) << to_string(c);
  EXPECT_EQ(c.groups[0].shape, "hash ip.src"); // the class table: two hosts
  EXPECT_EQ(c.groups[1].shape, "hash class(ip.src), tcp.dport");
  EXPECT_EQ(c.groups[1].entries, 1u);
  EXPECT_EQ(c.groups[2].shape, "lpm class(ip.src) + tcp.dport");
  EXPECT_LT(c.groups[2].entries, 10u); // prefixes of 1000..1999, not 1000 keys
  // Each host's class marks only the group it has keys in.
  using V = std::array<uint32_t, 4>;
  EXPECT_EQ(hashed_class(c, c.groups[0].map, 4, a4(10, 0, 0, 1)),
            (V{0, 1, 1u << 1, 0}));
  EXPECT_EQ(hashed_class(c, c.groups[0].map, 4, a4(10, 0, 0, 2)),
            (V{0, 2, 1u << 2, 0}));
}

TEST(LowerClassifier, TwoAddressRangesAreClassThenPrefix) {
  auto l = lower_text(
      "rule two: ip.src in 10.0.0.0/8 and ip.dst in 192.168.0.0/16 => drop");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 2u) << to_string(c);
  EXPECT_EQ(c.groups[1].shape, "lpm class(ip.src) + ip.dst");
  auto keys = entries_of(c, 1);
  ASSERT_EQ(keys.size(), 1u);
  const auto &k = keys.begin()->first;
  uint32_t bits;
  std::memcpy(&bits, k.data(), 4);
  EXPECT_EQ(bits, 32u + 8u + 96u + 16u);
  EXPECT_EQ(k.size(), 4u + 24u); // class 4 + address 17, padded
  EXPECT_EQ(k[7], 1);            // class 1
  EXPECT_EQ(k[8], 4);            // family
  // The class of 10.0.0.0/8 marks group 1 as the one to look up.
  auto e = class_entry(c, 0, 4, a4(10, 0, 0, 0), 96 + 8);
  ASSERT_TRUE(e);
  uint64_t groups;
  for (const auto &x : c.entries)
    if (x.map == c.groups[0].map)
      std::memcpy(&groups, x.value.data() + 8, 8);
  EXPECT_EQ(groups, uint64_t{1} << 1);
}

TEST(LowerClassifier, IrregularRulesBecomeCodeWithAReason) {
  auto l = lower_text(R"(
    set banned : ip dynamic
    rule c: ip.ttl < 2 => count
    rule s: tcp.dport == 23 => drop shadow
    rule r: rate(ip.src) > 10/s => drop
    rule d: ip.src in banned => drop
    rule big: pkt.len > 1000 => drop
    rule all: true => pass)");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  EXPECT_EQ(rule(c, "c").why_code, "it is a count rule");
  EXPECT_EQ(rule(c, "s").why_code, "it is a shadow rule");
  EXPECT_EQ(rule(c, "r").why_code, "its condition is rate() alone");
  EXPECT_EQ(rule(c, "d").why_code,
            "it uses a dynamic set or compares two fields");
  EXPECT_NE(rule(c, "big").why_code.find("too many values"), std::string::npos);
  EXPECT_EQ(rule(c, "all").why_code, "its condition holds for every packet");
  EXPECT_EQ(c.code.size(), 6u);
  EXPECT_TRUE(c.groups.empty());
}

// A rate group's entries: key -> the listed rate slots.
std::map<std::vector<uint8_t>, std::vector<uint32_t>>
rate_lists_of(const Classifier &c, size_t g) {
  std::map<std::vector<uint8_t>, std::vector<uint32_t>> out;
  for (const auto &e : c.entries)
    if (e.map == c.groups[g].map) {
      EXPECT_EQ(e.value.size(), sizeof(psl_rate_list));
      psl_rate_list l;
      std::memcpy(&l, e.value.data(), sizeof l);
      out[e.key.to_vector()] = std::vector<uint32_t>(l.slot, l.slot + l.n);
    }
  return out;
}

TEST(LowerClassifier, RateRulesListEveryRuleOfAKeyInRuleOrder) {
  auto l = lower_text(R"(
    rule wide: ip.src in 10.0.0.0/8 and rate(ip.src) > 5/s => drop
    rule narrow: ip.src in 10.1.0.0/16 and rate(ip.src) > 1/s => pass
    rule ssh: tcp.dport == 22 and rate(ip.src, tcp.dport) > 3/s => drop
    rule alone: rate() > 1k/s => drop)");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 3u) << to_string(c);
  EXPECT_EQ(c.groups[0].shape, "lpm ip.src");
  EXPECT_EQ(c.groups[1].shape, "rate hash class(ip.src)");
  EXPECT_EQ(c.groups[1].rate_group, 0u);
  EXPECT_EQ(c.groups[2].shape, "rate hash tcp.dport");
  EXPECT_EQ(c.groups[2].rate_group, 1u);
  EXPECT_EQ(c.rate_groups, 2u);
  // 10.1.0.0/16 is class 2, inside class 1 (10.0.0.0/8): its key lists
  // both rules, the wider (earlier) one first.
  EXPECT_EQ(rate_lists_of(c, 1),
            (std::map<std::vector<uint8_t>, std::vector<uint32_t>>{
                {{0, 0, 0, 1}, {0}}, {{0, 0, 0, 2}, {0, 1}}}));
  EXPECT_EQ(
      rate_lists_of(c, 2),
      (std::map<std::vector<uint8_t>, std::vector<uint32_t>>{{{0, 22}, {2}}}));
  // Three slots, two KEY lists; the bucket rule alone stays code.
  ASSERT_EQ(c.rate_slots.size(), 3u);
  EXPECT_EQ(c.rate_kinds.size(), 2u);
  EXPECT_EQ(c.rate_slots[0].kind, c.rate_slots[1].kind);
  EXPECT_NE(c.rate_slots[0].kind, c.rate_slots[2].kind);
  EXPECT_FALSE(rule(c, "wide").in_code);
  EXPECT_FALSE(rule(c, "ssh").in_code);
  EXPECT_EQ(rule(c, "alone").why_code, "its condition is rate() alone");
  // psl_rate_rules holds each slot's rule, verdict, bucket and key kind.
  ASSERT_TRUE(c.rate_rules_map.has_value());
  std::vector<psl_rate_rule> slots;
  for (const auto &e : c.entries)
    if (e.map == *c.rate_rules_map) {
      psl_rate_rule r;
      ASSERT_EQ(e.value.size(), sizeof r);
      std::memcpy(&r, e.value.data(), sizeof r);
      slots.push_back(r);
    }
  ASSERT_EQ(slots.size(), 3u);
  EXPECT_EQ(slots[1].rule, 1u);
  EXPECT_EQ(slots[1].enc, Classifier::encode(1, Action::Pass));
  EXPECT_EQ(slots[1].rate_id, c.rates[1].id);
  EXPECT_EQ(slots[1].cfg.burst_tokens, 1u);
  EXPECT_EQ(slots[2].kind, c.rate_slots[2].kind);
  // The generated program has no per-rule bucket function for them.
  std::string text = codegen::generate_xdp(c);
  EXPECT_EQ(text.find("psl_rate_0("), std::string::npos) << text;
  EXPECT_NE(text.find("psl_rate_3("), std::string::npos) << text;
}

TEST(LowerClassifier, RateRulesPastTheListLimitGoBackToCode) {
  std::string body;
  for (int i = 0; i < PSL_RATE_LIST_MAX + 2; ++i)
    body += "rule r" + std::to_string(i) +
            ": udp.dport == 53 and rate(ip.src) > " + std::to_string(i + 1) +
            "/s => drop\n";
  auto l = lower_text(body);
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  for (int i = 0; i < PSL_RATE_LIST_MAX + 2; ++i) {
    const RuleInfo &r = rule(c, "r" + std::to_string(i));
    EXPECT_EQ(r.in_code, i >= PSL_RATE_LIST_MAX) << r.name;
    if (r.in_code) {
      EXPECT_NE(r.why_code.find("more than 8 rate rules"), std::string::npos)
          << r.why_code;
    }
  }
  ASSERT_EQ(c.groups.size(), 1u);
  EXPECT_EQ(c.groups[0].rules.size(), static_cast<size_t>(PSL_RATE_LIST_MAX));
  auto lists = rate_lists_of(c, 0);
  ASSERT_EQ(lists.size(), 1u);
  EXPECT_EQ(lists.begin()->second,
            (std::vector<uint32_t>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(LowerClassifier, RateRulesOfMoreShapesThanTheLimitAreCode) {
  auto l = lower_text(R"(
    rule a: tcp.dport == 1 and rate(ip.src) > 1/s => drop
    rule b: udp.dport == 1 and rate(ip.src) > 1/s => drop
    rule c: ip.ttl == 1 and rate(ip.src) > 1/s => drop
    rule d: ip.tos == 1 and rate(ip.src) > 1/s => drop
    rule e: vlan.id == 1 and rate(ip.src) > 1/s => drop
    rule f: ip.ttl == 2 and rate(ip.src) > 1/s => drop
    rule g: rate(ip.src) > 1/s and ip.ttl == 3 => drop)");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  EXPECT_EQ(c.rate_groups, static_cast<uint32_t>(PSL_RATE_GROUPS_MAX));
  EXPECT_FALSE(rule(c, "f").in_code); // the shape of c
  EXPECT_NE(rule(c, "e").why_code.find("condition shapes"), std::string::npos);
  // The token is taken before ip.ttl is tested: code keeps that order.
  EXPECT_NE(rule(c, "g").why_code.find("last test"), std::string::npos);
}

// (An address test of at most kInlineIpPrefixes prefixes is compared in
// the code instead: lower_cost_model_test.)
TEST(LowerClassifier, LiteralSetsOfCodeRulesAreMapContents) {
  auto l = lower_text(R"(
    rule r: ip.src in { 10.0.0.0/8, 192.0.2.1, 192.0.2.3, 198.51.100.0/24, 203.0.113.5, 2001:db8::/32 } and rate() > 5/s => drop
    rule p: tcp.dport in { 1, 3, 5, 7, 9, 11 } => count)");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  size_t set_maps = 0;
  for (const auto &m : c.maps)
    set_maps += m.name.rfind("psl_sets_", 0) == 0;
  EXPECT_EQ(set_maps,
            2u); // every address set in one map, value sets in another
  std::string text = codegen::generate_xdp(c);
  // No address in the code (the rule text appears only in a comment).
  EXPECT_EQ(text.find("3221225985"), std::string::npos) << text;
  EXPECT_NE(text.find("psl_set_has_ip(&psl_sets_ip, 0, p, 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("psl_set_has(&psl_sets_val, 1, p->tcp_dport)"),
            std::string::npos)
      << text;
}

TEST(LowerClassifier, NotKeepsTheGuard) {
  auto l = lower_text("rule r: not tcp.dport == 22 => drop");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 1u);
  EXPECT_EQ(c.groups[0].shape, "array tcp.dport");
  EXPECT_EQ(c.groups[0].entries, 65535u); // every port but 22; UDP never looks
}

TEST(LowerClassifier, OrExplosionFallsBackToCode) {
  LowerOptions o;
  o.groups.max_conjuncts = 4;
  auto l = lower_text("rule r: (tcp.dport == 1 or udp.dport == 1) and (ip.ttl "
                      "== 1 or ip.tos == 1) and "
                      "(eth.type == 1 or vlan.id == 1) => drop",
                      o);
  ASSERT_TRUE(l && l->result.ok());
  EXPECT_TRUE(rule(l->c(), "r").in_code);
  EXPECT_NE(rule(l->c(), "r").why_code.find("alternatives"), std::string::npos);
}

TEST(LowerClassifier, CodeBudgetErrorNamesRules) {
  LowerOptions o;
  o.code.max_code_rules = 2;
  auto l = lower_text(R"(
    rule a: ip.ttl == 1 => count
    rule b: ip.ttl == 2 => count
    rule c: ip.ttl == 3 => count)",
                      o);
  ASSERT_TRUE(l);
  ASSERT_FALSE(l->result.ok());
  ASSERT_EQ(l->result.error->rules.size(), 3u);
  EXPECT_EQ(l->result.error->rules[0].name, "a");
}

TEST(SourceBuilder, IndentsBlocksAndWrapsComments) {
  codegen::SourceBuilder b;
  b.open("int f(void)");
  b.comment("short");
  b.line("return 0;");
  b.close();
  EXPECT_EQ(b.str(), "int f(void) {\n  /* short */\n  return 0;\n}\n");
}

} // namespace
} // namespace psl::lower
