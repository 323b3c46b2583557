// The cap on set inserts per second: a token bucket over every SetInsert
// proposal of a target, filled at `rate` tokens per second up to `burst`;
// a proposal of N values takes N tokens or none. The clock is the
// caller's (monotonic ns), so tests step it.
#pragma once

#include <cstdint>

namespace psr::govern {

class InsertBucket {
public:
  InsertBucket(double rate_per_second, double burst)
      : rate_(rate_per_second), burst_(burst), tokens_(burst) {}

  // Takes `n` tokens at `now_ns` if there are that many; else takes none.
  bool take(uint64_t n, uint64_t now_ns);
  // Tokens there are at `now_ns` (for messages and tests).
  double available(uint64_t now_ns);

private:
  void refill(uint64_t now_ns);
  double rate_, burst_, tokens_;
  uint64_t last_ns_ = 0;
  bool started_ = false;
};

} // namespace psr::govern
