// The pure pieces of the lowering's placement (compiler/lower/): the
// conjunctions of a condition, address prefixes, the IPv4 and IPv6 splits
// of a class table, and map-entry encodings, each on hand-made input.
// (lower_classifier_test and lower_class_split_test run whole policies
// through them.)
#include <gtest/gtest.h>

#include <cstring>

#include "lower/class_table.h"
#include "lower/conjunctions.h"
#include "lower/group.h"
#include "lower/group_builder.h"
#include "lower/ipv4_split.h"
#include "lower/ipv6_split.h"
#include "lower/key_emission.h"
#include "lower/map_entries.h"
#include "lower/prefixes.h"
#include "lower/rate_groups.h"
#include "psl_rate_table.h"

namespace psl::lower {
namespace {

Cond field(FieldId f, IntervalSet values, uint8_t family = 0) {
  Cond c;
  c.kind = Cond::Kind::Field;
  c.atom = FieldAtom{f, family, std::move(values)};
  return c;
}

Cond node(Cond::Kind k, std::vector<Cond> children) {
  Cond c;
  c.kind = k;
  c.children = std::move(children);
  return c;
}

AddrPrefix v4(uint32_t base, unsigned len) { return {4, Point{base}, len}; }
AddrPrefix v6(Point base, unsigned len) { return {6, base, len}; }
Point v6_top(uint32_t top32) { return Point{top32} << 96; }

// -------------------------------------------------------------- classifier

TEST(Classifier, CondSideEffectsAndOpaqueAtoms) {
  Cond port = field(FieldId::TcpDport, IntervalSet::point(22));
  Cond rate;
  rate.kind = Cond::Kind::Rate;
  Cond dynset;
  dynset.kind = Cond::Kind::DynSet;
  EXPECT_FALSE(port.has_side_effects() || port.is_opaque());
  Cond with_rate = node(Cond::Kind::And, {port, rate});
  EXPECT_TRUE(with_rate.has_side_effects());
  EXPECT_TRUE(with_rate.is_opaque());
  Cond with_set = node(Cond::Kind::Or, {port, dynset});
  EXPECT_FALSE(with_set.has_side_effects()); // a set lookup changes nothing
  EXPECT_TRUE(with_set.is_opaque());
  EXPECT_EQ(Classifier::encode(0, Action::Pass), 2u);
  EXPECT_EQ(Classifier::encode(0, Action::Drop), 3u);
}

TEST(Classifier, ToStringListsGroupsAndCodeRules) {
  Classifier c;
  c.policy = "p";
  c.rules.push_back(RuleInfo{});
  c.rules[0].name = "ssh";
  c.rules[0].why_code = "it is a count rule";
  c.maps.push_back({"psl_g0", MapKind::Array, 4, 4, 65536, "group 0", {}});
  LookupGroup g;
  g.shape = "array tcp.dport";
  g.entries = 1;
  g.rules = {0};
  c.groups.push_back(g);
  c.code.push_back(CodeRule{0, Cond{}, 1});
  EXPECT_EQ(to_string(c),
            "policy p: 1 rules, 1 groups, 1 code rules, 0 map entries\n"
            "group 0 (psl_g0): array tcp.dport, 1 entries, rules ssh\n"
            "code: ssh (it is a count rule)\n");
}

// ------------------------------------------------------------ conjunctions

TEST(Conjunctions, AndDistributesOverOr) {
  // (dport 22 or dport 80) and ttl 1..5: two conjunctions of two atoms.
  Cond c = node(
      Cond::Kind::And,
      {node(Cond::Kind::Or, {field(FieldId::TcpDport, IntervalSet::point(22)),
                             field(FieldId::TcpDport, IntervalSet::point(80))}),
       field(FieldId::IpTtl, IntervalSet::range(1, 5))});
  auto d = to_conjunctions(c, 64);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->size(), 2u);
  for (const Conj &cj : *d) {
    ASSERT_EQ(cj.size(), 2u);
    EXPECT_LT(cj[0].field, cj[1].field); // sorted by field
  }
  EXPECT_EQ(atom((*d)[0], FieldId::TcpDport).values, IntervalSet::point(22));
  EXPECT_EQ(atom((*d)[1], FieldId::TcpDport).values, IntervalSet::point(80));
}

TEST(Conjunctions, EmptyIntersectionsAndFamiliesDrop) {
  // dport 22 and dport 80: no packet; ip.src v4 and ip.src v6: none either.
  Cond ports =
      node(Cond::Kind::And, {field(FieldId::TcpDport, IntervalSet::point(22)),
                             field(FieldId::TcpDport, IntervalSet::point(80))});
  auto d = to_conjunctions(ports, 64);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->empty());
  Cond fams =
      node(Cond::Kind::And, {field(FieldId::IpSrc, IntervalSet::point(1), 4),
                             field(FieldId::IpSrc, IntervalSet::point(1), 6)});
  d = to_conjunctions(fams, 64);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->empty());
  Cond t;
  d = to_conjunctions(t, 64);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->size(), 1u);
  EXPECT_TRUE(d->front().empty()); // true: one empty conjunction
}

