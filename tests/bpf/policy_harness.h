// Compiles PSL text through the whole pipeline (check, lower, codegen,
// in-process Clang), loads it with the test clock, writes the maps, and
// runs packets with BPF_PROG_TEST_RUN.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "backend/bpf_object.h"
#include "backend/test_run.h"
#include "codegen/policy_build.h"
#include "packet_builder.h"

namespace psl::bpftest {

class CompiledPolicy {
public:
  // The policy text's body goes inside `policy t { ... }` when `wrap`.
  // Returns null and sets *error on any failure.
  static std::unique_ptr<CompiledPolicy> make(const std::string &text, std::string *error,
                                              bool wrap = true);

  // "pass" / "drop" (or "XDP_n").
  std::string run(const Pkt &p, uint32_t repeat = 1);
  backend::TestRunResult run_raw(const std::vector<uint8_t> &frame, uint32_t repeat = 1);

  uint64_t count(const std::string &rule) const;  // psl_rule_cnt, packets
  uint64_t shadow(const std::string &rule) const; // psl_shadow_cnt, packets
  uint64_t default_count() const;
  void set_clock(uint64_t ns);
  // Adds an address to a dynamic set of ip (expires_ns 0: never).
  void add_ip(const std::string &set, const std::string &addr, uint64_t expires_ns = 0);
  void add_int(const std::string &set, uint64_t value, uint64_t expires_ns = 0);

  const backend::PolicyArtifact &artifact() const { return artifact_; }
  backend::BpfObject &object() { return *obj_; }

private:
  uint64_t read_counter(const char *map, uint32_t id) const;
  uint32_t rule_id(const std::string &rule) const;

  backend::PolicyArtifact artifact_;
  std::unique_ptr<backend::BpfObject> obj_;
};

} // namespace psl::bpftest
