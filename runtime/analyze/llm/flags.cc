#include "analyze/llm/flags.h"

#include <CLI/CLI.hpp>

#include "analyze/llm/settings.h"

namespace psr::analyze::llm {

LlmFlags::LlmFlags(CLI::App &app) {
  for (const SettingDoc &d : setting_docs()) {
    if (d.key == "provider")
      continue;
    std::string key(d.key);
    std::string help(d.help);
    if (!d.default_value.empty())
      help += " (default " + std::string(d.default_value) + ")";
    CLI::Option *o = app.add_option("--llm-" + key, values_[key], help)
                         ->type_name("VALUE")
                         ->group(kLlmFlagGroup);
    options_.emplace_back(key, o);
  }
  key_file_option_ =
      app.add_option("--llm-key-file", key_file_,
                     "the model server's API key, in a file of mode 0600 "
                     "(else the environment's PSC_LLM_API_KEY)")
          ->type_name("FILE")
          ->group(kLlmFlagGroup);
}

std::vector<std::pair<std::string, std::string>> LlmFlags::given() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto &[key, option] : options_)
    if (option->count() > 0)
      out.emplace_back(key, values_.at(key));
  return out;
}

bool LlmFlags::key_file_given() const {
  return key_file_option_ && key_file_option_->count() > 0;
}

} // namespace psr::analyze::llm
