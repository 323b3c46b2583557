// Runs packets through a loaded XDP program in the kernel with
// BPF_PROG_TEST_RUN: no interface, no traffic, the real verifier-checked
// code and the real helpers and maps.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "backend/status.h"

namespace psl::backend {

// The verdicts of enum xdp_action, spelled as in the kernel.
enum class XdpAction : uint32_t {
  Aborted = 0,
  Drop = 1,
  Pass = 2,
  Tx = 3,
  Redirect = 4,
};
// "XDP_PASS", ...; "XDP_<n>" for a value outside the enum.
std::string xdp_action_name(uint32_t action);

struct TestRunOptions {
  // The kernel runs the program this many times on the same packet and
  // reports the mean time per run (benchmarks). Maps see every run.
  uint32_t repeat = 1;
  // Room for the packet the program leaves behind; 0 means the input size
  // plus 4 KiB (enough for bpf_xdp_adjust_tail/head growth).
  size_t data_out_capacity = 0;
  // xdp_md.ingress_ifindex / rx_queue_index as the program sees them; 0
  // leaves the context out (the kernel's defaults).
  uint32_t ingress_ifindex = 0;
  uint32_t rx_queue_index = 0;
};

struct TestRunResult {
  uint32_t retval = 0; // the verdict as returned by the program
  XdpAction action() const { return static_cast<XdpAction>(retval); }
  std::vector<uint8_t> data_out;        // the packet after the program ran
  std::chrono::nanoseconds duration{0}; // mean per run, as the kernel says
  uint32_t repeat = 1;
};

// `packet` is a whole Ethernet frame (at least 14 bytes).
Expected<TestRunResult> test_run_xdp(int prog_fd,
                                     const std::vector<uint8_t> &packet,
                                     const TestRunOptions &options = {});

} // namespace psl::backend
