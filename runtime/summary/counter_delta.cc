#include "summary/counter_delta.h"

#include <limits>

namespace psr::summary {

uint64_t counter_delta(uint64_t prev, uint64_t cur, bool *reset) {
  if (cur >= prev)
    return cur - prev;
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  constexpr uint64_t kNearWrap = uint64_t{1} << 32;
  if (prev > kMax - kNearWrap && cur < kNearWrap)
    return (kMax - prev) + cur + 1;
  if (reset)
    *reset = true;
  return cur;
}

} // namespace psr::summary
