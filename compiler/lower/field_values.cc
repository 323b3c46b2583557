#include "lower/field_values.h"

#include <cstring>

namespace psl::lower {

using cs::Interval;
using cs::IntervalSet;
using cs::Point;

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

static Point ip_point(const IpAddr &a) {
  Point p = 0;
  int n = a.family == 6 ? 16 : 4;
  for (int i = 0; i < n; ++i)
    p = (p << 8) | a.bytes[i];
  return p;
}

static void add_cidr(const Cidr &c, std::vector<Interval> &v4,
                     std::vector<Interval> &v6) {
  unsigned w = c.addr.family == 6 ? 128 : 32;
  Point base = ip_point(c.addr);
  unsigned host = w - c.prefix_len;
  Point mask = host >= 128 ? ~Point(0) : (Point(1) << host) - 1;
  base &= ~mask;
  (c.addr.family == 6 ? v6 : v4).push_back({base, base | mask});
}

static bool add_element(FieldId f, const Value &v, std::vector<Interval> &v4,
                        std::vector<Interval> &v6,
                        std::vector<Interval> &other) {
  if (auto *a = std::get_if<IpAddr>(&v.v)) {
    Point p = ip_point(*a);
    (a->family == 6 ? v6 : v4).push_back({p, p});
  } else if (auto *c = std::get_if<Cidr>(&v.v)) {
    add_cidr(*c, v4, v6);
  } else if (auto *m = std::get_if<MacAddr>(&v.v)) {
    Point p = 0;
    for (uint8_t b : m->bytes)
      p = (p << 8) | b;
    other.push_back({p, p});
  } else if (auto *b = std::get_if<bool>(&v.v)) {
    other.push_back({*b ? 1u : 0u, *b ? 1u : 0u});
  } else if (auto *n = std::get_if<uint64_t>(&v.v)) {
    other.push_back({*n, *n});
  } else if (auto *pr = std::get_if<ProtoValue>(&v.v)) {
    other.push_back({pr->number, pr->number});
  } else if (auto *it = std::get_if<IcmpTypeValue>(&v.v)) {
    other.push_back({it->number, it->number});
  } else if (auto *r = std::get_if<RangeValue>(&v.v)) {
    if (r->lo > r->hi)
      return true; // empty range
    other.push_back({r->lo, r->hi});
  } else if (auto *s = std::get_if<SetValue>(&v.v)) {
    for (const Value &e : s->elements)
      if (!add_element(f, e, v4, v6, other))
        return false;
  } else {
    return false;
  }
  return true;
}

bool value_points(FieldId f, const Value &v, FamilySets &out) {
  std::vector<Interval> v4, v6, other;
  if (!add_element(f, v, v4, v6, other))
    return false;
  if (is_ip_field(f) && !other.empty())
    return false;
  // Values past the field's width cannot match (the type checker rejects
  // them; clip for safety).
  Point max = domain_max(f);
  if (!is_ip_field(f))
    for (auto &i : other) {
      if (i.lo > max)
        i.lo = i.hi = max + 1; // marked for removal below
      else if (i.hi > max)
        i.hi = max;
    }
  std::vector<Interval> kept;
  for (auto &i : other)
    if (i.lo <= max)
      kept.push_back(i);
  out.v4 = IntervalSet::from(std::move(v4));
  out.v6 = IntervalSet::from(std::move(v6));
  out.other = IntervalSet::from(std::move(kept));
  return true;
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
