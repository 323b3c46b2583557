// Putting a policy in force on a target, and taking it down.
//
// put_in_force, in this order, under the target's lock:
//   1. adopt what a loader that died left (in_force.h);
//   2. refuse what cannot be done without a gap: another XDP mode than
//      the one in force (that needs a detach and an attach);
//   3. plan what carries over (carry_plan.h), load the program (the
//      verifier) reusing the maps the plan keeps, fill its maps, copy what
//      the plan copies;
//   4. write the new program's state directory (policy.json and
//      policy.psl before the load, state.json after it), complete, before
//      the switch;
//   5. switch: attach, or point the pinned link at the new program in one
//      bpf_link_update; pin its maps;
//   6. after every run of the old program has ended, add the old
//      program's final counts to the new state (when the counter maps were
//      not kept) and remove the old program's directory.
// Anything that fails before 5 leaves no trace: the program in force, its
// pins and state are as they were, and a first load removes the
// directories it made. A process killed anywhere leaves the old program in
// force (before 5) or the new one (after), each with its complete state;
// the next operation adopts it.
//
// take_down: detach first; only when that worked, remove the pins and the
// state.
//
// Error kinds (backend/status.h), which front ends map to what they show
// (psc: an exit status): the user's when the request is refused for what
// it asks: a policy that hits a lowering limit or that the verifier
// refuses, another XDP mode on a swap, a dynamic set whose new capacity is
// below its live entries, a take down where nothing is loaded. The
// environment's when the machine cannot do it: no such interface or
// namespace, missing privileges, another change holding the target's lock,
// a failed system call. Internal: a caller's bug (no artifact, a target of
// another namespace than the calling thread's).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ast/ast.h"
#include "backend/status.h"
#include "backend/xdp_attach.h"
#include "codegen/policy_build.h"
#include "lower/classifier.h"
#include "policy/carry_plan.h"
#include "policy/layout.h"
#include "policy/program_state.h"

namespace psr::policy {

// What is put in force: the built policy and where it came from.
struct PolicyToLoad {
  const be::PolicyArtifact *artifact = nullptr;
  std::string_view text; // the policy's source text, kept in the state
  std::string source;    // the file it came from (absolute), or "<stdin>"
  // `ttl D` of each rule that has one (rule_ttls() of the checked tree).
  std::map<std::string, uint64_t> rule_ttls;
  // Rules an expiry removed from `text` (recorded in the state).
  std::vector<std::string> expired_rules;
  // Who wrote each rule, by name ("detector", "llm": psd's governor);
  // rules not listed are the operator's.
  std::map<std::string, std::string> rule_origins;
};

// The `ttl` of each rule of a checked policy, by name.
std::map<std::string, uint64_t> rule_ttls(const psl::Policy &policy);

// The tables of the program a classifier describes, as they go into its
// state (rules with their ttls, sets, rate() layouts).
ProgramState describe_program(const psl::lower::Classifier &c,
                              const std::map<std::string, uint64_t> &ttls);

struct PutOptions {
  // Native or generic for a new attachment (Auto: native, else generic).
  // On a swap, Auto keeps the mode in force and another explicit mode is
  // refused (it would need a detach).
  be::XdpMode mode = be::XdpMode::Auto;
  // Carry nothing over: empty sets, full rate buckets, counters from zero,
  // rule ttls from now. The tracing runtime's maps are kept regardless.
  bool reset = false;
  // Load-time globals and the like; bpf.reuse_maps_dir,
  // bpf.reuse_map_filter and observe (always on: every program in force
  // carries the XDP observation) are put_in_force's own.
  be::PolicyLoadOptions load;
  // How long to wait for another change on the target (0: refuse at once
  // with "another load on 'eth0' is in progress (pid N)").
  std::chrono::milliseconds lock_wait{0};
  // Called at named points ("loaded", "state-written", "switched"), for
  // tests that kill a loader at a given step.
  std::function<void(std::string_view step)> on_step;
  // What others are told holds the lock.
  std::string purpose = "load";
  // Non-zero: put in force only if this program is still the one in force
  // once the lock is held (else an Error with code ESTALE, nothing
  // changed). For changes computed from what was in force (rule expiry).
  uint32_t expected_prog_id = 0;
};

struct SetCarry {
  std::string name;
  CarryHow how = CarryHow::Fresh;
  uint64_t entries = 0; // live entries it holds after the swap (kept/copied)
  std::string why;
};
struct RateCarry {
  std::string rule;
  CarryHow how = CarryHow::Fresh;
  uint64_t buckets = 0; // copied (Copy/Rescale)
  std::string why;
};
struct CountersCarry {
  bool maps_kept = false;           // the same counter maps go on counting
  std::vector<std::string> carried; // rules whose counts carried by name
  std::vector<std::string> dropped; // rules with counts that are gone
};

struct PutResult {
  Target target;
  std::string policy;
  uint32_t prog_id = 0;
  uint32_t link_id = 0;
  be::XdpMode mode = be::XdpMode::Auto; // Native or Generic, as in force
  uint32_t replaced_prog_id = 0;        // 0: nothing was in force
  bool reset = false;
  std::vector<SetCarry> sets;
  std::vector<std::string> sets_dropped; // old sets the new policy lacks
  std::vector<RateCarry> rates;
  CountersCarry counters;
  // Things the caller should tell the operator (a leftover adopted, a
  // counter base that could not be updated after the switch).
  std::vector<std::string> notes;
};

be::Expected<PutResult> put_in_force(const StateLayout &layout,
                                     const Target &target,
                                     const PolicyToLoad &policy,
                                     const PutOptions &options = {});

struct TakeDownResult {
  std::string policy; // what was in force ("" when unknown)
  uint32_t prog_id = 0;
};
// Errors: nothing of PacketScope on the target (code ENOENT; the user's,
// or the environment's when the interface or namespace does not exist:
// no_policy_error()), or the detach failed (the state is kept then).
be::Expected<TakeDownResult>
take_down(const StateLayout &layout, const Target &target,
          std::chrono::milliseconds lock_wait = std::chrono::seconds(5));

} // namespace psr::policy