TEST(Conjunctions, OpaqueAtomsAndTooManyAlternatives) {
  Cond rate;
  rate.kind = Cond::Kind::Rate;
  EXPECT_FALSE(to_conjunctions(rate, 64).has_value());
  std::vector<Cond> alts;
  for (Point p = 0; p < 5; ++p)
    alts.push_back(field(FieldId::TcpDport, IntervalSet::point(p)));
  EXPECT_FALSE(to_conjunctions(node(Cond::Kind::Or, alts), 4).has_value());
  EXPECT_TRUE(to_conjunctions(node(Cond::Kind::Or, alts), 5).has_value());
}

TEST(Conjunctions, AlternativesStayAsWritten) {
  // The shared expansion without simplification (analysis/dnf.h): an
  // alternative inside another, or two that differ in one field, stay two.
  Cond inside =
      node(Cond::Kind::Or, {field(FieldId::TcpDport, IntervalSet::range(1, 10)),
                            field(FieldId::TcpDport, IntervalSet::point(3))});
  auto d = to_conjunctions(inside, 64);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ(atom((*d)[1], FieldId::TcpDport).values, IntervalSet::point(3));
  Cond next = node(Cond::Kind::And,
                   {field(FieldId::IpTtl, IntervalSet::point(1)),
                    node(Cond::Kind::Or,
                         {field(FieldId::TcpDport, IntervalSet::point(22)),
                          field(FieldId::TcpDport, IntervalSet::point(23))})});
  d = to_conjunctions(next, 64);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ(atom((*d)[0], FieldId::TcpDport).values, IntervalSet::point(22));
  EXPECT_EQ(atom((*d)[1], FieldId::TcpDport).values, IntervalSet::point(23));
  // A false conjunct does not hide an opaque one after it.
  Cond rate;
  rate.kind = Cond::Kind::Rate;
  Cond never;
  never.kind = Cond::Kind::False;
  EXPECT_FALSE(to_conjunctions(node(Cond::Kind::And, {never, rate}), 64));
}

TEST(Conjunctions, SplitRate) {
  Cond rate;
  rate.kind = Cond::Kind::Rate;
  rate.rate = 3;
  Cond c = node(Cond::Kind::And,
                {field(FieldId::TcpDport, IntervalSet::point(22)), rate});
  auto s = split_rate(c);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->second, 3u);
  ASSERT_EQ(s->first.children.size(), 1u);
  // rate() first, or inverted, is not `A and rate(...)`.
  EXPECT_FALSE(split_rate(node(Cond::Kind::And, {rate, c.children[0]})));
  rate.negated = true;
  EXPECT_FALSE(split_rate(rate));
}

