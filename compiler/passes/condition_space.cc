#include "passes/condition_space.h"

#include <algorithm>
#include <cstdio>
#include <iterator>

namespace psl::cs {

namespace {

constexpr Point kMaxPoint = ~Point{0};

constexpr uint64_t kEthIpv4 = 0x0800;
constexpr uint64_t kEthIpv6 = 0x86dd;

} // namespace

// --------------------------------------------------------------- IntervalSet

IntervalSet::IntervalSet(const IntervalSet &o) : n_(o.n_) {
  if (n_ <= 1) {
    one_ = o.one_;
    return;
  }
  cap_ = n_;
  many_ = new Interval[cap_];
  std::copy(o.many_, o.many_ + n_, many_);
}

IntervalSet &IntervalSet::operator=(const IntervalSet &o) {
  if (this != &o) {
    IntervalSet copy(o);
    release();
    take(copy);
  }
  return *this;
}

IntervalSet &IntervalSet::operator=(IntervalSet &&o) noexcept {
  if (this != &o) {
    release();
    take(o);
  }
  return *this;
}

void IntervalSet::release() {
  if (cap_ > 0)
    delete[] many_;
  n_ = cap_ = 0;
  one_ = Interval{};
}

void IntervalSet::take(IntervalSet &o) {
  n_ = o.n_;
  cap_ = o.cap_;
  if (cap_ > 0)
    many_ = o.many_;
  else
    one_ = o.one_;
  o.n_ = o.cap_ = 0;
  o.one_ = Interval{};
}

void IntervalSet::push(const Interval &i) {
  if (n_ == 0) {
    one_ = i;
  } else if (n_ == cap_ || cap_ == 0) {
    // To the heap (from inline, or from a full array): twice the room.
    const uint32_t cap = 2 * n_;
    auto *grown = new Interval[cap];
    std::copy(data(), data() + n_, grown);
    grown[n_] = i;
    if (cap_ > 0)
      delete[] many_;
    many_ = grown;
    cap_ = cap;
  } else {
    many_[n_] = i;
  }
  ++n_;
}

IntervalSet IntervalSet::range(Point lo, Point hi) {
  IntervalSet s;
  if (lo <= hi)
    s.push({lo, hi});
  return s;
}

IntervalSet IntervalSet::from(std::vector<Interval> iv) {
  IntervalSet s;
  iv.erase(std::remove_if(iv.begin(), iv.end(),
                          [](const Interval &i) { return i.lo > i.hi; }),
           iv.end());
  std::sort(iv.begin(), iv.end(),
            [](const Interval &a, const Interval &b) { return a.lo < b.lo; });
  for (const auto &i : iv) {
    if (s.n_) {
      Interval &last = s.data()[s.n_ - 1];
      if (last.hi == kMaxPoint || i.lo <= last.hi + 1) {
        last.hi = std::max(last.hi, i.hi);
        continue;
      }
    }
    s.push(i);
  }
  return s;
}

bool IntervalSet::contains(Point p) const {
  if (n_ == 1)
    return one_.lo <= p && p <= one_.hi;
  // The last interval starting at or before p.
  auto it = std::upper_bound(
      begin(), end(), p, [](Point x, const Interval &i) { return x < i.lo; });
  if (it == begin())
    return false;
  return p <= (it - 1)->hi;
}

bool IntervalSet::covers(const IntervalSet &o) const {
  size_t i = 0;
  const Interval *v = data();
  for (const auto &b : o) {
    while (i < n_ && v[i].hi < b.lo)
      ++i;
    if (i == n_ || v[i].lo > b.lo || v[i].hi < b.hi)
      return false;
  }
  return true;
}

bool IntervalSet::intersects(const IntervalSet &o) const {
  if (n_ == 0 || o.n_ == 0)
    return false;
  if (o.n_ == 1 && n_ > 4) {
    // One interval against many: binary search.
    const auto &b = o.one_;
    auto it =
        std::lower_bound(begin(), end(), b.lo,
                         [](const Interval &i, Point x) { return i.hi < x; });
    return it != end() && it->lo <= b.hi;
  }
  if (n_ == 1 && o.n_ > 4)
    return o.intersects(*this);
  const Interval *v = data();
  const Interval *w = o.data();
  size_t i = 0, j = 0;
  while (i < n_ && j < o.n_) {
    if (v[i].hi < w[j].lo)
      ++i;
    else if (w[j].hi < v[i].lo)
      ++j;
    else
      return true;
  }
  return false;
}

IntervalSet IntervalSet::intersect(const IntervalSet &o) const {
  IntervalSet r;
  const Interval *v = data();
  const Interval *w = o.data();
  size_t i = 0, j = 0;
  while (i < n_ && j < o.n_) {
    Point lo = std::max(v[i].lo, w[j].lo);
    Point hi = std::min(v[i].hi, w[j].hi);
    if (lo <= hi)
      r.push({lo, hi});
    if (v[i].hi < w[j].hi)
      ++i;
    else
      ++j;
  }
  return r;
}

IntervalSet IntervalSet::unite(const IntervalSet &o) const {
  std::vector<Interval> all(begin(), end());
  all.insert(all.end(), o.begin(), o.end());
  return from(std::move(all));
}

IntervalSet IntervalSet::minus(const IntervalSet &o) const {
  IntervalSet r;
  const Interval *w = o.data();
  size_t j = 0;
  for (Interval a : *this) {
    while (j < o.n_ && w[j].hi < a.lo)
      ++j;
    size_t k = j;
    bool done = false;
    while (k < o.n_ && w[k].lo <= a.hi) {
      const auto &b = w[k];
      if (b.lo > a.lo)
        r.push({a.lo, b.lo - 1});
      if (b.hi >= a.hi) {
        done = true;
        break;
      }
      a.lo = b.hi + 1;
      ++k;
    }
    if (!done)
      r.push(a);
  }
  return r;
}

IntervalSet IntervalSet::complement(Point max) const {
  return range(0, max).minus(*this);
}

bool IntervalSet::operator==(const IntervalSet &o) const {
  if (n_ != o.n_)
    return false;
  const Interval *v = data();
  const Interval *w = o.data();
  for (size_t i = 0; i < n_; ++i)
    if (v[i].lo != w[i].lo || v[i].hi != w[i].hi)
      return false;
  return true;
}

// ---------------------------------------------------------------- dimensions

namespace {

Point bits_max(unsigned bits) {
  return bits >= 128 ? kMaxPoint : (Point{1} << bits) - 1;
}

constexpr Point type_max(TypeKind type, unsigned bits) {
  switch (type) {
  case TypeKind::Mac:
    return (Point{1} << 48) - 1;
  case TypeKind::Ip:
    return (Point{1} << 32) - 1; // the IPv4 half
  default:
    return scalar_max(type, bits);
  }
}

// Computed from fields.def at compile time (dim_max is on every hot path).
constexpr std::array<Point, kNumFixedDims> kFixedMax = [] {
  std::array<Point, kNumFixedDims> t{};
  for (DimId d = 0; d < kNumLayerDims; ++d)
    t[d] = 1;
  DimId d = kNumLayerDims;
#define PSL_FIELD(id, name, type, bits, guard, doc)                            \
  t[d++] = type_max(TypeKind::type, bits);
#include "ast/fields.def"
#undef PSL_FIELD
  t[kIpSrc6] = ~Point{0};
  t[kIpDst6] = ~Point{0};
  return t;
}();

const IntervalSet &one() {
  static const IntervalSet s = IntervalSet::point(1);
  return s;
}
const IntervalSet &zero() {
  static const IntervalSet s = IntervalSet::point(0);
  return s;
}

} // namespace

Point dim_max(DimId d) { return d < kNumFixedDims ? kFixedMax[d] : Point{1}; }

DimId Space::opaque(const std::string &key) {
  auto it = ids_.find(key);
  if (it != ids_.end())
    return it->second;
  DimId d = kNumFixedDims + static_cast<DimId>(keys_.size());
  keys_.push_back(key);
  ids_.emplace(key, d);
  return d;
}

DimId Space::fresh_opaque(const std::string &hint) {
  // Never entered in ids_, so no later key can name it.
  DimId d = kNumFixedDims + static_cast<DimId>(keys_.size());
  keys_.push_back(hint);
  return d;
}

const std::string &Space::opaque_key(DimId d) const {
  return keys_.at(d - kNumFixedDims);
}

std::string Space::dim_name(DimId d) const {
  static const char *layers[] = {"layer tcp",    "layer udp",     "layer icmp",
                                 "layer icmpv6", "layer ipv6 rh", "layer vlan",
                                 "layer ip"};
  static_assert(std::size(layers) == kNumLayerDims);
  if (d < kNumLayerDims)
    return layers[d];
  if (d == kIpSrc6)
    return "ip.src";
  if (d == kIpDst6)
    return "ip.dst";
  if (d < kNumFixedDims)
    return field_info(static_cast<FieldId>(d - kNumLayerDims)).name;
  return opaque_key(d);
}

// --------------------------------------------------------------------- boxes

const IntervalSet *Box::find(DimId d) const {
  if (c_.size() <= 8) {
    for (const auto &c : c_) {
      if (c.dim == d)
        return &c.set;
      if (c.dim > d)
        return nullptr;
    }
    return nullptr;
  }
  auto it =
      std::lower_bound(c_.begin(), c_.end(), d,
                       [](const Constraint &c, DimId x) { return c.dim < x; });
  return it != c_.end() && it->dim == d ? &it->set : nullptr;
}

bool Box::restrict(DimId d, const IntervalSet &s) {
  auto it =
      std::lower_bound(c_.begin(), c_.end(), d,
                       [](const Constraint &c, DimId x) { return c.dim < x; });
  if (it != c_.end() && it->dim == d) {
    if (s.covers(it->set))
      return !it->set.empty();
    it->set = it->set.intersect(s);
    return !it->set.empty();
  }
  if (c_.size() == c_.capacity()) {
    size_t pos = static_cast<size_t>(it - c_.begin());
    c_.reserve(c_.size() + 4);
    it = c_.begin() + static_cast<ptrdiff_t>(pos);
  }
  c_.insert(it, Constraint{d, s});
  return !s.empty();
}

void Box::set(DimId d, IntervalSet s) {
  auto it =
      std::lower_bound(c_.begin(), c_.end(), d,
                       [](const Constraint &c, DimId x) { return c.dim < x; });
  if (it != c_.end() && it->dim == d)
    it->set = std::move(s);
  else
    c_.insert(it, Constraint{d, std::move(s)});
}

void Box::erase(DimId d) {
  auto it =
      std::lower_bound(c_.begin(), c_.end(), d,
                       [](const Constraint &c, DimId x) { return c.dim < x; });
  if (it != c_.end() && it->dim == d)
    c_.erase(it);
}

bool Box::operator==(const Box &o) const {
  if (c_.size() != o.c_.size())
    return false;
  for (size_t i = 0; i < c_.size(); ++i)
    if (c_[i].dim != o.c_[i].dim || c_[i].set != o.c_[i].set)
      return false;
  return true;
}

namespace {

// What a present layer implies.
struct LayerRule {
  DimId layer;
  int proto;   // -1: none
  int version; // 0: 4 or 6
  bool first_fragment;
};
constexpr LayerRule kLayerRules[] = {
    {kLayerTcp, 6, 0, true},     {kLayerUdp, 17, 0, true},
    {kLayerIcmp, 1, 4, true},    {kLayerIcmp6, 58, 6, true},
    {kLayerIp6Rh, -1, 6, false},
};

bool is_one(const IntervalSet *s) {
  return s && s->size() == 1 && (*s)[0].lo == 1;
}
bool is_zero(const IntervalSet *s) {
  return s && s->size() == 1 && (*s)[0].hi == 0;
}

// The four subsets of {4, 6} and of {0x0800, 0x86dd}, by bitmask.
const IntervalSet &version_set(unsigned mask) {
  static const IntervalSet sets[4] = {IntervalSet{}, IntervalSet::point(4),
                                      IntervalSet::point(6),
                                      IntervalSet::from({{4, 4}, {6, 6}})};
  return sets[mask & 3];
}
const IntervalSet &eth_set(unsigned mask) {
  static const IntervalSet sets[4] = {
      IntervalSet{}, IntervalSet::point(kEthIpv4), IntervalSet::point(kEthIpv6),
      IntervalSet::from({{kEthIpv4, kEthIpv4}, {kEthIpv6, kEthIpv6}})};
  return sets[mask & 3];
}

const IntervalSet &versions_allowed_by_eth(const IntervalSet *eth) {
  return version_set((!eth || eth->contains(kEthIpv4) ? 1u : 0u) |
                     (!eth || eth->contains(kEthIpv6) ? 2u : 0u));
}

const IntervalSet &eth_allowed_by_versions(const IntervalSet *ver) {
  return eth_set((!ver || ver->contains(4) ? 1u : 0u) |
                 (!ver || ver->contains(6) ? 2u : 0u));
}

} // namespace

bool normalize(Box &b) {
  // Tightens dimension d; notes whether anything changed. Pointers from
  // find() do not survive a call (the constraint vector may grow).
  bool changed = false;
  auto tighten = [&](DimId d, const IntervalSet &s) {
    const IntervalSet *cur = b.find(d);
    if (cur && s.covers(*cur))
      return !cur->empty();
    changed = true;
    return b.restrict(d, s);
  };
  const IntervalSet &kVersions = version_set(3);
  // A few rounds reach the fixpoint: the rules go up (layer → ip) and down
  // (ip → version, ethertype, fragment) once each.
  for (int round = 0; round < 4; ++round) {
    changed = false;
    // Up: a present layer implies IP, its protocol, version, fragment.
    for (const auto &r : kLayerRules) {
      if (!is_one(b.find(r.layer)))
        continue;
      if (!tighten(kLayerIp, one()))
        return false;
      if (r.proto >= 0 && !tighten(kDimIpProto, IntervalSet::point(r.proto)))
        return false;
      if (r.version &&
          !tighten(kDimIpVersion, version_set(r.version == 4 ? 1 : 2)))
        return false;
      if (r.first_fragment && !tighten(kDimIpFragOff, zero()))
        return false;
    }
    if (is_one(b.find(kLayerIp))) {
      // Down: an IP packet is version 4 or 6, with the matching ethertype.
      if (!tighten(kDimIpVersion, kVersions))
        return false;
      if (!tighten(kDimEthType, eth_allowed_by_versions(b.find(kDimIpVersion))))
        return false;
      if (!tighten(kDimIpVersion, versions_allowed_by_eth(b.find(kDimEthType))))
        return false;
      // Only a fragment has a non-zero offset.
      if (is_zero(b.find(kDimIpFrag)) && !tighten(kDimIpFragOff, zero()))
        return false;
      const IntervalSet *off = b.find(kDimIpFragOff);
      if (off && !off->contains(0) && !tighten(kDimIpFrag, one()))
        return false;
    }
    if (!changed)
      break;
  }
  // Drop full dimensions, stop on an empty one.
  auto &c = b.c_;
  for (size_t i = 0; i < c.size();) {
    if (c[i].set.empty())
      return false;
    if (c[i].set.is_full(dim_max(c[i].dim)))
      c.erase(c.begin() + static_cast<ptrdiff_t>(i));
    else
      ++i;
  }
  return true;
}

namespace {

// The dimensions normalize() reads and writes.
bool special_dim(DimId d) {
  return d < kNumLayerDims || d == kDimIpVersion || d == kDimEthType ||
         d == kDimIpProto || d == kDimIpFrag || d == kDimIpFragOff;
}

} // namespace

bool intersect(const Box &a, const Box &b, Box *out) {
  Box r;
  auto &rc = r.c_;
  const auto &ac = a.constraints();
  const auto &bc = b.constraints();
  rc.reserve(ac.size() + bc.size());
  // Normalization depends on the special dimensions only: when their
  // result is that of a or of b (both normalized), so is the result.
  bool differs_a = false, differs_b = false;
  size_t i = 0, j = 0;
  while (i < ac.size() || j < bc.size()) {
    if (j == bc.size() || (i < ac.size() && ac[i].dim < bc[j].dim)) {
      differs_b |= special_dim(ac[i].dim);
      rc.push_back(ac[i++]);
    } else if (i == ac.size() || bc[j].dim < ac[i].dim) {
      differs_a |= special_dim(bc[j].dim);
      rc.push_back(bc[j++]);
    } else {
      IntervalSet s = ac[i].set.intersect(bc[j].set);
      if (s.empty())
        return false;
      if (special_dim(ac[i].dim)) {
        differs_a |= s != ac[i].set;
        differs_b |= s != bc[j].set;
      }
      rc.push_back(Constraint{ac[i].dim, std::move(s)});
      ++i;
      ++j;
    }
  }
  if (differs_a && differs_b && !normalize(r))
    return false;
  if (out)
    *out = std::move(r);
  return true;
}

bool intersects(const Box &a, const Box &b) {
  // Cheap rejection first: a dimension both constrain, disjointly. On the
  // way, whether the special dimensions of the intersection differ from
  // both a's and b's: only then does it need normalizing (intersect()), and
  // only then can it be empty.
  const auto &ac = a.constraints();
  const auto &bc = b.constraints();
  bool differs_a = false, differs_b = false;
  size_t i = 0, j = 0;
  while (i < ac.size() || j < bc.size()) {
    if (j == bc.size() || (i < ac.size() && ac[i].dim < bc[j].dim)) {
      differs_b |= special_dim(ac[i++].dim);
    } else if (i == ac.size() || bc[j].dim < ac[i].dim) {
      differs_a |= special_dim(bc[j++].dim);
    } else {
      if (!ac[i].set.intersects(bc[j].set))
        return false;
      if (special_dim(ac[i].dim)) {
        differs_a |= !bc[j].set.covers(ac[i].set);
        differs_b |= !ac[i].set.covers(bc[j].set);
      }
      ++i;
      ++j;
    }
  }
  return !(differs_a && differs_b) || intersect(a, b, nullptr);
}

void subtract(const Box &a, const Box &b, std::vector<Box> &out) {
  if (!intersects(a, b)) {
    out.push_back(a);
    return;
  }
  subtract_meeting(a, b, out);
}

void subtract_meeting(const Box &a, const Box &b, std::vector<Box> &out) {
  // Nothing is left of a box inside b (what the lint's covers mostly
  // meet), and finding that out needs no copy.
  if (box_contains(b, a))
    return;
  // Split a along each dimension b constrains, in dimension order (layers
  // first, so every piece stays a union of whole fibers): the part outside
  // b there, then continue inside.
  Box cur = a;
  for (const auto &c : b.constraints()) {
    const IntervalSet *s = cur.find(c.dim);
    IntervalSet rest = s ? s->minus(c.set) : c.set.complement(dim_max(c.dim));
    if (!rest.empty()) {
      Box piece = cur;
      piece.set(c.dim, std::move(rest));
      if (normalize(piece))
        out.push_back(std::move(piece));
    }
    if (!cur.restrict(c.dim, c.set))
      return;
  }
}

bool box_contains(const Box &outer, const Box &inner) {
  // Both sorted by dimension: one walk.
  const auto &ic = inner.constraints();
  size_t j = 0;
  for (const auto &c : outer.constraints()) {
    while (j < ic.size() && ic[j].dim < c.dim)
      ++j;
    if (j == ic.size() || ic[j].dim != c.dim || !c.set.covers(ic[j].set))
      return false;
  }
  return true;
}

Point Witness::at(DimId d) const {
  if (d < kNumFixedDims)
    return fixed[d];
  const IntervalSet *s = opaque_src ? opaque_src->find(d) : nullptr;
  return s && s->is_point() ? s->min() : kOpaqueUnknown;
}

Witness witness(const Box &b, const Box *opaque_src) {
  Witness w;
  w.opaque_src = opaque_src;
  for (const auto &c : b.constraints())
    if (c.dim < kNumFixedDims)
      w.fixed[c.dim] = c.set.min();
  // The least values are consistent after normalize(): absent layers are
  // chosen absent (0), IPv4 (4, 0x0800) comes before IPv6 (6, 0x86dd) in
  // both dimensions, and a non-zero least fragment offset has made ip.frag
  // {1}. An absent IP layer leaves ip.version etc. free (its fiber).
  return w;
}

bool box_contains(const Box &b, const Witness &w) {
  for (const auto &c : b.constraints())
    if (!c.set.contains(w.at(c.dim)))
      return false;
  return true;
}

namespace {

std::string u128_hex(Point v, int width) {
  std::string s;
  for (int i = width - 1; i >= 0; --i)
    s += "0123456789abcdef"[static_cast<unsigned>(v >> (4 * i)) & 0xf];
  return s;
}

IpAddr ip_from(Point v, bool v6) {
  IpAddr a;
  a.family = v6 ? 6 : 4;
  int n = v6 ? 16 : 4;
  for (int i = 0; i < n; ++i)
    a.bytes[i] = static_cast<uint8_t>(v >> (8 * (n - 1 - i)));
  return a;
}

std::string format_value(DimId d, Point v) {
  if (d == kIpSrc6 || d == kIpDst6)
    return ip_to_string(ip_from(v, true));
  const auto &f = field_info(static_cast<FieldId>(d - kNumLayerDims));
  switch (f.type) {
  case TypeKind::Bool:
    return v ? "true" : "false";
  case TypeKind::Ip:
    return ip_to_string(ip_from(v, false));
  case TypeKind::Mac: {
    MacAddr m;
    for (int i = 0; i < 6; ++i)
      m.bytes[i] = static_cast<uint8_t>(v >> (8 * (5 - i)));
    return value_to_string(Value{m}, Type::of(TypeKind::Mac));
  }
  case TypeKind::Proto:
    return value_to_string(Value{ProtoValue{static_cast<uint8_t>(v)}},
                           Type::of(TypeKind::Proto));
  case TypeKind::IcmpType:
    return value_to_string(Value{IcmpTypeValue{false, static_cast<uint8_t>(v)}},
                           Type::of(TypeKind::IcmpType));
  case TypeKind::Icmp6Type:
    return value_to_string(Value{IcmpTypeValue{true, static_cast<uint8_t>(v)}},
                           Type::of(TypeKind::Icmp6Type));
  default:
    if (d == kDimEthType)
      return "0x" + u128_hex(v, 4);
    return std::to_string(static_cast<uint64_t>(v));
  }
}

} // namespace

std::string describe(const Box &region, const Witness &w, const Space &space) {
  auto forced = [&](DimId layer) { return is_one(region.find(layer)); };
  bool l4 = forced(kLayerTcp) || forced(kLayerUdp) || forced(kLayerIcmp) ||
            forced(kLayerIcmp6);
  bool family_known = forced(kLayerIcmp) || forced(kLayerIcmp6) ||
                      forced(kLayerIp6Rh) || region.find(kDimIpSrc4) ||
                      region.find(kDimIpDst4) || region.find(kIpSrc6) ||
                      region.find(kIpDst6);
  std::string out;
  auto add = [&](const std::string &s) {
    if (!out.empty())
      out += ", ";
    out += s;
  };
  for (const auto &c : region.constraints()) {
    DimId d = c.dim;
    if (d < kNumLayerDims || is_opaque(d))
      continue;
    if (d == kDimIpProto && l4)
      continue;
    if (d == kDimIpFragOff && l4 && c.set.is_point() && c.set.min() == 0)
      continue;
    if (d == kDimIpVersion && (family_known || !c.set.is_point()))
      continue;
    if (d == kDimEthType && forced(kLayerIp))
      continue;
    add(space.dim_name(d) + " = " + format_value(d, w.at(d)));
  }
  for (const auto &c : region.constraints()) {
    if (!is_opaque(c.dim))
      continue;
    Point v = w.at(c.dim);
    if (v == kOpaqueUnknown)
      continue;
    const std::string &key = space.opaque_key(c.dim);
    add(v ? key : "not (" + key + ")");
  }
  if (!out.empty())
    return out;
  if (forced(kLayerTcp))
    return "any tcp packet";
  if (forced(kLayerUdp))
    return "any udp packet";
  if (forced(kLayerIcmp))
    return "any icmp packet";
  if (forced(kLayerIcmp6))
    return "any icmpv6 packet";
  if (forced(kLayerIp6Rh))
    return "any ipv6 packet with a routing header";
  if (forced(kLayerIp)) {
    const auto *ver = region.find(kDimIpVersion);
    if (ver && ver->is_point())
      return ver->min() == 4 ? "any ipv4 packet" : "any ipv6 packet";
    return "any ip packet";
  }
  if (forced(kLayerVlan))
    return "any vlan-tagged packet";
  if (is_zero(region.find(kLayerIp)))
    return "any non-ip packet";
  return "any packet";
}

std::string to_string(const Box &b, const Space &space) {
  std::string out = "{";
  bool first = true;
  for (const auto &c : b.constraints()) {
    if (!first)
      out += ", ";
    first = false;
    if (c.dim < kNumLayerDims) {
      out += (c.set.min() ? "" : "!") + space.dim_name(c.dim).substr(6);
      continue;
    }
    if (is_opaque(c.dim)) {
      out += (c.set.min() ? "" : "!") + ("[" + space.opaque_key(c.dim) + "]");
      continue;
    }
    out += space.dim_name(c.dim) + " ";
    bool ip = c.dim == kDimIpSrc4 || c.dim == kDimIpDst4 || c.dim == kIpSrc6 ||
              c.dim == kIpDst6;
    unsigned bits = (c.dim == kIpSrc6 || c.dim == kIpDst6) ? 128 : 32;
    for (size_t i = 0; i < c.set.size(); ++i) {
      if (i)
        out += "|";
      const auto &iv = c.set[i];
      if (iv.lo == iv.hi) {
        out += format_value(c.dim, iv.lo);
        continue;
      }
      if (ip) {
        // A prefix when it is one.
        Point span = iv.hi - iv.lo;
        if ((span & (span + 1)) == 0 && (iv.lo & span) == 0) {
          unsigned host = 0;
          while (host < bits && ((span >> host) & 1))
            ++host;
          out += format_value(c.dim, iv.lo) + "/" + std::to_string(bits - host);
          continue;
        }
      }
      out += format_value(c.dim, iv.lo) + ".." + format_value(c.dim, iv.hi);
    }
  }
  return out + "}";
}

std::string to_string(const std::vector<Box> &d, const Space &space) {
  if (d.empty())
    return "false";
  std::string out;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i)
      out += " | ";
    out += to_string(d[i], space);
  }
  return out;
}

