// One labelled scenario measured (scripts/llm-eval): the first part of
// the capture is what the analyzer sees (suggest.h, replayed in the
// kernel into summary windows); the rest goes through the policy the
// governor accepted, on the reference interpreter, and each packet's
// verdict is held against its label.
//
//   recall      attack packets of the rest dropped / attack packets
//   collateral  benign packets of the rest dropped / benign packets
//
// "The policy the governor accepted": the operator policy composed with
// every accepted rule, enforcing, and every accepted set insert in its
// set (from the split on, with its ttl). Shadow periods are judged too:
// each accepted proposal whose rules went in as shadow is replayed in
// shadow over the first period of the rest and judged as the lifecycle
// would (govern/evidence_match.h): `on_evidence` says which proposals
// psd would have enforced, and `enforced` measures only those.
//
// Labels: a text file beside the capture, one line per frame in capture
// order, `a` (attack) or `b` (benign); lines starting with `#` are
// comments (tests/scenarios/README.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backend/status.h"
#include "govern/evidence_match.h"
#include "suggest/suggest.h"

namespace psr::suggest {

// a: true, b: false; errors name the line.
be::Expected<std::vector<bool>> read_labels(const std::string &path);

struct Counts {
  uint64_t attack = 0, attack_dropped = 0;
  uint64_t benign = 0, benign_dropped = 0;
  double recall() const;     // 0 when there is no attack packet
  double collateral() const; // 0 when there is no benign packet
};

struct ShadowVerdict {
  std::string proposal_id;
  govern::ShadowJudgement judgement;
};

struct EvalResult {
  SuggestResult suggest;    // what the analyzer proposed, what was accepted
  uint64_t split_frame = 0; // the first frame of the rest (1-based)
  Counts baseline;          // the rest through the operator policy alone
  Counts accepted;          // through what the governor accepted
  Counts enforced;          // through what would be enforced on evidence
  std::vector<ShadowVerdict> on_evidence; // accepted shadow proposals
};

// `o.replay.until_ns` is the split (from the first frame). Errors: as
// run_suggest(), labels that cannot be read or do not match the capture,
// a composition that does not check.
be::Expected<EvalResult> evaluate_scenario(const SuggestOptions &o,
                                           const std::string &labels_path);

} // namespace psr::suggest
