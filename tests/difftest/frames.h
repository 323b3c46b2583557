// Ethernet frames with every header field PSL reads under control, in
// valid and deliberately broken forms: VLAN tags of either TPID (up to
// three, one more than the parser walks), IPv4 options and inconsistent
// lengths, IPv6 extension chains (hop-by-hop anywhere, routing, fragment,
// destination options, AH with odd lengths, too many headers), TCP data
// offsets below 5 and past the datagram, UDP lengths too short or too
// long, Ethernet padding. Checksums stay zero: XDP sees the frame before
// anything validates them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace psl::difftest {

struct Ip6ExtHeader {
  uint8_t type =
      60; // 0 hop-by-hop, 43 routing, 44 fragment, 51 AH, 60 dest opts
  uint8_t len_units = 0; // the header's length byte (8-byte units beyond the
                         // first 8; AH: 4-byte units minus 2)
  uint8_t rh_type = 0;   // routing: routing type
  uint16_t frag_off = 0; // fragment: offset in bytes (low 3 bits dropped)
  bool more = false;     // fragment: M flag
};

struct Frame {
  std::array<uint8_t, 6> eth_dst{0x02, 0, 0, 0, 0, 1};
  std::array<uint8_t, 6> eth_src{0x02, 0, 0, 0, 0, 2};
  std::vector<std::pair<uint16_t, uint16_t>>
      vlans; // (TPID, TCI), outermost first
  uint16_t eth_type =
      0x0800; // after the tags; 0x0800 and 0x86dd get an IP header

  // IP, both families.
  std::array<uint8_t, 16> src{}, dst{}; // IPv4 in the first 4 bytes
  uint8_t ttl = 64, tos = 0, proto = 17;
  int version_nibble = -1; // -1: the right one (4 or 6)
  // IPv4
  uint8_t ihl = 5; // 32-bit words; > 5 adds option bytes
  bool df = false, mf = false;
  uint16_t frag_off = 0; // bytes (low 3 bits dropped)
  int ip_len_delta = 0;  // added to the true total/payload length
  // IPv6
  std::vector<Ip6ExtHeader> ext; // in order; the last's next header is `proto`

  // L4 (by proto: 6 TCP, 17 UDP, 1/58 ICMP; anything else payload only).
  uint16_t sport = 40000, dport = 53;
  uint8_t tcp_flags = 0x02, tcp_doff = 5; // data offset in words
  uint16_t window = 1024;
  int udp_len_delta = 0; // added to the true UDP length
  uint8_t icmp_type = 8, icmp_code = 0;
  size_t payload = 16;

  size_t pad_to = 0; // append zero bytes after the datagram up to this length
};

std::vector<uint8_t> build_frame(const Frame &f);

} // namespace psl::difftest
