// The lowering's conjunctions: a rule's NNF condition (Cond) of field
// tests expanded into alternatives, each a conjunction of field atoms (one
// per field), and what such a conjunction costs as map keys. Placement
// (placement.h) decides each conjunction's lookup group from its shape.
//
// The expansion is the one of compiler/analysis/dnf.h (the checks' too),
// with Conj as its term: why the lowering keeps per-field atoms rather
// than boxes, and does not simplify them, is said there.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "analysis/dnf.h"
#include "lower/classifier.h"

namespace psl::lower {

using Conj = std::vector<FieldAtom>;    // sorted by field, one atom per field
using Conjunctions = std::vector<Conj>; // a union; empty: false

// a and b for two conjunctions into out; false when empty.
bool conj_and(const Conj &a, const Conj &b, Conj &out);

// The alternatives of a condition of field tests; nullopt when it has an
// opaque atom (rate(), a dynamic set, field against field) or more than
// `max` alternatives.
std::optional<Conjunctions> to_conjunctions(const Cond &c, size_t max);

// `A and rate(...) > R` (the rate test last and not inverted, A free of
// side effects and opaque tests): A (True when absent) and the rate's index.
std::optional<std::pair<Cond, uint32_t>> split_rate(const Cond &c);

// The atom of field f in cj (which must have one).
const FieldAtom &atom(const Conj &cj, FieldId f);

// Number of points of a set.
Point count_points(const IntervalSet &s);
// a * b, saturated: value counts of wide fields multiply past 128 bits.
Point sat_mul(Point a, Point b);
// Whether every interval of the atom is a single value.
bool all_single(const FieldAtom &a);
// Values one dimension contributes to an enumerated key: addresses are
// enumerated only when they are single points (the caller checks).
Point dim_values(const FieldAtom &a);
// Width in bits of the atom's values (an address: by its family).
unsigned prefix_width(const FieldAtom &a);
// Aligned prefixes the atom's values split into.
size_t prefix_count(const FieldAtom &a);

} // namespace psl::lower

// Conj as a term of the shared expansion: meet is conj_and; the
// alternatives stay as written (no simplification); the lowering has no
// use for subtraction (its `not` is at the atoms).
namespace psl::analysis {
template <>
struct DnfTerm<lower::Conj> {
  static lower::Conj top() { return {}; }
  static bool meet(const lower::Conj &a, const lower::Conj &b,
                   lower::Conj &out) {
    return lower::conj_and(a, b, out);
  }
  static void simplify(lower::Conjunctions &) {}
};
} // namespace psl::analysis