// ----------------------------------------------------------------------- DNF

Dnf dnf_true() { return Dnf{Box{}}; }

std::optional<Dnf> dnf_and(const Dnf &a, const Dnf &b, const DnfLimits &l) {
  Dnf r;
  for (const auto &x : a)
    for (const auto &y : b) {
      Box z;
      if (intersect(x, y, &z)) {
        r.push_back(std::move(z));
        if (r.size() > l.max_boxes * 4)
          return std::nullopt;
      }
    }
  simplify(r);
  if (r.size() > l.max_boxes)
    return std::nullopt;
  return r;
}

std::optional<Dnf> dnf_or(Dnf a, Dnf b, const DnfLimits &l) {
  for (auto &y : b)
    a.push_back(std::move(y));
  simplify(a);
  if (a.size() > l.max_boxes)
    return std::nullopt;
  return a;
}

std::optional<Dnf> dnf_not(const Dnf &a, const DnfLimits &l) {
  Dnf r = dnf_true();
  for (const auto &y : a) {
    Dnf next;
    for (const auto &x : r) {
      subtract(x, y, next);
      if (next.size() > l.max_boxes * 4)
        return std::nullopt;
    }
    simplify(next);
    if (next.size() > l.max_boxes)
      return std::nullopt;
    r = std::move(next);
    if (r.empty())
      break;
  }
  return r;
}

