#include "lower/field_values.h"

#include <cstring>

namespace psl::lower {

using analysis::Interval;
using analysis::IntervalSet;
using analysis::Point;

bool is_ip_field(FieldId f) {
  return f == FieldId::IpSrc || f == FieldId::IpDst;
}
bool is_mac_field(FieldId f) {
  return f == FieldId::EthSrc || f == FieldId::EthDst;
}

unsigned field_bits(FieldId f, uint8_t family) {
  const FieldInfo &fi = field_info(f);
  switch (fi.type) {
  case TypeKind::Bool:
    return 1;
  case TypeKind::Mac:
    return 48;
  case TypeKind::Ip:
    return family == 6 ? 128 : 32;
  default:
    return fi.bits ? fi.bits : 64;
  }
}

Point domain_max(FieldId f, uint8_t family) {
  unsigned b = field_bits(f, family);
  return b >= 128 ? ~Point(0) : (Point(1) << b) - 1;
}

uint32_t key_bytes(FieldId f) {
  if (is_ip_field(f))
    return 17;
  if (is_mac_field(f))
    return 6;
  return (field_bits(f) + 7) / 8;
}

std::string member_name(FieldId f) {
  std::string s = field_info(f).name;
  for (char &c : s)
    if (c == '.')
      c = '_';
  return s;
}

std::string guard_mask(FieldId f) {
  switch (field_info(f).guard) {
  case Guard::None:
    return "";
  case Guard::Vlan:
    return "PSL_PRESENT_VLAN";
  case Guard::Ip:
    return "PSL_PRESENT_IP";
  case Guard::Ip6:
    return "PSL_PRESENT_IPV6";
  case Guard::Ip6Rh:
    return "PSL_PRESENT_IP6_RH";
  case Guard::Tcp:
    return "PSL_PRESENT_TCP";
  case Guard::Udp:
    return "PSL_PRESENT_UDP";
  case Guard::L4:
    return "PSL_PRESENT_L4";
  case Guard::Icmp:
    return "PSL_PRESENT_ICMP";
  case Guard::Icmp6:
    return "PSL_PRESENT_ICMP6";
  }
  return "";
}

void ip_point_bytes(uint8_t family, Point p, uint8_t out[16]) {
  std::memset(out, 0, 16);
  if (family == 6) {
    for (int i = 15; i >= 0; --i) {
      out[i] = static_cast<uint8_t>(p & 0xff);
      p >>= 8;
    }
  } else {
    out[10] = out[11] = 0xff;
    for (int i = 15; i >= 12; --i) {
      out[i] = static_cast<uint8_t>(p & 0xff);
      p >>= 8;
    }
  }
}

std::vector<std::pair<Point, unsigned>> interval_prefixes(Point lo, Point hi,
                                                          unsigned width) {
  std::vector<std::pair<Point, unsigned>> out;
  Point max = width >= 128 ? ~Point(0) : (Point(1) << width) - 1;
  for (;;) {
    // The largest aligned block starting at lo that stays within hi.
    unsigned host = 0;
    while (host < width) {
      Point size_m1 =
          host + 1 >= 128 ? ~Point(0) : (Point(1) << (host + 1)) - 1;
      if ((lo & size_m1) != 0 || (lo | size_m1) > hi)
        break;
      ++host;
    }
    out.push_back({lo, width - host});
    Point block_m1 = host >= 128 ? ~Point(0) : (Point(1) << host) - 1;
    Point last = lo | block_m1;
    if (last >= hi || last == max)
      break;
    lo = last + 1;
  }
  return out;
}

void put_value(std::vector<uint8_t> &out, FieldId f, Point v) {
  uint32_t n = key_bytes(f);
  for (int i = static_cast<int>(n) - 1; i >= 0; --i)
    out.push_back(static_cast<uint8_t>((v >> (8 * i)) & 0xff));
}

} // namespace psl::lower
