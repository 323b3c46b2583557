// Rules with a `ttl`: `drop ttl 5s` is in force for five seconds from
// when the rule was first put in force on the target, then the policy is
// put in force again without it.
//
// The start of each such rule is kept in the state by rule name
// (ProgramState::rule_started_ns, CLOCK_BOOTTIME): a swap that keeps the
// rule keeps its start, a restart of psd or psc changes nothing, and a
// load with --reset starts it again. What is put in force again is the
// text of the policy in force (prog-<ID>/policy.psl) with the expired
// rules taken out (their lines, and the comment lines right above them),
// checked and built again, and swapped in like any load (sets, rate state
// and counters carried), so a file edited since is never what comes back.
//
// psd calls enforce_rule_expiry() for each target once a second, holding
// the namespace's ExpiryEnforcer, by which psc load knows whether ttls are
// enforced at all.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backend/bpf_object.h"
#include "backend/status.h"
#include "policy/layout.h"
#include "policy/program_state.h"
#include "policy/put_in_force.h"

namespace psr::policy {

struct ExpiredRule {
  std::string name;
  uint64_t ttl_ns = 0;
  uint64_t started_ns = 0; // CLOCK_BOOTTIME
  uint64_t expired_ns = 0; // started + ttl
};

// The rules of `s` whose ttl has run out at `now` (CLOCK_BOOTTIME ns).
std::vector<ExpiredRule> expired_rules(const ProgramState &s, uint64_t now);
// The same for the policy in force on `t` (none in force: none).
be::Expected<std::vector<ExpiredRule>>
expired_rules(const StateLayout &layout, const Target &t, uint64_t now);

// `text` without the rules named `rules`: each rule's declaration and the
// comment lines right above it; whole lines where the rule has its lines
// to itself. The result is checked again, and must have exactly the other
// rules (else an error: nothing is put in force from a text that does not
// say what was meant).
be::Expected<std::string>
remove_rules_from_text(const std::string &path, const std::string &text,
                       const std::vector<std::string> &rules);

struct ExpiryOptions {
  std::chrono::milliseconds lock_wait{2000};
  be::PolicyLoadOptions load;   // as put_in_force's
  be::PolicyBuildOptions build; // the object cache, if any
};

struct ExpiryResult {
  std::vector<ExpiredRule> removed; // empty: nothing had expired
  std::optional<PutResult> put;     // the swap that removed them
};

// Puts the policy in force on `t` again without the rules expired at
// `now`, keeping state as any swap. Runs in `t`'s network namespace (as
// put_in_force). Nothing expired: nothing happens. If
// another load changed the policy meanwhile, nothing happens either (the
// next call looks again).
be::Expected<ExpiryResult>
enforce_rule_expiry(const StateLayout &layout, const Target &t, uint64_t now,
                    const ExpiryOptions &options = {});

// Held by the process that enforces rule ttls in a namespace (psd), for as
// long as it does: an flock on <state root>/enforcer-<netns>.lock.
class ExpiryEnforcer {
public:
  static be::Expected<ExpiryEnforcer> acquire(const StateLayout &layout,
                                              const std::string &netns);

private:
  be::UniqueFd fd_;
};
// Whether some process holds the ExpiryEnforcer of `netns`.
bool expiry_enforced(const StateLayout &layout, const std::string &netns);

} // namespace psr::policy
