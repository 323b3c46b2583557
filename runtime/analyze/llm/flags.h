// The --llm-KEY flags of `psc suggest` and psd, defined once: one flag
// per LLM setting (settings.h) but `provider` (the front end's
// --analyzer names it), and --llm-key-file. The front ends read what was
// given and hand it to apply_setting() (psc) or to their settings table
// (psd: `llm.KEY`, the config file's key).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace CLI {
class App;
class Option;
} // namespace CLI

namespace psr::analyze::llm {

inline constexpr const char *kLlmFlagGroup = "LLM settings";

class LlmFlags {
public:
  // Adds the flags to `app`, in the group kLlmFlagGroup. `app` must
  // outlive this object's reads.
  explicit LlmFlags(CLI::App &app);
  LlmFlags(const LlmFlags &) = delete;
  LlmFlags &operator=(const LlmFlags &) = delete;

  // After parsing: each setting given, (key, value), in the settings'
  // order ("url", "http://127.0.0.1:8000/v1").
  std::vector<std::pair<std::string, std::string>> given() const;
  // --llm-key-file, if given.
  bool key_file_given() const;
  const std::string &key_file() const { return key_file_; }

private:
  std::map<std::string, std::string> values_;
  std::vector<std::pair<std::string, CLI::Option *>> options_;
  std::string key_file_;
  CLI::Option *key_file_option_ = nullptr;
};

} // namespace psr::analyze::llm
