#include "analysis/space.h"

#include <array>

namespace psl::analysis {

namespace {

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

} // namespace

const IntervalSet &one() {
  static const IntervalSet s = IntervalSet::point(1);
  return s;
}
const IntervalSet &zero() {
  static const IntervalSet s = IntervalSet::point(0);
  return s;
}

Point dim_max(DimId d) { return d < kNumFixedDims ? kFixedMax[d] : Point{1}; }

DimId Space::opaque(const std::string &key) {
  std::lock_guard<std::mutex> hold(lock_);
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
  std::lock_guard<std::mutex> hold(lock_);
  DimId d = kNumFixedDims + static_cast<DimId>(keys_.size());
  keys_.push_back(hint);
  return d;
}

const std::string &Space::opaque_key(DimId d) const {
  std::lock_guard<std::mutex> hold(lock_);
  return keys_.at(d - kNumFixedDims);
}

size_t Space::num_opaque() const {
  std::lock_guard<std::mutex> hold(lock_);
  return keys_.size();
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

} // namespace psl::analysis
