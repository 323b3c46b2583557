#include "govern/rule_shape.h"

#include "analysis/condition_builder.h"
#include "analysis/describe.h"
#include "analysis/witness.h"

namespace psr::govern {

namespace cs = psl::analysis;

namespace {

constexpr cs::Point kMaxV4 = cs::Point{1} << 24;  // a /8
constexpr cs::Point kMaxV6 = cs::Point{1} << 96;  // a /32
constexpr cs::Point kMaxMac = cs::Point{1} << 24; // an OUI
constexpr cs::Point kMaxPorts = 1024;

// Points in `s`, saturating at `cap + 1` (the full IPv6 space does not
// fit in 128 bits).
cs::Point points(const cs::IntervalSet &s, cs::Point cap) {
  cs::Point n = 0;
  for (const cs::Interval &i : s) {
    const cs::Point span = i.hi - i.lo; // + 1 below, unless that overflows
    if (span >= cap || n + span + 1 > cap)
      return cap + 1;
    n += span + 1;
  }
  return n;
}

cs::Point cap_of(cs::DimId d) {
  using psl::FieldId;
  if (d == cs::kDimIpSrc4 || d == cs::kDimIpDst4)
    return kMaxV4;
  if (d == cs::kIpSrc6 || d == cs::kIpDst6)
    return kMaxV6;
  if (d == cs::field_dim(FieldId::EthSrc) ||
      d == cs::field_dim(FieldId::EthDst))
    return kMaxMac;
  for (FieldId f : {FieldId::TcpSport, FieldId::TcpDport, FieldId::UdpSport,
                    FieldId::UdpDport, FieldId::L4Sport, FieldId::L4Dport})
    if (d == cs::field_dim(f))
      return kMaxPorts;
  return 0; // does not narrow
}

bool narrows(const cs::Constraint &c, const cs::Space &space) {
  if (cs::is_opaque(c.dim)) {
    // A rate() that must be over its rate bounds the rule.
    return space.opaque_key(c.dim).rfind("rate(", 0) == 0 && c.set.is_point() &&
           c.set.min() == 1;
  }
  const cs::Point cap = cap_of(c.dim);
  return cap != 0 && points(c.set, cap) <= cap;
}

// Whether the box fixes a protocol (a transport layer or ip.proto).
bool fixes_protocol(const cs::Box &b) {
  for (cs::DimId d :
       {cs::DimId{cs::kLayerTcp}, cs::DimId{cs::kLayerUdp},
        cs::DimId{cs::kLayerIcmp}, cs::DimId{cs::kLayerIcmp6}, cs::kDimIpProto})
    if (b.find(d) != nullptr)
      return true;
  return false;
}

} // namespace

ShapeFinding drop_shape(const psl::RuleDecl &rule) {
  cs::Space space;
  cs::ConditionBuilder builder(space, cs::DnfLimits{256});
  std::optional<cs::Dnf> dnf = builder.build(*rule.cond);
  if (!dnf)
    return {Shape::TooComplex, {}};
  for (const cs::Box &b : *dnf) {
    bool narrow = false;
    for (const cs::Constraint &c : b.constraints())
      narrow = narrow || narrows(c, space);
    if (narrow)
      continue;
    ShapeFinding f;
    f.shape = fixes_protocol(b) ? Shape::WholeProtocol : Shape::DropsEverything;
    f.example = cs::describe(b, cs::witness(b, &b), space);
    return f;
  }
  return {};
}

} // namespace psr::govern