TEST(Conjunctions, KeyCounts) {
  FieldAtom ports{FieldId::TcpDport, 0, IntervalSet::range(0, 1023)};
  EXPECT_EQ(count_points(ports.values), Point{1024});
  EXPECT_EQ(prefix_count(ports), 1u); // 0..1023 is one aligned block
  FieldAtom odd{FieldId::TcpDport, 0, IntervalSet::range(1, 6)};
  EXPECT_EQ(prefix_count(odd), 4u); // 1, 2..3, 4..5, 6
  EXPECT_EQ(sat_mul(~Point{0}, 2), ~Point{0});
  FieldAtom hosts{FieldId::IpSrc, 4, IntervalSet::from({{1, 1}, {5, 5}})};
  EXPECT_TRUE(all_single(hosts));
  EXPECT_EQ(dim_values(hosts), Point{2});
  EXPECT_EQ(prefix_width(hosts), 32u);
}

// ----------------------------------------------------------------- prefixes

TEST(Prefixes, CoverAndOrder) {
  EXPECT_TRUE(v4(0x0a000000, 8).covers(v4(0x0a010000, 16)));
  EXPECT_FALSE(v4(0x0a010000, 16).covers(v4(0x0a000000, 8)));
  EXPECT_FALSE(v4(0x0a000000, 8).covers(v6(0x0a000000, 16)));
  EXPECT_EQ(v4(0x0a000000, 8).last(), Point{0x0affffff});
  // A prefix sorts right before the prefixes it covers.
  EXPECT_LT(v4(0x0a000000, 8), v4(0x0a000000, 16));
  EXPECT_LT(v4(0x0a000000, 16), v4(0x0a010000, 16));
}

TEST(Prefixes, PrefixMapKeepsValuesAndSorts) {
  PrefixMap m;
  m[v4(0x0a010000, 16)] = 7;
  m.add(v4(0x0a000000, 8));
  m.add(v4(0x0a010000, 16));          // keeps its 7
  for (uint32_t i = 0; i < 1000; ++i) // grows past its first table
    m.add(v4(0x14000000 + (i << 8), 24));
  EXPECT_EQ(m.size(), 1002u);
  auto sorted = m.take_sorted();
  ASSERT_EQ(sorted.size(), 1002u);
  EXPECT_EQ(sorted[0].first, v4(0x0a000000, 8));
  EXPECT_EQ(sorted[0].second, 0u);
  EXPECT_EQ(sorted[1].first, v4(0x0a010000, 16));
  EXPECT_EQ(sorted[1].second, 7u);
  EXPECT_EQ(m.size(), 0u);
}

TEST(Prefixes, OfAnAtom) {
  FieldAtom a{FieldId::IpSrc, 4,
              IntervalSet::range(0x0a000000, 0x0a0001ff)}; // two /24s
  auto p = addr_prefixes(a);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], v4(0x0a000000, 23));
}

// --------------------------------------------------------------- IPv4 split

TEST(Ipv4Split, ShortPrefixesFillSlotsAndLongOnesAreListed) {
  Ipv4Split s;
  ClassValue wide{3, 1, 0, 0}, inner{5, 2, 0, 0}, host{9, 3, 0, 0};
  s.add(v4(0x0a000000, 15), wide);  // 10.0/15: slots 10.0 and 10.1
  s.add(v4(0x0a010000, 16), inner); // 10.1/16 replaces it in its slot
  s.add(v4(0x0a010a05, 32), host);  // 10.1.10.5: a longer prefix
  EXPECT_EQ(s.slots[0x0a00].v, wide);
  EXPECT_EQ(s.slots[0x0a01].v, inner);
  EXPECT_EQ(s.slots[0x0a02].v, ClassValue{});
  EXPECT_EQ(s.slots[0x0a01].longer, uint32_t{1} << (32 - 17));
  // 10.1.10.5 lies in the /21 block of address bits 15..11 = 1.
  EXPECT_EQ(s.slots[0x0a01].blocks, uint32_t{1} << 1);
  ASSERT_EQ(s.longer.size(), 1u);
  EXPECT_EQ(s.longer[0].first, v4(0x0a010a05, 32));
}

