#include "interp/packet_builder.h"

#include <algorithm>
#include <map>

#include "diag/diagnostics.h"
#include "interp/interpreter.h"
#include "psl_parse.h"

namespace psl::interp {

namespace {

constexpr uint16_t kEthIpv4 = 0x0800;
constexpr uint16_t kEthIpv6 = 0x86dd;
constexpr uint16_t kEthArp = 0x0806;
constexpr uint16_t kEthVlan = 0x8100;
constexpr uint16_t kEthQinQ = 0x88a8;
constexpr uint8_t kProtoNone = 253; // RFC 3692: experimentation and testing
constexpr size_t kMinFrame = 60;    // Ethernet minimum without the FCS
constexpr size_t kMaxFrame = 1 << 17;

struct Failure {
  BuildError error;
};

void put16(std::vector<uint8_t> &b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
void put32(std::vector<uint8_t> &b, size_t at, uint32_t v) {
  put16(b, at, static_cast<uint16_t>(v >> 16));
  put16(b, at + 2, static_cast<uint16_t>(v));
}

// RFC 1071 one's-complement sum, not yet folded or inverted.
uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc = 0) {
  for (size_t i = 0; i + 1 < n; i += 2)
    acc += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1)
    acc += static_cast<uint32_t>(p[n - 1] << 8);
  return acc;
}
uint16_t fold(uint32_t acc) {
  while (acc >> 16)
    acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(~acc);
}

std::string proto_name(int p) {
  return value_to_string(Value{ProtoValue{static_cast<uint8_t>(p)}},
                         Type::of(TypeKind::Proto));
}

std::string quoted(const std::string &s) { return "'" + s + "'"; }

class Builder {
public:
  explicit Builder(const std::vector<FieldAssign> &fields) : fields_(fields) {
    for (const FieldAssign &a : fields) {
      if (!a.field)
        throw InternalError("test packet field without a field table entry");
      if (!asked_.emplace(a.field->id, &a).second)
        fail(a, "the field is set twice");
    }
  }

  std::vector<uint8_t> build() {
    decide_layers();
    std::vector<uint8_t> frame = assemble();
    verify(frame);
    return frame;
  }

private:
  // ------------------------------------------------------------- helpers

  [[noreturn]] void fail(const FieldAssign &a, const std::string &why) const {
    throw Failure{BuildError{"cannot build a packet with " +
                                 std::string(a.field->name) + " = " +
                                 a.spelling + ": " + why,
                             a.range}};
  }
  [[noreturn]] void fail(FieldId id, const std::string &why) const {
    fail(*asked_.at(id), why);
  }

  const FieldAssign *get(FieldId id) const {
    auto it = asked_.find(id);
    return it == asked_.end() ? nullptr : it->second;
  }
  bool has(FieldId id) const { return asked_.count(id) != 0; }

  std::optional<uint64_t> num(FieldId id) const {
    const FieldAssign *a = get(id);
    if (!a)
      return std::nullopt;
    auto v = scalar_of(a->value);
    if (!v || v->kind != FieldValue::Kind::Int)
      fail(*a, "the value is not a number");
    return v->num;
  }
  const IpAddr *ip(FieldId id) const {
    const FieldAssign *a = get(id);
    if (!a)
      return nullptr;
    auto *p = std::get_if<IpAddr>(&a->value.v);
    if (!p)
      fail(*a, "the value is not an address");
    return p;
  }
  const MacAddr *mac(FieldId id) const {
    const FieldAssign *a = get(id);
    if (!a)
      return nullptr;
    auto *p = std::get_if<MacAddr>(&a->value.v);
    if (!p)
      fail(*a, "the value is not a MAC address");
    return p;
  }

  // ------------------------------------------------------------- layers

  static bool needs_ip(Guard g) { return g != Guard::None && g != Guard::Vlan; }

