// The contract between the analyzers and the governor. The embedded
// detector and the LLM analyzer each hand over a Proposal; the governor
// (runtime/govern, "psd acts") checks it, composes it with the operator
// policy, builds, loads and swaps, and writes it to the audit log (the
// JSON of to_json() below is the audit record's `proposal` member, the
// API's answer for /api/v1/proposals, and what `psc suggest` prints).
//
// A proposal is one of two changes:
//
//  - Policy: `psl` is a complete `policy NAME { ... }` holding only the
//    generated rules and the constants they use. Every rule carries a
//    `ttl` (the governor removes it when it expires). It never names a
//    declaration of the operator policy (its constants, sets or rules):
//    it is checked on its own (psc check --generated) and composed into
//    the operator policy before the operator's first rule (after its
//    declarations; only `protect` exempts traffic from a generated drop,
//    never an operator `pass`), so a name of the operator's would be
//    unknown or a duplicate. It has no `default`, `protect`, `set` or
//    `test`.
//    `rules` lists its rules as the checker read them.
//  - SetInsert, the fast path: values added to a dynamic set the operator
//    policy declares (`set banned : ip dynamic ...`), with a ttl; no
//    compile, no swap.
//
// `evidence` says why: which summary windows (their seq numbers and
// times, docs/summary.schema.json) and which counters in them. The
// governor enforces a rule once the traffic it would drop matches this.
//
// Free of HTTP and kernel types on purpose: the governor, the audit log
// and the API read it without linking the providers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/status.h"

namespace psr::analyze {

enum class Origin : uint8_t { Detector, Llm };
const char *origin_name(Origin o); // "detector", "llm"

// One summary window a proposal rests on.
struct EvidenceWindow {
  uint64_t seq = 0; // the summary's `seq`
  int64_t start_unix_ms = 0;
  int64_t end_unix_ms = 0;
  bool operator==(const EvidenceWindow &o) const {
    return seq == o.seq && start_unix_ms == o.start_unix_ms &&
           end_unix_ms == o.end_unix_ms;
  }
};

// A counter the analyzer read: `name` is its place in the summary
// ("talkers.top[203.0.113.7].tcp_syn.per_s", "totals.dropped.per_s"),
// `value` what it held in window `window` (a seq number).
struct EvidenceCounter {
  uint64_t window = 0;
  std::string name;
  double value = 0;
  bool operator==(const EvidenceCounter &o) const {
    return window == o.window && name == o.name && value == o.value;
  }
};

struct Evidence {
  std::vector<EvidenceWindow> windows; // oldest first
  std::vector<EvidenceCounter> counters;
  // True when the analyzer named these windows and counters itself;
  // false when it named none and `windows` are all it was shown.
  bool cited = false;
};

// A rule of a Policy proposal, as the checker read it.
struct ProposedRule {
  std::string name;
  std::string action; // "pass", "drop", "count"
  uint64_t ttl_ms = 0;
  bool shadow = false; // as written; the governor decides the mode
  bool operator==(const ProposedRule &o) const {
    return name == o.name && action == o.action && ttl_ms == o.ttl_ms &&
           shadow == o.shadow;
  }
};

// The fast path: entries for a dynamic set of the operator policy.
struct SetInsert {
  std::string set;
  std::vector<std::string> values; // PSL literals: "203.0.113.7", "443"
  uint64_t ttl_ms = 0;             // 0: the set's own ttl
};

// One question and answer of an LLM analysis.
struct LlmRound {
  unsigned round = 0; // 0: the first answer; 1, 2: repair rounds
  uint64_t tokens_in = 0, tokens_out = 0;
  double latency_s = 0;  // of the answer that counted, retries excluded
  unsigned attempts = 1; // HTTP requests, retries included
  // The checker's diagnostics of this answer as psc check prints them
  // (with carets), which the next round sent back; empty if it checked.
  std::string diagnostics;
};

struct LlmRecord {
  std::string provider; // "openai", "ollama"
  std::string model;
  std::string prompt_version; // runtime/analyze/prompts: "v1-<hash>"
  std::vector<LlmRound> rounds;
  uint64_t tokens_in() const;
  uint64_t tokens_out() const;
  double latency_s() const;
};

struct Proposal {
  enum class Kind : uint8_t { Policy, SetInsert };

  std::string id; // unique: "llm-1733520000123-3f2a"
  Origin origin = Origin::Llm;
  Kind kind = Kind::Policy;
  std::string psl;         // Kind::Policy: the policy text
  std::string policy_name; // its name
  std::vector<ProposedRule> rules;
  SetInsert insert;     // Kind::SetInsert
  std::string analysis; // the analyzer's own words, as data (bounded)
  Evidence evidence;
  int64_t created_unix_ms = 0;
  std::optional<LlmRecord> llm; // LLM proposals only
};

// The audit/API form. Members in a fixed order; `llm` only for LLM
// proposals, `psl`/`rules` or `insert` according to `kind`.
nlohmann::json to_json(const Proposal &p);
psl::backend::Expected<Proposal> proposal_from_json(const nlohmann::json &j);

} // namespace psr::analyze
