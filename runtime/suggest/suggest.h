// `psc suggest`: a capture in, an analyzer's proposals out, each with the
// checker's and the governor's verdict. Nothing is loaded.
//
//   capture --capture_replay.h--> summary windows (as psd writes them)
//     embedded: every window through the detector, in order
//     openai / ollama: the windows as the LLM analyzer's long context
//       (prompt, answer, check, repair rounds: analyze/llm/analyzer.h)
//   -> each proposal reviewed by the governor (govern/governor.h) against
//      the operator policy, as psd's lifecycle would before putting it in
//      force: an accepted one is composed and built, never loaded.
//
// No silent fallback here: an LLM that fails is a failure, never the
// detector's answer instead (psd falls back; an offline tool that did
// would hide what it was asked to show).
//
// The library decides and reports (suggest_report.h prints it); `psc
// suggest` only parses flags, and scripts/llm-eval's tool uses the same
// call (eval.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analyze/detector/options.h"
#include "analyze/llm/analyzer.h"
#include "analyze/llm/api_key.h"
#include "analyze/llm/config.h"
#include "analyze/proposal.h"
#include "backend/status.h"
#include "govern/generated_rule.h"
#include "govern/operator_policy.h"
#include "govern/options.h"
#include "govern/verdict.h"
#include "suggest/capture_replay.h"

namespace psr::suggest {

enum class AnalyzerKind { Embedded, OpenAi, Ollama };
const char *analyzer_name(AnalyzerKind k); // "embedded", "openai", "ollama"
// "embedded", "openai", "ollama" (and "llm" for openai); nullopt else.
std::optional<AnalyzerKind> analyzer_from_name(const std::string &name);

struct SuggestOptions {
  std::string pcap;
  AnalyzerKind analyzer = AnalyzerKind::Embedded;
  // The operator policy the governor reviews against, and the capture is
  // replayed through (its path is for messages).
  std::string policy_path;
  std::string policy_text;
  ReplayOptions replay;
  analyze::DetectorOptions detector;
  // openai / ollama: the provider is the analyzer's; url and model are
  // required (validate()).
  analyze::llm::LlmConfig llm;
  analyze::llm::ApiKey key;
  govern::GovernorOptions governor;
  // The LLM's messages as sent (redacted), for --verbose.
  std::function<void(const std::vector<analyze::llm::ChatMessage> &)> dump;
  // Milliseconds since the epoch for proposal ids (tests fix it).
  std::function<int64_t()> unix_ms;
};

// A proposal and what the governor said.
struct Reviewed {
  analyze::Proposal proposal;
  govern::Verdict verdict;
  size_t window = 0; // embedded: the window (seq) it came out of
};

struct SuggestResult {
  enum class Outcome {
    Accepted, // proposals were made and the governor accepted every one
    NoChange, // the analyzer proposes nothing
    Refused,  // the governor, or the LLM analyzer's checks, refused one
    Failed,   // the LLM gave no usable answer (transport, budget, ...)
  };
  Outcome outcome = Outcome::NoChange;
  AnalyzerKind analyzer = AnalyzerKind::Embedded;
  std::string message; // one line: what happened

  // The capture as summarized.
  size_t windows = 0;
  uint64_t frames = 0, frames_after = 0;
  uint64_t first_ns = 0, end_ns = 0;

  std::vector<Reviewed> proposals; // in the order they were made
  // The LLM analyzer's own result (rounds, tokens, its refusal or
  // failure); absent for the embedded detector.
  std::optional<analyze::llm::AnalyzerResult> llm;
  // Wall time of the analysis (the detector's windows, or the LLM's
  // rounds with their retries), the replay and the reviews excluded.
  double analyze_s = 0;

  // What would be put in force: the accepted rules (modes as the
  // governor gave them), the accepted set inserts, and the operator
  // policy composed with the rules. Empty composed: nothing accepted.
  std::vector<govern::GeneratedRule> rules;
  std::vector<analyze::SetInsert> inserts;
  std::string composed;
  std::shared_ptr<const govern::OperatorPolicy> op;
};
const char *outcome_name(SuggestResult::Outcome o); // "accepted", ...

// Checks the operator policy, summarizes the capture, analyzes. Errors:
// the operator policy does not check (ErrorKind::User, the diagnostics
// in detail), what summarize_capture() refuses (no BPF:
// ErrorKind::Environment), a bad LLM configuration (ErrorKind::User).
be::Expected<SuggestResult> run_suggest(const SuggestOptions &options);

} // namespace psr::suggest