  void claim_family(int fam, const FieldAssign &by) {
    if (family_ == 0) {
      family_ = fam;
      family_by_ = &by;
    } else if (family_ != fam) {
      fail(by, "the packet is IPv" + std::to_string(family_) + " (" +
                   quoted(family_by_->field->name) + " = " +
                   family_by_->spelling + ")");
    }
  }

  // -2: TCP or UDP (l4.*), else a protocol number.
  void claim_proto(int p, const FieldAssign &by) {
    auto tcp_or_udp = [](int v) { return v == 6 || v == 17; };
    if (proto_ == -1 || (proto_ == -2 && tcp_or_udp(p))) {
      proto_ = p;
      proto_by_ = &by;
    } else if (p == -2 && tcp_or_udp(proto_)) {
      // l4.* fits the transport already chosen.
    } else if (proto_ != p) {
      std::string what =
          proto_ == -2 ? std::string("TCP or UDP") : proto_name(proto_);
      fail(by, "the packet is " + what + " (" + quoted(proto_by_->field->name) +
                   " = " + proto_by_->spelling + ")");
    }
  }

  void decide_layers() {
    const FieldAssign *ip_field = nullptr;
    for (const FieldAssign &a : fields_)
      if (needs_ip(a.field->guard) && !ip_field)
        ip_field = &a;

    if (auto t = num(FieldId::EthType)) {
      const FieldAssign &a = *get(FieldId::EthType);
      if (*t == kEthVlan || *t == kEthQinQ)
        fail(a, "eth.type is the EtherType after the VLAN tags; set vlan.id "
                "for a tag");
      if (*t != kEthIpv4 && *t != kEthIpv6) {
        if (ip_field)
          fail(a, "that is not IP, but " + quoted(ip_field->field->name) +
                      " needs an IP packet");
        is_ip_ = false;
        eth_type_ = static_cast<uint16_t>(*t);
      }
    }
    if (!is_ip_)
      return;

    for (const FieldAssign &a : fields_) {
      const FieldInfo &f = *a.field;
      switch (f.id) {
      case FieldId::IpVersion: {
        uint64_t v = *num(f.id);
        if (v != 4 && v != 6)
          fail(a, "IP versions are 4 and 6");
        claim_family(static_cast<int>(v), a);
        break;
      }
      case FieldId::IpSrc:
      case FieldId::IpDst:
        claim_family(ip(f.id)->family, a);
        break;
      case FieldId::EthType:
        claim_family(*num(f.id) == kEthIpv6 ? 6 : 4, a);
        break;
      default:
        if (f.guard == Guard::Icmp)
          claim_family(4, a);
        else if (f.guard == Guard::Icmp6 || f.guard == Guard::Ip6 ||
                 f.guard == Guard::Ip6Rh)
          claim_family(6, a);
        break;
      }
      switch (f.guard) {
      case Guard::Tcp:
        claim_proto(6, a);
        break;
      case Guard::Udp:
        claim_proto(17, a);
        break;
      case Guard::L4:
        claim_proto(-2, a);
        break;
      case Guard::Icmp:
        claim_proto(1, a);
        break;
      case Guard::Icmp6:
        claim_proto(58, a);
        break;
      default:
        if (f.id == FieldId::IpProto)
          claim_proto(static_cast<int>(*num(f.id)), a);
        break;
      }
    }
    if (family_ == 0)
      family_ = 4;
    if (proto_ == -2)
      proto_ = 6;
    if (proto_ == -1)
      proto_ = kProtoNone;

    if (family_ == 6 && psl_ip6_is_ext(static_cast<__u8>(proto_)) &&
        has(FieldId::IpProto))
      fail(FieldId::IpProto, "on IPv6 ip.proto is the protocol after the "
                             "extension headers; use ip6.hbh, "
                             "ip6.rh_type, ip6.ext_count or ip.frag for those");

    // Fragments.
    auto frag = num(FieldId::IpFrag);
    auto off = num(FieldId::IpFragOff);
    if (off && *off % 8 != 0)
      fail(FieldId::IpFragOff, "fragment offsets are multiples of 8 bytes");
    if (off && *off > 0xfff8)
      fail(FieldId::IpFragOff, "the largest fragment offset is 65528");
    if (frag && !*frag && off && *off > 0)
      fail(FieldId::IpFragOff,
           "a packet that is not a fragment (ip.frag = false) has offset 0");
    frag_ = frag ? *frag != 0 : (off && *off > 0);
    frag_off_ = static_cast<uint16_t>(off.value_or(0));
    if (frag_off_ > 0)
      for (const FieldAssign &a : fields_) {
        Guard g = a.field->guard;
        if (g == Guard::Tcp || g == Guard::Udp || g == Guard::L4 ||
            g == Guard::Icmp || g == Guard::Icmp6)
          fail(a, "a non-first fragment (ip.frag_off = " +
                      std::to_string(frag_off_) +
                      ") carries no transport header");
      }
    l4_header_ = frag_off_ == 0 && (proto_ == 6 || proto_ == 17 ||
                                    (proto_ == 1 && family_ == 4) ||
                                    (proto_ == 58 && family_ == 6));

    // IPv6 extension headers, in the order they are written.
    if (family_ == 6) {
      const bool hbh = num(FieldId::Ip6Hbh).value_or(0) != 0;
      const auto rh = num(FieldId::Ip6RhType);
      size_t need = (hbh ? 1 : 0) + (rh ? 1 : 0) + (frag_ ? 1 : 0);
      size_t fillers = 0;
      if (auto n = num(FieldId::Ip6ExtCount)) {
        if (*n > PSL_IP6_MAX_EXT)
          fail(FieldId::Ip6ExtCount,
               "the decoder walks at most " + std::to_string(PSL_IP6_MAX_EXT) +
                   " extension headers and finds more malformed");
        if (*n < need) {
          std::string list;
          auto add = [&](const char *s) {
            list += (list.empty() ? "" : ", ") + std::string(s);
          };
          if (hbh)
            add("hop-by-hop");
          if (rh)
            add("routing");
          if (frag_)
            add("fragment");
          fail(FieldId::Ip6ExtCount, "the packet has " + std::to_string(need) +
                                         " extension headers (" + list + ")");
        }
        fillers = *n - need;
      }
      if (hbh)
        ext_.push_back({0, 0});
      for (size_t i = 0; i < fillers; ++i)
        ext_.push_back({60, 0});
      if (rh)
        ext_.push_back({43, static_cast<uint8_t>(*rh)});
      if (frag_)
        ext_.push_back({44, 0});
    }
  }

