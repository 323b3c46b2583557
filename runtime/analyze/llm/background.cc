#include "analyze/llm/background.h"

#include <utility>

namespace psr::analyze::llm {

namespace {

AnalyzerHooks with_stop(AnalyzerHooks hooks, std::atomic<bool> &stopping,
                        std::mutex &mu, std::condition_variable &cv) {
  hooks.chat.cancelled = [&stopping] { return stopping.load(); };
  hooks.chat.sleep = [&stopping, &mu, &cv](std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, d, [&stopping] { return stopping.load(); });
  };
  return hooks;
}

} // namespace

BackgroundAnalyzer::BackgroundAnalyzer(LlmConfig config, ApiKey key,
                                       Budget &budget, AnalyzerHooks hooks)
    : analyzer_(std::move(config), std::move(key), budget,
                with_stop(std::move(hooks), stopping_, mu_, cv_)),
      thread_([this] { run(); }) {}

BackgroundAnalyzer::~BackgroundAnalyzer() { stop(); }

void BackgroundAnalyzer::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

bool BackgroundAnalyzer::start(PromptContext context) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || running_ || job_ || result_)
      return false;
    job_ = std::move(context);
  }
  cv_.notify_all();
  return true;
}

bool BackgroundAnalyzer::busy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_ || job_.has_value() || result_.has_value();
}

std::optional<AnalyzerResult> BackgroundAnalyzer::take() {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<AnalyzerResult> r = std::move(result_);
  result_.reset();
  return r;
}

void BackgroundAnalyzer::run() {
  for (;;) {
    PromptContext context;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || job_.has_value(); });
      if (stopping_)
        return;
      context = std::move(*job_);
      job_.reset();
      running_ = true;
    }
    AnalyzerResult r = analyzer_.analyze(context);
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_ = false;
      if (stopping_)
        return;
      result_ = std::move(r);
    }
  }
}

} // namespace psr::analyze::llm
