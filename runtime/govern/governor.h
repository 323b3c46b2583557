// The governor: every proposal, from the embedded detector or an LLM,
// passes here before anything reaches the kernel. Pure: no kernel, no
// files; what it needs is in the context, the clock included, so each
// check is tested on real PSL without a machine to break.
//
// A Policy proposal, in this order (docs/governor.md; the first check that
// fails refuses it with its reason code):
//   a. caps before parsing: bytes, rules (counted by a scan of the text),
//      then the generated rules in force with these added;
//   b. the proposal alone through the real frontend in --generated mode,
//      with the operator policy's `protect` declarations (and the
//      constants they use) and the governor's own protects (management
//      addresses, default gateways, the host's addresses) added to it as
//      text: E0401 (a drop touching protected traffic, judged on the
//      rule's own condition) and E0402 (a drop without ttl) come from the
//      compiler. The check reads each rule as it will be enforced: a
//      `shadow` written in the proposal is blanked for it. A proposal
//      declares only constants and rules, and never names the operator's.
//      Exemptions: a drop that does not pick its sources (its condition
//      never tests ip.src) and touches protected traffic is checked again
//      with the protected *sources* (the governor's addresses; operator
//      protects that test only ip.src / ip.dst) excluded in front of its
//      condition (exemption_clause()); if the compiler then finds nothing
//      and the rule still matches something, it is accepted and composed
//      that way. So a rate limit toward a port, which every source may
//      hit, stays off the gateway and the management network by
//      construction, while a rule naming sources that meet protected ones,
//      or still touching another protect (SSH's port, say), is refused;
//   c. the shape rules: no `pass`; no drop of every packet or of a whole
//      protocol without rate() (rule_shape.h); every rule with a ttl, no
//      longer than the cap; rules named <origin>_..., every name (rules
//      and constants) new to the operator policy and to the generated
//      rules in force;
//   d. the composition (operator + generated in force + these) checked in
//      normal mode and built.
// An accepted drop goes in as `shadow` when the origin has a shadow period.
//
// A SetInsert proposal: the set is one of the operator policy's dynamic
// sets, an enforcing drop rule uses it, every value is of its element
// type and not protected (the same check as (b), for `FIELD == VALUE =>
// drop` for each field the set is used with), there is a ttl (the
// proposal's or the set's) within the cap, and the insert-rate bucket
// has a token per value. Then the lifecycle adds them (a map update: no
// compile, no swap).
#pragma once

#include <cstdint>
#include <vector>

#include "analyze/proposal.h"
#include "codegen/policy_build.h"
#include "govern/generated_rule.h"
#include "govern/insert_bucket.h"
#include "govern/operator_policy.h"
#include "govern/options.h"
#include "govern/protected_addresses.h"
#include "govern/verdict.h"

namespace psr::govern {

struct GovernorContext {
  const OperatorPolicy *op = nullptr; // required
  // The generated rules in force on the target, in acceptance order.
  const std::vector<GeneratedRule> *generated = nullptr;
  // Management addresses and what discovery found; null: none.
  const ProtectedAddresses *protect = nullptr;
  GovernorOptions options;
  // The insert-rate cap's counter (SetInsert only; null: no cap).
  InsertBucket *inserts = nullptr;
  // Clocks: monotonic ns for the bucket, CLOCK_BOOTTIME ns for when a
  // shadow rule went in, wall clock ms for the record.
  uint64_t now_ns = 0;
  uint64_t boot_now_ns = 0;
  int64_t now_unix_ms = 0;
  // (d)'s build; false: checks only (the composition is still checked).
  bool build = true;
  be::PolicyBuildOptions build_options;
};

Verdict review(const analyze::Proposal &p, const GovernorContext &ctx);

// What exempt generated drops get in front of their condition: the
// governor's protected sources and the operator's address-only protects,
// excluded ("ip.src not in { 10.9.0.0/16, 192.0.2.254 } and not (ip.src
// in mgmt)"); "" when there are none. The same addresses give the same
// text (sorted), so compositions stay deterministic.
std::string exemption_clause(const OperatorPolicy &op,
                             const ProtectedAddresses *protect);

// (b) and (c) again for a generated rule already in force (its own name
// excluded from the uniqueness check), against the context's operator
// policy and protects: after the operator policy changed, after a
// restart, before a shadow rule is enforced. Never builds. Accepted: the
// rule as it stands now in `rules` (exempt or not under today's protects).
Verdict recheck(const GeneratedRule &rule, const GovernorContext &ctx);

} // namespace psr::govern
