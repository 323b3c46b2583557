// What the LLM analyzer is configured with. psd's `--llm-*` flags and
// config keys (and `psc suggest`) fill one LlmConfig; validate() says what
// is wrong with it before any request goes out.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "backend/status.h"

namespace psr::analyze::llm {

enum class Provider {
  // Chat completions at {url}/chat/completions, `url` ending in /v1:
  // OpenAI, DeepSeek, vLLM, llama.cpp's server and the like.
  OpenAi,
  // Ollama's /api/chat at the server root.
  Ollama,
};
const char *provider_name(Provider p); // "openai", "ollama"

// How the answer is constrained.
enum class OutputMode {
  Text,        // none: the prompt asks for a ```psl block
  JsonObject,  // response_format {"type":"json_object"} (DeepSeek); Ollama
               // format "json"
  JsonSchema,  // the {analysis, policy, evidence} schema: OpenAI's
               // response_format json_schema, Ollama's `format`
  Gbnf,        // llama.cpp's server: "grammar" = psc grammar --format gbnf
               // --generated; the answer is PSL only
  VllmGrammar, // vLLM: "structured_outputs": {"grammar": the ebnf export};
               // the answer is PSL only
};
const char *output_mode_name(OutputMode m); // "text", "json-object", ...

struct LlmConfig {
  Provider provider = Provider::OpenAi;
  std::string url;   // https://api.openai.com/v1, http://127.0.0.1:11434
  std::string model; // required
  double temperature = 0.2;
  unsigned max_tokens = 2048;
  OutputMode output = OutputMode::JsonSchema;

  // Transport. TLS peer and host verification are always on; `ca_bundle`
  // names the CA file to trust instead of the system's store (a private
  // CA in front of a local model server).
  // Proxies come from http_proxy / https_proxy / no_proxy (libcurl).
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{120000}; // one request, answer included
  std::string ca_bundle;
  // Plain http:// to a host other than loopback would send the key in
  // the clear: refused unless this is set.
  bool allow_plain_http = false;

  // Retries on 429, 5xx, timeouts, refused and dropped connections, with
  // exponential backoff and jitter; a Retry-After longer than
  // `max_retry_after` ends the call instead of waiting.
  unsigned max_attempts = 4;
  std::chrono::milliseconds backoff_base{500};
  std::chrono::milliseconds backoff_max{30000};
  std::chrono::milliseconds max_retry_after{60000};

  // Budget: past either limit no request goes out (budget.h); 0 means no
  // limit.
  unsigned calls_per_minute = 6;
  uint64_t tokens_per_hour = 500000;

  // Answers: bytes read from the server at most (the rest is not read),
  // the policy's size and rule count, and how many times diagnostics are
  // sent back for a corrected answer.
  size_t max_response_bytes = 1 << 20;
  size_t max_policy_bytes = 64 << 10;
  size_t max_rules = 64;
  unsigned repair_rounds = 2;

  // The prompt: the token budget of the summaries window (prompt.h).
  size_t summary_token_budget = 6000;
};

// Whether the configuration can be used; the error says which setting
// is wrong and how ("the OpenAI-compatible URL must end in /v1 ...").
psl::backend::Status validate(const LlmConfig &config);

// The URL requests go to: {url}/chat/completions or {url}/api/chat.
std::string endpoint(const LlmConfig &config);

// Whether `url` names this host (127.0.0.0/8, ::1, localhost).
bool is_loopback_url(const std::string &url);

} // namespace psr::analyze::llm
