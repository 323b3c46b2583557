#include "lower/conjunctions.h"

#include <algorithm>

#include "lower/field_values.h"

namespace psl::lower {

namespace {

// `out` and `x`: x's values intersected into out's atom of the same field,
// or x added. False when that leaves nothing (other family, no values).
bool meet_atom(Conj &out, const FieldAtom &x) {
  auto it = std::find_if(out.begin(), out.end(), [&](const FieldAtom &y) {
    return y.field == x.field;
  });
  if (it == out.end()) {
    out.push_back(x);
    return true;
  }
  if (it->family != x.family)
    return false;
  it->values = it->values.intersect(x.values);
  return !it->values.empty();
}

void sort_by_field(Conj &c) {
  std::sort(c.begin(), c.end(), [](const FieldAtom &l, const FieldAtom &r) {
    return l.field < r.field;
  });
}

// An `and` of field tests, the commonest rule: its one conjunction built
// in place (what dnf_and makes of it, without a copy of the conjunction
// per test).
Conjunctions conjunction_of_atoms(const std::vector<Cond> &atoms) {
  Conj out;
  out.reserve(atoms.size());
  for (const Cond &ch : atoms)
    if (ch.atom.values.empty() || !meet_atom(out, ch.atom))
      return {};
  sort_by_field(out);
  Conjunctions one;
  one.push_back(std::move(out));
  return one;
}

} // namespace

bool conj_and(const Conj &a, const Conj &b, Conj &out) {
  out = a;
  for (const FieldAtom &x : b)
    if (!meet_atom(out, x))
      return false;
  sort_by_field(out);
  return true;
}

std::optional<Conjunctions> to_conjunctions(const Cond &c, size_t max) {
  const analysis::DnfLimits limits{max};
  switch (c.kind) {
  case Cond::Kind::True:
    return analysis::dnf_true<Conj>();
  case Cond::Kind::False:
    return Conjunctions{};
  case Cond::Kind::Field:
    if (c.atom.values.empty())
      return Conjunctions{};
    return Conjunctions{Conj{c.atom}};
  case Cond::Kind::And:
    if (std::all_of(c.children.begin(), c.children.end(), [](const Cond &ch) {
          return ch.kind == Cond::Kind::Field;
        }))
      return conjunction_of_atoms(c.children);
    [[fallthrough]];
  case Cond::Kind::Or: {
    // Every child is expanded (an opaque one makes the whole opaque, even
    // after a false conjunct).
    const bool is_and = c.kind == Cond::Kind::And;
    Conjunctions out = is_and ? analysis::dnf_true<Conj>() : Conjunctions{};
    for (const Cond &ch : c.children) {
      auto d = to_conjunctions(ch, max);
      if (!d)
        return std::nullopt;
      auto next = is_and
                      ? analysis::dnf_and(out, *d, limits)
                      : analysis::dnf_or(std::move(out), std::move(*d), limits);
      if (!next)
        return std::nullopt;
      out = std::move(*next);
    }
    return out;
  }
  default:
    return std::nullopt;
  }
}

std::optional<std::pair<Cond, uint32_t>> split_rate(const Cond &c) {
  if (c.kind == Cond::Kind::Rate && !c.negated)
    return std::make_pair(Cond{}, c.rate);
  if (c.kind != Cond::Kind::And || c.children.empty())
    return std::nullopt;
  const Cond &last = c.children.back();
  if (last.kind != Cond::Kind::Rate || last.negated)
    return std::nullopt;
  Cond a;
  a.kind = Cond::Kind::And;
  for (size_t i = 0; i + 1 < c.children.size(); ++i) {
    if (c.children[i].is_opaque())
      return std::nullopt;
    a.children.push_back(c.children[i]);
  }
  return std::make_pair(std::move(a), last.rate);
}

const FieldAtom &atom(const Conj &cj, FieldId f) {
  return *std::find_if(cj.begin(), cj.end(),
                       [&](const FieldAtom &a) { return a.field == f; });
}

Point count_points(const IntervalSet &s) {
  Point n = 0;
  for (const Interval &i : s)
    n += i.hi - i.lo + 1;
  return n;
}

Point sat_mul(Point a, Point b) {
  if (a != 0 && b > ~Point(0) / a)
    return ~Point(0);
  return a * b;
}

bool all_single(const FieldAtom &a) {
  return std::all_of(a.values.begin(), a.values.end(),
                     [](const Interval &i) { return i.lo == i.hi; });
}

Point dim_values(const FieldAtom &a) {
  return is_ip_field(a.field) ? a.values.size() : count_points(a.values);
}

unsigned prefix_width(const FieldAtom &a) {
  return is_ip_field(a.field) ? (a.family == 6 ? 128 : 32)
                              : field_bits(a.field);
}

size_t prefix_count(const FieldAtom &a) {
  size_t n = 0;
  for (const Interval &i : a.values)
    n += interval_prefixes(i.lo, i.hi, prefix_width(a)).size();
  return n;
}

} // namespace psl::lower
