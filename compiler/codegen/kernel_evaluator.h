// Runs test packets through the compiled policy in the kernel: the
// PacketEvaluator of `psc test` and `psc run` without --interp.
//
// The policy is built once (lower + codegen + Clang) in create(); the
// object is loaded (verifier) lazily on the first packet after create() or
// reset(), never attached. Per packet: the time goes into slot 0 of the
// psl_clock map (loaded with psl_clock_from_map = 1, so rate buckets and
// dynamic-set expiry read it), then one BPF_PROG_TEST_RUN of the frame.
//
// Deciding rule: the generated program bumps exactly one slot of
// psl_rule_cnt for its verdict (psl_decide: counter id = rule index + 1 of
// the deciding terminal rule, 0 for the default); `count` rules bump their
// own slot on the way and shadow rules bump psl_shadow_cnt instead. So the
// evaluator keeps the last seen packet count of slot 0 and of every
// terminal rule's slot, and after each run the one that grew is the
// deciding rule. Exactly one must grow; anything else is an error, as is
// a verdict other than XDP_PASS / XDP_DROP or a verdict that disagrees
// with the deciding rule's action. Errors are values (backend/status.h),
// like the rest of the backend's: a load the verifier refuses is the
// input's (ErrorKind::User), a failed system call the environment's, a
// counter that does not add up psc's (Internal).
//
// reset(): closes the loaded object and loads a fresh one on the next
// packet, so rate buckets, dynamic sets and counters all start empty (the
// simplest reset that cannot miss a map).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ast/ast.h"
#include "backend/bpf_object.h"
#include "backend/status.h"
#include "codegen/policy_build.h"
#include "interp/test_runner.h"

namespace psl::codegen {

// The backend's types this interface is written in.
using backend::BpfObject;
using backend::Error;
using backend::Expected;
using backend::Status;

// Empty when this process can load XDP programs and test-run them; else
// one sentence saying what is missing (no CAP_BPF/CAP_SYS_ADMIN, no
// BPF_PROG_TEST_RUN for XDP ...).
std::string kernel_unavailable_reason();

struct KernelCounter {
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

class KernelEvaluator final : public interp::PacketEvaluator {
public:
  // Builds the policy (no load yet). `policy` must be checked and outlive
  // the evaluator. Errors: a lowering limit, generated C that does not
  // compile.
  static Expected<std::unique_ptr<KernelEvaluator>>
  create(const Policy &policy, const SourceFile *file,
         const PolicyBuildOptions &options = {});

  std::string name() const override { return "kernel"; }
  void reset() override;
  Expected<interp::Evaluation> evaluate(const std::vector<uint8_t> &frame,
                                        uint64_t now_ns) override;

  // Loads now if not loaded: to report a verifier rejection before the
  // first packet.
  Status ensure_loaded();

  // Counters since the last reset, summed over CPUs (zero before the first
  // packet). rule_counter: psl_shadow_cnt for a shadow rule, else
  // psl_rule_cnt.
  Expected<KernelCounter> rule_counter(uint32_t rule_index) const;
  Expected<KernelCounter> default_counter() const;

  const PolicyArtifact &artifact() const { return artifact_; }

private:
  KernelEvaluator(const Policy &policy, PolicyArtifact artifact);
  Expected<KernelCounter> read_counter(const char *map, uint32_t id) const;

  const Policy &policy_;
  PolicyArtifact artifact_;
  std::unique_ptr<BpfObject> obj_;
  int prog_fd_ = -1;
  // Counter ids watched for the verdict: 0 (default) and every terminal
  // rule's; rule index per watched id (-1 for the default).
  std::vector<uint32_t> watch_ids_;
  std::vector<int> watch_rules_;
  std::vector<Action> watch_actions_;
  std::vector<uint64_t> last_packets_;
};

} // namespace psl::codegen