void simplify(Dnf &d) {
  if (d.size() < 2 || d.size() > 64)
    return;
  // Absorption: drop boxes inside another (the earlier of two equal ones
  // stays).
  std::vector<bool> dead(d.size(), false);
  for (size_t i = 0; i < d.size(); ++i) {
    if (dead[i])
      continue;
    for (size_t j = 0; j < d.size(); ++j) {
      if (i == j || dead[j])
        continue;
      if (box_contains(d[j], d[i]) && !(j > i && box_contains(d[i], d[j]))) {
        dead[i] = true;
        break;
      }
    }
  }
  Dnf kept;
  for (size_t i = 0; i < d.size(); ++i)
    if (!dead[i])
      kept.push_back(std::move(d[i]));
  d = std::move(kept);
  // Merge boxes equal but in one dimension, until nothing merges.
  bool merged = true;
  while (merged && d.size() > 1) {
    merged = false;
    for (size_t i = 0; i < d.size() && !merged; ++i)
      for (size_t j = i + 1; j < d.size() && !merged; ++j) {
        const auto &a = d[i].constraints();
        const auto &b = d[j].constraints();
        if (a.size() != b.size())
          continue;
        int diff = -1;
        bool ok = true;
        for (size_t k = 0; k < a.size() && ok; ++k) {
          if (a[k].dim != b[k].dim)
            ok = false;
          else if (a[k].set != b[k].set) {
            if (diff >= 0)
              ok = false;
            diff = static_cast<int>(k);
          }
        }
        if (!ok || diff < 0)
          continue;
        Box m = d[i];
        DimId dim = a[diff].dim;
        m.set(dim, a[diff].set.unite(b[diff].set));
        if (!normalize(m))
          continue;
        d[i] = std::move(m);
        d.erase(d.begin() + static_cast<ptrdiff_t>(j));
        merged = true;
      }
  }
}

