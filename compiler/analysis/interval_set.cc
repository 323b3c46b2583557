#include "analysis/interval_set.h"

#include <algorithm>
#include <iterator>

namespace psl::analysis {

IntervalSet::IntervalSet(const IntervalSet &o) : n_(o.n_) {
  if (n_ <= 1) {
    one_ = o.one_;
    return;
  }
  cap_ = n_;
  many_ = new Interval[cap_];
  std::copy(o.many_, o.many_ + n_, many_);
}

IntervalSet &IntervalSet::operator=(const IntervalSet &o) {
  if (this != &o) {
    IntervalSet copy(o);
    release();
    take(copy);
  }
  return *this;
}

IntervalSet &IntervalSet::operator=(IntervalSet &&o) noexcept {
  if (this != &o) {
    release();
    take(o);
  }
  return *this;
}

void IntervalSet::release() {
  if (cap_ > 0)
    delete[] many_;
  n_ = cap_ = 0;
  one_ = Interval{};
}

void IntervalSet::take(IntervalSet &o) {
  n_ = o.n_;
  cap_ = o.cap_;
  if (cap_ > 0)
    many_ = o.many_;
  else
    one_ = o.one_;
  o.n_ = o.cap_ = 0;
  o.one_ = Interval{};
}

void IntervalSet::push(const Interval &i) {
  if (n_ == 0) {
    one_ = i;
  } else if (n_ == cap_ || cap_ == 0) {
    // To the heap (from inline, or from a full array): twice the room.
    const uint32_t cap = 2 * n_;
    auto *grown = new Interval[cap];
    std::copy(data(), data() + n_, grown);
    grown[n_] = i;
    if (cap_ > 0)
      delete[] many_;
    many_ = grown;
    cap_ = cap;
  } else {
    many_[n_] = i;
  }
  ++n_;
}

IntervalSet IntervalSet::range(Point lo, Point hi) {
  IntervalSet s;
  if (lo <= hi)
    s.push({lo, hi});
  return s;
}

IntervalSet IntervalSet::from(std::vector<Interval> iv) {
  IntervalSet s;
  iv.erase(std::remove_if(iv.begin(), iv.end(),
                          [](const Interval &i) { return i.lo > i.hi; }),
           iv.end());
  std::sort(iv.begin(), iv.end(),
            [](const Interval &a, const Interval &b) { return a.lo < b.lo; });
  for (const auto &i : iv) {
    if (s.n_) {
      Interval &last = s.data()[s.n_ - 1];
      if (last.hi == kMaxPoint || i.lo <= last.hi + 1) {
        last.hi = std::max(last.hi, i.hi);
        continue;
      }
    }
    s.push(i);
  }
  return s;
}

bool IntervalSet::contains(Point p) const {
  if (n_ == 1)
    return one_.lo <= p && p <= one_.hi;
  // The last interval starting at or before p.
  auto it = std::upper_bound(
      begin(), end(), p, [](Point x, const Interval &i) { return x < i.lo; });
  if (it == begin())
    return false;
  return p <= (it - 1)->hi;
}

bool IntervalSet::covers(const IntervalSet &o) const {
  size_t i = 0;
  const Interval *v = data();
  for (const auto &b : o) {
    while (i < n_ && v[i].hi < b.lo)
      ++i;
    if (i == n_ || v[i].lo > b.lo || v[i].hi < b.hi)
      return false;
  }
  return true;
}

bool IntervalSet::intersects(const IntervalSet &o) const {
  if (n_ == 0 || o.n_ == 0)
    return false;
  if (o.n_ == 1 && n_ > 4) {
    // One interval against many: binary search.
    const auto &b = o.one_;
    auto it =
        std::lower_bound(begin(), end(), b.lo,
                         [](const Interval &i, Point x) { return i.hi < x; });
    return it != end() && it->lo <= b.hi;
  }
  if (n_ == 1 && o.n_ > 4)
    return o.intersects(*this);
  const Interval *v = data();
  const Interval *w = o.data();
  size_t i = 0, j = 0;
  while (i < n_ && j < o.n_) {
    if (v[i].hi < w[j].lo)
      ++i;
    else if (w[j].hi < v[i].lo)
      ++j;
    else
      return true;
  }
  return false;
}

IntervalSet IntervalSet::intersect(const IntervalSet &o) const {
  IntervalSet r;
  const Interval *v = data();
  const Interval *w = o.data();
  size_t i = 0, j = 0;
  while (i < n_ && j < o.n_) {
    Point lo = std::max(v[i].lo, w[j].lo);
    Point hi = std::min(v[i].hi, w[j].hi);
    if (lo <= hi)
      r.push({lo, hi});
    if (v[i].hi < w[j].hi)
      ++i;
    else
      ++j;
  }
  return r;
}

IntervalSet IntervalSet::unite(const IntervalSet &o) const {
  std::vector<Interval> all(begin(), end());
  all.insert(all.end(), o.begin(), o.end());
  return from(std::move(all));
}

IntervalSet IntervalSet::minus(const IntervalSet &o) const {
  IntervalSet r;
  const Interval *w = o.data();
  size_t j = 0;
  for (Interval a : *this) {
    while (j < o.n_ && w[j].hi < a.lo)
      ++j;
    size_t k = j;
    bool done = false;
    while (k < o.n_ && w[k].lo <= a.hi) {
      const auto &b = w[k];
      if (b.lo > a.lo)
        r.push({a.lo, b.lo - 1});
      if (b.hi >= a.hi) {
        done = true;
        break;
      }
      a.lo = b.hi + 1;
      ++k;
    }
    if (!done)
      r.push(a);
  }
  return r;
}

IntervalSet IntervalSet::complement(Point max) const {
  return range(0, max).minus(*this);
}

bool IntervalSet::operator==(const IntervalSet &o) const {
  if (n_ != o.n_)
    return false;
  const Interval *v = data();
  const Interval *w = o.data();
  for (size_t i = 0; i < n_; ++i)
    if (v[i].lo != w[i].lo || v[i].hi != w[i].hi)
      return false;
  return true;
}

} // namespace psl::analysis
