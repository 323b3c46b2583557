#include "summary/latency.h"

#include "summary/counter_delta.h"

namespace psr::summary {

uint64_t latency_bucket_lo(size_t i) { return i == 0 ? 0 : uint64_t{1} << i; }
uint64_t latency_bucket_hi(size_t i) { return uint64_t{1} << (i + 1); }

trace::StackLatency latency_delta(const trace::StackLatency &prev,
                                  const trace::StackLatency &cur, bool *reset) {
  bool went_down = cur.count < prev.count || cur.sum_ns < prev.sum_ns;
  for (size_t i = 0; i < trace::kLatencyBuckets && !went_down; ++i)
    went_down = cur.buckets[i] < prev.buckets[i];
  if (went_down) {
    if (reset)
      *reset = true;
    return cur;
  }
  trace::StackLatency out;
  for (size_t i = 0; i < trace::kLatencyBuckets; ++i)
    out.buckets[i] = cur.buckets[i] - prev.buckets[i];
  out.count = counter_delta(prev.count, cur.count);
  out.sum_ns = counter_delta(prev.sum_ns, cur.sum_ns);
  return out;
}

double latency_quantile(const trace::StackLatency &h, double q) {
  uint64_t total = 0;
  for (uint64_t b : h.buckets)
    total += b;
  if (total == 0)
    return 0;
  double rank = q * static_cast<double>(total);
  uint64_t below = 0;
  for (size_t i = 0; i < trace::kLatencyBuckets; ++i) {
    uint64_t in = h.buckets[i];
    if (in == 0)
      continue;
    if (static_cast<double>(below + in) >= rank) {
      double lo = static_cast<double>(latency_bucket_lo(i));
      double hi = static_cast<double>(latency_bucket_hi(i));
      double frac =
          (rank - static_cast<double>(below)) / static_cast<double>(in);
      if (frac < 0)
        frac = 0;
      return lo + (hi - lo) * frac;
    }
    below += in;
  }
  return static_cast<double>(latency_bucket_hi(trace::kLatencyBuckets - 1));
}

LatencySummary summarize_latency(const std::string &proto,
                                 const trace::StackLatency &window) {
  LatencySummary s;
  s.proto = proto;
  s.count = window.count;
  s.sum_ns = window.sum_ns;
  s.mean_ns = window.count == 0 ? 0
                                : static_cast<double>(window.sum_ns) /
                                      static_cast<double>(window.count);
  s.p50_ns = latency_quantile(window, 0.50);
  s.p99_ns = latency_quantile(window, 0.99);
  for (size_t i = 0; i < trace::kLatencyBuckets; ++i)
    if (window.buckets[i] != 0)
      s.buckets.push_back(
          {latency_bucket_lo(i), latency_bucket_hi(i), window.buckets[i]});
  return s;
}

} // namespace psr::summary
