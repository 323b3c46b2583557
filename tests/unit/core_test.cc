// The core tables and helpers every pass relies on.
#include <gtest/gtest.h>

#include <set>

#include "ast/fields.h"
#include "ast/value.h"
#include "diag/diagnostics.h"

using namespace psl;

TEST(ClosestMatch, FindsOneEditTypos) {
  std::vector<std::string> names = {"tcp.dport", "tcp.sport", "udp.dport"};
  EXPECT_EQ(closest_match("tcp.dprot", names), "tcp.dport");
  EXPECT_EQ(closest_match("tcp.dpor", names), "tcp.dport");
  EXPECT_EQ(closest_match("trustd", {"trusted", "web"}), "trusted");
}

TEST(ClosestMatch, RejectsUnrelatedWords) {
  EXPECT_EQ(closest_match("banana", {"tcp.dport", "trusted"}), "");
  EXPECT_EQ(closest_match("x", {"web"}), "");
}

TEST(Fields, TableIsConsistent) {
  std::set<std::string> names;
  for (const auto &f : all_fields()) {
    EXPECT_TRUE(names.insert(f.name).second) << "duplicate field " << f.name;
    EXPECT_EQ(find_field(f.name), &f);
    EXPECT_EQ(&field_info(f.id), &f);
    if (f.type == TypeKind::Int) {
      EXPECT_GT(f.bits, 0) << f.name;
    }
  }
  EXPECT_EQ(find_field("tcp.dprot"), nullptr);
  EXPECT_EQ(field_max(*find_field("vlan.id")), 4095u);
  EXPECT_EQ(field_max(*find_field("tcp.dport")), 65535u);
  EXPECT_EQ(find_field("icmp6.type")->guard, Guard::Icmp6);
}

TEST(Fields, IcmpNamesAreDistinctPerFamily) {
  EXPECT_EQ(find_named(icmp_type_names(), "echo_request")->number, 8);
  EXPECT_EQ(find_named(icmp6_type_names(), "echo_request")->number, 128);
  EXPECT_EQ(find_named(icmp_type_names(), "neighbor_solicitation"), nullptr);
  EXPECT_EQ(find_named(proto_names(), "gre")->number, 47);
}

TEST(Values, ParseAndPrintAddresses) {
  auto v4 = parse_ip("10.1.2.3");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->family, 4);
  EXPECT_EQ(v4->bytes[0], 10);
  EXPECT_EQ(ip_to_string(*v4), "10.1.2.3");
  auto v6 = parse_ip("2001:db8::1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->family, 6);
  EXPECT_EQ(ip_to_string(*v6), "2001:db8::1");
  EXPECT_FALSE(parse_ip("10.0.0.256"));
  EXPECT_FALSE(parse_ip("1:2:3"));
  auto mac = parse_mac("aa:BB:0c:dd:ee:0f");
  ASSERT_TRUE(mac);
  EXPECT_EQ(mac->bytes[1], 0xbb);
  EXPECT_FALSE(parse_mac("aa:bb:cc:dd:ee"));
}

TEST(Values, CanonicalSpelling) {
  EXPECT_EQ(value_to_string(Value{Duration{600000000000ull}},
                            Type::of(TypeKind::Duration)),
            "10m");
  EXPECT_EQ(value_to_string(Value{Duration{500000000ull}},
                            Type::of(TypeKind::Duration)),
            "500ms");
  EXPECT_EQ(value_to_string(Value{RateValue{RateValue::Unit::Packets, 10000}},
                            Type::of(TypeKind::Rate)),
            "10k/s");
  EXPECT_EQ(value_to_string(Value{RateValue{RateValue::Unit::Bits, 10000000}},
                            Type::of(TypeKind::Rate)),
            "10Mbit/s");
  EXPECT_EQ(value_to_string(Value{ProtoValue{47}}, Type::of(TypeKind::Proto)),
            "gre");
  EXPECT_EQ(value_to_string(Value{ProtoValue{99}}, Type::of(TypeKind::Proto)),
            "proto(99)");
  EXPECT_EQ(value_to_string(Value{IcmpTypeValue{true, 135}},
                            Type::of(TypeKind::Icmp6Type)),
            "neighbor_solicitation");
  SetValue s;
  s.elements.push_back(Value{uint64_t{80}});
  s.elements.push_back(Value{RangeValue{8000, 8100}});
  EXPECT_EQ(value_to_string(Value{s}, Type::set_of(TypeKind::Port)),
            "{ 80, 8000..8100 }");
}

TEST(Diagnostics, SinkCountsErrorsAndSorts) {
  auto file =
      std::make_shared<const SourceFile>("a.psl", "line one\nline two\n");
  DiagnosticSink sink(file);
  sink.report(DiagCode::W0201, SourceRange{{2, 1}, {2, 5}}, "second");
  sink.report(DiagCode::E0201, SourceRange{{1, 3}, {1, 6}}, "first");
  EXPECT_EQ(sink.error_count(), 1u);
  sink.sort_by_location();
  EXPECT_EQ(sink.diagnostics()[0].message, "first");
  EXPECT_EQ(sink.diagnostics()[1].severity, Severity::Warning);
  EXPECT_EQ(file->line(2), "line two");
  EXPECT_EQ(file->line(3), "");
  EXPECT_EQ(file->line_count(), 2u);
  EXPECT_STREQ(diag_info(DiagCode::E0103).name, "E0103");
}
