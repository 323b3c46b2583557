// One differential case: the policy compiled and loaded (BPF_PROG_TEST_RUN
// with the injected clock) and the reference interpreter, fed the same
// dynamic-set entries and the same frames at the same times.
//
// Compared after EVERY packet: the verdict, and the change of every
// counter slot (psl_rule_cnt of each rule and of the default,
// psl_shadow_cnt of each shadow rule), packets and bytes. So the deciding
// rule, every `count` rule on the way and every shadow hit must agree
// packet by packet, not just in total.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "generator.h"
#include "policy_harness.h"

namespace psl::difftest {

struct Outcome {
  enum class Kind {
    Agree,        // every packet got the same verdict and counters
    Mismatch,     // a packet disagreed (bad_packet says which)
    Rejected,     // a documented lowering limit: not a bug, not run
    BuildFailure, // generated C that does not compile, a verifier
                  // rejection, an interpreter that refuses the policy
    InvalidCase,  // the generated policy does not check: a generator bug
  };
  Kind kind = Kind::Agree;
  size_t packets_run = 0;
  // How hard the case pushed: packets a rule (not the default) decided,
  // and rules the lowering put in lookup maps rather than code.
  size_t decided_by_rule = 0;
  size_t rules = 0, rules_in_maps = 0;
  size_t rules_in_rate_groups = 0; // of rules_in_maps: rate() rules in maps
  size_t bad_packet = 0;
  std::string detail; // what differs, or why the build stopped
  bpftest::BuildStage stage = bpftest::BuildStage::Check; // BuildFailure
};
const char *outcome_name(Outcome::Kind k);

// The build options of a case: `split_class_tables` forces the IPv4 part
// of the class tables into the /16 array and prefix hash, the IPv6 part
// into the /32 buckets and prefix hash (Case::split_class_tables), and a
// bitmap of ports in front of every class-keyed port group.
// `lowering` sets the cost model's mode and budgets (Case::lowering).
backend::PolicyBuildOptions
build_options(bool split_class_tables,
              CaseLowering lowering = CaseLowering::Auto);

// Builds the policy (a whole PSL file), then runs `packets` on both sides.
Outcome run_case(const std::string &policy_text,
                 const std::vector<SetEntry> &entries,
                 const std::vector<TimedFrame> &packets,
                 bool split_class_tables = false,
                 CaseLowering lowering = CaseLowering::Auto);

// Runs on an already built policy: rate() buckets are emptied first, set
// entries (re)written, so a policy can serve many packet lists (the
// shrinker). Counters are compared as per-packet changes, so earlier runs
// do not matter.
Outcome run_compiled(bpftest::CompiledPolicy &compiled,
                     const std::vector<SetEntry> &entries,
                     const std::vector<TimedFrame> &packets);

} // namespace psl::difftest
