// LlmConfig from settings spelled as text: psd's `--llm-KEY VALUE` flags
// and `llm.KEY = VALUE` config keys, and `psc suggest`'s flags, all go
// through apply_setting(), so the names, the value forms and the error
// messages are the same everywhere.
//
//   provider            openai | ollama
//   url                 the server: https://api.openai.com/v1 (openai, ends
//                       in /v1), http://127.0.0.1:11434 (ollama, the root)
//   model               the model's name
//   temperature         0 .. 2
//   max-tokens          the answer's length limit, in tokens
//   output              text | json-object | json-schema | gbnf |
//                       vllm-grammar (config.h OutputMode)
//   timeout             one request, as a PSL duration: 500ms 30s 2m
//   connect-timeout     likewise
//   ca-bundle           a PEM file of the CAs to trust (else the system's)
//   allow-plain-http    true | false
//   attempts            HTTP attempts per question, retries included
//   calls-per-minute    budget; 0: no limit
//   tokens-per-hour     budget; 0: no limit
//   repair-rounds       0 .. 5
//   max-rules           rules a proposal may hold
//   summary-tokens      the summaries window's token budget
//
// The key is not a setting: --llm-key-file or PSC_LLM_API_KEY
// (api_key.h).
#pragma once

#include <string_view>
#include <vector>

#include "analyze/llm/config.h"
#include "backend/status.h"

namespace psr::analyze::llm {

// Sets one key; the error names the key and says what it takes
// ("llm setting 'timeout': '10' needs a unit (ms, s, m or h) ...").
psl::backend::Status apply_setting(LlmConfig &config, std::string_view key,
                                   std::string_view value);

// The keys apply_setting() knows, in the order above.
const std::vector<std::string_view> &setting_keys();

// Each key with its default as LlmConfig has it ("" when there is none)
// and one line of help: what psd's --help, psc suggest's --help and the
// docs say about it.
struct SettingDoc {
  std::string_view key;
  std::string_view default_value;
  std::string_view help;
};
const std::vector<SettingDoc> &setting_docs();

} // namespace psr::analyze::llm
