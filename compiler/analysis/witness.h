// A witness: one packet of a box, as the lint names it in a diagnostic
// and the cover computation follows it.
#pragma once

#include <array>

#include "analysis/box.h"

namespace psl::analysis {

// One packet of a box: the least value of every constrained dimension
// (after normalize() that combination is a real packet; absent layers are
// chosen absent), kOpaqueUnknown for opaque atoms that `opaque_src` does
// not constrain.
struct Witness {
  std::array<Point, kNumFixedDims> fixed{};
  const Box *opaque_src = nullptr;
  Point at(DimId d) const;
};
Witness witness(const Box &b, const Box *opaque_src);
bool box_contains(const Box &b, const Witness &w);

} // namespace psl::analysis
