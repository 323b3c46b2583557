#include "analysis/box.h"

#include "analysis/normalize.h"
#include <algorithm>

namespace psl::analysis {

const IntervalSet *Box::find(DimId d) const {
  if (c_.size() <= 8) {
    for (const auto &c : c_) {
      if (c.dim == d)
        return &c.set;
      if (c.dim > d)
        return nullptr;
    }
    return nullptr;
  }
  auto it =
      std::lower_bound(c_.begin(), c_.end(), d,
                       [](const Constraint &c, DimId x) { return c.dim < x; });
  return it != c_.end() && it->dim == d ? &it->set : nullptr;
}

bool Box::restrict(DimId d, const IntervalSet &s) {
  auto it =
      std::lower_bound(c_.begin(), c_.end(), d,
                       [](const Constraint &c, DimId x) { return c.dim < x; });
  if (it != c_.end() && it->dim == d) {
    if (s.covers(it->set))
      return !it->set.empty();
    it->set = it->set.intersect(s);
    return !it->set.empty();
  }
  if (c_.size() == c_.capacity()) {
    size_t pos = static_cast<size_t>(it - c_.begin());
    c_.reserve(c_.size() + 4);
    it = c_.begin() + static_cast<ptrdiff_t>(pos);
  }
  c_.insert(it, Constraint{d, s});
  return !s.empty();
}

void Box::set(DimId d, IntervalSet s) {
  auto it =
      std::lower_bound(c_.begin(), c_.end(), d,
                       [](const Constraint &c, DimId x) { return c.dim < x; });
  if (it != c_.end() && it->dim == d)
    it->set = std::move(s);
  else
    c_.insert(it, Constraint{d, std::move(s)});
}

void Box::erase(DimId d) {
  auto it =
      std::lower_bound(c_.begin(), c_.end(), d,
                       [](const Constraint &c, DimId x) { return c.dim < x; });
  if (it != c_.end() && it->dim == d)
    c_.erase(it);
}

bool Box::operator==(const Box &o) const {
  if (c_.size() != o.c_.size())
    return false;
  for (size_t i = 0; i < c_.size(); ++i)
    if (c_[i].dim != o.c_[i].dim || c_[i].set != o.c_[i].set)
      return false;
  return true;
}

bool intersect(const Box &a, const Box &b, Box *out) {
  Box r;
  auto &rc = r.c_;
  const auto &ac = a.constraints();
  const auto &bc = b.constraints();
  rc.reserve(ac.size() + bc.size());
  // Normalization depends on the special dimensions only: when their
  // result is that of a or of b (both normalized), so is the result.
  bool differs_a = false, differs_b = false;
  size_t i = 0, j = 0;
  while (i < ac.size() || j < bc.size()) {
    if (j == bc.size() || (i < ac.size() && ac[i].dim < bc[j].dim)) {
      differs_b |= normalized_dim(ac[i].dim);
      rc.push_back(ac[i++]);
    } else if (i == ac.size() || bc[j].dim < ac[i].dim) {
      differs_a |= normalized_dim(bc[j].dim);
      rc.push_back(bc[j++]);
    } else {
      IntervalSet s = ac[i].set.intersect(bc[j].set);
      if (s.empty())
        return false;
      if (normalized_dim(ac[i].dim)) {
        differs_a |= s != ac[i].set;
        differs_b |= s != bc[j].set;
      }
      rc.push_back(Constraint{ac[i].dim, std::move(s)});
      ++i;
      ++j;
    }
  }
  if (differs_a && differs_b && !normalize(r))
    return false;
  if (out)
    *out = std::move(r);
  return true;
}

bool intersects(const Box &a, const Box &b) {
  // Cheap rejection first: a dimension both constrain, disjointly. On the
  // way, whether the special dimensions of the intersection differ from
  // both a's and b's: only then does it need normalizing (intersect()), and
  // only then can it be empty.
  const auto &ac = a.constraints();
  const auto &bc = b.constraints();
  bool differs_a = false, differs_b = false;
  size_t i = 0, j = 0;
  while (i < ac.size() || j < bc.size()) {
    if (j == bc.size() || (i < ac.size() && ac[i].dim < bc[j].dim)) {
      differs_b |= normalized_dim(ac[i++].dim);
    } else if (i == ac.size() || bc[j].dim < ac[i].dim) {
      differs_a |= normalized_dim(bc[j++].dim);
    } else {
      if (!ac[i].set.intersects(bc[j].set))
        return false;
      if (normalized_dim(ac[i].dim)) {
        differs_a |= !bc[j].set.covers(ac[i].set);
        differs_b |= !ac[i].set.covers(bc[j].set);
      }
      ++i;
      ++j;
    }
  }
  return !(differs_a && differs_b) || intersect(a, b, nullptr);
}

void subtract(const Box &a, const Box &b, std::vector<Box> &out) {
  if (!intersects(a, b)) {
    out.push_back(a);
    return;
  }
  subtract_meeting(a, b, out);
}

void subtract_meeting(const Box &a, const Box &b, std::vector<Box> &out) {
  // Nothing is left of a box inside b (what the lint's covers mostly
  // meet), and finding that out needs no copy.
  if (box_contains(b, a))
    return;
  // Split a along each dimension b constrains, in dimension order (layers
  // first, so every piece stays a union of whole fibers): the part outside
  // b there, then continue inside.
  Box cur = a;
  for (const auto &c : b.constraints()) {
    const IntervalSet *s = cur.find(c.dim);
    IntervalSet rest = s ? s->minus(c.set) : c.set.complement(dim_max(c.dim));
    if (!rest.empty()) {
      Box piece = cur;
      piece.set(c.dim, std::move(rest));
      if (normalize(piece))
        out.push_back(std::move(piece));
    }
    if (!cur.restrict(c.dim, c.set))
      return;
  }
}

bool box_contains(const Box &outer, const Box &inner) {
  // Both sorted by dimension: one walk.
  const auto &ic = inner.constraints();
  size_t j = 0;
  for (const auto &c : outer.constraints()) {
    while (j < ic.size() && ic[j].dim < c.dim)
      ++j;
    if (j == ic.size() || ic[j].dim != c.dim || !c.set.covers(ic[j].set))
      return false;
  }
  return true;
}

} // namespace psl::analysis
