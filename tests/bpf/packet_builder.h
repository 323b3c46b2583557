// Frames for the compiled-policy tests: every field PSL reads can be set,
// plus VLAN tags, IPv6 extension headers, fragments and truncation.
// Checksums stay zero (XDP sees frames before anything checks them).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace psl::bpftest {

struct Ip6Ext {
  uint8_t type;          // 0 hop-by-hop, 43 routing, 44 fragment, 60 dest opts
  uint8_t rh_type = 0;   // routing header type
  uint16_t frag_off = 0; // fragment: offset in bytes (multiple of 8)
  bool more = false;     // fragment: M flag
};

struct Pkt {
  std::array<uint8_t, 6> eth_dst{0x02, 0, 0, 0, 0, 1};
  std::array<uint8_t, 6> eth_src{0x02, 0, 0, 0, 0, 2};
  std::vector<uint16_t> vlans; // VIDs, outermost first (0x8100 each)
  uint16_t eth_type = 0;       // 0: from the IP version
  int ip_version = 4;          // 0: no IP (eth_type must be set)
  std::string src = "192.0.2.2", dst = "192.0.2.1";
  uint8_t ttl = 64, tos = 0;
  bool mf = false;         // IPv4 more-fragments
  uint16_t frag_off = 0;   // IPv4 fragment offset in bytes
  std::vector<Ip6Ext> ext; // IPv6 extension headers in order
  uint8_t proto = 17;      // 6 tcp, 17 udp, 1 icmp, 58 icmpv6, other: payload
  uint16_t sport = 40000, dport = 53;
  uint8_t tcp_flags = 0x02; // SYN
  uint16_t window = 1024;
  uint8_t icmp_type = 8, icmp_code = 0;
  size_t payload = 16;
  size_t truncate = 0;      // cut the frame to this many bytes (0: keep)
  bool bad_udp_len = false; // UDP length 4 (malformed)
};

std::vector<uint8_t> build(const Pkt &p);

} // namespace psl::bpftest
