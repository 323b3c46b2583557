#include "analyze/llm/config.h"

#include <algorithm>
#include <cctype>

namespace psr::analyze::llm {

using psl::backend::Error;
using psl::backend::Status;

const char *provider_name(Provider p) {
  return p == Provider::OpenAi ? "openai" : "ollama";
}

const char *output_mode_name(OutputMode m) {
  switch (m) {
  case OutputMode::Text:
    return "text";
  case OutputMode::JsonObject:
    return "json-object";
  case OutputMode::JsonSchema:
    return "json-schema";
  case OutputMode::Gbnf:
    return "gbnf";
  case OutputMode::VllmGrammar:
    return "vllm-grammar";
  }
  return "?";
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s;
}

// "http://user@host:port/path" -> "host" (IPv6 literal without brackets).
std::string host_of(const std::string &url) {
  size_t start = url.find("://");
  if (start == std::string::npos)
    return "";
  start += 3;
  size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end - start);
  if (size_t at = authority.rfind('@'); at != std::string::npos)
    authority = authority.substr(at + 1);
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    return lower(authority.substr(
        1, close == std::string::npos ? std::string::npos : close - 1));
  }
  return lower(authority.substr(0, authority.find(':')));
}

std::string scheme_of(const std::string &url) {
  size_t end = url.find("://");
  return end == std::string::npos ? "" : lower(url.substr(0, end));
}

std::string without_trailing_slash(std::string s) {
  while (!s.empty() && s.back() == '/')
    s.pop_back();
  return s;
}

} // namespace

bool is_loopback_url(const std::string &url) {
  std::string host = host_of(url);
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

Status validate(const LlmConfig &c) {
  std::string scheme = scheme_of(c.url);
  if (c.url.empty())
    return Error("no LLM URL: set --llm-url (e.g. https://api.openai.com/v1 "
                 "or http://127.0.0.1:11434 for Ollama)");
  if (scheme != "http" && scheme != "https")
    return Error("the LLM URL '" + c.url +
                 "' must start with http:// or "
                 "https://");
  if (host_of(c.url).empty())
    return Error("the LLM URL '" + c.url + "' has no host");
  if (scheme == "http" && !is_loopback_url(c.url) && !c.allow_plain_http)
    return Error("the LLM URL '" + c.url +
                 "' is plain http to another "
                 "host: the API key and the traffic summaries would cross "
                 "the network unencrypted; use https, or allow it "
                 "explicitly (--llm-allow-plain-http)");
  std::string base = without_trailing_slash(c.url);
  if (c.provider == Provider::OpenAi &&
      (base.size() < 3 || base.compare(base.size() - 3, 3, "/v1") != 0))
    return Error("the OpenAI-compatible URL '" + c.url +
                 "' must end in /v1 "
                 "(e.g. https://api.openai.com/v1, "
                 "http://127.0.0.1:8000/v1); requests go to "
                 "{url}/chat/completions");
  if (c.model.empty())
    return Error("no LLM model: set --llm-model");
  if (c.temperature < 0 || c.temperature > 2)
    return Error("the LLM temperature must be between 0 and 2");
  if (c.max_tokens == 0)
    return Error("the LLM max tokens must be at least 1");
  if (c.max_attempts == 0)
    return Error("the LLM attempts must be at least 1");
  if (c.timeout.count() <= 0 || c.connect_timeout.count() <= 0)
    return Error("the LLM timeouts must be positive");
  if (c.provider == Provider::Ollama &&
      (c.output == OutputMode::Gbnf || c.output == OutputMode::VllmGrammar))
    return Error(std::string("output mode '") + output_mode_name(c.output) +
                 "' needs an OpenAI-compatible server (llama.cpp, vLLM); "
                 "with Ollama use json-schema, json-object or text");
  if (c.max_response_bytes < 1024 || c.max_policy_bytes == 0 ||
      c.max_rules == 0)
    return Error("the LLM answer limits are too small");
  return Status::success();
}

std::string endpoint(const LlmConfig &c) {
  std::string base = without_trailing_slash(c.url);
  return c.provider == Provider::OpenAi ? base + "/chat/completions"
                                        : base + "/api/chat";
}

} // namespace psr::analyze::llm
