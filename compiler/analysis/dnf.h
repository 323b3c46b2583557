// Conditions as unions of conjunctions (disjunctive normal form): the one
// expansion of `and`, `or` and `not` into alternatives, with its limit and
// its simplification, for the checks and the lowering alike.
//
// The expansion is generic in its term, the conjunction, given by a
// specialisation of DnfTerm<T>:
//   static T top();                      the empty conjunction: true
//   static bool meet(const T &a, const T &b, T &out);
//                                        a ∧ b into out; false: empty
//   static void simplify(std::vector<T> &d);
//                                        an exact rewrite into fewer terms
//                                        (doing nothing is exact)
//   static void subtract(const T &a, const T &b, std::vector<T> &out);
//                                        a \ b as disjoint terms, appended
//                                        (only dnf_not needs it)
// Two terms use it:
//   - Box (box.h), over the whole condition space: layers, guards, both
//     halves of an address, opaque atoms. The checks (lint, protect,
//     lockout, the governor's shape rule) build them with ConditionBuilder
//     and simplify them (below).
//   - lower::Conj (lower/conjunctions.h): the field tests of one lowered
//     rule as written, one atom per field, which become its map keys. It
//     is not derived from boxes: a box also holds what each field's guard
//     implies (tcp.dport == 22 is also layer tcp, ip.proto 6, ip.frag_off
//     0, ip.version 4 or 6), and atoms read back from it could not tell an
//     implied ip.proto 6 from a written one, so keys and code would change.
//     Nor is it simplified: each alternative is what the cost model counts
//     and what placement emits in order, so merging two would change the
//     lowering's output (never what it matches). The lowering pushes `not`
//     to its atoms itself (lower/normalize.h), so it never needs dnf_not.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "analysis/box.h"

namespace psl::analysis {

template <class T>
struct DnfTerm; // specialised per term type

// Limits keep the work per condition bounded; an operation whose result
// has more than max_terms terms returns nullopt ("too complex"). Within
// one operation, before simplification, up to kDnfGrowth times as many
// are kept.
struct DnfLimits {
  size_t max_terms = 256;
};
constexpr size_t kDnfGrowth = 4;

// true: one term, the empty conjunction. (false is the empty union.)
template <class T = Box>
std::vector<T> dnf_true() {
  return std::vector<T>{DnfTerm<T>::top()};
}

// a ∧ b: every pair's meet, a's terms outer, then simplified.
template <class T>
std::optional<std::vector<T>>
dnf_and(const std::vector<T> &a, const std::vector<T> &b, const DnfLimits &l) {
  std::vector<T> r;
  for (const T &x : a)
    for (const T &y : b) {
      T z;
      if (DnfTerm<T>::meet(x, y, z)) {
        r.push_back(std::move(z));
        if (r.size() > l.max_terms * kDnfGrowth)
          return std::nullopt;
      }
    }
  DnfTerm<T>::simplify(r);
  if (r.size() > l.max_terms)
    return std::nullopt;
  return r;
}

// a ∨ b: a's terms then b's, simplified.
template <class T>
std::optional<std::vector<T>> dnf_or(std::vector<T> a, std::vector<T> b,
                                     const DnfLimits &l) {
  for (auto &y : b)
    a.push_back(std::move(y));
  DnfTerm<T>::simplify(a);
  if (a.size() > l.max_terms)
    return std::nullopt;
  return a;
}

// ¬a: true minus each term of a in turn.
template <class T>
std::optional<std::vector<T>> dnf_not(const std::vector<T> &a,
                                      const DnfLimits &l) {
  std::vector<T> r = dnf_true<T>();
  for (const T &y : a) {
    std::vector<T> next;
    for (const T &x : r) {
      DnfTerm<T>::subtract(x, y, next);
      if (next.size() > l.max_terms * kDnfGrowth)
        return std::nullopt;
    }
    DnfTerm<T>::simplify(next);
    if (next.size() > l.max_terms)
      return std::nullopt;
    r = std::move(next);
    if (r.empty())
      break;
  }
  return r;
}

// ------------------------------------------------------------ boxes

using Dnf = std::vector<Box>; // a union of boxes; empty: false

// Drops boxes contained in others and merges boxes that differ in one
// dimension (for small DNFs, 2 to 64 boxes; exact either way).
void simplify(Dnf &d);

template <>
struct DnfTerm<Box> {
  static Box top() { return Box{}; }
  static bool meet(const Box &a, const Box &b, Box &out) {
    return intersect(a, b, &out);
  }
  static void simplify(Dnf &d) { analysis::simplify(d); }
  static void subtract(const Box &a, const Box &b, Dnf &out) {
    analysis::subtract(a, b, out);
  }
};

// Compiled once, in dnf.cc.
extern template std::optional<Dnf> dnf_and<Box>(const Dnf &, const Dnf &,
                                                const DnfLimits &);
extern template std::optional<Dnf> dnf_or<Box>(Dnf, Dnf, const DnfLimits &);
extern template std::optional<Dnf> dnf_not<Box>(const Dnf &, const DnfLimits &);

} // namespace psl::analysis
