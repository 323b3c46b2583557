// Sets of points of one dimension of the condition space (space.h):
// sorted, disjoint intervals of unsigned 128-bit values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace psl::analysis {

using Point = unsigned __int128;

struct Interval {
  Point lo = 0, hi = 0; // inclusive
};

// A set of points of one dimension: sorted, disjoint, non-adjacent
// intervals. One interval (a point, a prefix, a range: the usual case) is
// stored inline, in the place of the pointer to the heap array that holds
// more: every constraint of every box is one, and a 100k-rule policy keeps
// about a million of them.
class IntervalSet {
public:
  IntervalSet() = default;
  IntervalSet(const IntervalSet &o);
  IntervalSet(IntervalSet &&o) noexcept { take(o); }
  IntervalSet &operator=(const IntervalSet &o);
  IntervalSet &operator=(IntervalSet &&o) noexcept;
  ~IntervalSet() { release(); }
  static IntervalSet point(Point v) { return range(v, v); }
  static IntervalSet range(Point lo, Point hi);
  // Builds from intervals in any order, overlapping or not.
  static IntervalSet from(std::vector<Interval> intervals);

  bool empty() const { return n_ == 0; }
  size_t size() const { return n_; } // number of intervals
  const Interval *begin() const { return data(); }
  const Interval *end() const { return data() + n_; }
  const Interval &operator[](size_t i) const { return data()[i]; }
  Point min() const { return data()[0].lo; }
  bool is_point() const { return n_ == 1 && one_.lo == one_.hi; }
  bool is_full(Point max) const {
    return n_ == 1 && one_.lo == 0 && one_.hi == max;
  }

  bool contains(Point p) const;
  bool covers(const IntervalSet &o) const; // o ⊆ this
  bool intersects(const IntervalSet &o) const;
  IntervalSet intersect(const IntervalSet &o) const;
  IntervalSet unite(const IntervalSet &o) const;
  IntervalSet minus(const IntervalSet &o) const;
  IntervalSet complement(Point max) const; // within [0, max]

  bool operator==(const IntervalSet &o) const;
  bool operator!=(const IntervalSet &o) const { return !(*this == o); }

private:
  const Interval *data() const { return n_ <= 1 ? &one_ : many_; }
  Interval *data() { return n_ <= 1 ? &one_ : many_; }
  void push(const Interval &i); // appends (callers keep the order)
  void release();               // frees the heap array, if any
  void take(IntervalSet &o);    // o's intervals, leaving o empty (this is)

  uint32_t n_ = 0;
  uint32_t cap_ = 0; // capacity of many_; 0 when inline
  union {
    Interval one_{}; // the interval when cap_ == 0 and n_ == 1
    Interval *many_; // all of them when cap_ > 0 (then n_ > 1)
  };
};

// The largest point.
constexpr Point kMaxPoint = ~Point{0};

} // namespace psl::analysis
