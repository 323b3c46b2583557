// The condition space: a typed, folded PSL condition as a set of packets.
// The lint reasons with its algebra (box.h, dnf.h, cover.h) and the
// lowering with its interval sets; this file names its dimensions.
//
// Representation
//   A packet is a point in a product space of dimensions:
//     - layer dimensions, {0,1}: VLAN tag, IP, IPv6 routing header, TCP,
//       UDP, ICMP, ICMPv6 present (the field guards of ast/fields.h);
//     - one dimension per field, over its domain (0..2^bits-1, {0,1} for
//       bools, 48 bits for MACs); ip.src and ip.dst have two each, an IPv4
//       half (32 bits) and an IPv6 half (128 bits), so the family is part
//       of the value and 10.0.0.0/8 never collides with ::a00:0/104;
//     - one {0,1} dimension per opaque atom (a rate() comparison, the
//       membership in a dynamic set), identified by a canonical key.
//   A field of an absent layer (tcp.dport of a UDP packet, the IPv6 half
//   of ip.src of an IPv4 packet) has no value: the packet stands for every
//   value of that dimension (its "fiber"). Every condition is built so that
//   its set is a union of whole fibers; on such sets point emptiness is
//   packet emptiness, which is what makes the algebra below exact.
//
//   A Box constrains some dimensions to interval sets (the others are
//   unconstrained). A condition is a Dnf: a union of boxes.
//
//   Layers carry implications (TCP ⇒ IP, ip.proto 6 and ip.frag_off 0;
//   ICMP ⇒ IPv4; IP ⇒ ip.version ∈ {4,6} and eth.type 0x0800/0x86dd ...).
//   normalize() applies them, removing points no packet has, so that a
//   normalized non-empty box always contains a real packet and witness()
//   can name one.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "analysis/interval_set.h"
#include "ast/fields.h"

namespace psl::analysis {

using DimId = uint32_t;

// Inner layers first: a box is split along its dimensions in this order,
// so `not (tcp.dport == 22)` reads {!tcp} | {tcp, dport ≠ 22}.
enum LayerDim : DimId {
  kLayerTcp,
  kLayerUdp,
  kLayerIcmp,
  kLayerIcmp6,
  kLayerIp6Rh,
  kLayerVlan,
  kLayerIp,
  kNumLayerDims,
};

constexpr DimId kNumFields = 0
#define PSL_FIELD(id, name, type, bits, guard, doc) +1
#include "ast/fields.def"
#undef PSL_FIELD
    ;

// The dimension of a field (for ip.src / ip.dst: the IPv4 half).
constexpr DimId field_dim(FieldId f) {
  return kNumLayerDims + static_cast<DimId>(f);
}
constexpr DimId kIpSrc6 = kNumLayerDims + kNumFields;
constexpr DimId kIpDst6 = kIpSrc6 + 1;
constexpr DimId kNumFixedDims = kIpDst6 + 1;
constexpr DimId kDimIpVersion = field_dim(FieldId::IpVersion);
constexpr DimId kDimEthType = field_dim(FieldId::EthType);
constexpr DimId kDimIpProto = field_dim(FieldId::IpProto);
constexpr DimId kDimIpFrag = field_dim(FieldId::IpFrag);
constexpr DimId kDimIpFragOff = field_dim(FieldId::IpFragOff);
constexpr DimId kDimIpSrc4 = field_dim(FieldId::IpSrc);
constexpr DimId kDimIpDst4 = field_dim(FieldId::IpDst);

inline bool is_opaque(DimId d) { return d >= kNumFixedDims; }
// Largest value of a dimension (opaque atoms: 1).
Point dim_max(DimId d);

// The value a witness gives an opaque atom that its region does not
// constrain: neither true nor false, so no box that relies on the atom
// contains it (a covering rule may only rely on an opaque atom that the
// covered region has with the same polarity).
constexpr Point kOpaqueUnknown = 2;

// The dimensions of one policy: the fixed ones and its opaque atoms.
// One thread may add atoms while others read names and keys (the lint
// builds conditions on a second thread while it checks the rules built
// before): every member locks, and a key, once added, never moves.
class Space {
public:
  // The opaque atom with this canonical key (created on first use). Keys
  // are readable: "ip.src in banned", "rate(ip.src, burst 500) > 100/s".
  DimId opaque(const std::string &key);
  // A fresh atom equal to no other (for an expression the algebra cannot
  // read; it then never helps to prove anything).
  DimId fresh_opaque(const std::string &hint);
  const std::string &opaque_key(DimId d) const;
  size_t num_opaque() const;
  // "tcp.dport", "ip.src", "layer tcp", or the key of an opaque atom.
  std::string dim_name(DimId d) const;

private:
  mutable std::mutex lock_;
  std::unordered_map<std::string, DimId> ids_;
  std::deque<std::string> keys_; // by DimId - kNumFixedDims
};

// The sets {1} and {0}: a layer or opaque atom present / absent.
const IntervalSet &one();
const IntervalSet &zero();
// Whether a {0,1} dimension's set (null: unconstrained) is {1} / {0}.
inline bool is_one(const IntervalSet *s) {
  return s && s->size() == 1 && (*s)[0].lo == 1;
}
inline bool is_zero(const IntervalSet *s) {
  return s && s->size() == 1 && (*s)[0].hi == 0;
}

} // namespace psl::analysis
