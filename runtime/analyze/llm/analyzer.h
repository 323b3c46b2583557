// The LLM analyzer: a prompt context in, a Proposal, "no change", a
// refusal or a failure out, with what every round cost.
//
//   round 0   the system and context messages (prompt.h); the answer is
//             extracted (answer.h) and checked (answer_check.h);
//   round 1,2 if the check found problems a model can fix, the answer and
//             the checker's exact diagnostics go back (repair.v1.md), at
//             most LlmConfig::repair_rounds times.
//
// Outcomes:
//   Proposal  an answer passed every check: hand it to the governor;
//   NoChange  the model proposes nothing (an empty policy, or no policy
//             in its answer);
//   Refused   the model answered, the answer is not acceptable: `reason`
//             is one of answer_check.h's labels, or "empty_answer", or
//             "too_large" (the answer passed max_response_bytes);
//   Failed    no usable answer (budget, transport, HTTP status, a broken
//             body, an operator policy that does not check): `reason` is a
//             ChatFailure name or "operator_policy". psd falls back to the
//             embedded detector on Failed, never on Refused.
//
// Nothing is put in force here, and every text in the result has been
// through the key's Redactor. One analysis at a time per LlmAnalyzer (it
// owns one HTTP handle); psd runs it off its main loop, and the Budget
// may be shared between analyzers and read by the status API.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analyze/llm/budget.h"
#include "analyze/llm/chat_client.h"
#include "analyze/llm/config.h"
#include "analyze/llm/prompt.h"
#include "analyze/proposal.h"

namespace psr::analyze::llm {

struct AnalyzerResult {
  enum class Outcome { Proposal, NoChange, Refused, Failed };
  Outcome outcome = Outcome::Failed;
  std::optional<Proposal> proposal; // Outcome::Proposal
  std::string reason;               // Refused, Failed: a metric label
  std::string message;              // one line for status and logs
  std::string diagnostics; // Refused by the checker: the last diagnostics
  std::string analysis;    // the model's words (NoChange, Refused)
  // Every round that got an answer, and every HTTP attempt of every round
  // (errors by kind, retries, latency for metrics).
  LlmRecord record;
  // Counters the model cited that its windows do not have (evidence.h):
  // left out of the proposal's evidence.
  size_t counters_discarded = 0;
  std::vector<Attempt> attempts;
  bool fall_back() const { return outcome == Outcome::Failed; }
};
const char *outcome_name(AnalyzerResult::Outcome o); // "proposal", ...

struct AnalyzerHooks {
  ChatHooks chat;
  // Milliseconds since the epoch (the proposal's created time and id).
  std::function<int64_t()> unix_ms;
  // The messages of each request, for `--verbose` (redacted).
  std::function<void(const std::vector<ChatMessage> &)> dump;
};

class LlmAnalyzer {
public:
  // `config` must pass validate(); `budget` outlives the analyzer.
  LlmAnalyzer(LlmConfig config, ApiKey key, Budget &budget,
              AnalyzerHooks hooks = {});

  AnalyzerResult analyze(const PromptContext &context);

private:
  std::string next_id(int64_t now_ms);

  LlmConfig config_;
  ChatClient chat_;
  AnalyzerHooks hooks_;
  uint64_t serial_ = 0;
};

} // namespace psr::analyze::llm
