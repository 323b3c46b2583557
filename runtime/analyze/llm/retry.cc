#include "analyze/llm/retry.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>
#include <string>

namespace psr::analyze::llm {

bool retryable(const HttpResponse &r) {
  switch (r.transport) {
  case Transport::Ok:
    return r.status == 408 || r.status == 429 ||
           (r.status >= 500 && r.status <= 599);
  case Transport::Connect:
  case Transport::Timeout:
  case Transport::Dropped:
    return true;
  default:
    return false;
  }
}

std::optional<std::chrono::milliseconds>
parse_retry_after(std::string_view value,
                  std::chrono::system_clock::time_point now) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value[0])))
    value.remove_prefix(1);
  while (!value.empty() &&
         std::isspace(static_cast<unsigned char>(value.back())))
    value.remove_suffix(1);
  if (value.empty())
    return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      })) {
    if (value.size() > 9) // more than 31 years: treat as "far away"
      return std::chrono::hours(24 * 365);
    return std::chrono::seconds(std::stoll(std::string(value)));
  }
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  std::string text(value);
  struct tm tm {};
  const char *end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0')
    return std::nullopt;
  time_t when = timegm(&tm);
  if (when == static_cast<time_t>(-1))
    return std::nullopt;
  auto at = std::chrono::system_clock::from_time_t(when);
  if (at <= now)
    return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
}

std::chrono::milliseconds backoff(unsigned retry,
                                  std::chrono::milliseconds base,
                                  std::chrono::milliseconds max,
                                  uint64_t random) {
  int64_t d = base.count();
  for (unsigned i = 1; i < retry && d < max.count(); ++i)
    d *= 2;
  d = std::min<int64_t>(d, max.count());
  int64_t half = d / 2;
  int64_t span = d - half + 1;
  return std::chrono::milliseconds(
      half + static_cast<int64_t>(
                 random % static_cast<uint64_t>(std::max<int64_t>(span, 1))));
}

} // namespace psr::analyze::llm