  // -------------------------------------------------------------- bytes

  static std::vector<uint8_t> ext_header(uint8_t type, uint8_t arg,
                                         uint8_t next, uint16_t frag_field) {
    if (type == 43) { // routing: one address, segments left 0
      std::vector<uint8_t> h(24, 0);
      h[0] = next;
      h[1] = 2;
      h[2] = arg;
      h[3] = 0;
      static const uint8_t addr[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                       0,    0,    0,    0,    0, 0, 0, 2};
      std::copy(addr, addr + 16, h.begin() + 8);
      return h;
    }
    std::vector<uint8_t> h(8, 0);
    h[0] = next;
    if (type == 44) {
      put16(h, 2, frag_field);
      put32(h, 4, 1); // identification
    } else {
      // Hop-by-hop and destination options: one PadN option fills the
      // six option bytes (RFC 8200 4.2).
      h[2] = 1;
      h[3] = 4;
    }
    return h;
  }

  std::vector<uint8_t> assemble() {
    std::vector<uint8_t> f;
    auto append = [&f](std::initializer_list<uint8_t> bytes) {
      f.insert(f.end(), bytes);
    };

    // Ethernet and VLAN.
    MacAddr dst{{0x02, 0, 0, 0, 0, 0x02}}, src{{0x02, 0, 0, 0, 0, 0x01}};
    if (auto *m = mac(FieldId::EthDst))
      dst = *m;
    if (auto *m = mac(FieldId::EthSrc))
      src = *m;
    f.insert(f.end(), dst.bytes.begin(), dst.bytes.end());
    f.insert(f.end(), src.bytes.begin(), src.bytes.end());
    uint16_t type = is_ip_ ? (family_ == 6 ? kEthIpv6 : kEthIpv4) : eth_type_;
    if (auto vid = num(FieldId::VlanId)) {
      append({0, 0, 0, 0});
      put16(f, 12, kEthVlan);
      put16(f, 14, static_cast<uint16_t>(*vid & 0x0fff));
    }
    append({0, 0});
    put16(f, f.size() - 2, type);
    const size_t l2 = f.size();

    auto pkt_len = num(FieldId::PktLen);
    if (pkt_len && *pkt_len < l2)
      fail(FieldId::PktLen,
           std::string(l2 > 14 ? "the Ethernet header and VLAN tag alone are "
                               : "the Ethernet header alone is ") +
               std::to_string(l2) + " bytes");
    if (pkt_len && *pkt_len > kMaxFrame)
      fail(FieldId::PktLen,
           "test frames are at most " + std::to_string(kMaxFrame) + " bytes");

    if (!is_ip_) {
      if (eth_type_ ==
          kEthArp) { // a request: who has 192.0.2.2, tell 192.0.2.1
        append({0, 1, 0x08, 0x00, 6, 4, 0, 1});
        f.insert(f.end(), src.bytes.begin(), src.bytes.end());
        append({192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 192, 0, 2, 2});
      }
      return pad(std::move(f), pkt_len);
    }

    // Sizes.
    size_t ext_len = 0;
    for (auto &e : ext_)
      ext_len += e.type == 43 ? 24 : 8;
    const size_t l3 = family_ == 4 ? 20 : 40 + ext_len;
    size_t l4 = 0; // transport header bytes
    if (l4_header_)
      l4 = proto_ == 6 ? 20 : 8;
    auto udp_len = num(FieldId::UdpLen);
    if (udp_len && *udp_len < 8)
      fail(FieldId::UdpLen, "the UDP header alone is 8 bytes");
    const size_t l4_min = udp_len ? *udp_len : l4;
    const size_t min_datagram = l3 + l4_min;
    const size_t max_datagram = family_ == 4 ? 0xffff : 0xffff + 40;
    auto headers_text = [&] {
      std::string s = family_ == 4 ? "IPv4 header 20" : "IPv6 header 40";
      if (ext_len)
        s += ", extension headers " + std::to_string(ext_len);
      if (l4_min)
        s += std::string(", ") +
             (udp_len        ? "udp.len "
              : proto_ == 6  ? "TCP header "
              : proto_ == 17 ? "UDP header "
                             : "ICMP header ") +
             std::to_string(l4_min);
      return s;
    };

    size_t datagram = min_datagram;
    if (auto ip_len = num(FieldId::IpLen)) {
      if (*ip_len < min_datagram) {
        if (udp_len)
          fail(FieldId::UdpLen,
               "it does not fit in ip.len = " + std::to_string(*ip_len) + " (" +
                   headers_text() + ")");
        fail(FieldId::IpLen, "the headers alone are " +
                                 std::to_string(min_datagram) + " bytes (" +
                                 headers_text() + ")");
      }
      if (*ip_len > max_datagram)
        fail(FieldId::IpLen, family_ == 4
                                 ? "the IPv4 total length is at most 65535"
                                 : "the IPv6 payload is at most 65535 bytes "
                                   "(ip.len at most 65575)");
      datagram = *ip_len;
    } else if (pkt_len && !udp_len) {
      if (*pkt_len < l2 + min_datagram)
        fail(FieldId::PktLen, "the headers alone are " +
                                  std::to_string(l2 + min_datagram) +
                                  " bytes (Ethernet " + std::to_string(l2) +
                                  ", " + headers_text() + ")");
      datagram = std::min<size_t>(*pkt_len - l2, max_datagram);
    }
    if (datagram > max_datagram)
      fail(udp_len ? FieldId::UdpLen : FieldId::IpLen,
           "the IP datagram would exceed its maximum length");

    // IP header.
    const size_t l3_at = f.size();
    const uint8_t ttl = static_cast<uint8_t>(num(FieldId::IpTtl).value_or(64));
    const uint8_t tos = static_cast<uint8_t>(num(FieldId::IpTos).value_or(0));
    IpAddr saddr = *parse_ip(family_ == 4 ? "192.0.2.1" : "2001:db8::1");
    IpAddr daddr = *parse_ip(family_ == 4 ? "192.0.2.2" : "2001:db8::2");
    if (auto *a = ip(FieldId::IpSrc))
      saddr = *a;
    if (auto *a = ip(FieldId::IpDst))
      daddr = *a;
    const size_t addr_len = family_ == 4 ? 4 : 16;
    // The MF flag / M bit: set on a first fragment (more follow), clear on
    // later ones (as if each were the last).
    const bool more = frag_ && frag_off_ == 0;
    if (family_ == 4) {
      f.resize(f.size() + 20, 0);
      f[l3_at] = 0x45;
      f[l3_at + 1] = tos;
      put16(f, l3_at + 2, static_cast<uint16_t>(datagram));
      put16(f, l3_at + 4, 1); // identification
      put16(f, l3_at + 6,
            static_cast<uint16_t>((more ? 0x2000 : 0) | (frag_off_ >> 3)));
      f[l3_at + 8] = ttl;
      f[l3_at + 9] = static_cast<uint8_t>(proto_);
      std::copy(saddr.bytes.begin(), saddr.bytes.begin() + 4,
                f.begin() + l3_at + 12);
      std::copy(daddr.bytes.begin(), daddr.bytes.begin() + 4,
                f.begin() + l3_at + 16);
      put16(f, l3_at + 10, fold(sum16(&f[l3_at], 20)));
    } else {
      f.resize(f.size() + 40, 0);
      f[l3_at] = static_cast<uint8_t>(0x60 | (tos >> 4));
      f[l3_at + 1] = static_cast<uint8_t>((tos & 0x0f) << 4);
      put16(f, l3_at + 4, static_cast<uint16_t>(datagram - 40));
      f[l3_at + 6] = ext_.empty() ? static_cast<uint8_t>(proto_) : ext_[0].type;
      f[l3_at + 7] = ttl;
      std::copy(saddr.bytes.begin(), saddr.bytes.end(), f.begin() + l3_at + 8);
      std::copy(daddr.bytes.begin(), daddr.bytes.end(), f.begin() + l3_at + 24);
      for (size_t i = 0; i < ext_.size(); ++i) {
        uint8_t next = i + 1 < ext_.size() ? ext_[i + 1].type
                                           : static_cast<uint8_t>(proto_);
        auto h = ext_header(ext_[i].type, ext_[i].arg, next,
                            static_cast<uint16_t>(frag_off_ | (more ? 1 : 0)));
        f.insert(f.end(), h.begin(), h.end());
      }
    }

    // Transport header and payload.
    const size_t l4_at = f.size();
    const size_t l4_bytes = datagram - l3; // everything after the IP headers
    f.resize(l4_at + l4_bytes, 0);
    size_t csum_len = l4_bytes; // bytes the transport checksum covers
    size_t csum_at = 0;         // offset of the checksum field; 0: none
    if (l4_header_ && proto_ == 6) {
      auto sport = port(FieldId::TcpSport, FieldId::L4Sport, 40000);
      auto dport = port(FieldId::TcpDport, FieldId::L4Dport, 80);
      uint8_t flags = 0;
      auto flag = [&](FieldId id, uint8_t bit) {
        if (num(id).value_or(0))
          flags |= bit;
      };
      flag(FieldId::TcpFin, PSL_TCP_FIN);
      flag(FieldId::TcpSyn, PSL_TCP_SYN);
      flag(FieldId::TcpRst, PSL_TCP_RST);
      flag(FieldId::TcpPsh, PSL_TCP_PSH);
      flag(FieldId::TcpAck, PSL_TCP_ACK);
      flag(FieldId::TcpUrg, PSL_TCP_URG);
      put16(f, l4_at, sport);
      put16(f, l4_at + 2, dport);
      put32(f, l4_at + 4, 1);                           // sequence number
      put32(f, l4_at + 8, flags & PSL_TCP_ACK ? 1 : 0); // acknowledgment
      f[l4_at + 12] = 5 << 4;
      f[l4_at + 13] = flags;
      put16(f, l4_at + 14,
            static_cast<uint16_t>(num(FieldId::TcpWindow).value_or(64240)));
      csum_at = l4_at + 16;
    } else if (l4_header_ && proto_ == 17) {
      auto sport = port(FieldId::UdpSport, FieldId::L4Sport, 40000);
      auto dport = port(FieldId::UdpDport, FieldId::L4Dport, 53);
      const size_t ulen = udp_len ? *udp_len : l4_bytes;
      if (ulen > 0xffff)
        fail(udp_len ? FieldId::UdpLen
                     : (has(FieldId::IpLen) ? FieldId::IpLen : FieldId::PktLen),
             "a UDP datagram is at most 65535 bytes");
      put16(f, l4_at, sport);
      put16(f, l4_at + 2, dport);
      put16(f, l4_at + 4, static_cast<uint16_t>(ulen));
      csum_at = l4_at + 6;
      csum_len = ulen;
    } else if (l4_header_) { // ICMP or ICMPv6
      const bool v6 = proto_ == 58;
      f[l4_at] =
          static_cast<uint8_t>(num(v6 ? FieldId::Icmp6Type : FieldId::IcmpType)
                                   .value_or(v6 ? 128 : 8));
      f[l4_at + 1] = static_cast<uint8_t>(
          num(v6 ? FieldId::Icmp6Code : FieldId::IcmpCode).value_or(0));
      put16(f, l4_at + 4, 1); // identifier (echo) / unused
      put16(f, l4_at + 6, 1); // sequence number
      csum_at = l4_at + 2;
    }
    if (csum_at && !frag_) {
      uint32_t acc = 0;
      if (proto_ != 1) { // pseudo-header (RFC 768, 9293, 8200 8.1)
        acc = sum16(saddr.bytes.data(), addr_len, acc);
        acc = sum16(daddr.bytes.data(), addr_len, acc);
        acc += static_cast<uint32_t>(proto_);
        acc += static_cast<uint32_t>(csum_len >> 16) +
               static_cast<uint32_t>(csum_len & 0xffff);
      }
      uint16_t c = fold(sum16(&f[l4_at], csum_len, acc));
      if (proto_ == 17 && c == 0)
        c = 0xffff; // 0 means "no checksum" in UDP
      put16(f, csum_at, c);
    }
    return pad(std::move(f), pkt_len);
  }

