#include "analysis/normalize.h"

namespace psl::analysis {

namespace {

constexpr uint64_t kEthIpv4 = 0x0800;
constexpr uint64_t kEthIpv6 = 0x86dd;

} // namespace

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

} // namespace psl::analysis
