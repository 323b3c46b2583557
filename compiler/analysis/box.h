// Boxes: products of per-dimension interval sets (space.h), and the
// primitives the lint and the cover computation use on them:
// intersection, subtraction (box minus box: at most one piece per
// constrained dimension) and containment.
#pragma once

#include <cstddef>
#include <vector>

#include "analysis/interval_set.h"
#include "analysis/space.h"

namespace psl::analysis {

struct Constraint {
  DimId dim;
  IntervalSet set;
};

// A product of per-dimension sets; unconstrained dimensions are full.
class Box {
public:
  const std::vector<Constraint> &constraints() const { return c_; }
  const IntervalSet *find(DimId d) const;
  // Intersects dimension d with s. Returns false when that dimension
  // becomes empty (the box is then empty).
  bool restrict(DimId d, const IntervalSet &s);
  // Replaces the set of dimension d.
  void set(DimId d, IntervalSet s);
  void erase(DimId d);
  bool unconstrained() const { return c_.empty(); }
  // A copy with room for `extra` more constraints (no reallocation).
  Box with_room(size_t extra) const {
    Box b;
    b.c_.reserve(c_.size() + extra);
    b.c_ = c_;
    return b;
  }
  bool operator==(const Box &o) const;

private:
  friend bool normalize(Box &b);
  friend bool intersect(const Box &a, const Box &b, Box *out);
  std::vector<Constraint> c_; // sorted by dim
};

// out = a ∩ b (both normalized), normalized. False when empty.
bool intersect(const Box &a, const Box &b, Box *out);
bool intersects(const Box &a, const Box &b);
// Appends a \ b (normalized, non-empty pieces, pairwise disjoint) to out.
void subtract(const Box &a, const Box &b, std::vector<Box> &out);
// The same, for boxes known to meet (skips the test).
void subtract_meeting(const Box &a, const Box &b, std::vector<Box> &out);
// Sufficient (exact on normalized boxes up to impossible points):
// inner ⊆ outer dimension by dimension.
bool box_contains(const Box &outer, const Box &inner);

} // namespace psl::analysis
