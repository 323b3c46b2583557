// The test-packet builder: frames decode (with the kernel's parser) to
// exactly the fields asked for, defaults are the documented ones, checksums
// are valid, and impossible packets are errors that name the field.
#include <gtest/gtest.h>

#include "interp_test_util.h"
#include "psl_parse.h"

namespace {

using namespace interp_test;

psl_pkt decode(const std::vector<uint8_t> &f) {
  psl_pkt p;
  EXPECT_EQ(psl_parse_buffer(f.data(), static_cast<__u32>(f.size()), &p),
            PSL_STATUS_OK);
  return p;
}

std::string field(const psl_pkt &p, const std::string &name) {
  const FieldInfo *f = find_field(name);
  auto v = read_field(p, *f);
  return v ? field_value_to_string(*v, *f) : "<absent>";
}

uint16_t be16(const std::vector<uint8_t> &f, size_t at) {
  return static_cast<uint16_t>(f[at] << 8 | f[at + 1]);
}

// One's-complement sum of a range, folded: 0xffff when the checksum inside
// it is right.
uint16_t ones_sum(const uint8_t *p, size_t n, uint32_t acc = 0) {
  for (size_t i = 0; i + 1 < n; i += 2)
    acc += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1)
    acc += static_cast<uint32_t>(p[n - 1] << 8);
  while (acc >> 16)
    acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(acc);
}

TEST(PacketBuilder, EmptyPacketIsMinimalIpv4) {
  auto f = frame({});
  ASSERT_EQ(f.size(), 60u);
  psl_pkt p = decode(f);
  EXPECT_EQ(field(p, "eth.type"), "0x0800");
  EXPECT_EQ(field(p, "eth.src"), "02:00:00:00:00:01");
  EXPECT_EQ(field(p, "eth.dst"), "02:00:00:00:00:02");
  EXPECT_EQ(field(p, "ip.version"), "4");
  EXPECT_EQ(field(p, "ip.src"), "192.0.2.1");
  EXPECT_EQ(field(p, "ip.dst"), "192.0.2.2");
  EXPECT_EQ(field(p, "ip.ttl"), "64");
  EXPECT_EQ(field(p, "ip.proto"), "proto(253)");
  EXPECT_EQ(field(p, "ip.len"), "20");
  EXPECT_EQ(field(p, "ip.frag"), "false");
  EXPECT_EQ(field(p, "tcp.dport"), "<absent>");
  EXPECT_EQ(field(p, "udp.dport"), "<absent>");
  EXPECT_EQ(field(p, "vlan.id"), "<absent>");
  EXPECT_EQ(ones_sum(&f[14], 20), 0xffff);
}

TEST(PacketBuilder, TcpDefaultsAndFlags) {
  auto f = frame(
      {{"tcp.syn", yes()}, {"tcp.ack", yes()}, {"ip.src", ip("203.0.113.7")}});
  psl_pkt p = decode(f);
  EXPECT_EQ(field(p, "ip.proto"), "tcp");
  EXPECT_EQ(field(p, "tcp.sport"), "40000");
  EXPECT_EQ(field(p, "tcp.dport"), "80");
  EXPECT_EQ(field(p, "tcp.window"), "64240");
  EXPECT_EQ(field(p, "tcp.syn"), "true");
  EXPECT_EQ(field(p, "tcp.ack"), "true");
  EXPECT_EQ(field(p, "tcp.fin"), "false");
  EXPECT_EQ(field(p, "tcp.rst"), "false");
  EXPECT_EQ(field(p, "l4.dport"), "80");
  EXPECT_EQ(p.tcp_flags, PSL_TCP_SYN | PSL_TCP_ACK);
  EXPECT_EQ(field(p, "ip.len"), "40");
  EXPECT_EQ(field(p, "ip.src"), "203.0.113.7");
  // TCP checksum over the pseudo-header and segment.
  uint32_t acc = 0;
  acc += ones_sum(&f[14 + 12], 8); // addresses
  acc += 6 + 20;
  EXPECT_EQ(ones_sum(&f[34], 20, acc), 0xffff);
}

