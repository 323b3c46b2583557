// What this kernel and this process can do with BPF, found by trying it:
// load a two-instruction XDP program, test-run it, attach it through a
// bpf_link in a private network namespace. Used to pick -mcpu, to give a
// clear message before the real work fails, and by tests to skip (or, with
// PSC_REQUIRE_BPF=1, fail) when the machine cannot run them.
#pragma once

#include <string>

namespace psl::backend {

struct FeatureProbe {
  bool available = false;
  // Why not, as a user-facing sentence; empty when available.
  std::string reason;
  explicit operator bool() const { return available; }
};

struct Privileges {
  bool cap_sys_admin = false;
  bool cap_bpf = false;
  bool cap_perfmon = false;
  bool cap_net_admin = false;
  // Loading programs: CAP_BPF (Linux 5.8+) or CAP_SYS_ADMIN.
  bool can_load_bpf() const { return cap_bpf || cap_sys_admin; }
};
// The effective capabilities of the calling thread.
Privileges current_privileges();

struct BpfFeatures {
  FeatureProbe load;         // the privileges, and an XDP program loads
  FeatureProbe xdp_test_run; // BPF_PROG_TEST_RUN on an XDP program
  FeatureProbe xdp_link;     // XDP through bpf_link, and bpf_link_update (5.9+)
  FeatureProbe jmp32;        // JMP32 instructions: -mcpu=v3 (Linux 5.1)
  FeatureProbe netns;        // network namespaces + the `ip` tool (tests)

  // "v3" when the kernel takes JMP32/ALU32, else "v2".
  std::string recommended_cpu() const { return jmp32 ? "v3" : "v2"; }
};

// Runs every probe now (a few milliseconds).
BpfFeatures probe_bpf_features();
// Probes on first use, then answers from memory for the whole process.
const BpfFeatures &bpf_features();

} // namespace psl::backend
