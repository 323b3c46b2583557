// The one converter from literal values to points
// (compiler/analysis/literal_points.h), which the lint's conditions and the
// lowering's field atoms both read constants through.
#include <gtest/gtest.h>

#include "analysis/literal_points.h"
#include "analysis_test_util.h"

namespace psl::analysis {
namespace {

using namespace test_util;

IpAddr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddr ip;
  ip.family = 4;
  ip.bytes = {a, b, c, d};
  return ip;
}

IpAddr v6_prefix(uint16_t first) {
  IpAddr ip;
  ip.family = 6;
  ip.bytes = {};
  ip.bytes[0] = static_cast<uint8_t>(first >> 8);
  ip.bytes[1] = static_cast<uint8_t>(first);
  return ip;
}

Value set(std::vector<Value> elements) {
  SetValue s;
  s.elements = std::move(elements);
  return Value{std::move(s)};
}

TEST(LiteralPoints, AddressesAndPrefixesByFamily) {
  LiteralPoints p;
  Value v = set({Value{v4(10, 0, 0, 1)}, Value{Cidr{v4(192, 168, 7, 9), 16}},
                 Value{Cidr{v6_prefix(0xfd00), 8}}});
  ASSERT_TRUE(literal_points(v, 0xffff, p));
  EXPECT_TRUE(p.addresses);
  EXPECT_FALSE(p.scalars);
  // 10.0.0.1, and 192.168.0.0/16 with its host bits cleared.
  EXPECT_EQ(p.v4, set_of({{0x0a000001, 0x0a000001}, {0xc0a80000, 0xc0a8ffff}}));
  ASSERT_EQ(p.v6.size(), 1u);
  EXPECT_EQ(p.v6[0].lo, Point{0xfd} << 120);
  EXPECT_EQ(p.v6[0].hi, (Point{0xfd} << 120) | ((Point{1} << 120) - 1));
  EXPECT_TRUE(p.other.empty());
}

TEST(LiteralPoints, ScalarsAreClippedToTheDomain) {
  LiteralPoints p;
  Value v = set({Value{uint64_t{22}}, Value{RangeValue{1000, 70000}},
                 Value{uint64_t{99999}}, Value{RangeValue{80000, 90000}}});
  ASSERT_TRUE(literal_points(v, 0xffff, p));
  EXPECT_TRUE(p.scalars);
  EXPECT_FALSE(p.addresses);
  // 99999 and 80000..90000 are past a 16-bit field: they match nothing.
  EXPECT_EQ(str(p.other), "22,1000-65535");
  EXPECT_TRUE(p.v4.empty() && p.v6.empty());
}

TEST(LiteralPoints, NamesBoolsAndMacs) {
  LiteralPoints p;
  ASSERT_TRUE(literal_points(Value{ProtoValue{17}}, 0xff, p));
  EXPECT_EQ(str(p.other), "17");
  ASSERT_TRUE(literal_points(Value{IcmpTypeValue{false, 8}}, 0xff, p));
  EXPECT_EQ(str(p.other), "8");
  ASSERT_TRUE(literal_points(Value{true}, 1, p));
  EXPECT_EQ(str(p.other), "1");
  MacAddr mac;
  mac.bytes = {0, 0, 0, 0, 0x01, 0x02};
  ASSERT_TRUE(literal_points(Value{mac}, (Point{1} << 48) - 1, p));
  EXPECT_EQ(str(p.other), "258");
}

TEST(LiteralPoints, ValuesWithoutPointsAreRefused) {
  LiteralPoints p;
  EXPECT_FALSE(literal_points(Value{Duration{5}}, 0xffff, p));
  EXPECT_FALSE(
      literal_points(set({Value{uint64_t{1}}, Value{Duration{5}}}), 0xffff, p));
  EXPECT_TRUE(literal_points(set({}), 0xffff, p));
  EXPECT_TRUE(p.v4.empty() && p.v6.empty() && p.other.empty());
  EXPECT_FALSE(p.addresses || p.scalars);
}

TEST(LiteralPoints, IpPointAndUint) {
  EXPECT_EQ(ip_point(v4(10, 1, 2, 3)), Point{0x0a010203});
  EXPECT_EQ(ip_point(v6_prefix(0x2001)), Point{0x2001} << 112);
  EXPECT_EQ(literal_uint(Value{ProtoValue{6}}), 6u);
  EXPECT_EQ(literal_uint(Value{false}), 0u);
  EXPECT_FALSE(literal_uint(Value{Duration{5}}).has_value());
}

} // namespace
} // namespace psl::analysis