// ------------------------------------------------------------ the builder

namespace {

struct Alt {
  Box guard;
  DimId dim;
  int family; // 0: not an address; 4 or 6
};

Box layer_box(Guard g) {
  Box b;
  switch (g) {
  case Guard::None:
  case Guard::L4: // callers expand l4 into tcp and udp
    break;
  case Guard::Vlan:
    b.restrict(kLayerVlan, one());
    break;
  case Guard::Ip:
    b.restrict(kLayerIp, one());
    break;
  case Guard::Ip6:
    b.restrict(kLayerIp, one());
    b.restrict(kDimIpVersion, IntervalSet::point(6));
    break;
  case Guard::Ip6Rh:
    b.restrict(kLayerIp6Rh, one());
    break;
  case Guard::Tcp:
    b.restrict(kLayerTcp, one());
    break;
  case Guard::Udp:
    b.restrict(kLayerUdp, one());
    break;
  case Guard::Icmp:
    b.restrict(kLayerIcmp, one());
    break;
  case Guard::Icmp6:
    b.restrict(kLayerIcmp6, one());
    break;
  }
  normalize(b);
  return b;
}

const std::vector<Alt> &alternatives(const FieldInfo &f) {
  static const auto table = [] {
    std::vector<std::vector<Alt>> t(all_fields().size());
    for (const auto &fi : all_fields()) {
      auto &alts = t[static_cast<size_t>(fi.id)];
      std::string name = fi.name;
      if (fi.guard == Guard::L4) {
        std::string suffix = name.substr(name.find('.'));
        for (const char *proto : {"tcp", "udp"}) {
          const FieldInfo *real = find_field(std::string(proto) + suffix);
          if (!real)
            continue;
          alts.push_back(Alt{layer_box(real->guard), field_dim(real->id), 0});
        }
      } else if (fi.type == TypeKind::Ip) {
        DimId v6 = fi.id == FieldId::IpSrc ? kIpSrc6 : kIpDst6;
        for (int fam : {4, 6}) {
          Box g = layer_box(fi.guard);
          g.restrict(kDimIpVersion, IntervalSet::point(fam));
          normalize(g);
          alts.push_back(
              Alt{std::move(g), fam == 4 ? field_dim(fi.id) : v6, fam});
        }
      } else {
        alts.push_back(Alt{layer_box(fi.guard), field_dim(fi.id), 0});
      }
    }
    return t;
  }();
  return table[static_cast<size_t>(f.id)];
}

Point ip_point(const IpAddr &a) {
  Point v = 0;
  int n = a.family == 6 ? 16 : 4;
  for (int i = 0; i < n; ++i)
    v = (v << 8) | a.bytes[i];
  return v;
}

std::optional<uint64_t> as_uint(const Value &v) {
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

// The set a constant denotes in one alternative's dimension; nullopt when
// the value is of no kind this algebra reads.
std::optional<IntervalSet> value_set(const Value &v, const Alt &alt) {
  Point max = dim_max(alt.dim);
  if (auto *s = std::get_if<SetValue>(&v.v)) {
    std::vector<Interval> all;
    for (const auto &e : s->elements) {
      auto part = value_set(e, alt);
      if (!part)
        return std::nullopt;
      all.insert(all.end(), part->begin(), part->end());
    }
    return IntervalSet::from(std::move(all));
  }
  if (auto *a = std::get_if<IpAddr>(&v.v)) {
    if (!alt.family)
      return std::nullopt;
    if (a->family != alt.family)
      return IntervalSet{};
    return IntervalSet::point(ip_point(*a));
  }
  if (auto *c = std::get_if<Cidr>(&v.v)) {
    if (!alt.family)
      return std::nullopt;
    if (c->addr.family != alt.family)
      return IntervalSet{};
    unsigned bits = alt.family == 6 ? 128 : 32;
    unsigned len = std::min<unsigned>(c->prefix_len, bits);
    Point host = len == 0 ? max : bits_max(bits - len);
    Point lo = ip_point(c->addr) & ~host & max;
    return IntervalSet::range(lo, lo | host);
  }
  if (alt.family)
    return std::nullopt;
  if (auto *m = std::get_if<MacAddr>(&v.v)) {
    Point p = 0;
    for (uint8_t byte : m->bytes)
      p = (p << 8) | byte;
    return IntervalSet::point(p);
  }
  if (auto *r = std::get_if<RangeValue>(&v.v)) {
    if (r->lo > max)
      return IntervalSet{};
    return IntervalSet::range(r->lo, std::min<Point>(r->hi, max));
  }
  if (auto n = as_uint(v)) {
    if (*n > max)
      return IntervalSet{};
    return IntervalSet::point(*n);
  }
  return std::nullopt;
}

const NamedNumber *icmp_name(const FieldInfo *f, const std::string &name) {
  if (f && f->type == TypeKind::Icmp6Type)
    return find_named(icmp6_type_names(), name);
  return find_named(icmp_type_names(), name);
}

// The constant an operand denotes, read through folded constants and
// declarations (consteval fills Expr::constant; the rest is a fallback).
std::optional<Value> constant_of(const Expr &e, const FieldInfo *field);

// The folded constant of an operand without copying it when it is stored
// (the usual case); else computed into `scratch`.
const Value *constant_ref(const Expr &e, const FieldInfo *field,
                          std::optional<Value> &scratch) {
  if (e.constant && !std::holds_alternative<std::monostate>(e.constant->v))
    return &*e.constant;
  if (e.kind == ExprKind::Name) {
    const auto &n = static_cast<const NameExpr &>(e);
    if (n.target == NameExpr::Target::Const && n.decl &&
        n.decl->kind == DeclKind::Const) {
      const auto &c = static_cast<const ConstDecl &>(*n.decl);
      if (c.folded && !std::holds_alternative<std::monostate>(c.folded->v))
        return &*c.folded;
    }
  }
  scratch = constant_of(e, field);
  return scratch ? &*scratch : nullptr;
}

std::optional<Value> constant_of(const Expr &e, const FieldInfo *field) {
  if (e.constant && !std::holds_alternative<std::monostate>(e.constant->v))
    return e.constant;
  switch (e.kind) {
  case ExprKind::Literal: {
    const auto &l = static_cast<const LiteralExpr &>(e);
    if (std::holds_alternative<std::monostate>(l.value.v))
      return std::nullopt;
    return l.value;
  }
  case ExprKind::Name: {
    const auto &n = static_cast<const NameExpr &>(e);
    switch (n.target) {
    case NameExpr::Target::Const:
      if (n.decl && n.decl->kind == DeclKind::Const) {
        const auto &c = static_cast<const ConstDecl &>(*n.decl);
        if (c.folded)
          return c.folded;
        if (c.value)
          return constant_of(*c.value, field);
      }
      return std::nullopt;
    case NameExpr::Target::Proto:
      if (const auto *p = find_named(proto_names(), n.name))
        return Value{ProtoValue{p->number}};
      return std::nullopt;
    case NameExpr::Target::IcmpName:
      if (const auto *i = icmp_name(field, n.name))
        return Value{IcmpTypeValue{field && field->type == TypeKind::Icmp6Type,
                                   i->number}};
      return std::nullopt;
    default:
      return std::nullopt;
    }
  }
  case ExprKind::Set: {
    SetValue s;
    for (const auto &el : static_cast<const SetExpr &>(e).elements) {
      auto v = constant_of(*el, field);
      if (!v)
        return std::nullopt;
      // A const naming a whole set inside a set literal: splice it in.
      if (auto *inner = std::get_if<SetValue>(&v->v))
        s.elements.insert(s.elements.end(), inner->elements.begin(),
                          inner->elements.end());
      else
        s.elements.push_back(std::move(*v));
    }
    return Value{std::move(s)};
  }
  case ExprKind::Range: {
    const auto &r = static_cast<const RangeExpr &>(e);
    if (!r.lo || !r.hi)
      return std::nullopt;
    auto lo = constant_of(*r.lo, field);
    auto hi = constant_of(*r.hi, field);
    if (!lo || !hi)
      return std::nullopt;
    auto l = as_uint(*lo), h = as_uint(*hi);
    if (!l || !h)
      return std::nullopt;
    return Value{RangeValue{*l, *h}};
  }
  default:
    return std::nullopt;
  }
}

// guard ∧ dim ∈ s, per alternative.
Dnf alt_dnf(const std::vector<Alt> &alts,
            const std::vector<std::optional<IntervalSet>> &sets) {
  Dnf out;
  for (size_t i = 0; i < alts.size(); ++i) {
    if (!sets[i] || sets[i]->empty())
      continue;
    // Room for the field's own constraint: the lint keeps these boxes for
    // every rule, so no more (normalizing a special dimension that adds
    // another grows the box then).
    Box b = alts[i].guard.with_room(1);
    if (sets[i]->is_full(dim_max(alts[i].dim)))
      out.push_back(std::move(b));
    else if (b.restrict(alts[i].dim, *sets[i]) &&
             (!special_dim(alts[i].dim) || normalize(b)))
      out.push_back(std::move(b));
  }
  return out;
}

const FieldInfo *field_of(const Expr &e) {
  if (e.kind != ExprKind::Field)
    return nullptr;
  const auto &f = static_cast<const FieldExpr &>(e);
  return f.field ? f.field : find_field(f.path);
}

std::string rate_key(const RateExpr &r, CompareOp op, const Value &rate) {
  std::string key = "rate(";
  for (size_t i = 0; i < r.keys.size(); ++i) {
    if (i)
      key += ", ";
    key += r.keys[i]->path;
  }
  if (r.burst) {
    if (!r.keys.empty())
      key += ", ";
    key += "burst " + std::to_string(*r.burst);
  }
  key += ") ";
  key += compare_op_spelling(op);
  key += " ";
  key += value_to_string(rate, Type::of(TypeKind::Rate));
  return key;
}

Dnf opaque_dnf(DimId d, bool value) {
  Box b;
  b.restrict(d, value ? one() : zero());
  return Dnf{std::move(b)};
}

} // namespace

Dnf guard_dnf(const FieldInfo &f) {
  if (f.guard != Guard::L4)
    return Dnf{layer_box(f.guard)}; // (not per address family)
  Dnf out;
  for (const auto &a : alternatives(f))
    out.push_back(a.guard);
  return out;
}

std::optional<Dnf> ConditionBuilder::build(const Expr &cond) {
  auto d = conv(cond, false);
  if (d)
    simplify(*d);
  return d;
}

std::optional<Dnf> ConditionBuilder::negated(Dnf d) {
  return dnf_not(d, limits_);
}

std::optional<Dnf> ConditionBuilder::conv(const Expr &e, bool negate) {
  if (e.constant)
    if (auto *b = std::get_if<bool>(&e.constant->v))
      return (*b != negate) ? dnf_true() : Dnf{};
  switch (e.kind) {
  case ExprKind::Binary: {
    const auto &b = static_cast<const BinaryExpr &>(e);
    auto l = conv(*b.lhs, negate);
    if (!l)
      return std::nullopt;
    if (l->empty() && (b.op == BinaryOp::And) != negate)
      return Dnf{}; // false ∧ ...
    auto r = conv(*b.rhs, negate);
    if (!r)
      return std::nullopt;
    // De Morgan: under negation `and` becomes `or`.
    if ((b.op == BinaryOp::And) != negate)
      return dnf_and(*l, *r, limits_);
    return dnf_or(std::move(*l), std::move(*r), limits_);
  }
  case ExprKind::Not: {
    const auto &n = static_cast<const NotExpr &>(e);
    const FieldInfo *f = field_of(*n.operand);
    if (semantics_ == NotSemantics::Complement && f &&
        f->type == TypeKind::Bool) {
      // `not tcp.syn`: tcp ∧ ¬syn (the guard of a bare field is kept).
      Dnf d = atom(*n.operand, true);
      return negate ? negated(std::move(d)) : std::optional<Dnf>(std::move(d));
    }
    return conv(*n.operand, !negate);
  }
  default:
    if (semantics_ == NotSemantics::GuardKept)
      return atom(e, negate);
    if (negate)
      return negated(atom(e, false));
    return atom(e, false);
  }
}

Dnf ConditionBuilder::guarded_opaque(DimId d, bool value, const FieldInfo *ga,
                                     const FieldInfo *gb) {
  Dnf out = opaque_dnf(d, value);
  for (const FieldInfo *g : {ga, gb})
    if (g)
      out = dnf_and(out, guard_dnf(*g), limits_).value_or(Dnf{});
  return out;
}

Dnf ConditionBuilder::fresh(const Expr &e, bool negate, const FieldInfo *ga,
                            const FieldInfo *gb) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "<expression at %u:%u>", e.range.begin.line,
                e.range.begin.column);
  return guarded_opaque(space_.fresh_opaque(buf), !negate, ga, gb);
}

