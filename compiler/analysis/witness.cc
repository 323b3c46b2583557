#include "analysis/witness.h"

namespace psl::analysis {

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

} // namespace psl::analysis