TEST(PacketBuilder, UdpLengthsAndChecksum) {
  auto f = frame({{"udp.dport", num(53)}, {"udp.len", num(100)}});
  psl_pkt p = decode(f);
  EXPECT_EQ(field(p, "udp.sport"), "40000");
  EXPECT_EQ(field(p, "udp.len"), "100");
  EXPECT_EQ(field(p, "ip.len"), "120");
  EXPECT_EQ(f.size(), 14u + 120u);
  uint32_t acc = ones_sum(&f[14 + 12], 8);
  acc += 17 + 100;
  EXPECT_EQ(ones_sum(&f[34], 100, acc), 0xffff);

  // ip.len grows the UDP payload when udp.len is not given.
  p = decode(frame({{"udp.dport", num(53)}, {"ip.len", num(60)}}));
  EXPECT_EQ(field(p, "udp.len"), "40");
  // Both: the UDP datagram is shorter than the IP payload.
  p = decode(frame(
      {{"udp.dport", num(53)}, {"ip.len", num(600)}, {"udp.len", num(60)}}));
  EXPECT_EQ(field(p, "udp.len"), "60");
  EXPECT_EQ(field(p, "ip.len"), "600");
}

TEST(PacketBuilder, L4FieldsPickTcpUnlessUdpSaysOtherwise) {
  EXPECT_EQ(field(decode(frame({{"l4.dport", num(53)}})), "ip.proto"), "tcp");
  psl_pkt p = decode(frame({{"l4.dport", num(53)}, {"udp.sport", num(1)}}));
  EXPECT_EQ(field(p, "ip.proto"), "udp");
  EXPECT_EQ(field(p, "udp.dport"), "53");
  p = decode(frame({{"ip.proto", proto(17)}, {"l4.sport", num(9)}}));
  EXPECT_EQ(field(p, "udp.sport"), "9");
  p = decode(frame({{"tcp.dport", num(7)}, {"l4.dport", num(7)}}));
  EXPECT_EQ(field(p, "tcp.dport"), "7");
}

TEST(PacketBuilder, Icmp) {
  auto f = frame({{"icmp.type", icmp(3)}, {"icmp.code", num(4)}});
  psl_pkt p = decode(f);
  EXPECT_EQ(field(p, "icmp.type"), "dest_unreachable");
  EXPECT_EQ(field(p, "icmp.code"), "4");
  EXPECT_EQ(ones_sum(&f[34], 8), 0xffff);
  p = decode(frame({{"ip.proto", proto(1)}}));
  EXPECT_EQ(field(p, "icmp.type"), "echo_request");

  f = frame({{"icmp6.type", icmp6(135)}, {"ip.ttl", num(255)}});
  p = decode(f);
  EXPECT_EQ(field(p, "ip.version"), "6");
  EXPECT_EQ(field(p, "ip.src"), "2001:db8::1");
  EXPECT_EQ(field(p, "ip.dst"), "2001:db8::2");
  EXPECT_EQ(field(p, "icmp6.type"), "neighbor_solicitation");
  EXPECT_EQ(field(p, "ip.ttl"), "255");
  uint32_t acc = ones_sum(&f[14 + 8], 32);
  acc += 58 + 8;
  EXPECT_EQ(ones_sum(&f[54], 8, acc), 0xffff);
  EXPECT_EQ(
      field(decode(frame({{"ip.proto", proto(58)}, {"ip.version", num(6)}})),
            "icmp6.type"),
      "echo_request");
}