Dnf ConditionBuilder::atom(const Expr &e, bool negate) {
  switch (e.kind) {
  case ExprKind::Literal:
  case ExprKind::Name: {
    auto v = constant_of(e, nullptr);
    if (v)
      if (auto *b = std::get_if<bool>(&v->v))
        return (*b != negate) ? dnf_true() : Dnf{};
    return fresh(e, negate, nullptr, nullptr);
  }
  case ExprKind::Field: {
    const FieldInfo *f = field_of(e);
    if (!f || f->type != TypeKind::Bool)
      return fresh(e, negate, f, nullptr);
    std::vector<std::optional<IntervalSet>> sets(alternatives(*f).size(),
                                                 negate ? zero() : one());
    return alt_dnf(alternatives(*f), sets);
  }
  case ExprKind::Compare:
    return compare_atom(static_cast<const CompareExpr &>(e), negate);
  default:
    return fresh(e, negate, nullptr, nullptr);
  }
}

Dnf ConditionBuilder::compare_atom(const CompareExpr &c, bool negate) {
  const Expr *lhs = c.lhs.get();
  const Expr *rhs = c.rhs.get();
  if (!lhs || !rhs)
    return fresh(c, negate, nullptr, nullptr);
  CompareOp op = c.op;

  // rate(...) > RATE (either side): over the rate, for packets that have
  // the key fields.
  if (lhs->kind == ExprKind::Rate || rhs->kind == ExprKind::Rate) {
    const Expr *meter = lhs->kind == ExprKind::Rate ? lhs : rhs;
    const Expr *limit = meter == lhs ? rhs : lhs;
    CompareOp mop = meter == lhs ? op : mirror_op(op);
    auto v = constant_of(*limit, nullptr);
    if (!v || !std::holds_alternative<RateValue>(v->v))
      return fresh(c, negate, nullptr, nullptr);
    const auto &r = static_cast<const RateExpr &>(*meter);
    // `<=` / `<` would be the negation (the type checker rejects them).
    bool value = !negate;
    switch (mop) {
    case CompareOp::Gt:
    case CompareOp::Ge:
      break;
    case CompareOp::Le:
      mop = CompareOp::Gt;
      value = !value;
      break;
    case CompareOp::Lt:
      mop = CompareOp::Ge;
      value = !value;
      break;
    default:
      return fresh(c, negate, nullptr, nullptr);
    }
    Dnf d = opaque_dnf(space_.opaque(rate_key(r, mop, *v)), value);
    for (const auto &k : r.keys)
      if (const FieldInfo *kf = k->field ? k->field : find_field(k->path))
        d = dnf_and(d, guard_dnf(*kf), limits_).value_or(Dnf{});
    return d;
  }

  const FieldInfo *lf = field_of(*lhs);
  const FieldInfo *rf = field_of(*rhs);
  if (lf && rf) {
    // Field against field: an opaque atom under both guards.
    const char *spelling = nullptr;
    bool value = true;
    switch (op) {
    case CompareOp::Eq:
      spelling = "==";
      break;
    case CompareOp::Ne:
      spelling = "==";
      value = false;
      break;
    case CompareOp::Lt:
      spelling = "<";
      break;
    case CompareOp::Ge:
      spelling = "<";
      value = false;
      break;
    case CompareOp::Gt:
      spelling = ">";
      break;
    case CompareOp::Le:
      spelling = ">";
      value = false;
      break;
    default:
      return fresh(c, negate, lf, rf);
    }
    std::string key = std::string(lf->name) + " " + spelling + " " + rf->name;
    return guarded_opaque(space_.opaque(key), value != negate, lf, rf);
  }
  const FieldInfo *f = lf;
  const Expr *other = rhs;
  if (!f && rf) {
    if (op == CompareOp::In || op == CompareOp::NotIn)
      return fresh(c, negate, rf, nullptr);
    f = rf;
    other = lhs;
    op = mirror_op(op);
  }
  if (!f)
    return fresh(c, negate, nullptr, nullptr);

  // Membership in a dynamic set: an opaque atom under the field's guard.
  if (other->kind == ExprKind::Name) {
    const auto &n = static_cast<const NameExpr &>(*other);
    if (n.target == NameExpr::Target::Set) {
      if (op != CompareOp::In && op != CompareOp::NotIn &&
          op != CompareOp::Eq && op != CompareOp::Ne)
        return fresh(c, negate, f, nullptr);
      bool in = op == CompareOp::In || op == CompareOp::Eq;
      std::string key = std::string(f->name) + " in " + n.name;
      return guarded_opaque(space_.opaque(key), in != negate, f, nullptr);
    }
  }

  std::optional<Value> scratch;
  const Value *v = constant_ref(*other, f, scratch);
  if (!v)
    return fresh(c, negate, f, nullptr);
  // The set of the positive comparison, complemented (within the domain,
  // under the guard) for != / not in, and again when negated.
  bool complement = negate;
  switch (op) {
  case CompareOp::Ne:
    op = CompareOp::Eq;
    complement = !complement;
    break;
  case CompareOp::NotIn:
    op = CompareOp::In;
    complement = !complement;
    break;
  default:
    break;
  }
  const auto &alts = alternatives(*f);
  std::vector<std::optional<IntervalSet>> sets(alts.size());
  for (size_t i = 0; i < alts.size(); ++i) {
    Point max = dim_max(alts[i].dim);
    IntervalSet base;
    if (op == CompareOp::Eq || op == CompareOp::In) {
      auto s = value_set(*v, alts[i]);
      if (!s)
        return fresh(c, negate, f, nullptr);
      base = std::move(*s);
    } else {
      auto n = as_uint(*v);
      if (!n || alts[i].family)
        return fresh(c, negate, f, nullptr);
      Point x = *n;
      switch (op) {
      case CompareOp::Lt:
        base = x == 0 ? IntervalSet{}
                      : IntervalSet::range(0, std::min(x - 1, max));
        break;
      case CompareOp::Le:
        base = IntervalSet::range(0, std::min(x, max));
        break;
      case CompareOp::Gt:
        base = x >= max ? IntervalSet{} : IntervalSet::range(x + 1, max);
        break;
      case CompareOp::Ge:
        base = x > max ? IntervalSet{} : IntervalSet::range(x, max);
        break;
      default:
        return fresh(c, negate, f, nullptr);
      }
    }
    sets[i] = complement ? base.complement(max) : std::move(base);
  }
  return alt_dnf(alts, sets);
}

