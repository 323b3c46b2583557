#include "backend/testing/packets.h"

namespace psl::backend::testing {
namespace {

void put16(std::vector<uint8_t> &out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v & 0xff));
}

void ethernet(std::vector<uint8_t> &out, uint16_t ether_type) {
  const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x01};
  const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x02};
  out.insert(out.end(), dst, dst + 6);
  out.insert(out.end(), src, src + 6);
  put16(out, ether_type);
}

// The L4 header and payload for `spec`.
std::vector<uint8_t> transport(const FrameSpec &spec) {
  std::vector<uint8_t> l4;
  switch (spec.ip_proto) {
  case 6: // TCP, SYN, data offset 5
    put16(l4, spec.sport);
    put16(l4, spec.dport);
    l4.insert(l4.end(), 8, 0); // seq, ack
    l4.push_back(0x50);
    l4.push_back(0x02);
    put16(l4, 65535); // window
    l4.insert(l4.end(), 4, 0);
    break;
  case 17: // UDP
    put16(l4, spec.sport);
    put16(l4, spec.dport);
    put16(l4, static_cast<uint16_t>(8 + spec.payload));
    put16(l4, 0);
    break;
  default: // ICMP / ICMPv6 / anything: type, code, checksum, rest
    l4.push_back(spec.icmp_type);
    l4.insert(l4.end(), 7, 0);
    break;
  }
  l4.insert(l4.end(), spec.payload, 0xab);
  return l4;
}

} // namespace

std::vector<uint8_t> ipv4_frame(const FrameSpec &spec) {
  std::vector<uint8_t> out;
  ethernet(out, 0x0800);
  const std::vector<uint8_t> l4 = transport(spec);
  out.push_back(0x45); // version 4, IHL 5
  out.push_back(0);
  put16(out, static_cast<uint16_t>(20 + l4.size()));
  put16(out, 1);      // id
  put16(out, 0x4000); // DF
  out.push_back(spec.ttl);
  out.push_back(spec.ip_proto);
  put16(out, 0);
  const uint8_t src[4] = {192, 0, 2, 2}, dst[4] = {192, 0, 2, 1};
  out.insert(out.end(), src, src + 4);
  out.insert(out.end(), dst, dst + 4);
  out.insert(out.end(), l4.begin(), l4.end());
  return out;
}

std::vector<uint8_t> ipv6_frame(const FrameSpec &spec) {
  std::vector<uint8_t> out;
  ethernet(out, 0x86DD);
  const std::vector<uint8_t> l4 = transport(spec);
  out.push_back(0x60);
  out.insert(out.end(), 3, 0);
  put16(out, static_cast<uint16_t>(l4.size()));
  out.push_back(spec.ip_proto);
  out.push_back(spec.ttl);
  uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8},
          dst[16] = {0x20, 0x01, 0x0d, 0xb8};
  src[15] = 2;
  dst[15] = 1;
  out.insert(out.end(), src, src + 16);
  out.insert(out.end(), dst, dst + 16);
  out.insert(out.end(), l4.begin(), l4.end());
  return out;
}

} // namespace psl::backend::testing
