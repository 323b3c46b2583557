// How much the analyzer may ask of a model: calls per minute and tokens
// per hour, over sliding windows. Past either limit no request goes out:
// the call ends with ChatFailure::Budget, which psd answers by falling
// back to the embedded detector (and says so in its status and metrics)
// until the window has room again. One Budget per psd, shared by every
// analysis and read by the status API (thread-safe).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

namespace psr::analyze::llm {

struct BudgetLimits {
  unsigned calls_per_minute = 0; // 0: no limit
  uint64_t tokens_per_hour = 0;  // 0: no limit
};

class Budget {
public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  explicit Budget(BudgetLimits limits,
                  Clock clock = &std::chrono::steady_clock::now);

  // Whether one more call, expected to cost about `tokens`, may go out
  // now. If so it is counted as made and `ticket` names it; if not, `why`
  // says which limit ("6 calls in the last minute (limit 6)").
  bool admit(uint64_t tokens, uint64_t &ticket, std::string &why);
  // The tokens a finished call really used (in + out), replacing the
  // estimate admit() counted for `ticket`.
  void settle(uint64_t ticket, uint64_t used);

  struct Usage {
    unsigned calls_last_minute = 0;
    uint64_t tokens_last_hour = 0;
    BudgetLimits limits;
  };
  Usage usage();

private:
  void expire(std::chrono::steady_clock::time_point now);

  BudgetLimits limits_;
  Clock clock_;
  std::mutex mu_;
  std::deque<std::chrono::steady_clock::time_point> calls_;
  struct Spent {
    std::chrono::steady_clock::time_point at;
    uint64_t ticket;
    uint64_t tokens;
  };
  std::deque<Spent> tokens_;
  uint64_t next_ticket_ = 1;
};

} // namespace psr::analyze::llm