// ----------------------------------------------------------------- the index

namespace {

constexpr size_t kMaxKeyBlocks = 16;

unsigned ctz128(Point v) {
  auto lo = static_cast<uint64_t>(v);
  if (lo)
    return static_cast<unsigned>(__builtin_ctzll(lo));
  auto hi = static_cast<uint64_t>(v >> 64);
  return hi ? 64 + static_cast<unsigned>(__builtin_ctzll(hi)) : 128;
}

unsigned log2_128(Point v) { // v > 0
  auto hi = static_cast<uint64_t>(v >> 64);
  if (hi)
    return 127 - static_cast<unsigned>(__builtin_clzll(hi));
  return 63 - static_cast<unsigned>(__builtin_clzll(static_cast<uint64_t>(v)));
}

// The aligned power-of-two blocks (shift, value >> shift) whose union is
// a set, at most kMaxKeyBlocks of them.
struct Blocks {
  std::array<std::pair<uint8_t, Point>, kMaxKeyBlocks> b;
  size_t n = 0;
};

bool blocks_of(const IntervalSet &s, Blocks &out) {
  out.n = 0;
  for (const auto &iv : s) {
    Point lo = iv.lo;
    for (;;) {
      // The largest aligned block starting at lo and ending by iv.hi.
      Point span = iv.hi - lo; // block size - 1 <= span
      unsigned fit = span == kMaxPoint ? 127 : log2_128(span + 1);
      unsigned shift = std::min({ctz128(lo), fit, 127u});
      if (out.n == kMaxKeyBlocks)
        return false;
      out.b[out.n++] = {static_cast<uint8_t>(shift), lo >> shift};
      Point end = lo + ((Point{1} << shift) - 1);
      if (end >= iv.hi)
        break;
      lo = end + 1;
    }
  }
  return true;
}

// Dimensions that layers imply: poor keys (every TCP rule has ip.proto 6),
// used only when a box has nothing else.
bool implied_dim(DimId d) {
  return d < kNumLayerDims || d == kDimIpVersion || d == kDimEthType ||
         d == kDimIpFragOff || d == kDimIpFrag || d == kDimIpProto;
}

} // namespace

