// The increase of a monotonic counter between two readings, safe against
// the two ways a counter can go down: a wrap past 2^64 and a restart of
// whatever counts (the tracer's programs reloaded, an LRU entry evicted
// and created again). Neither may give a negative or absurd rate.
#pragma once

#include <cstdint>

namespace psr::summary {

// `cur - prev` when the counter went up. When it went down:
//  - from within 2^32 of the top of the range to below 2^32: a wrap, and
//    the increase is what it took to get there;
//  - otherwise a restart: the counter started again from 0, so `cur` is
//    what it counted since (a lower bound of the window's count), and
//    *reset is set.
uint64_t counter_delta(uint64_t prev, uint64_t cur, bool *reset = nullptr);

} // namespace psr::summary