TEST(Ipv4Split, WritesTwoMapsAndTheirEntries) {
  Classifier c;
  c.maps.push_back({"psl_g0", MapKind::Lpm, 24, 16, 1, "group 0", {}});
  LookupGroup grp;
  grp.map = 0;
  Ipv4Split s;
  s.add(v4(0x0a000000, 16), {3, 1, 0, 0});
  s.add(v4(0x0a000001, 32), {5, 2, 0, 0});
  write_ipv4_split(c, grp, s);
  ASSERT_TRUE(grp.v4_slots && grp.v4_longer);
  EXPECT_EQ(c.maps[*grp.v4_slots].name, "psl_g0_v4a");
  EXPECT_EQ(c.maps[*grp.v4_longer].name, "psl_g0_v4h");
  EXPECT_EQ(c.maps[*grp.v4_longer].max_entries, 1u);
  ASSERT_EQ(c.entries.size(), 2u); // one slot, one longer prefix
  EXPECT_EQ(c.entries[0].key, host_u32_key(0x0a00));
  // The longer prefix: the address big-endian, then its length.
  std::vector<uint8_t> key = {10, 0, 0, 1};
  auto len = host_u32_key(32);
  key.insert(key.end(), len.begin(), len.end());
  EXPECT_EQ(c.entries[1].key, key);
}

// --------------------------------------------------------------- IPv6 split

TEST(Ipv6Split, BucketsTakeTheirValueFromTheCoveringPrefix) {
  // 2001::/16 (trie), 2001:db8::/32, 2001:db8:1::/48, 2001:db9:5::/48.
  std::vector<AddrPrefix> cls = {v6(v6_top(0x20010000), 16),
                                 v6(v6_top(0x20010db8), 32),
                                 v6(v6_top(0x20010db8) | (Point{1} << 80), 48),
                                 v6(v6_top(0x20010db9) | (Point{5} << 80), 48)};
  std::vector<ClassValue> vals = {
      {2, 1, 0, 0}, {4, 2, 0, 0}, {6, 3, 0, 0}, {8, 4, 0, 0}};
  std::vector<size_t> parent = {kNoClass, 0, 1, 0};
  Ipv6Split s(cls, vals, parent, 256);
  EXPECT_FALSE(s.holds(0)); // shorter than /32: the trie's
  EXPECT_TRUE(s.holds(1) && s.holds(2) && s.holds(3));
  ASSERT_EQ(s.buckets.size(), 2u);
  const auto &db8 = s.buckets.at(0x20010db8);
  EXPECT_EQ(db8.unit.v, vals[1]); // its own /32
  EXPECT_EQ(db8.unit.lens, std::vector<uint32_t>{48});
  const auto &db9 = s.buckets.at(0x20010db9);
  EXPECT_EQ(db9.unit.v, vals[0]); // 2001::/16 covers it
  EXPECT_EQ(s.dense, 0u);
  // One length to search: the prefix itself, no markers.
  auto e = s.entries(db8.unit);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e.begin()->first.second, 48u);
  EXPECT_EQ(e.begin()->second, vals[2]);
  EXPECT_EQ(s.covering(2, 40), vals[1]);
  EXPECT_EQ(s.covering(2, 20), vals[0]);
  EXPECT_EQ(s.covering(1, 8), ClassValue{});
}

TEST(Ipv6Split, SearchesLeaveMarkers) {
  // Lengths 40, 48, 56 in one /32: the search starts at 48, so the /56
  // leaves a marker there (with the value of what covers it at /48).
  Point top = v6_top(0x20010db8);
  std::vector<AddrPrefix> cls = {v6(top, 32), v6(top, 40),
                                 v6(top | (Point{0x12} << 72), 56),
                                 v6(top | (Point{0x3} << 80), 48)};
  std::vector<ClassValue> vals = {
      {2, 1, 0, 0}, {4, 2, 0, 0}, {6, 3, 0, 0}, {8, 4, 0, 0}};
  std::vector<size_t> parent = {kNoClass, 0, 1, 0};
  Ipv6Split s(cls, vals, parent, 256);
  const auto &u = s.buckets.at(0x20010db8).unit;
  EXPECT_EQ(u.lens, (std::vector<uint32_t>{40, 48, 56}));
  auto e = s.entries(u);
  // Three prefixes and the marker of the /56 at /48 (its /48 holds no
  // prefix): the marker carries the /40's value.
  ASSERT_EQ(e.size(), 4u);
  auto marker = e.find({top, 48});
  ASSERT_NE(marker, e.end());
  EXPECT_EQ(marker->second, vals[1]);
}