  uint16_t port(FieldId own, FieldId l4, uint16_t fallback) const {
    auto a = num(own), b = num(l4);
    if (a && b && *a != *b)
      fail(l4, "the port is already " + std::to_string(*a) + " (" +
                   std::string(field_info(own).name) + ")");
    return static_cast<uint16_t>(a ? *a : b ? *b : fallback);
  }

  std::vector<uint8_t> pad(std::vector<uint8_t> f,
                           std::optional<uint64_t> pkt_len) const {
    if (pkt_len) {
      if (*pkt_len < f.size())
        fail(FieldId::PktLen,
             "the frame needs at least " + std::to_string(f.size()) + " bytes");
      f.resize(*pkt_len, 0);
    } else if (f.size() < kMinFrame) {
      f.resize(kMinFrame, 0);
    }
    return f;
  }

  // ------------------------------------------------------------ verify

  void verify(const std::vector<uint8_t> &frame) const {
    psl_pkt p;
    int status =
        psl_parse_buffer(frame.data(), static_cast<__u32>(frame.size()), &p);
    for (const FieldAssign &a : fields_) {
      auto want = scalar_of(a.value);
      auto got = read_field(p, *a.field);
      if (!want)
        fail(a, "the value is not a single value");
      if (!got)
        fail(a, std::string("the decoder finds no ") +
                    guard_name(a.field->guard) + " header in the frame");
      if (*got != *want)
        fail(a, "the frame decodes as " + std::string(a.field->name) + " = " +
                    field_value_to_string(*got, *a.field));
    }
    if (status != PSL_STATUS_OK) {
      // Every field matched, yet the decoder stopped early: a builder bug.
      throw InternalError(
          "test packet builder made a frame the decoder finds " +
          std::string(status == PSL_STATUS_TRUNCATED ? "truncated"
                                                     : "malformed"));
    }
  }

