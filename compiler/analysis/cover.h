// cover(): "does the union of the boxes in an index cover this region?",
// driven by witness packets so that it only ever meets boxes that contain
// a point of the region that is still uncovered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "analysis/box.h"
#include "analysis/box_index.h"
#include "analysis/witness.h"

namespace psl::analysis {

struct CoverItem {
  const Box *box;                  // normalized, non-empty
  const Box *opaque_src = nullptr; // whose opaque atoms a cover may use
};

struct CoverLimits {
  size_t max_steps = 1024;     // subtractions
  size_t max_visits = 1 << 16; // index entries looked at
};

struct CoverResult {
  enum class Status { Covered, NotCovered, Unknown } status = Status::Unknown;
  // Covered: the tags of the boxes used, each time the least tag among the
  // boxes containing a witness (the first-matching rule), in the order
  // they were used (may repeat).
  std::vector<uint32_t> used;
  // NotCovered: a packet of the region that no allowed box contains, and
  // the remaining piece it lies in.
  std::optional<Witness> uncovered;
  Box uncovered_box;
  size_t visits = 0;
  size_t steps = 0; // subtractions done
};

// Is every packet of the items in some box of `index` whose tag passes
// `filter`? A box that constrains an opaque atom only counts for a packet
// whose item's opaque_src has the same atom with the same value.
CoverResult cover(const CoverItem *items, size_t n, const BoxIndex &index,
                  BoxIndex::Filter filter, const CoverLimits &limits = {});
inline CoverResult cover(const std::vector<CoverItem> &items,
                         const BoxIndex &index, BoxIndex::Filter filter,
                         const CoverLimits &limits = {}) {
  return cover(items.data(), items.size(), index, filter, limits);
}

} // namespace psl::analysis
