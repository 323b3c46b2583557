// A condition as a union of boxes (disjunctive normal form) and its
// boolean algebra, bounded by DnfLimits.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "analysis/box.h"

namespace psl::analysis {

using Dnf = std::vector<Box>; // a union of boxes; empty: false

// Limits keep the work per condition bounded; an operation that would
// exceed max_boxes returns nullopt ("too complex").
struct DnfLimits {
  size_t max_boxes = 256;
};

Dnf dnf_true();
std::optional<Dnf> dnf_and(const Dnf &a, const Dnf &b, const DnfLimits &l);
std::optional<Dnf> dnf_or(Dnf a, Dnf b, const DnfLimits &l);
std::optional<Dnf> dnf_not(const Dnf &a, const DnfLimits &l);
// Drops boxes contained in others and merges boxes that differ in one
// dimension (for small DNFs; exact either way).
void simplify(Dnf &d);

} // namespace psl::analysis