  struct Ext {
    uint8_t
        type; // 0 hop-by-hop, 60 destination options, 43 routing, 44 fragment
    uint8_t arg; // routing type
  };

  const std::vector<FieldAssign> &fields_;
  std::map<FieldId, const FieldAssign *> asked_;
  bool is_ip_ = true;
  uint16_t eth_type_ = 0;
  int family_ = 0;
  const FieldAssign *family_by_ = nullptr;
  int proto_ = -1;
  const FieldAssign *proto_by_ = nullptr;
  bool frag_ = false;
  uint16_t frag_off_ = 0;
  bool l4_header_ = false;
  std::vector<Ext> ext_;
};

std::string spelling_of(const Expr &e, const Value &v, const FieldInfo &f) {
  if (e.kind == ExprKind::Literal) {
    auto &l = static_cast<const LiteralExpr &>(e);
    if (!l.spelling.empty())
      return l.spelling;
  }
  if (e.kind == ExprKind::Name)
    return static_cast<const NameExpr &>(e).name;
  if (auto s = scalar_of(v))
    return field_value_to_string(*s, f);
  return value_to_string(v, Type::of(f.type));
}

} // namespace

BuiltPacket build_packet(const std::vector<FieldAssign> &fields) {
  BuiltPacket out;
  try {
    out.frame = Builder(fields).build();
  } catch (const Failure &f) {
    out.frame.clear();
    out.error = f.error;
  }
  return out;
}

