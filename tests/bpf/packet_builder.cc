#include "packet_builder.h"
#include "wire_bytes.h"

#include <arpa/inet.h>
#include <stdexcept>

namespace psl::bpftest {

namespace {

void addr(int family, const std::string &s, std::vector<uint8_t> &b) {
  uint8_t buf[16];
  if (inet_pton(family == 6 ? AF_INET6 : AF_INET, s.c_str(), buf) != 1)
    throw std::runtime_error("bad address " + s);
  b.insert(b.end(), buf, buf + (family == 6 ? 16 : 4));
}

std::vector<uint8_t> l4(const Pkt &p) {
  std::vector<uint8_t> b;
  switch (p.proto) {
  case 6:
    put16(b, p.sport);
    put16(b, p.dport);
    b.insert(b.end(), 8, 0); // seq, ack
    b.push_back(5 << 4);     // data offset
    b.push_back(p.tcp_flags);
    put16(b, p.window);
    b.insert(b.end(), 4, 0); // checksum, urgent
    break;
  case 17:
    put16(b, p.sport);
    put16(b, p.dport);
    put16(b, static_cast<uint16_t>(p.bad_udp_len ? 4 : 8 + p.payload));
    put16(b, 0);
    break;
  case 1:
  case 58:
    b.push_back(p.icmp_type);
    b.push_back(p.icmp_code);
    b.insert(b.end(), 6, 0);
    break;
  default:
    break;
  }
  b.insert(b.end(), p.payload, 0xab);
  return b;
}

} // namespace

std::vector<uint8_t> build(const Pkt &p) {
  std::vector<uint8_t> f(p.eth_dst.begin(), p.eth_dst.end());
  f.insert(f.end(), p.eth_src.begin(), p.eth_src.end());
  for (uint16_t vid : p.vlans) {
    put16(f, 0x8100);
    put16(f, vid & 0x0fff);
  }
  uint16_t et = p.eth_type          ? p.eth_type
                : p.ip_version == 6 ? 0x86dd
                : p.ip_version == 4 ? 0x0800
                                    : 0x0806;
  put16(f, et);
  std::vector<uint8_t> upper = l4(p);
  if (p.ip_version == 4) {
    size_t h = f.size();
    f.push_back(0x45);
    f.push_back(p.tos);
    put16(f, static_cast<uint16_t>(20 + upper.size()));
    put16(f, 0x1234);
    put16(f, static_cast<uint16_t>((p.mf ? 0x2000 : 0) | (p.frag_off / 8)));
    f.push_back(p.ttl);
    f.push_back(p.proto);
    put16(f, 0);
    addr(4, p.src, f);
    addr(4, p.dst, f);
    (void)h;
    f.insert(f.end(), upper.begin(), upper.end());
  } else if (p.ip_version == 6) {
    std::vector<uint8_t> exts;
    for (size_t i = 0; i < p.ext.size(); ++i) {
      uint8_t next = i + 1 < p.ext.size() ? p.ext[i + 1].type : p.proto;
      const Ip6Ext &e = p.ext[i];
      if (e.type == 44) {
        exts.push_back(next);
        exts.push_back(0);
        put16(exts,
              static_cast<uint16_t>((e.frag_off & 0xfff8) | (e.more ? 1 : 0)));
        exts.insert(exts.end(), {0, 0, 0, 1});
      } else if (e.type == 43) {
        exts.push_back(next);
        exts.push_back(0); // 8 bytes
        exts.push_back(e.rh_type);
        exts.push_back(0); // segments left
        exts.insert(exts.end(), 4, 0);
      } else {
        exts.push_back(next);
        exts.push_back(0);
        exts.insert(exts.end(), {1, 4, 0, 0, 0, 0}); // PadN
      }
    }
    f.push_back(static_cast<uint8_t>(0x60 | (p.tos >> 4)));
    f.push_back(static_cast<uint8_t>(p.tos << 4));
    put16(f, 0);
    put16(f, static_cast<uint16_t>(exts.size() + upper.size()));
    f.push_back(p.ext.empty() ? p.proto : p.ext[0].type);
    f.push_back(p.ttl);
    addr(6, p.src, f);
    addr(6, p.dst, f);
    f.insert(f.end(), exts.begin(), exts.end());
    f.insert(f.end(), upper.begin(), upper.end());
  } else {
    f.insert(f.end(), 46, 0); // ARP-ish filler
  }
  if (p.truncate && p.truncate < f.size())
    f.resize(p.truncate);
  (void)set16;
  return f;
}

} // namespace psl::bpftest
