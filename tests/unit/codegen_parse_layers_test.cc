// The parser cut to the policy (compiler/codegen/parse_layers.h,
// psl_parse_cut in bpf/templates/psl_parse.h): which layers a policy's
// fields need, what the generated C calls, and that a cut decodes every
// field it claims exactly as the whole parser does, on crafted and mutated
// frames. That the compiled programs give the interpreter's verdicts is the
// differential test's (tests/difftest, every case with the cut parser).
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "codegen/parse_layers.h"
#include "codegen/xdp_generator.h"
#include "interp/interpreter.h"
#include "lower_test_util.h"
#include "psl_parse.h"

namespace psl::codegen {
namespace {

TEST(ParseLayers, BitsAreTheHeaders) {
  EXPECT_EQ(kParseEthAddr, PSL_PARSE_ETH_ADDR);
  EXPECT_EQ(kParseIp, PSL_PARSE_IP);
  EXPECT_EQ(kParseIp6Ext, PSL_PARSE_IP6_EXT);
  EXPECT_EQ(kParseTcp, PSL_PARSE_TCP);
  EXPECT_EQ(kParseTcpFlags, PSL_PARSE_TCP_FLAGS);
  EXPECT_EQ(kParseUdp, PSL_PARSE_UDP);
  EXPECT_EQ(kParseIcmp, PSL_PARSE_ICMP);
  EXPECT_EQ(kParseIcmp6, PSL_PARSE_ICMP6);
  EXPECT_EQ(kParseAll, PSL_PARSE_ALL);
}

TEST(ParseLayers, FieldsNeedTheLayersInFrontOfThem) {
  EXPECT_EQ(parse_layers_of(FieldId::PktLen), 0u);
  EXPECT_EQ(parse_layers_of(FieldId::VlanId), 0u);
  EXPECT_EQ(parse_layers_of(FieldId::EthSrc), uint32_t{kParseEthAddr});
  EXPECT_EQ(parse_layers_of(FieldId::IpSrc), uint32_t{kParseIp});
  // ip.proto is the protocol after IPv6 extension headers.
  EXPECT_EQ(parse_layers_of(FieldId::IpProto), kParseIp | kParseIp6Ext);
  // TCP over IPv6 is found behind the extension chain.
  EXPECT_EQ(parse_layers_of(FieldId::TcpDport),
            kParseIp | kParseIp6Ext | kParseTcp);
  EXPECT_EQ(parse_layers_of(FieldId::TcpSyn),
            kParseIp | kParseIp6Ext | kParseTcp | kParseTcpFlags);
  EXPECT_EQ(parse_layers_of(FieldId::L4Dport),
            kParseIp | kParseIp6Ext | kParseTcp | kParseUdp);
  // ICMP is IPv4's: no extension chain.
  EXPECT_EQ(parse_layers_of(FieldId::IcmpType), kParseIp | kParseIcmp);
  EXPECT_EQ(parse_layers_of(FieldId::Icmp6Code),
            kParseIp | kParseIp6Ext | kParseIcmp6);
  // Every field has its case (kParseAll is the fallback of a new one).
  for (const FieldInfo &f : all_fields())
    EXPECT_NE(parse_layers_of(f.id), uint32_t{kParseAll}) << f.name;
}

uint32_t layers_of(const std::string &body) {
  auto l = lower::test_util::lower_body(body);
  return l ? parse_layers(*l->checked.module.policy) : kParseAll;
}

TEST(ParseLayers, UnionOverEveryRuleAndRateKey) {
  EXPECT_EQ(layers_of("rule a: ip.src in 10.0.0.0/8 => drop"),
            uint32_t{kParseIp});
  EXPECT_EQ(layers_of("rule a: ip.src in 10.0.0.0/8 => drop\n"
                      "rule b: udp.dport == 53 => count"),
            kParseIp | kParseIp6Ext | kParseUdp);
  EXPECT_EQ(layers_of("rule a: not (eth.src == aa:bb:cc:dd:ee:ff) => drop"),
            uint32_t{kParseEthAddr});
  EXPECT_EQ(layers_of("rule a: pkt.len > 1000 and rate(ip.src) > 10/s "
                      "=> drop"),
            uint32_t{kParseIp});
  EXPECT_EQ(layers_of("rule a: rate(tcp.dport) > 10/s => drop"),
            kParseIp | kParseIp6Ext | kParseTcp);
  EXPECT_EQ(layers_of("rule a: icmp.type == echo_request => drop shadow"),
            kParseIp | kParseIcmp);
  EXPECT_EQ(layers_of("rule a: pkt.len > 1000 => drop"), 0u);
}

TEST(ParseLayers, Expression) {
  EXPECT_EQ(parse_layers_expr(0), "0");
  EXPECT_EQ(parse_layers_expr(kParseIp | kParseTcp),
            "PSL_PARSE_IP | PSL_PARSE_TCP");
  EXPECT_EQ(parse_layers_expr(kParseAll), "PSL_PARSE_ALL");
}

TEST(ParseLayers, GeneratedCodeCallsTheCutParser) {
  auto l = lower::test_util::lower_body("rule a: tcp.dport == 22 => drop");
  ASSERT_TRUE(l);
  const lower::Classifier &c = l->c();
  GenerateOptions o;
  o.parse_layers = parse_layers(*l->checked.module.policy);
  const std::string cut = generate_xdp(c, o);
  EXPECT_NE(cut.find("psl_parse_cut(ctx, &pkt, PSL_PARSE_IP | "
                     "PSL_PARSE_IP6_EXT | PSL_PARSE_TCP);"),
            std::string::npos)
      << cut;
  // With the observation on, the whole parser, as before.
  EXPECT_NE(cut.find("if (pso_observe)\n    psl_parse(ctx, &pkt);"),
            std::string::npos)
      << cut;
  const std::string whole = generate_xdp(c);
  EXPECT_EQ(whole.find("psl_parse_cut"), std::string::npos);
  EXPECT_NE(whole.find("psl_parse(ctx, &pkt);"), std::string::npos);
}

// --- the cut decodes what it claims as the whole parser does -------------

using Frame = std::vector<uint8_t>;

void put16(Frame &f, size_t at, uint16_t v) {
  f[at] = static_cast<uint8_t>(v >> 8);
  f[at + 1] = static_cast<uint8_t>(v);
}

Frame ethernet(uint16_t type, size_t payload, int vlans = 0) {
  Frame f(14 + 4 * vlans + payload, 0);
  for (size_t i = 0; i < 12; ++i)
    f[i] = static_cast<uint8_t>(0x10 + i);
  size_t at = 12;
  for (int v = 0; v < vlans; ++v, at += 4) {
    put16(f, at, v == 0 && vlans > 1 ? 0x88a8 : 0x8100);
    put16(f, at + 2, static_cast<uint16_t>(100 + v));
  }
  put16(f, at, type);
  return f;
}

// IPv4 at `l3` carrying `proto` with an L4 header of `l4len` bytes.
Frame ipv4(uint8_t proto, size_t l4len, int vlans = 0, uint16_t frag = 0) {
  Frame f = ethernet(0x0800, 20 + l4len, vlans);
  const size_t h = 14 + 4 * vlans;
  f[h] = 0x45;
  f[h + 1] = 0x10;
  put16(f, h + 2, static_cast<uint16_t>(20 + l4len));
  put16(f, h + 6, frag);
  f[h + 8] = 64;
  f[h + 9] = proto;
  const uint8_t src[4] = {10, 1, 2, 3}, dst[4] = {192, 0, 2, 9};
  for (int i = 0; i < 4; ++i) {
    f[h + 12 + i] = src[i];
    f[h + 16 + i] = dst[i];
  }
  return f;
}

// IPv6 with `ext` extension headers (hop-by-hop, then routing) before
// `proto`.
Frame ipv6(uint8_t proto, size_t l4len, int ext) {
  const size_t extlen = 8 * static_cast<size_t>(ext);
  Frame f = ethernet(0x86dd, 40 + extlen + l4len);
  const size_t h = 14;
  f[h] = 0x60;
  put16(f, h + 4, static_cast<uint16_t>(extlen + l4len));
  f[h + 6] = ext > 0 ? 0 : proto;
  f[h + 7] = 64;
  for (int i = 0; i < 16; ++i) {
    f[h + 8 + i] = static_cast<uint8_t>(0x20 + i);
    f[h + 24 + i] = static_cast<uint8_t>(0x40 + i);
  }
  for (int e = 0; e < ext; ++e) {
    const size_t x = h + 40 + 8 * static_cast<size_t>(e);
    f[x] = e + 1 < ext ? 43 : proto;
    f[x + 2] = 2; // a routing header's type
  }
  return f;
}

void l4_ports(Frame &f, size_t l4) {
  put16(f, l4, 40000);
  put16(f, l4 + 2, 443);
}

std::vector<Frame> seed_frames() {
  std::vector<Frame> out;
  Frame tcp4 = ipv4(6, 20);
  l4_ports(tcp4, 34);
  tcp4[34 + 12] = 0x50;
  tcp4[34 + 13] = 0x12; // SYN ACK
  out.push_back(tcp4);
  Frame udp4 = ipv4(17, 8, 2);
  l4_ports(udp4, 42);
  put16(udp4, 42 + 4, 8);
  out.push_back(udp4);
  Frame icmp4 = ipv4(1, 8, 1);
  icmp4[38] = 8;
  out.push_back(icmp4);
  out.push_back(ipv4(6, 20, 0, 0x2001)); // a fragment, not the first
  for (int ext : {0, 1, 3}) {
    Frame tcp6 = ipv6(6, 20, ext);
    const size_t l4 = 54 + 8 * static_cast<size_t>(ext);
    l4_ports(tcp6, l4);
    tcp6[l4 + 12] = 0x50;
    tcp6[l4 + 13] = 0x02;
    out.push_back(tcp6);
  }
  Frame icmp6 = ipv6(58, 8, 1);
  icmp6[62] = 128;
  out.push_back(icmp6);
  Frame udp6 = ipv6(17, 8, 2);
  put16(udp6, 70 + 4, 8);
  out.push_back(udp6);
  return out;
}

psl_pkt parse(const Frame &f, uint32_t want) {
  psl_pkt p;
  psl_parse_frame(f.data(), f.data() + f.size(), &p, want, nullptr);
  return p;
}

// For every layer set a policy can ask for (each field's, and unions of
// a few), every field whose layers are in it reads the same, present or
// absent, from the cut as from the whole parse.
TEST(ParseLayers, CutDecodesItsFieldsAsTheWholeParser) {
  std::vector<uint32_t> wants = {0};
  for (const FieldInfo &f : all_fields())
    wants.push_back(parse_layers_of(f.id));
  std::mt19937_64 rng(15);
  const size_t singles = wants.size();
  for (int i = 0; i < 32; ++i)
    wants.push_back(wants[rng() % singles] | wants[rng() % singles] |
                    wants[rng() % singles]);

  std::vector<Frame> frames = seed_frames();
  const size_t seeds = frames.size();
  // Mutations of the seeds: a few bytes changed, or the frame cut short.
  for (int i = 0; i < 3000; ++i) {
    Frame f = frames[rng() % seeds];
    const int changes = 1 + static_cast<int>(rng() % 3);
    for (int c = 0; c < changes; ++c)
      f[rng() % f.size()] = static_cast<uint8_t>(rng());
    if (rng() % 4 == 0)
      f.resize(14 + rng() % (f.size() - 13));
    frames.push_back(std::move(f));
  }

  size_t compared = 0, present = 0;
  for (const Frame &f : frames) {
    const psl_pkt whole = parse(f, PSL_PARSE_ALL);
    for (uint32_t want : wants) {
      const psl_pkt cut = parse(f, want);
      for (const FieldInfo &fi : all_fields()) {
        const uint32_t need = parse_layers_of(fi.id);
        if ((need & want) != need)
          continue;
        const auto a = interp::read_field(whole, fi);
        const auto b = interp::read_field(cut, fi);
        ++compared;
        present += a.has_value();
        ASSERT_EQ(a.has_value(), b.has_value())
            << fi.name << " want " << parse_layers_expr(want);
        if (a) {
          ASSERT_TRUE(*a == *b)
              << fi.name << " want " << parse_layers_expr(want);
        }
      }
    }
  }
  // The frames reach the fields: most comparisons have a value.
  EXPECT_GT(present, compared / 3);
}

} // namespace
} // namespace psl::codegen
