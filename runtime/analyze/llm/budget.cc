#include "analyze/llm/budget.h"

namespace psr::analyze::llm {

using std::chrono::steady_clock;

Budget::Budget(BudgetLimits limits, Clock clock)
    : limits_(limits), clock_(std::move(clock)) {}

void Budget::expire(steady_clock::time_point now) {
  while (!calls_.empty() && now - calls_.front() >= std::chrono::minutes(1))
    calls_.pop_front();
  while (!tokens_.empty() && now - tokens_.front().at >= std::chrono::hours(1))
    tokens_.pop_front();
}

bool Budget::admit(uint64_t tokens, uint64_t &ticket, std::string &why) {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = clock_();
  expire(now);
  if (limits_.calls_per_minute && calls_.size() >= limits_.calls_per_minute) {
    why = std::to_string(calls_.size()) + " calls in the last minute (limit " +
          std::to_string(limits_.calls_per_minute) + ")";
    return false;
  }
  uint64_t used = 0;
  for (const Spent &t : tokens_)
    used += t.tokens;
  if (limits_.tokens_per_hour && used + tokens > limits_.tokens_per_hour) {
    why = std::to_string(used) + " tokens in the last hour, " +
          std::to_string(tokens) + " more expected (limit " +
          std::to_string(limits_.tokens_per_hour) + ")";
    return false;
  }
  calls_.push_back(now);
  ticket = next_ticket_++;
  tokens_.push_back({now, ticket, tokens});
  return true;
}

void Budget::settle(uint64_t ticket, uint64_t used) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Spent &t : tokens_)
    if (t.ticket == ticket) {
      t.tokens = used;
      return;
    }
  // Older than an hour already: nothing left to correct.
}

Budget::Usage Budget::usage() {
  std::lock_guard<std::mutex> lock(mu_);
  expire(clock_());
  Usage u;
  u.calls_last_minute = static_cast<unsigned>(calls_.size());
  for (const Spent &t : tokens_)
    u.tokens_last_hour += t.tokens;
  u.limits = limits_;
  return u;
}

} // namespace psr::analyze::llm
