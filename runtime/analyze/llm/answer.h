// Finding the policy in a model's answer. Models answer in several ways,
// whatever they are asked; in this order:
//
//  1. a JSON object (possibly in a ```json fence) with a string member
//     `policy` (the structured output modes); `analysis` and `evidence`
//     are taken from it too;
//  2. a fenced block (```psl, or any fence holding `policy NAME {`); if
//     the only fences hold something else (C code, say), the first one is
//     taken, so the checker can say why it is not PSL;
//  3. bare text from `policy NAME {` to its closing brace (or the end).
//
// No policy at all (or "policy": "") means the model proposes no change.
// Only what was read is looked at (the HTTP client bounds it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "analyze/proposal.h"

namespace psr::analyze::llm {

struct ExtractedAnswer {
  enum class Kind {
    Empty,    // nothing but whitespace
    NoPolicy, // an answer without a policy: no change proposed
    Policy,   // `policy` holds the candidate text
  };
  Kind kind = Kind::Empty;
  std::string policy;
  std::string analysis;          // the model's words besides the policy
  std::vector<uint64_t> windows; // cited window seq numbers
  std::vector<EvidenceCounter> counters;
  bool json = false; // read from a JSON answer
};

ExtractedAnswer extract_answer(std::string_view content);

// The model's words made fit for the audit log and the API: control
// characters replaced by spaces, at most `max_bytes` bytes (cut at a
// character boundary, with "..." after it).
std::string clean_text(std::string_view text, size_t max_bytes);

} // namespace psr::analyze::llm
