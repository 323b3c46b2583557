// The LLM analyzer on a thread of its own: psd's loop hands it a prompt
// context when a question is due and picks the result up at a later tick;
// it never waits for the model. One question at a time.
//
// Stopping (the destructor, or stop()) cancels a question in flight: the
// HTTP request ends within 100 ms (http_client.h), a backoff between
// retries is cut short, and the result is Failed/"cancelled" (never
// handed out: nobody is left to take it).
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "analyze/llm/analyzer.h"

namespace psr::analyze::llm {

class BackgroundAnalyzer {
public:
  // As LlmAnalyzer's; hooks.chat.cancelled and hooks.chat.sleep are
  // replaced by the stop flag's.
  BackgroundAnalyzer(LlmConfig config, ApiKey key, Budget &budget,
                     AnalyzerHooks hooks = {});
  ~BackgroundAnalyzer();
  BackgroundAnalyzer(const BackgroundAnalyzer &) = delete;
  BackgroundAnalyzer &operator=(const BackgroundAnalyzer &) = delete;

  // Starts a question about `context`; false (and nothing done) while one
  // runs or a result waits to be taken, or after stop().
  bool start(PromptContext context);
  // Whether a question runs or its result waits.
  bool busy() const;
  // The result of the last question, once it is done (then not again).
  std::optional<AnalyzerResult> take();
  // Cancels what runs and ends the thread; waits for it. Idempotent.
  void stop();

private:
  void run();

  LlmAnalyzer analyzer_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<PromptContext> job_;
  std::optional<AnalyzerResult> result_;
  bool running_ = false;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

} // namespace psr::analyze::llm
