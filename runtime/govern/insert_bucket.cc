#include "govern/insert_bucket.h"

#include <algorithm>

namespace psr::govern {

void InsertBucket::refill(uint64_t now_ns) {
  if (!started_) {
    started_ = true;
    last_ns_ = now_ns;
    return;
  }
  if (now_ns <= last_ns_)
    return; // a clock that went back adds nothing
  tokens_ = std::min(burst_, tokens_ + rate_ * double(now_ns - last_ns_) / 1e9);
  last_ns_ = now_ns;
}

bool InsertBucket::take(uint64_t n, uint64_t now_ns) {
  refill(now_ns);
  if (double(n) > tokens_)
    return false;
  tokens_ -= double(n);
  return true;
}

double InsertBucket::available(uint64_t now_ns) {
  refill(now_ns);
  return tokens_;
}

} // namespace psr::govern
