#include "analysis/cover.h"

#include <algorithm>

namespace psl::analysis {

CoverResult cover(const CoverItem *items, size_t n, const BoxIndex &index,
                  BoxIndex::Filter filter, const CoverLimits &limits) {
  CoverResult r;
  size_t steps = 0;
  // Pieces left by subtractions, owned here; work refers to them by index
  // (the vector may move them).
  struct Work {
    const Box *ext;
    size_t piece;
    const Box *opaque_src;
  };
  std::vector<Box> pieces;
  std::vector<Work> work;
  std::vector<Box> split;
  for (size_t k = 0; k < n; ++k) {
    Work cur{items[k].box, 0, items[k].opaque_src};
    for (;;) {
      const Box &box = cur.ext ? *cur.ext : pieces[cur.piece];
      Witness w = witness(box, cur.opaque_src);
      // The first-matching box: the least tag among those containing w.
      int64_t best = -1;
      uint32_t best_tag = 0;
      bool ok = index.for_each_containing(w, filter, [&](uint32_t id) {
        if (++r.visits > limits.max_visits)
          return false;
        uint32_t tag = index.entry(id).tag;
        if (best < 0 || tag < best_tag) {
          best = id;
          best_tag = tag;
        }
        return true;
      });
      if (!ok) {
        r.status = CoverResult::Status::Unknown;
        return r;
      }
      if (best < 0) {
        r.status = CoverResult::Status::NotCovered;
        r.uncovered = w;
        r.uncovered_box = box;
        return r;
      }
      r.used.push_back(best_tag);
      r.steps = ++steps;
      if (steps > limits.max_steps) {
        r.status = CoverResult::Status::Unknown;
        return r;
      }
      split.clear();
      subtract_meeting(box, *index.entry(static_cast<uint32_t>(best)).box,
                       split);
      for (auto &p : split) {
        pieces.push_back(std::move(p));
        work.push_back(Work{nullptr, pieces.size() - 1, cur.opaque_src});
      }
      if (work.empty())
        break;
      cur = work.back();
      work.pop_back();
    }
  }
  r.status = CoverResult::Status::Covered;
  return r;
}

} // namespace psl::analysis
