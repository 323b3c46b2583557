// The API key of the model server, and keeping it out of everything but
// the Authorization header.
//
// Sources, in this order: a key file (`--llm-key-file FILE`), which must
// be a regular file readable by its owner only (mode 0600 or 0400: no
// group or other bits) and owned by the user psd runs as or root; else
// the environment variable PSC_LLM_API_KEY. No key is fine for servers
// that want none (Ollama, a local llama.cpp).
//
// The key never appears in a log line, an error message, an audit record,
// an API answer or a prompt dump: ApiKey has no output operator, the
// only way to the bytes is reveal() (used once, for the header), and every
// text that leaves the analyzer goes through a Redactor first. Tests plant
// a recognizable key and search every output for it.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "backend/status.h"

namespace psr::analyze::llm {

inline constexpr const char *kApiKeyEnv = "PSC_LLM_API_KEY";

class ApiKey {
public:
  ApiKey() = default; // no key
  bool empty() const { return value_.empty(); }
  // The key's bytes, for the Authorization header and the Redactor only.
  const std::string &reveal() const { return value_; }

private:
  explicit ApiKey(std::string value) : value_(std::move(value)) {}
  friend psl::backend::Expected<ApiKey> make_api_key(std::string value,
                                                     const std::string &from);
  std::string value_;
};

// Checks a key's text (trimmed of surrounding whitespace): printable
// ASCII without spaces, so it can never split or add an HTTP header.
// `from` names the source in errors ("PSC_LLM_API_KEY", "key file 'F'").
psl::backend::Expected<ApiKey> make_api_key(std::string value,
                                            const std::string &from);

// The key from `key_file` if set, else from `env_value` (the value of
// PSC_LLM_API_KEY, or null). Neither: an empty key.
psl::backend::Expected<ApiKey> load_api_key(const std::string &key_file,
                                            const char *env_value);

// Replaces the key, and any run of 8 or more of its characters in a row
// (what an error page echoing part of it would show), by "[redacted]".
class Redactor {
public:
  Redactor() = default;
  explicit Redactor(const ApiKey &key);
  std::string operator()(std::string_view text) const;
  bool contains_secret(std::string_view text) const;

private:
  // Where a piece of the key occurs in `text`: [begin, end) runs.
  std::vector<std::pair<size_t, size_t>> find(std::string_view text) const;

  std::string key_;
  std::unordered_set<std::string> pieces_; // every 8-byte piece of key_
  static constexpr size_t kPiece = 8;
};

} // namespace psr::analyze::llm
