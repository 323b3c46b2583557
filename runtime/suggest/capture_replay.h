// A packet capture -> the summary windows psd would have written for it.
//
// The capture is replayed through a policy program (the operator's, as
// psd would have it in force) built with the XDP observation on and the
// injected clock: every frame goes through BPF_PROG_TEST_RUN with the
// program's clock (psl_clock) set to the frame's capture time, so rate
// buckets and set expiry run on the capture's time, not the replay's.
// At every window boundary of capture time (1 s by default, from the
// first frame) the observation's maps and the rules' counters are read
// into a snapshot — what runtime/trace and runtime/policy give psd — and
// runtime/summary's builder makes the window of two readings, as it does
// in psd. So `psc suggest` and `scripts/llm-eval` show an analyzer the
// same summaries psd would.
//
// What a replay cannot show: the stack (no packet of a test run reaches
// it), so the summaries have the XDP side only — the funnel's nic,
// xdp_pass and xdp_drop, SYNs and their ports, per-source statistics,
// rule hits — and no stack drops, TCP states, ICMP errors or latency.
// Each window says so in its notes. Source timestamps (first and last
// seen) are the capture's: the kernel's jiffies run on the replay's time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ast/ast.h"
#include "backend/status.h"
#include "summary/summary.h"

namespace psr::suggest {

namespace be = psl::backend;

// What a window's reader may do to the replay before it goes on: put
// values into the program's dynamic sets, as psd's governor does on its
// fast path, so that the next windows show their traffic dropped.
class ReplaySets {
public:
  virtual ~ReplaySets() = default;
  // `value` as a policy writes it, into dynamic set `set`, expiring `ttl_ns`
  // of capture time after the window's end (0: the set's own ttl).
  virtual be::Status add(const std::string &set, const std::string &value,
                         uint64_t ttl_ns) = 0;
};

struct ReplayOptions {
  uint64_t window_ns = 1'000'000'000;
  // Frames at or after this much capture time from the first frame are
  // not replayed (0: the whole capture): the part an analyzer sees.
  uint64_t until_ns = 0;
  // A capture longer than this many windows is refused (its gaps too
  // make windows).
  size_t max_windows = 7200;
  summary::SummaryOptions summary;
  std::string ifname = "capture"; // the interface the summaries name
  // Called with each window as soon as it is built, before the next frame
  // is replayed (psd's tick); an error stops the replay.
  std::function<be::Status(const summary::Summary &, ReplaySets &)> on_window;
};

struct CaptureSummary {
  std::vector<summary::Summary> windows; // seq 1, 2, ... in time order
  uint64_t frames = 0;                   // replayed
  uint64_t frames_after = 0;             // at or after until_ns, not replayed
  uint64_t first_ns = 0;                 // capture time of the first frame
  uint64_t end_ns = 0;                   // the last window's end
};

// Errors: ErrorKind::Environment when this process cannot load and
// test-run XDP programs (the sentence says what is missing), ErrorKind::
// User for a capture that cannot be read or is longer than max_windows, a
// policy that does not build or load. `policy` must have checked without
// errors.
be::Expected<CaptureSummary> summarize_capture(const psl::Policy &policy,
                                               const psl::SourceFile *file,
                                               const std::string &pcap,
                                               const ReplayOptions &options);

} // namespace psr::suggest
