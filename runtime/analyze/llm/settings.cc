#include "analyze/llm/settings.h"

#include <cerrno>
#include <cstdlib>
#include <functional>
#include <string>

#include "frontend/literals.h"

namespace psr::analyze::llm {

using psl::backend::Error;
using psl::backend::Status;

namespace {

Error bad(std::string_view key, const std::string &what) {
  return Error("llm setting '" + std::string(key) + "': " + what);
}

bool to_uint(std::string_view text, uint64_t max, uint64_t &out) {
  if (text.empty() || text.size() > 19)
    return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max)
    return false;
  out = v;
  return true;
}

} // namespace

const std::vector<SettingDoc> &setting_docs() {
  static const std::vector<SettingDoc> docs = {
      {"provider", "openai",
       "openai (chat completions at URL/chat/completions) or ollama "
       "(URL/api/chat)"},
      {"url", "",
       "the model server: the base ending in /v1 (openai), the server root "
       "(ollama)"},
      {"model", "", "the model's name"},
      {"temperature", "0.2", "sampling temperature, 0 to 2"},
      {"max-tokens", "2048", "the answer's length limit, in tokens"},
      {"output", "json-schema",
       "how the answer is constrained: json-schema, json-object, text, gbnf "
       "(llama.cpp) or vllm-grammar"},
      {"timeout", "120s", "one request, answer included (500ms, 90s, 2m)"},
      {"connect-timeout", "5s", "connecting to the server"},
      {"ca-bundle", "",
       "a PEM file of the CAs to trust (default: the system's store)"},
      {"allow-plain-http", "false",
       "allow http:// to a host other than loopback (the key would travel "
       "in the clear)"},
      {"attempts", "4", "HTTP attempts per question, retries included"},
      {"calls-per-minute", "6", "budget: requests per minute; 0: no limit"},
      {"tokens-per-hour", "500000", "budget: tokens per hour; 0: no limit"},
      {"repair-rounds", "2",
       "times the checker's diagnostics go back for a corrected answer, 0 "
       "to 5"},
      {"max-rules", "64", "rules one proposal may hold"},
      {"summary-tokens", "6000",
       "the token budget of the summaries window in the prompt"},
  };
  return docs;
}

const std::vector<std::string_view> &setting_keys() {
  static const std::vector<std::string_view> keys = [] {
    std::vector<std::string_view> k;
    for (const SettingDoc &d : setting_docs())
      k.push_back(d.key);
    return k;
  }();
  return keys;
}

Status apply_setting(LlmConfig &c, std::string_view key,
                     std::string_view value) {
  std::string v(value);
  if (key == "provider") {
    if (v == "openai")
      c.provider = Provider::OpenAi;
    else if (v == "ollama")
      c.provider = Provider::Ollama;
    else
      return bad(key, "'" + v + "' is not openai or ollama");
    return Status::success();
  }
  if (key == "url") {
    c.url = v;
    return Status::success();
  }
  if (key == "model") {
    c.model = v;
    return Status::success();
  }
  if (key == "ca-bundle") {
    c.ca_bundle = v;
    return Status::success();
  }
  if (key == "output") {
    for (OutputMode m :
         {OutputMode::Text, OutputMode::JsonObject, OutputMode::JsonSchema,
          OutputMode::Gbnf, OutputMode::VllmGrammar})
      if (v == output_mode_name(m)) {
        c.output = m;
        return Status::success();
      }
    return bad(key, "'" + v +
                        "' is not text, json-object, json-schema, gbnf or "
                        "vllm-grammar");
  }
  if (key == "temperature") {
    char *end = nullptr;
    errno = 0;
    double t = std::strtod(v.c_str(), &end);
    if (v.empty() || *end || errno || t < 0 || t > 2)
      return bad(key, "'" + v + "' is not a number from 0 to 2");
    c.temperature = t;
    return Status::success();
  }
  if (key == "timeout" || key == "connect-timeout") {
    auto d = psl::frontend::parse_duration_literal(v);
    if (!d.ok())
      return bad(key, d.error);
    uint64_t ms = std::get<psl::Duration>(d.value.v).ns / 1000000;
    if (ms == 0)
      return bad(key, "'" + v + "' is shorter than a millisecond");
    (key == "timeout" ? c.timeout : c.connect_timeout) =
        std::chrono::milliseconds(ms);
    return Status::success();
  }
  if (key == "allow-plain-http") {
    if (v != "true" && v != "false")
      return bad(key, "'" + v + "' is not true or false");
    c.allow_plain_http = v == "true";
    return Status::success();
  }
  struct Count {
    std::string_view key;
    uint64_t min, max;
    std::function<void(uint64_t)> set;
  };
  const Count counts[] = {
      {"max-tokens", 1, 1000000,
       [&](uint64_t n) { c.max_tokens = static_cast<unsigned>(n); }},
      {"attempts", 1, 10,
       [&](uint64_t n) { c.max_attempts = static_cast<unsigned>(n); }},
      {"calls-per-minute", 0, 100000,
       [&](uint64_t n) { c.calls_per_minute = static_cast<unsigned>(n); }},
      {"tokens-per-hour", 0, 1000000000000,
       [&](uint64_t n) { c.tokens_per_hour = n; }},
      {"repair-rounds", 0, 5,
       [&](uint64_t n) { c.repair_rounds = static_cast<unsigned>(n); }},
      {"max-rules", 1, 10000, [&](uint64_t n) { c.max_rules = n; }},
      {"summary-tokens", 500, 1000000,
       [&](uint64_t n) { c.summary_token_budget = n; }},
  };
  for (const Count &k : counts) {
    if (key != k.key)
      continue;
    uint64_t n = 0;
    if (!to_uint(v, k.max, n) || n < k.min)
      return bad(key, "'" + v + "' is not a whole number from " +
                          std::to_string(k.min) + " to " +
                          std::to_string(k.max));
    k.set(n);
    return Status::success();
  }
  return bad(key, "unknown setting (known: provider, url, model, "
                  "temperature, max-tokens, output, timeout, "
                  "connect-timeout, ca-bundle, allow-plain-http, attempts, "
                  "calls-per-minute, tokens-per-hour, repair-rounds, "
                  "max-rules, summary-tokens)");
}

} // namespace psr::analyze::llm