size_t BoxIndex::block_hash(const BlockKey &k) {
  uint64_t lo = static_cast<uint64_t>(k.prefix);
  uint64_t hi = static_cast<uint64_t>(k.prefix >> 64);
  uint64_t h =
      lo * 0x9e3779b97f4a7c15ULL ^ (hi + k.shift) * 0xc2b2ae3d27d4eb4fULL;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ULL;
  return static_cast<size_t>(h ^ (h >> 32));
}

namespace {

constexpr unsigned kSmallDomainBits = 16;
constexpr size_t kPresentMask = (size_t{1} << 17) - 1;

unsigned dim_bits(DimId d) {
  Point m = dim_max(d);
  unsigned bits = 0;
  while (bits < 128 && (m >> bits) != 0)
    ++bits;
  return bits;
}

// Where the blocks of size 2^shift start in a small domain's slot array.
size_t slot_offset(unsigned bits, unsigned shift) {
  size_t off = 0;
  for (unsigned t = 0; t < shift; ++t)
    off += size_t{1} << (bits - t);
  return off;
}

} // namespace

void BoxIndex::IdList::push_back(uint32_t id) {
  if (size_ < kInline) {
    inline_[size_++] = id;
    return;
  }
  if (size_ == kInline)
    heap_.assign(inline_, inline_ + kInline);
  heap_.push_back(id);
  ++size_;
}

const uint32_t *BoxIndex::BlockTable::find(const BlockKey &key,
                                           size_t h) const {
  if (slots_.empty())
    return nullptr;
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot &s = slots_[i];
    if (s.list == UINT32_MAX)
      return nullptr;
    if (s.shift == key.shift && s.prefix == key.prefix)
      return &s.list;
  }
}

uint32_t &BoxIndex::BlockTable::get(const BlockKey &key, size_t h) {
  if (2 * (used_ + 1) > slots_.size())
    grow();
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    Slot &s = slots_[i];
    if (s.list == UINT32_MAX) {
      // A new key: the caller stores its list number here right away (the
      // slot counts as free until then).
      s.shift = key.shift;
      s.prefix = key.prefix;
      ++used_;
      return s.list;
    }
    if (s.shift == key.shift && s.prefix == key.prefix)
      return s.list;
  }
}

void BoxIndex::BlockTable::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(std::max<size_t>(64, 2 * old.size()), Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot &s : old) {
    if (s.list == UINT32_MAX)
      continue;
    size_t i = block_hash(BlockKey{s.shift, s.prefix}) & mask;
    while (slots_[i].list != UINT32_MAX)
      i = (i + 1) & mask;
    slots_[i] = s;
  }
}

BoxIndex::Partition::Partition(DimId d) : bits(dim_bits(d)) {
  if (bits <= kSmallDomainBits)
    slot.assign(slot_offset(bits, bits + 1), UINT32_MAX);
}

const BoxIndex::IdList *BoxIndex::Partition::find(uint8_t shift,
                                                  Point prefix) const {
  if (!slot.empty()) {
    if (shift > bits)
      return nullptr;
    uint32_t i = slot[slot_offset(bits, shift) + static_cast<size_t>(prefix)];
    return i == UINT32_MAX ? nullptr : &lists[i];
  }
  BlockKey key{shift, prefix};
  size_t h = block_hash(key);
  if (shift >= present.size() || present[shift].empty())
    return nullptr;
  size_t bit = (h >> 20) & kPresentMask;
  if (!(present[shift][bit >> 6] >> (bit & 63) & 1))
    return nullptr;
  const uint32_t *i = index.find(key, h);
  return i ? &lists[*i] : nullptr;
}

BoxIndex::IdList &BoxIndex::Partition::block(uint8_t shift, Point prefix) {
  uint32_t *i;
  if (!slot.empty()) {
    i = &slot[slot_offset(bits, shift) + static_cast<size_t>(prefix)];
  } else {
    BlockKey key{shift, prefix};
    if (present.size() <= shift)
      present.resize(shift + 1);
    if (present[shift].empty())
      present[shift].assign((kPresentMask + 1) / 64, 0);
    size_t h = block_hash(key);
    size_t bit = (h >> 20) & kPresentMask;
    present[shift][bit >> 6] |= uint64_t{1} << (bit & 63);
    i = &index.get(key, h);
  }
  if (*i == UINT32_MAX) {
    *i = static_cast<uint32_t>(lists.size());
    lists.emplace_back();
  }
  return lists[*i];
}

BoxIndex::Partition *BoxIndex::partition(DimId d, bool create) {
  if (d < kNumFixedDims) {
    auto &p = fixed_[d];
    if (!p && create) {
      p = std::make_unique<Partition>(d);
      active_fixed_.push_back(d);
    }
    return p.get();
  }
  auto it = opaque_.find(d);
  if (it != opaque_.end())
    return it->second.get();
  if (!create)
    return nullptr;
  return opaque_.emplace(d, std::make_unique<Partition>(d)).first->second.get();
}

const BoxIndex::Partition *BoxIndex::partition(DimId d) const {
  if (d < kNumFixedDims)
    return fixed_[d].get();
  auto it = opaque_.find(d);
  return it == opaque_.end() ? nullptr : it->second.get();
}

namespace {

// The hull of a set: one interval.
IntervalSet hull_of(const IntervalSet &s) {
  return IntervalSet::range(s.min(), s[s.size() - 1].hi);
}

// Dimension by dimension (no normalization): may a box inside `hull`
// meet b?
bool hull_meets(const Box &hull, const Box &b) {
  const auto &hc = hull.constraints();
  const auto &bc = b.constraints();
  size_t i = 0, j = 0;
  while (i < hc.size() && j < bc.size()) {
    if (hc[i].dim < bc[j].dim)
      ++i;
    else if (bc[j].dim < hc[i].dim)
      ++j;
    else {
      if (!hc[i].set.intersects(bc[j].set))
        return false;
      ++i;
      ++j;
    }
  }
  return true;
}

} // namespace

void BoxIndex::insert(const Box *box, uint32_t tag) {
  auto id = static_cast<uint32_t>(entries_.size());
  if (!entries_.empty() && tag > entries_.back().tag)
    descending_ = false;
  entries_.push_back(Entry{box, tag});
  stamp_.push_back(0);

  // Choose the key: the constrained dimension whose blocks hold the fewest
  // boxes; opaque atoms only before implied dimensions, and these only
  // when there is nothing else.
  DimId best = 0;
  uint64_t best_cost = ~uint64_t{0};
  Blocks blocks, best_blocks;
  for (int implied = 0; implied < 2 && best_cost == ~uint64_t{0}; ++implied) {
    for (const auto &c : box->constraints()) {
      if (implied_dim(c.dim) != (implied == 1) || !blocks_of(c.set, blocks))
        continue;
      uint64_t cost = blocks.n;
      if (is_opaque(c.dim))
        cost += uint64_t{1} << 20;
      if (const Partition *p = partition(c.dim))
        for (size_t k = 0; k < blocks.n; ++k)
          if (const auto *ids = p->find(blocks.b[k].first, blocks.b[k].second))
            cost += ids->size() * 4;
      if (cost < best_cost) {
        best_cost = cost;
        best = c.dim;
        best_blocks = blocks;
      }
    }
  }
  if (best_cost == ~uint64_t{0}) {
    unkeyed_.push_back(id);
    return;
  }
  Partition *p = partition(best, true);
  // Widen the hull (a dimension some entry leaves free is free).
  if (p->all.empty()) {
    for (const auto &c : box->constraints())
      p->hull.set(c.dim, hull_of(c.set));
  } else {
    bool widen = false;
    for (const auto &c : p->hull.constraints()) {
      const IntervalSet *s = box->find(c.dim);
      if (!s || s->min() < c.set.min() ||
          (*s)[s->size() - 1].hi > c.set[0].hi) {
        widen = true;
        break;
      }
    }
    if (widen) {
      Box hull;
      for (const auto &c : p->hull.constraints())
        if (const IntervalSet *s = box->find(c.dim))
          hull.set(c.dim, IntervalSet::range(
                              std::min(c.set.min(), s->min()),
                              std::max(c.set[0].hi, (*s)[s->size() - 1].hi)));
      p->hull = std::move(hull);
    }
  }
  p->all.push_back(id);
  for (size_t k = 0; k < best_blocks.n; ++k) {
    const auto &b = best_blocks.b[k];
    p->block(b.first, b.second).push_back(id);
    auto pos = std::lower_bound(p->shifts.begin(), p->shifts.end(), b.first);
    if (pos == p->shifts.end() || *pos != b.first)
      p->shifts.insert(pos, b.first);
  }
}

