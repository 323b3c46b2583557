#include "frames.h"
#include "wire_bytes.h"

namespace psl::difftest {

namespace {

using bpftest::put16;
using bpftest::set16;

// Clamped to the 16 bits of a length field, so deltas can push a length
// past either end without wrapping into a plausible value by accident.
uint16_t clamp16(long v) {
  return static_cast<uint16_t>(v < 0 ? 0 : v > 0xffff ? 0xffff : v);
}

std::vector<uint8_t> transport(const Frame &f, int version) {
  std::vector<uint8_t> b;
  const bool icmp =
      (f.proto == 1 && version == 4) || (f.proto == 58 && version == 6);
  if (f.proto == 6) {
    put16(b, f.sport);
    put16(b, f.dport);
    b.insert(b.end(), 8, 0); // seq, ack
    b.push_back(static_cast<uint8_t>(f.tcp_doff << 4));
    b.push_back(f.tcp_flags);
    put16(b, f.window);
    b.insert(b.end(), 4, 0); // checksum, urgent pointer
    if (f.tcp_doff > 5)
      b.insert(b.end(), (f.tcp_doff - 5) * 4u, 1); // NOP options
  } else if (f.proto == 17) {
    put16(b, f.sport);
    put16(b, f.dport);
    put16(b, clamp16(8 + static_cast<long>(f.payload) + f.udp_len_delta));
    put16(b, 0);
  } else if (icmp) {
    b.push_back(f.icmp_type);
    b.push_back(f.icmp_code);
    b.insert(b.end(), 6, 0);
  }
  b.insert(b.end(), f.payload, 0xab);
  return b;
}

std::vector<uint8_t> ip6_extensions(const Frame &f) {
  std::vector<uint8_t> b;
  for (size_t i = 0; i < f.ext.size(); ++i) {
    const Ip6ExtHeader &e = f.ext[i];
    uint8_t next = i + 1 < f.ext.size() ? f.ext[i + 1].type : f.proto;
    size_t len = e.type == 44   ? 8
                 : e.type == 51 ? (e.len_units + 2u) * 4u
                                : (e.len_units + 1u) * 8u;
    size_t at = b.size();
    b.insert(b.end(), len, 0);
    b[at] = next;
    b[at + 1] = e.type == 44 ? 0 : e.len_units;
    if (e.type == 43) {
      b[at + 2] = e.rh_type;
    } else if (e.type == 44) {
      set16(b, at + 2,
            static_cast<uint16_t>((e.frag_off & 0xfff8) | (e.more ? 1 : 0)));
      b[at + 7] = 1; // identification
    } else if (e.type == 0 || e.type == 60) {
      b[at + 2] = 1; // PadN over the rest of the header
      b[at + 3] = static_cast<uint8_t>(len - 4);
    }
  }
  return b;
}

} // namespace

std::vector<uint8_t> build_frame(const Frame &f) {
  std::vector<uint8_t> b(f.eth_dst.begin(), f.eth_dst.end());
  b.insert(b.end(), f.eth_src.begin(), f.eth_src.end());
  for (auto [tpid, tci] : f.vlans) {
    put16(b, tpid);
    put16(b, tci);
  }
  put16(b, f.eth_type);
  if (f.eth_type == 0x0800) {
    std::vector<uint8_t> up = transport(f, 4);
    const size_t hlen = f.ihl * 4u;
    const uint8_t nibble =
        f.version_nibble >= 0 ? static_cast<uint8_t>(f.version_nibble) : 4;
    b.push_back(static_cast<uint8_t>((nibble << 4) | (f.ihl & 0x0f)));
    b.push_back(f.tos);
    put16(b, clamp16(static_cast<long>(hlen + up.size()) + f.ip_len_delta));
    put16(b, 0x1234);
    put16(b, static_cast<uint16_t>((f.df ? 0x4000 : 0) | (f.mf ? 0x2000 : 0) |
                                   ((f.frag_off >> 3) & 0x1fff)));
    b.push_back(f.ttl);
    b.push_back(f.proto);
    put16(b, 0);
    b.insert(b.end(), f.src.begin(), f.src.begin() + 4);
    b.insert(b.end(), f.dst.begin(), f.dst.begin() + 4);
    if (hlen > 20)
      b.insert(b.end(), hlen - 20, 1); // NOP options
    b.insert(b.end(), up.begin(), up.end());
  } else if (f.eth_type == 0x86dd) {
    std::vector<uint8_t> ext = ip6_extensions(f);
    std::vector<uint8_t> up = transport(f, 6);
    const uint8_t nibble =
        f.version_nibble >= 0 ? static_cast<uint8_t>(f.version_nibble) : 6;
    b.push_back(static_cast<uint8_t>((nibble << 4) | (f.tos >> 4)));
    b.push_back(static_cast<uint8_t>(f.tos << 4));
    put16(b, 0); // flow label
    put16(b,
          clamp16(static_cast<long>(ext.size() + up.size()) + f.ip_len_delta));
    b.push_back(f.ext.empty() ? f.proto : f.ext[0].type);
    b.push_back(f.ttl);
    b.insert(b.end(), f.src.begin(), f.src.end());
    b.insert(b.end(), f.dst.begin(), f.dst.end());
    b.insert(b.end(), ext.begin(), ext.end());
    b.insert(b.end(), up.begin(), up.end());
  } else {
    b.insert(b.end(), f.payload, 0); // an ARP body or anything else
  }
  if (b.size() < f.pad_to)
    b.resize(f.pad_to, 0);
  return b;
}

} // namespace psl::difftest
