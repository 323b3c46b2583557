// The layer implications of a box (TCP => IP, ip.proto 6 and ip.frag_off
// 0; ICMP => IPv4; IP => ip.version in {4,6} and eth.type 0x0800/0x86dd
// ...): normalize() removes points no packet has, so that a normalized
// non-empty box always contains a real packet and witness() can name one.
#pragma once

#include "analysis/box.h"

namespace psl::analysis {

// Applies the layer implications and drops full dimensions. Returns false
// when the box holds no real packet.
bool normalize(Box &b);

// The dimensions normalize() reads and writes: the layers, ip.version,
// eth.type, ip.proto, ip.frag and ip.frag_off. Layers imply them, so they
// are poor index keys (every TCP rule has ip.proto 6).
inline bool normalized_dim(DimId d) {
  return d < kNumLayerDims || d == kDimIpVersion || d == kDimEthType ||
         d == kDimIpProto || d == kDimIpFrag || d == kDimIpFragOff;
}

} // namespace psl::analysis