TEST(Ipv6Split, TooManyLengthsGoToTheTrie) {
  Point top = v6_top(0x20010db8);
  std::vector<AddrPrefix> cls = {v6(top, 32)};
  std::vector<ClassValue> vals = {{2, 1, 0, 0}};
  std::vector<size_t> parent = {kNoClass};
  for (unsigned len = 33; len < 33 + kClass6Lens + 1; ++len) {
    cls.push_back(v6(top, len));
    vals.push_back({2, static_cast<uint32_t>(cls.size()), 0, 0});
    parent.push_back(cls.size() - 2);
  }
  Ipv6Split s(cls, vals, parent, 256);
  const auto &u = s.buckets.at(0x20010db8).unit;
  EXPECT_TRUE(u.trie);
  for (size_t i = 0; i < cls.size(); ++i)
    EXPECT_FALSE(s.holds(i)) << i; // all of them, the /32 included
  auto words = unit_words(u, 0);
  ASSERT_EQ(words.size(), 10u);
  EXPECT_EQ(words[0], 0u); // no value of its own: the trie answers
}

TEST(Ipv6Split, DenseBucketsGetSlots) {
  Point top = v6_top(0x20010db8);
  std::vector<AddrPrefix> cls = {v6(top, 32)};
  std::vector<ClassValue> vals = {{2, 1, 0, 0}};
  std::vector<size_t> parent = {kNoClass};
  for (uint32_t i = 0; i < 4; ++i) { // four /64s under 2001:db8:0:i::
    cls.push_back(v6(top | (Point{i} << 64), 64));
    vals.push_back({4, i + 2, 0, 0});
    parent.push_back(0);
  }
  Ipv6Split s(cls, vals, parent, 4);
  const auto &bk = s.buckets.at(0x20010db8);
  EXPECT_EQ(bk.dense, 1u);
  ASSERT_EQ(bk.slots.size(), kSlots6);
  // All four lie in the /48 2001:db8:0::, slot 0.
  EXPECT_EQ(bk.slots[0].longer.size(), 4u);
  EXPECT_EQ(bk.slots[1].v, vals[0]);
  EXPECT_EQ(s.dense, 1u);
}

// -------------------------------------------------------------- map entries

TEST(MapEntries, Encodings) {
  std::vector<uint8_t> be;
  put_be32(be, 0x0a000102);
  EXPECT_EQ(be, (std::vector<uint8_t>{10, 0, 1, 2}));
  uint32_t v = 0;
  auto k = host_u32_key(0x01020304);
  std::memcpy(&v, k.data(), 4);
  EXPECT_EQ(v, 0x01020304u);
  uint32_t slot = 0;
  keep_min(slot, 9);
  keep_min(slot, 4);
  keep_min(slot, 6);
  EXPECT_EQ(slot, 4u);
  Classifier c;
  add_entry(c, 2, std::vector<uint8_t>{1}, {7u, 8u});
  ASSERT_EQ(c.entries.size(), 1u);
  EXPECT_EQ(c.entries[0].map, 2u);
  EXPECT_EQ(c.entries[0].value.size(), 8u);
}

// ------------------------------------------------------------ key emission

TEST(KeyEmission, FoldCoveringGivesLongerPrefixesTheLeastValue) {
  GroupBuild b;
  b.hash.set_key_size(8);
  auto key = [](uint32_t bits, uint8_t first) {
    std::vector<uint8_t> k(8, 0);
    std::memcpy(k.data(), &bits, 4);
    k[4] = first;
    return k;
  };
  b.hash[key(8, 10)] = 3;  // 10/8 (data 4 bytes), rule priority 3
  b.hash[key(16, 10)] = 9; // 10.0/16 under it, priority 9
  b.hash[key(16, 11)] = 5; // 11.0/16, not under it
  fold_covering(b);
  EXPECT_EQ(b.hash[key(16, 10)], 3u);
  EXPECT_EQ(b.hash[key(16, 11)], 5u);
  EXPECT_EQ(b.hash[key(8, 10)], 3u);
  EXPECT_EQ(b.hash.size(), 3u);
}

