#include "analysis/literal_points.h"

#include <algorithm>
#include <vector>

namespace psl::analysis {

Point ip_point(const IpAddr &a) {
  Point p = 0;
  int n = a.family == 6 ? 16 : 4;
  for (int i = 0; i < n; ++i)
    p = (p << 8) | a.bytes[i];
  return p;
}

std::optional<uint64_t> literal_uint(const Value &v) {
  if (auto *n = std::get_if<uint64_t>(&v.v))
    return *n;
  if (auto *p = std::get_if<ProtoValue>(&v.v))
    return p->number;
  if (auto *i = std::get_if<IcmpTypeValue>(&v.v))
    return i->number;
  if (auto *b = std::get_if<bool>(&v.v))
    return *b ? 1 : 0;
  return std::nullopt;
}

namespace {

struct Collected {
  std::vector<Interval> v4, v6, other;
  bool addresses = false, scalars = false;
};

bool collect(const Value &v, Point max, Collected &out) {
  if (auto *s = std::get_if<SetValue>(&v.v)) {
    for (const Value &e : s->elements)
      if (!collect(e, max, out))
        return false;
    return true;
  }
  if (auto *a = std::get_if<IpAddr>(&v.v)) {
    out.addresses = true;
    Point p = ip_point(*a);
    (a->family == 6 ? out.v6 : out.v4).push_back({p, p});
    return true;
  }
  if (auto *c = std::get_if<Cidr>(&v.v)) {
    out.addresses = true;
    unsigned width = c->addr.family == 6 ? 128 : 32;
    unsigned host = width - std::min<unsigned>(c->prefix_len, width);
    Point mask = host >= 128 ? kMaxPoint : (Point{1} << host) - 1;
    Point base = ip_point(c->addr) & ~mask;
    (c->addr.family == 6 ? out.v6 : out.v4).push_back({base, base | mask});
    return true;
  }
  out.scalars = true;
  if (auto *m = std::get_if<MacAddr>(&v.v)) {
    Point p = 0;
    for (uint8_t byte : m->bytes)
      p = (p << 8) | byte;
    if (p <= max)
      out.other.push_back({p, p});
    return true;
  }
  if (auto *r = std::get_if<RangeValue>(&v.v)) {
    if (r->lo <= r->hi && r->lo <= max)
      out.other.push_back({r->lo, std::min<Point>(r->hi, max)});
    return true;
  }
  if (auto n = literal_uint(v)) {
    if (*n <= max)
      out.other.push_back({*n, *n});
    return true;
  }
  return false;
}

} // namespace

bool literal_points(const Value &v, Point max, LiteralPoints &out) {
  Collected c;
  if (!collect(v, max, c))
    return false;
  out.v4 = IntervalSet::from(std::move(c.v4));
  out.v6 = IntervalSet::from(std::move(c.v6));
  out.other = IntervalSet::from(std::move(c.other));
  out.addresses = c.addresses;
  out.scalars = c.scalars;
  return true;
}

} // namespace psl::analysis
