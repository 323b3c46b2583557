// When to try a request again, and how long to wait first.
//
// Retried: HTTP 408, 429 and 5xx, and transport failures that a second
// try may not meet (timeouts, refused and dropped connections). Not
// retried: other 4xx (a bad key, a bad request: the same again fails the
// same way), TLS failures, answers over the size limit.
//
// The wait before retry n (1-based) is exponential with jitter: a
// uniform draw in [d/2, d] with d = base * 2^(n-1) capped at `max`. A
// Retry-After from the server (delta-seconds or an HTTP-date) is a
// minimum: the wait is the larger of the two.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "analyze/llm/http_client.h"

namespace psr::analyze::llm {

bool retryable(const HttpResponse &r);

// Retry-After as a wait from `now`: "120" (seconds) or an HTTP-date
// ("Wed, 21 Oct 2015 07:28:00 GMT", RFC 9110's IMF-fixdate; a date in
// the past is a zero wait). nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds>
parse_retry_after(std::string_view value,
                  std::chrono::system_clock::time_point now);

// The wait before retry `retry` (1, 2, ...); `random` is a uniform
// 64-bit draw (tests pass fixed values).
std::chrono::milliseconds backoff(unsigned retry,
                                  std::chrono::milliseconds base,
                                  std::chrono::milliseconds max,
                                  uint64_t random);

} // namespace psr::analyze::llm