// ------------------------------------------------- group builder, placement

Classifier with_rules(std::initializer_list<Action> actions) {
  Classifier c;
  uint32_t i = 0;
  for (Action a : actions) {
    RuleInfo r;
    r.index = i;
    r.name = "r" + std::to_string(i);
    r.action = a;
    r.counter_id = i + 1;
    c.rules.push_back(r);
    ++i;
  }
  return c;
}

uint32_t word(const MapEntryView &e, size_t i) {
  uint32_t w = 0;
  std::memcpy(&w, e.value.data() + 4 * i, 4);
  return w;
}

TEST(GroupBuilder, ArrayGroupKeepsTheFirstRulePerValue) {
  Classifier c = with_rules({Action::Pass, Action::Drop});
  GroupLimits limits;
  GroupBuilder b(c, limits);
  GroupKey key;
  key.kind = MapKind::Array;
  key.exact = {FieldId::TcpDport};
  b.emit(0, key, {FieldAtom{FieldId::TcpDport, 0, IntervalSet::point(22)}},
         Classifier::encode(0, Action::Pass));
  b.emit(1, key, {FieldAtom{FieldId::TcpDport, 0, IntervalSet::range(22, 23)}},
         Classifier::encode(1, Action::Drop));
  EXPECT_TRUE(b.has_group(key));
  b.finish();
  ASSERT_EQ(c.groups.size(), 1u);
  EXPECT_EQ(c.maps[c.groups[0].map].max_entries, 65536u);
  EXPECT_EQ(c.groups[0].shape, "array tcp.dport");
  ASSERT_EQ(c.entries.size(), 2u);
  EXPECT_EQ(c.entries[0].key, host_u32_key(22));
  EXPECT_EQ(word(c.entries[0], 0), Classifier::encode(0, Action::Pass));
  EXPECT_EQ(c.entries[1].key, host_u32_key(23));
  EXPECT_EQ(word(c.entries[1], 0), Classifier::encode(1, Action::Drop));
  EXPECT_EQ(c.rules[0].groups, std::vector<uint32_t>{0});
  EXPECT_EQ(c.groups[0].rules, (std::vector<uint32_t>{0, 1}));
}

TEST(ClassTable, NestedPrefixesGetClassIdsAndTheLeastPriority) {
  Classifier c = with_rules({Action::Drop, Action::Pass});
  GroupLimits limits;
  GroupBuilder b(c, limits);
  const GroupKey key = class_table_key(FieldId::IpSrc);
  // 10/8 drop (rule 0), then 10.1/16 pass (rule 1): under 10/8, the first
  // matching rule of 10.1/16 is still rule 0.
  b.emit(0, key,
         {FieldAtom{FieldId::IpSrc, 4,
                    IntervalSet::range(0x0a000000, 0x0affffff)}},
         Classifier::encode(0, Action::Drop));
  b.emit(1, key,
         {FieldAtom{FieldId::IpSrc, 4,
                    IntervalSet::range(0x0a010000, 0x0a01ffff)}},
         Classifier::encode(1, Action::Pass));
  b.finish();
  ASSERT_EQ(c.groups.size(), 1u);
  const LookupGroup &g = c.groups[0];
  EXPECT_TRUE(g.classes);
  EXPECT_EQ(g.kind, MapKind::Lpm); // prefixes, no full-length address
  EXPECT_FALSE(g.exact_map || g.v4_slots || g.v6_buckets);
  ASSERT_EQ(c.entries.size(), 2u);
  // Value { best, class id, group mask }: class ids in prefix order.
  EXPECT_EQ(word(c.entries[0], 0), Classifier::encode(0, Action::Drop));
  EXPECT_EQ(word(c.entries[0], 1), 1u);
  EXPECT_EQ(word(c.entries[1], 0), Classifier::encode(0, Action::Drop));
  EXPECT_EQ(word(c.entries[1], 1), 2u);
}

