// Compiles PSL text through the whole pipeline (check, lower, codegen,
// in-process Clang), loads it with the test clock, writes the maps, and
// runs packets with BPF_PROG_TEST_RUN. Shared by the compiled-policy tests
// and the differential tester (tests/difftest).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "backend/bpf_object.h"
#include "backend/test_run.h"
#include "codegen/policy_build.h"
#include "driver.h"
#include "packet_builder.h"

namespace psl::bpftest {

// Where building a policy stopped.
enum class BuildStage {
  Check,   // the policy has errors (psc check would say so)
  Lower,   // a documented lowering limit (code budget, map sizes)
  Compile, // "internal error": generated C that does not compile or link
  Load,    // the verifier or a map write refused the object
};
const char *build_stage_name(BuildStage s);

struct BuildFailure {
  BuildStage stage = BuildStage::Check;
  std::string message;
};

struct CounterValue {
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

class CompiledPolicy {
public:
  // The policy text's body goes inside `policy t { ... }` when `wrap`.
  // Returns null and sets *error on any failure.
  static std::unique_ptr<CompiledPolicy>
  make(const std::string &text, std::string *error, bool wrap = true);
  // A whole policy file; on failure returns null and says where it stopped.
  static std::unique_ptr<CompiledPolicy>
  build(const std::string &text, BuildFailure *failure,
        const codegen::PolicyBuildOptions &options = {});

  // "pass" / "drop" (or "XDP_n").
  std::string run(const Pkt &p, uint32_t repeat = 1);
  backend::TestRunResult run_raw(const std::vector<uint8_t> &frame,
                                 uint32_t repeat = 1);

  uint64_t count(const std::string &rule) const;  // psl_rule_cnt, packets
  uint64_t shadow(const std::string &rule) const; // psl_shadow_cnt, packets
  uint64_t default_count() const;
  // A counter slot summed over CPUs: rule i at i + 1, the default at 0.
  CounterValue rule_counter(uint32_t counter_id) const;   // psl_rule_cnt
  CounterValue shadow_counter(uint32_t counter_id) const; // psl_shadow_cnt

  void set_clock(uint64_t ns);
  // Adds an address to a dynamic set of ip (expires_ns 0: never).
  void add_ip(const std::string &set, const std::string &addr,
              uint64_t expires_ns = 0);
  void add_int(const std::string &set, uint64_t value, uint64_t expires_ns = 0);
  void add_mac(const std::string &set, const std::string &mac,
               uint64_t expires_ns = 0);
  // Empties the rate() buckets, as a fresh load would (counters and
  // dynamic sets stay).
  void clear_rate_buckets();

  // The checked policy the object was built from (rule indices, names).
  const Policy &policy() const { return *checked_->module.policy; }
  const codegen::PolicyArtifact &artifact() const { return artifact_; }
  backend::BpfObject &object() { return *obj_; }

private:
  CounterValue read_counter(const char *map, uint32_t id) const;
  uint32_t rule_id(const std::string &rule) const;

  std::unique_ptr<CheckedModule>
      checked_; // owns the AST `policy()` points into
  codegen::PolicyArtifact artifact_;
  std::unique_ptr<backend::BpfObject> obj_;
};

} // namespace psl::bpftest
