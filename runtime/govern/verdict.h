// What the governor says about a proposal: accepted (enforced at once, or
// first in shadow) or refused, with a stable reason code, a message for
// people and, where the compiler produced them, the diagnostics as psc
// check prints them (text with carets) and as JSON.
//
// Reason codes are part of the interface (the audit log, the API,
// docs/governor.md): never renamed, only added.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/status.h"
#include "codegen/policy_build.h"
#include "diag/diagnostics.h"
#include "govern/generated_rule.h"

namespace psr::govern {

namespace be = psl::backend;

enum class Reason : uint8_t {
  None, // accepted
  // (a) before parsing
  TooLarge, // bytes, rules or values over a cap; too many generated rules
  Empty,    // no text, no rule, no value
  // (b) the proposal alone, --generated, with the protects
  NotPsl,           // not PSL at all (syntax, lexical, not one policy)
  CheckFailed,      // PSL, but with errors (types, unknown names, ...)
  ForbiddenDecl,    // a `set`, `protect`, `default` or `test` in a proposal
  TouchesProtected, // E0401; a set value that is protected
  NoTtl,            // E0402; a set insert without a ttl where the set has none
  TtlTooLong,       // a ttl over the cap
  // (c) the governor's shape rules
  PassRefused,     // a generated `pass`
  DropsEverything, // a drop of every packet (of all IP traffic) without rate()
  WholeProtocol,   // a drop of a whole protocol without rate()
  BadName,         // a rule not named <origin>_<kind>_<n>
  NameTaken,       // a name the operator policy or a generated rule has
  // SetInsert
  UnknownSet,     // the operator policy has no such dynamic set
  SetNotEnforced, // no enforcing drop rule uses the set
  BadValue,       // a value that is not of the set's element type
  InsertRate,     // over the set-inserts-per-second cap
  // (d) the composed policy
  ComposeFailed, // the composition does not check
  BuildFailed,   // it does not build (lowering, Clang, link)
};

// "too_large", "touches_protected", ...: the stable code.
const char *reason_code(Reason r);
// Every reason with its code, for documentation and tests.
const std::vector<Reason> &all_reasons();

struct Verdict {
  bool accepted = false;
  // Accepted: enforced at once, or (drops of an origin with a shadow
  // period) first only counted; per rule in `rules`.
  RuleMode mode = RuleMode::Enforce;
  Reason reason = Reason::None;
  std::string message; // one sentence; for accepted proposals what happens
  // The compiler's diagnostics, where it produced them: psc check's text
  // (with carets) and its JSON array; empty / [] otherwise.
  std::string diagnostics_text;
  nlohmann::json diagnostics_json = nlohmann::json::array();

  // Accepted Policy proposals: the rules as they go into the store, each
  // with its mode (shadow or enforce), the composed policy (operator +
  // generated in force + these) and its build.
  std::vector<GeneratedRule> rules;
  std::string composed_text;
  std::shared_ptr<const be::PolicyArtifact> artifact;
  std::map<std::string, uint64_t> rule_ttls; // of the composed policy

  // Accepted SetInsert proposals: the values as the set reads them back
  // and the ttl each entry gets (0: the set's own).
  std::vector<std::string> values;
  uint64_t ttl_ns = 0;

  static Verdict refuse(Reason r, std::string message);
};

// The audit/API form: {"accepted", "mode" (accepted: "enforce" or
// "shadow"), "reason" (code or null), "message", "rules" (accepted
// policies: name, mode, ttl_ns), "values" and "ttl_ns" (accepted set
// inserts), "diagnostics" (text), "diagnostics_json"}.
nlohmann::json verdict_json(const Verdict &v);

} // namespace psr::govern