TEST(RateGroups, AKeyListsAtMostEightRulesTheRestGoToCode) {
  const size_t n = PSL_RATE_LIST_MAX + 1;
  Classifier c;
  for (uint32_t i = 0; i < n; ++i) {
    RuleInfo r;
    r.index = i;
    r.name = "r" + std::to_string(i);
    r.action = Action::Drop;
    r.counter_id = i + 1;
    c.rules.push_back(r);
    RateSpec spec;
    spec.id = i;
    spec.rule = i;
    spec.keys = {FieldId::IpSrc};
    spec.per_second = 100;
    spec.burst = 100;
    c.rates.push_back(spec);
  }
  GroupLimits limits;
  GroupBuilder b(c, limits);
  const Conj web = {FieldAtom{FieldId::TcpDport, 0, IntervalSet::point(80)}};
  for (uint32_t i = 0; i < n; ++i)
    EXPECT_EQ(place_rate(b, i, web, i), "") << i;
  EXPECT_EQ(c.rate_kinds.size(), 1u); // one KEY list: (ip.src)
  b.finish();
  ASSERT_EQ(c.groups.size(), 1u);
  EXPECT_TRUE(c.groups[0].rate_group.has_value());
  // The ninth rule on the same key went back to code.
  EXPECT_TRUE(c.rate_slots[n - 1].moved);
  EXPECT_TRUE(c.rules[n - 1].in_code);
  EXPECT_NE(c.rules[n - 1].why_code.find("more than 8 rate rules"),
            std::string::npos);
  // psl_rate_rules: one entry per slot still in a group.
  ASSERT_TRUE(c.rate_rules_map.has_value());
  size_t rules_entries = 0, list_entries = 0;
  for (const MapEntryView e : c.entries) {
    rules_entries += e.map == *c.rate_rules_map;
    list_entries += e.map == c.groups[0].map;
  }
  EXPECT_EQ(rules_entries, n - 1);
  EXPECT_EQ(list_entries, 1u); // the one key, tcp.dport 80
}

TEST(Placement, EachRuleToAGroupOrCodeWithTheReason) {
  Classifier c = with_rules({Action::Drop, Action::Count, Action::Pass});
  c.rules[1].terminal = false;
  std::vector<std::optional<Cond>> conds;
  conds.push_back(field(FieldId::TcpDport, IntervalSet::point(22)));
  conds.push_back(field(FieldId::TcpDport, IntervalSet::point(80)));
  conds.push_back(std::nullopt); // not normalized
  // Maps: with the cost model on, one port rule costs less as code.
  CostOptions maps;
  maps.mode = CostOptions::Mode::Maps;
  place_rules(conds, c, GroupLimits{}, maps);
  ASSERT_EQ(c.groups.size(), 1u);
  EXPECT_EQ(c.groups[0].shape, "array tcp.dport");
  EXPECT_FALSE(c.rules[0].in_code);
  EXPECT_TRUE(c.rules[1].in_code);
  EXPECT_EQ(c.rules[1].why_code, "it is a count rule");
  EXPECT_TRUE(c.rules[2].in_code);
  EXPECT_EQ(c.rules[2].why_code, "its condition could not be normalized");
  // The cost model's choice, kept for --verbose: one unit, the port array.
  ASSERT_EQ(c.costs.size(), 1u);
  EXPECT_EQ(c.costs[0].unit, "group array tcp.dport");
  EXPECT_EQ(c.costs[0].choice, CostChoice::Lowering::Map);

  Classifier a = with_rules({Action::Drop, Action::Count, Action::Pass});
  a.rules[1].terminal = false;
  place_rules(conds, a);
  EXPECT_TRUE(a.groups.empty());
  EXPECT_TRUE(a.rules[0].in_code);
  EXPECT_EQ(a.rules[0].why_code,
            "the cost model lowered its part of the policy to code");
}

} // namespace
} // namespace psl::lower
