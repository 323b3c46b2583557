// The lowering's flat stores: KeyTable (a lookup group's keys while rules
// are placed) and MapEntries (the classifier's map contents), each
// against the standard container it replaced.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "lower/entry_store.h"
#include "lower/key_table.h"
#include "lower/map_entries.h"

namespace psl::lower {
namespace {

// Keys drawn from a small alphabet so that many repeat.
std::vector<uint8_t> random_key(std::mt19937 &rng, uint32_t size) {
  std::vector<uint8_t> k(size);
  for (uint8_t &b : k)
    b = static_cast<uint8_t>(rng() % 4 == 0 ? rng() : rng() % 3);
  return k;
}

class KeyTableSizes : public ::testing::TestWithParam<uint32_t> {};

TEST_P(KeyTableSizes, HoldsWhatAMapOfStringsHoldsInTheSameOrder) {
  const uint32_t size = GetParam();
  std::mt19937 rng(size);
  KeyTable t(size);
  std::map<std::vector<uint8_t>, uint32_t> want;
  for (uint32_t i = 0; i < 50000; ++i) {
    const std::vector<uint8_t> k = random_key(rng, size);
    const uint32_t v = 1 + rng() % 1000;
    keep_min(t[k], v);
    keep_min(want[k], v);
  }
  ASSERT_EQ(t.size(), want.size());
  ASSERT_GT(t.size(), 1000u); // it grew many times
  const std::vector<uint32_t> order = t.sorted();
  ASSERT_EQ(order.size(), want.size());
  size_t i = 0;
  for (const auto &[k, v] : want) {
    const uint32_t at = order[i++];
    EXPECT_EQ(std::vector<uint8_t>(t.key(at), t.key(at) + size), k);
    EXPECT_EQ(t.value(at), v);
  }
  // A lookup of a key already there finds it and adds nothing.
  const std::vector<uint8_t> first = want.begin()->first;
  EXPECT_EQ(t[first], want.begin()->second);
  EXPECT_EQ(t.size(), want.size());
}

// 2 and 4: a port, a class id; 8: a whole word; 21: a class table's LPM
// key (length, family, address); 26: more than three words.
INSTANTIATE_TEST_SUITE_P(Lowering, KeyTableSizes,
                         ::testing::Values(2u, 4u, 8u, 21u, 26u));

TEST(KeyTable, ANewKeyStartsAtZeroAndClearKeepsTheKeySize) {
  KeyTable t(3);
  const std::vector<uint8_t> a = {1, 2, 3}, b = {1, 2, 4};
  EXPECT_EQ(t[a], 0u);
  t[a] = 7;
  EXPECT_EQ(t[b], 0u);
  EXPECT_EQ(t[a], 7u);
  EXPECT_EQ(t.size(), 2u);
  t.clear();
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.key_size(), 3u);
  EXPECT_EQ(t[a], 0u);
  EXPECT_EQ(t.size(), 1u);
  // A key of another size is the lowering's bug, not a new key.
  const std::vector<uint8_t> short_key = {1, 2};
  EXPECT_THROW(t[short_key], std::logic_error);
  EXPECT_EQ(t.size(), 1u);
}

TEST(MapEntries, KeepsEveryEntryAsAdded) {
  MapEntries s;
  std::vector<MapEntry> want;
  std::mt19937 rng(7);
  for (uint32_t i = 0; i < 20000; ++i) {
    MapEntry e;
    e.map = rng() % 5;
    e.key = random_key(rng, 1 + rng() % 40);
    e.value = random_key(rng, rng() % 50); // may be empty
    if (i % 2)
      s.push_back(e);
    else
      s.add(e.map, e.key.data(), e.key.size(), e.value.data(), e.value.size());
    want.push_back(std::move(e));
    if (i == 1000)
      s.reserve(50000, 1 << 20); // changes nothing already there
  }
  ASSERT_EQ(s.size(), want.size());
  size_t i = 0;
  for (const MapEntryView e : s) {
    EXPECT_EQ(e.map, want[i].map);
    EXPECT_EQ(e.key, want[i].key);
    EXPECT_EQ(e.value, want[i].value);
    EXPECT_EQ(e.key.to_vector(), want[i].key);
    ++i;
  }
  EXPECT_EQ(i, want.size());
  EXPECT_EQ(s[3].key, want[3].key);
  s.clear();
  EXPECT_TRUE(s.empty());
}

TEST(MapEntries, ErasesTheEntriesOfSomeMapsInPlace) {
  MapEntries s;
  std::vector<MapEntry> want;
  for (uint32_t i = 0; i < 300; ++i) {
    const uint32_t map = i % 3;
    MapEntry e{map, std::vector<uint8_t>(1 + i % 7, static_cast<uint8_t>(i)),
               std::vector<uint8_t>(i % 5, static_cast<uint8_t>(i + 1))};
    s.push_back(e);
    if (map != 1)
      want.push_back(e);
  }
  s.erase_maps({0, 1});
  ASSERT_EQ(s.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(s[i].map, want[i].map);
    EXPECT_EQ(s[i].key, want[i].key);
    EXPECT_EQ(s[i].value, want[i].value);
  }
  // A map past the mask's end is kept; new entries go after the rest.
  s.erase_maps({1, 0});
  EXPECT_EQ(s.size(), want.size() - want.size() / 2);
  s.add(7, nullptr, 0, nullptr, 0);
  EXPECT_EQ(s[s.size() - 1].map, 7u);
  EXPECT_EQ(s[0].map, 2u);
}

TEST(MapEntries, RefusesAValueItCannotRecord) {
  MapEntries s;
  const std::vector<uint8_t> key(4, 1), big(70000, 2);
  EXPECT_THROW(s.add(0, key.data(), key.size(), big.data(), big.size()),
               std::length_error);
  EXPECT_TRUE(s.empty());
}

TEST(ByteView, ComparesByBytesAndPrintsHex) {
  const std::vector<uint8_t> a = {0x0a, 0xff}, b = {0x0a, 0xfe}, c = {0x0a};
  EXPECT_TRUE(ByteView(a) == a);
  EXPECT_FALSE(ByteView(a) == b);
  EXPECT_FALSE(ByteView(a) == c);
  EXPECT_TRUE(ByteView() == std::vector<uint8_t>{});
  std::ostringstream os;
  os << ByteView(a);
  EXPECT_EQ(os.str(), "[0aff]");
}

} // namespace
} // namespace psl::lower