std::vector<FieldAssign> packet_fields(const TestPacket &packet) {
  std::vector<FieldAssign> out;
  for (const auto &a : packet.fields) {
    if (!a.field || !a.field->field || !a.value || !a.value->constant)
      throw InternalError("test packet field was not checked");
    FieldAssign fa;
    fa.field = a.field->field;
    fa.value = *a.value->constant;
    fa.spelling = spelling_of(*a.value, fa.value, *fa.field);
    fa.range = SourceRange::cover(a.field->range, a.value->range);
    out.push_back(std::move(fa));
  }
  return out;
}

BuiltPacket build_packet(const TestPacket &packet) {
  BuiltPacket out = build_packet(packet_fields(packet));
  if (out.error && !out.error->range.valid())
    out.error->range = packet.range;
  return out;
}

std::vector<FieldAssign>
fields_of(const std::vector<std::pair<std::string, Value>> &assignments) {
  std::vector<FieldAssign> out;
  for (const auto &[name, value] : assignments) {
    const FieldInfo *f = find_field(name);
    if (!f)
      throw InternalError("unknown field '" + name + "'");
    FieldAssign fa;
    fa.field = f;
    fa.value = value;
    if (auto s = scalar_of(value))
      fa.spelling = field_value_to_string(*s, *f);
    else
      fa.spelling = value_to_string(value, Type::of(f->type));
    out.push_back(std::move(fa));
  }
  return out;
}

} // namespace psl::interp
