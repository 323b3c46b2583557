// The messages the model gets (templates: runtime/analyze/prompts/):
//
//   system  the task, the answer format for the output mode, the rules of
//           a generated policy, the data notice, the language reference
//           (language_reference.h) and example policies;
//   user    the operator policy (its name, the names it declares, what it
//           protects, its dynamic sets), the generated rules in force with
//           their hits, and the window of summaries (summary_window.h)
//           inside <data-TAG> blocks, TAG random per prompt;
//   repair  the checker's diagnostics, for a corrected answer.
//
// Nothing of the API key is ever part of a prompt (it is not an input).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyze/llm/config.h"
#include "analyze/llm/operator_view.h"
#include "analyze/llm/summary_window.h"
#include "backend/status.h"

namespace psr::analyze::llm {

// A generated rule in force, as psd knows it.
struct RuleInForce {
  std::string text; // "rule syn_203: ip.src == 203.0.113.7 => drop ttl 10m"
  std::string mode; // "shadow" or "enforced"
  double hits_per_s = 0; // in the last window
  uint64_t hits_total = 0;
  std::optional<int64_t> ttl_left_ms;
};

struct PromptContext {
  // The operator policy in force: its source and a name for messages.
  // Empty text: none.
  std::string operator_path;
  std::string operator_text;
  std::vector<RuleInForce> generated_rules;
  std::vector<nlohmann::json> summaries; // oldest first
};

struct PromptOptions {
  OutputMode output = OutputMode::JsonSchema;
  size_t max_rules = 64;
  WindowOptions windows;
  std::string nonce; // the data blocks' tag; empty: random
};

struct Prompt {
  std::string system;
  std::string user;
  std::string version; // "v1-<16 hex>": templates, reference, examples
  OperatorView op;
  WindowSelection windows;
};

psl::backend::Expected<Prompt> build_prompt(const PromptContext &context,
                                            const PromptOptions &options);

// The repair round's message for these diagnostics.
std::string repair_message(const std::string &diagnostics);

// The version of the prompt an output mode gets (no traffic in it).
std::string prompt_version(OutputMode output);

// The example policies as the prompt shows them: comments and tests
// left out, in the canonical layout.
std::string example_policies();

} // namespace psr::analyze::llm
