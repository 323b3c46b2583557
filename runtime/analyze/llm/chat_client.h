// One question to the model, as many HTTP attempts as it takes: the
// budget first, then the request, retries with backoff (retry.h) and the
// answer read (provider.h). Every text it hands back or logs has been
// through the Redactor: the key never leaves in an error or a log line.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analyze/llm/api_key.h"
#include "analyze/llm/budget.h"
#include "analyze/llm/config.h"
#include "analyze/llm/http_client.h"
#include "analyze/llm/provider.h"

namespace psr::analyze::llm {

// Why a call produced no answer. The names are metric labels.
enum class ChatFailure {
  Budget,      // the budget refused the call (or a retry): fall back
  Connect,     // could not connect (after the retries)
  Timeout,     // timed out (after the retries)
  Dropped,     // the connection closed early (after the retries)
  Tls,         // certificate or handshake failure
  TooLarge,    // the answer passed the size limit
  RateLimited, // 429 after the retries, or a Retry-After too long to wait
  ServerError, // 5xx after the retries
  HttpStatus,  // another non-200 status (401, 400, 404 ...): not retried
  BadResponse, // a 200 whose body is not the API's answer
  Cancelled,   // ChatHooks::cancelled said so (psd stopping): no retry
};
const char *failure_name(ChatFailure f); // "budget", "timeout", ...

// What one attempt ran into (metrics: errors by kind; tests: how many
// retries and how long each wait was).
struct Attempt {
  Transport transport = Transport::Other;
  long status = 0;
  double seconds = 0;
  std::chrono::milliseconds wait_after{0}; // before the next attempt
};

struct ChatStats {
  std::vector<Attempt> attempts;
  double latency_s = 0; // the answer's own request (0 without an answer)
};

struct ChatReply {
  std::string content;
  uint64_t tokens_in = 0, tokens_out = 0;
  bool tokens_estimated = false; // the server sent no counts
};

struct ChatResult {
  std::optional<ChatReply> reply;
  ChatFailure failure = ChatFailure::BadResponse; // when !reply
  std::string message;                            // when !reply; redacted
  int http_status = 0;
  ChatStats stats;
  bool ok() const { return reply.has_value(); }
};

// What a ChatClient uses from the outside world, replaceable in tests.
struct ChatHooks {
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<uint64_t()> random;
  std::function<std::chrono::system_clock::time_point()> wall_clock;
  // One line per event (a retry and why, a refusal by the budget);
  // already redacted.
  std::function<void(const std::string &)> log;
  // Whether to give up now (psd stopping): asked before each attempt and
  // while a request runs (HttpRequest::cancelled); `sleep` should wake
  // early for it too. Empty: never.
  std::function<bool()> cancelled;
};

class ChatClient {
public:
  // `config` must have passed validate(). `budget` outlives the client.
  ChatClient(LlmConfig config, ApiKey key, Budget &budget,
             ChatHooks hooks = {});

  // `grammar`: the exported grammar for the Gbnf and VllmGrammar modes.
  ChatResult chat(const std::vector<ChatMessage> &messages,
                  const std::string &grammar = "");

  const Redactor &redactor() const { return redact_; }
  const LlmConfig &config() const { return config_; }

private:
  void log(const std::string &line) const;

  LlmConfig config_;
  ApiKey key_;
  Redactor redact_;
  Budget &budget_;
  ChatHooks hooks_;
  HttpClient http_;
};

// Tokens of a text as the budget estimates them before the server says:
// a byte count / 3, rounded up (pessimistic for English and JSON).
uint64_t estimate_tokens(size_t bytes);

} // namespace psr::analyze::llm