TEST(PacketBuilder, EthernetVlanArp) {
  auto f = frame({{"vlan.id", num(100)},
                  {"eth.src", mac("aa:bb:cc:dd:ee:ff")},
                  {"udp.dport", num(53)}});
  psl_pkt p = decode(f);
  EXPECT_EQ(field(p, "vlan.id"), "100");
  EXPECT_EQ(field(p, "eth.type"), "0x0800");
  EXPECT_EQ(field(p, "eth.src"), "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(be16(f, 12), 0x8100);

  f = frame({{"eth.type", num(0x0806)}});
  p = decode(f);
  EXPECT_EQ(f.size(), 60u);
  EXPECT_EQ(field(p, "eth.type"), "0x0806");
  EXPECT_EQ(field(p, "ip.src"), "<absent>");
  EXPECT_EQ(be16(f, 14), 1);      // ARP hardware type Ethernet
  EXPECT_EQ(be16(f, 16), 0x0800); // protocol IPv4

  p = decode(frame({{"eth.type", num(0x86dd)}}));
  EXPECT_EQ(field(p, "ip.version"), "6");
  p = decode(frame({{"eth.type", num(0x88cc)}, {"pkt.len", num(100)}}));
  EXPECT_EQ(field(p, "pkt.len"), "100");
  EXPECT_EQ(field(p, "ip.version"), "<absent>");
}

TEST(PacketBuilder, LengthsAndPadding) {
  psl_pkt p = decode(frame({{"pkt.len", num(1000)}, {"tcp.dport", num(1)}}));
  EXPECT_EQ(field(p, "pkt.len"), "1000");
  EXPECT_EQ(field(p, "ip.len"), "986"); // the datagram fills the frame
  p = decode(frame({{"pkt.len", num(1000)}, {"ip.len", num(100)}}));
  EXPECT_EQ(field(p, "pkt.len"), "1000");
  EXPECT_EQ(field(p, "ip.len"), "100");
  p = decode(frame(
      {{"ip.len", num(1500)}, {"ip.version", num(6)}, {"tcp.dport", num(1)}}));
  EXPECT_EQ(field(p, "ip.len"), "1500");
  EXPECT_EQ(field(p, "pkt.len"), "1514");
  // Small frames are padded to 60 bytes after the datagram.
  p = decode(frame({{"ip.len", num(20)}}));
  EXPECT_EQ(field(p, "pkt.len"), "60");
  EXPECT_EQ(field(p, "ip.len"), "20");
  p = decode(frame({{"pkt.len", num(34)}}));
  EXPECT_EQ(field(p, "pkt.len"), "34");
}

TEST(PacketBuilder, Ipv4Fragments) {
  auto f = frame({{"ip.frag", yes()},
                  {"ip.frag_off", num(0)},
                  {"ip.len", num(1500)},
                  {"udp.dport", num(53)}});
  psl_pkt p = decode(f);
  EXPECT_EQ(field(p, "ip.frag"), "true");
  EXPECT_EQ(field(p, "ip.frag_off"), "0");
  EXPECT_EQ(field(p, "udp.dport"), "53");
  EXPECT_EQ(be16(f, 14 + 6), 0x2000); // MF

  f = frame({{"ip.frag_off", num(1480)},
             {"ip.proto", proto(17)},
             {"ip.len", num(800)}});
  p = decode(f);
  EXPECT_EQ(field(p, "ip.frag"), "true");
  EXPECT_EQ(field(p, "ip.frag_off"), "1480");
  EXPECT_EQ(field(p, "ip.proto"), "udp");
  EXPECT_EQ(field(p, "udp.dport"), "<absent>");
  EXPECT_EQ(be16(f, 14 + 6), 1480 / 8);
}

TEST(PacketBuilder, Ipv6ExtensionHeaders) {
  psl_pkt p = decode(frame({{"ip6.hbh", yes()}, {"udp.dport", num(53)}}));
  EXPECT_EQ(field(p, "ip6.hbh"), "true");
  EXPECT_EQ(field(p, "ip6.ext_count"), "1");
  EXPECT_EQ(field(p, "ip.proto"), "udp");
  EXPECT_EQ(field(p, "udp.dport"), "53");

  p = decode(frame({{"ip6.rh_type", num(0)}, {"tcp.dport", num(80)}}));
  EXPECT_EQ(field(p, "ip6.rh_type"), "0");
  EXPECT_EQ(field(p, "ip6.ext_count"), "1");
  EXPECT_EQ(field(p, "tcp.dport"), "80");

  p = decode(frame({{"ip6.ext_count", num(6)}, {"udp.dport", num(53)}}));
  EXPECT_EQ(field(p, "ip6.ext_count"), "6");
  EXPECT_EQ(field(p, "ip6.hbh"), "false");
  EXPECT_EQ(field(p, "ip6.rh_type"), "<absent>");

  p = decode(frame({{"ip6.hbh", yes()},
                    {"ip6.rh_type", num(2)},
                    {"ip.frag", yes()},
                    {"ip6.ext_count", num(8)},
                    {"icmp6.type", icmp6(128)}}));
  EXPECT_EQ(field(p, "ip6.ext_count"), "8");
  EXPECT_EQ(field(p, "ip6.rh_type"), "2");
  EXPECT_EQ(field(p, "ip.frag"), "true");
  EXPECT_EQ(field(p, "icmp6.type"), "echo_request");

  p = decode(frame({{"ip.src", ip("2001:db8:1::1")},
                    {"ip.frag_off", num(1448)},
                    {"ip.proto", proto(17)},
                    {"ip.len", num(1500)}}));
  EXPECT_EQ(field(p, "ip.frag_off"), "1448");
  EXPECT_EQ(field(p, "ip.proto"), "udp");
  EXPECT_EQ(field(p, "ip.len"), "1500");
  EXPECT_EQ(field(p, "ip6.ext_count"), "1");
}

TEST(PacketBuilder, ValuesRoundTrip) {
  // Every field set to a non-default value, in groups that fit together.
  const std::vector<Fields> cases = {
      {{"eth.dst", mac("01:00:5e:00:00:01")},
       {"ip.tos", num(0xb8)},
       {"ip.ttl", num(1)},
       {"ip.dst", ip("224.0.0.5")},
       {"tcp.sport", num(1)},
       {"tcp.dport", num(65535)},
       {"tcp.fin", yes()},
       {"tcp.psh", yes()},
       {"tcp.urg", yes()},
       {"tcp.rst", yes()},
       {"tcp.window", num(0)}},
      {{"ip.version", num(6)},
       {"ip.tos", num(0xff)},
       {"ip.dst", ip("ff02::1:ff00:1")},
       {"udp.sport", num(0)},
       {"udp.dport", num(0)},
       {"udp.len", num(8)}},
      {{"vlan.id", num(4095)},
       {"ip.src", ip("::")},
       {"icmp6.type", icmp6(2)},
       {"icmp6.code", num(255)}},
      {{"vlan.id", num(0)}, {"ip.proto", proto(47)}, {"ip.ttl", num(0)}},
  };
  for (const Fields &c : cases) {
    BuiltPacket b = build_packet(fields_of(c));
    ASSERT_TRUE(b.ok()) << b.error->message;
    psl_pkt p = decode(b.frame);
    for (const auto &[name, value] : c) {
      const FieldInfo *f = find_field(name);
      auto got = read_field(p, *f);
      ASSERT_TRUE(got) << name;
      EXPECT_EQ(*got, *scalar_of(value)) << name;
    }
  }
}

TEST(PacketBuilder, ImpossiblePacketsNameTheField) {
  EXPECT_EQ(build_error({{"ip.len", num(10)}, {"tcp.dport", num(1)}}),
            "cannot build a packet with ip.len = 10: the headers alone are 40 "
            "bytes (IPv4 "
            "header 20, TCP header 20)");
  EXPECT_EQ(build_error({{"tcp.dport", num(1)}, {"udp.dport", num(2)}}),
            "cannot build a packet with udp.dport = 2: the packet is tcp "
            "('tcp.dport' = 1)");
  EXPECT_EQ(
      build_error({{"ip.src", ip("10.0.0.1")}, {"ip.dst", ip("2001:db8::1")}}),
      "cannot build a packet with ip.dst = 2001:db8::1: the packet is IPv4 "
      "('ip.src' = "
      "10.0.0.1)");
  EXPECT_EQ(build_error({{"icmp.type", icmp(8)}, {"ip6.hbh", yes()}}),
            "cannot build a packet with ip6.hbh = true: the packet is IPv4 "
            "('icmp.type' = "
            "echo_request)");
  EXPECT_EQ(build_error({{"ip.frag_off", num(7)}}),
            "cannot build a packet with ip.frag_off = 7: fragment offsets are "
            "multiples of 8 "
            "bytes");
  EXPECT_EQ(build_error({{"ip.frag_off", num(8)}, {"tcp.dport", num(22)}}),
            "cannot build a packet with tcp.dport = 22: a non-first fragment "
            "(ip.frag_off = 8) "
            "carries no transport header");
  EXPECT_EQ(build_error({{"ip.frag", Value{false}}, {"ip.frag_off", num(8)}}),
            "cannot build a packet with ip.frag_off = 8: a packet that is not "
            "a fragment "
            "(ip.frag = false) has offset 0");
  EXPECT_EQ(build_error({{"ip6.ext_count", num(9)}}),
            "cannot build a packet with ip6.ext_count = 9: the decoder walks "
            "at most 8 "
            "extension headers and finds more malformed");
  EXPECT_EQ(build_error({{"ip6.ext_count", num(1)},
                         {"ip6.hbh", yes()},
                         {"ip6.rh_type", num(0)}}),
            "cannot build a packet with ip6.ext_count = 1: the packet has 2 "
            "extension headers "
            "(hop-by-hop, routing)");
  EXPECT_EQ(
      build_error({{"eth.type", num(0x0806)}, {"ip.src", ip("10.0.0.1")}}),
      "cannot build a packet with eth.type = 0x0806: that is not IP, but "
      "'ip.src' needs "
      "an IP packet");
  EXPECT_EQ(build_error({{"eth.type", num(0x8100)}}),
            "cannot build a packet with eth.type = 0x8100: eth.type is the "
            "EtherType after the "
            "VLAN tags; set vlan.id for a tag");
  EXPECT_EQ(build_error({{"pkt.len", num(50)}, {"tcp.dport", num(1)}}),
            "cannot build a packet with pkt.len = 50: the headers alone are 54 "
            "bytes (Ethernet "
            "14, IPv4 header 20, TCP header 20)");
  EXPECT_EQ(build_error({{"pkt.len", num(10)}}),
            "cannot build a packet with pkt.len = 10: the Ethernet header "
            "alone is 14 bytes");
  EXPECT_EQ(build_error({{"pkt.len", num(100)}, {"ip.len", num(90)}}),
            "cannot build a packet with pkt.len = 100: the frame needs at "
            "least 104 bytes");
  EXPECT_EQ(
      build_error({{"ip.version", num(5)}}),
      "cannot build a packet with ip.version = 5: IP versions are 4 and 6");
  EXPECT_EQ(build_error({{"udp.len", num(4)}}),
            "cannot build a packet with udp.len = 4: the UDP header alone is 8 "
            "bytes");
  EXPECT_EQ(build_error({{"ip.version", num(6)}, {"ip.proto", proto(43)}}),
            "cannot build a packet with ip.proto = proto(43): on IPv6 ip.proto "
            "is the protocol "
            "after the extension headers; use ip6.hbh, ip6.rh_type, "
            "ip6.ext_count or ip.frag "
            "for those");
  EXPECT_EQ(build_error({{"ip.len", num(70000)}}),
            "cannot build a packet with ip.len = 70000: the IPv4 total length "
            "is at most 65535");
  EXPECT_EQ(build_error({{"tcp.sport", num(1)}, {"l4.sport", num(2)}}),
            "cannot build a packet with l4.sport = 2: the port is already 1 "
            "(tcp.sport)");
  EXPECT_EQ(build_error({{"tcp.dport", num(1)}, {"tcp.dport", num(2)}}),
            "cannot build a packet with tcp.dport = 2: the field is set twice");
}

// Through the real pipeline: the message uses the value as written and the
// range points at the assignment.
TEST(PacketBuilder, FromTestPacket) {
  auto m = check_source(
      "t.psl",
      "policy t {\n"
      "  test \"t\" {\n"
      "    packet { eth.type = 0x0806, ip.ttl = 3 } => pass\n"
      "    packet { ip.src = 2001:db8::5, icmp6.type = echo_request } => pass\n"
      "  }\n"
      "}\n");
  ASSERT_TRUE(m.ok()) << errors_of(m);
  const TestDecl &t = *m.module.policy->tests.at(0);
  BuiltPacket b = build_packet(*t.packets.at(0));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error->message,
            "cannot build a packet with eth.type = 0x0806: that is not IP, "
            "but 'ip.ttl' needs an IP packet");
  EXPECT_EQ(b.error->range.begin.line, 3u);
  EXPECT_EQ(b.error->range.begin.column, 14u);
  b = build_packet(*t.packets.at(1));
  ASSERT_TRUE(b.ok());
  psl_pkt p = decode(b.frame);
  EXPECT_EQ(field(p, "icmp6.type"), "echo_request");
  EXPECT_EQ(field(p, "ip.src"), "2001:db8::5");
}

} // namespace