bool BoxIndex::for_each_containing(const Witness &w, Filter filter,
                                   Visit f) const {
  auto visit_ids = [&](const auto &ids) {
    for (uint32_t id : ids) {
      const Entry &e = entries_[id];
      if (!filter(e.tag) || !box_contains(*e.box, w))
        continue;
      if (!f(id))
        return false;
    }
    return true;
  };
  auto visit_partition = [&](const Partition &p, Point v) {
    if (!box_contains(p.hull, w))
      return true;
    for (uint8_t shift : p.shifts) {
      const auto *ids = p.find(shift, v >> shift);
      if (ids && !visit_ids(*ids))
        return false;
    }
    return true;
  };
  for (DimId d : active_fixed_)
    if (!visit_partition(*fixed_[d], w.fixed[d]))
      return false;
  if (!opaque_.empty() && w.opaque_src) {
    // Only atoms the witness has a value for can hold boxes containing it.
    for (const auto &c : w.opaque_src->constraints()) {
      if (!is_opaque(c.dim) || !c.set.is_point())
        continue;
      if (const Partition *p = partition(c.dim))
        if (!visit_partition(*p, c.set.min()))
          return false;
    }
  }
  return visit_ids(unkeyed_);
}

void BoxIndex::candidate_lists(const Partition &p, DimId d, const Box &b,
                               std::vector<IdSpan> &out) const {
  if (!hull_meets(p.hull, b))
    return;
  const IntervalSet *s = b.find(d);
  const IdSpan all{p.all.data(), p.all.data() + p.all.size()};
  if (!s) {
    out.push_back(all);
    return;
  }
  // Enumerate the blocks overlapping s when there are few of them, else
  // scan the partition.
  const Point limit = std::min<Point>(4096, 4 * p.num_blocks() + 16);
  Point keys = 0;
  for (uint8_t shift : p.shifts)
    for (const auto &iv : *s) {
      keys += (iv.hi >> shift) - (iv.lo >> shift) + 1;
      if (keys > limit) {
        out.push_back(all);
        return;
      }
    }
  for (uint8_t shift : p.shifts)
    for (const auto &iv : *s)
      for (Point q = iv.lo >> shift;; ++q) {
        if (const IdList *ids = p.find(shift, q))
          out.push_back(IdSpan{ids->begin(), ids->end()});
        if (q == (iv.hi >> shift))
          break;
      }
}

template <typename Fn>
void BoxIndex::for_each_partition(Fn &&fn) const {
  for (DimId d : active_fixed_)
    fn(*fixed_[d], d);
  for (const auto &[d, p] : opaque_)
    fn(*p, d);
}

template <typename Test>
bool BoxIndex::for_each_candidate(const Box &b, Filter filter,
                                  size_t max_examined, Test &&test) const {
  if (++epoch_ == 0) {
    std::fill(stamp_.begin(), stamp_.end(), 0);
    epoch_ = 1;
  }
  auto &lists = scratch_;
  lists.clear();
  for_each_partition(
      [&](const Partition &p, DimId d) { candidate_lists(p, d, b, lists); });
  lists.push_back(IdSpan{unkeyed_.data(), unkeyed_.data() + unkeyed_.size()});
  size_t examined = 0;
  for (const IdSpan &ids : lists)
    for (const uint32_t *at = ids.first; at != ids.last; ++at) {
      const uint32_t id = *at;
      if (stamp_[id] == epoch_)
        continue;
      stamp_[id] = epoch_;
      if (!filter(entries_[id].tag))
        continue;
      if (++examined > max_examined)
        return false;
      if (!test(id))
        return false;
    }
  return true;
}

bool BoxIndex::for_each_intersecting(const Box &b, Filter filter, Visit f,
                                     size_t max_examined) const {
  return for_each_candidate(b, filter, max_examined, [&](uint32_t id) {
    return !intersects(*entries_[id].box, b) || f(id);
  });
}

bool BoxIndex::for_each_intersection(const Box &b, Filter filter, VisitMeet f,
                                     size_t max_examined) const {
  return for_each_candidate(b, filter, max_examined, [&](uint32_t id) {
    Box meet;
    return !intersect(b, *entries_[id].box, &meet) || f(id, std::move(meet));
  });
}

uint32_t BoxIndex::least_tag_meeting(const Box &b, size_t max_examined) const {
  uint32_t best = UINT32_MAX;
  size_t examined = 0;
  bool over = false;
  if (!descending_) {
    bool ok = for_each_intersecting(
        b, [](uint32_t) { return true; },
        [&](uint32_t id) {
          best = std::min(best, entries_[id].tag);
          return true;
        },
        max_examined);
    return ok ? best : 0;
  }
  auto &lists = scratch_;
  lists.clear();
  for_each_partition(
      [&](const Partition &p, DimId d) { candidate_lists(p, d, b, lists); });
  lists.push_back(IdSpan{unkeyed_.data(), unkeyed_.data() + unkeyed_.size()});
  for (const IdSpan &ids : lists) {
    // Newest first: increasing tags, so the first box meeting b is the
    // least of this list, and a tag not below `best` ends the list.
    for (const uint32_t *at = ids.last; at != ids.first;) {
      const Entry &e = entries_[*--at];
      if (e.tag >= best)
        break;
      if (++examined > max_examined) {
        over = true;
        break;
      }
      if (intersects(*e.box, b)) {
        best = e.tag;
        break;
      }
    }
    if (over)
      return 0;
  }
  return best;
}

// ------------------------------------------------------------------- cover

CoverResult cover(const CoverItem *items, size_t n, const BoxIndex &index,
                  BoxIndex::Filter filter, const CoverLimits &limits) {
  CoverResult r;
  size_t steps = 0;
  // Pieces left by subtractions, owned here; work refers to them by index
  // (the vector may move them).
  struct Work {
    const Box *ext;
    size_t piece;
    const Box *opaque_src;
  };
  std::vector<Box> pieces;
  std::vector<Work> work;
  std::vector<Box> split;
  for (size_t k = 0; k < n; ++k) {
    Work cur{items[k].box, 0, items[k].opaque_src};
    for (;;) {
      const Box &box = cur.ext ? *cur.ext : pieces[cur.piece];
      Witness w = witness(box, cur.opaque_src);
      // The first-matching box: the least tag among those containing w.
      int64_t best = -1;
      uint32_t best_tag = 0;
      bool ok = index.for_each_containing(w, filter, [&](uint32_t id) {
        if (++r.visits > limits.max_visits)
          return false;
        uint32_t tag = index.entry(id).tag;
        if (best < 0 || tag < best_tag) {
          best = id;
          best_tag = tag;
        }
        return true;
      });
      if (!ok) {
        r.status = CoverResult::Status::Unknown;
        return r;
      }
      if (best < 0) {
        r.status = CoverResult::Status::NotCovered;
        r.uncovered = w;
        r.uncovered_box = box;
        return r;
      }
      r.used.push_back(best_tag);
      r.steps = ++steps;
      if (steps > limits.max_steps) {
        r.status = CoverResult::Status::Unknown;
        return r;
      }
      split.clear();
      subtract_meeting(box, *index.entry(static_cast<uint32_t>(best)).box,
                       split);
      for (auto &p : split) {
        pieces.push_back(std::move(p));
        work.push_back(Work{nullptr, pieces.size() - 1, cur.opaque_src});
      }
      if (work.empty())
        break;
      cur = work.back();
      work.pop_back();
    }
  }
  r.status = CoverResult::Status::Covered;
  return r;
}

} // namespace psl::cs
