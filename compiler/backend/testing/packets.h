// Hand-built Ethernet frames for BPF_PROG_TEST_RUN tests. Checksums are
// left zero: XDP programs see the frame before anything validates them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace psl::backend::testing {

struct FrameSpec {
  uint8_t ip_proto = 17; // 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6
  uint16_t sport = 40000;
  uint16_t dport = 53;
  uint8_t icmp_type = 8;
  uint8_t ttl = 64;
  size_t payload = 16;
};

// IPv4 192.0.2.2 -> 192.0.2.1.
std::vector<uint8_t> ipv4_frame(const FrameSpec &spec);
// IPv6 2001:db8::2 -> 2001:db8::1.
std::vector<uint8_t> ipv6_frame(const FrameSpec &spec);

inline std::vector<uint8_t> udp4(uint16_t dport) {
  FrameSpec s;
  s.dport = dport;
  return ipv4_frame(s);
}
inline std::vector<uint8_t> tcp4(uint16_t dport) {
  FrameSpec s;
  s.ip_proto = 6;
  s.dport = dport;
  return ipv4_frame(s);
}
inline std::vector<uint8_t> udp6(uint16_t dport) {
  FrameSpec s;
  s.dport = dport;
  return ipv6_frame(s);
}

} // namespace psl::backend::testing
