// The embedded detector's thresholds, the rates it proposes and its
// timing: one plain struct (psd maps its config file's [detector] section
// onto it), the table of its keys with their defaults (what psd's config,
// `psd --help` and docs/detector.md list), and the check of a whole set of
// values.
//
// Rates are packets per second over a summary's window; shares are
// percent. The defaults suit a server: docs/detector.md says why each is
// what it is.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "backend/status.h"

namespace psr::analyze {

struct DetectorOptions {
  // A finding is proposed once it held in this many consecutive windows,
  // or at once when it is over its hard threshold.
  uint32_t hold_ticks = 2;
  // The ttl of every proposal (the rule's `ttl`, the set entries').
  std::chrono::milliseconds ttl{std::chrono::minutes(10)};
  // A finding proposed and not in force (refused, still pending, or gone)
  // is proposed again only after this long.
  std::chrono::milliseconds repropose_after{std::chrono::seconds(60)};
  // Sources in one proposal; more wait for the next window.
  uint32_t max_sources = 64;
  // Windows shorter than this give no findings (their rates are noise).
  std::chrono::milliseconds min_window{std::chrono::milliseconds(100)};
  // The dynamic set flooding sources go into; empty: the first set of
  // the operator policy that blocks sources (DetectorContext::block_sets).
  std::string block_set;
  // The set scanners go into; when the policy has no such set, the one
  // flooding sources go into.
  std::string scan_set = "scanners";

  // ICMP echo flood: one source (-> its block), or many together (-> a
  // rate limit per destination address).
  uint64_t icmp_source_pps = 200;
  uint64_t icmp_source_hard_pps = 2000;
  uint64_t icmp_total_pps = 2000;
  uint64_t icmp_total_hard_pps = 20000;
  uint64_t icmp_limit_pps = 100; // the proposed rule's rate(ip.dst)

  // TCP SYN flood: few sources (-> their block), or many spoofed ones with
  // handshakes that do not complete (-> a rate limit toward the port).
  uint64_t syn_source_pps = 200;
  uint64_t syn_source_hard_pps = 2000;
  uint64_t syn_total_pps = 2000;
  uint64_t syn_total_hard_pps = 20000;
  uint64_t syn_min_sources = 50;        // active sources in the window
  uint32_t syn_incomplete_percent = 80; // SYNs with no accepted connection
  uint32_t syn_port_percent = 50;       // of the SYNs, for the port to be named
  uint64_t syn_limit_pps = 1000; // the proposed rule's rate(ip.dst, tcp.dport)

  // UDP flood from few sources (-> their block). Datagrams from the
  // reflection ports do not count: reflection below handles them.
  uint64_t udp_source_pps = 1000;
  uint64_t udp_source_hard_pps = 10000;

  // UDP reflection: datagrams from source port 53, 123, 11211, 1900 or 19,
  // all sources together (-> a rate limit on that source port).
  uint64_t reflection_pps = 2000;
  uint64_t reflection_hard_pps = 20000;
  uint64_t reflection_limit_pps = 500; // the proposed rule's rate(ip.dst)

  // Port scans (-> the source's block): distinct destination ports
  // (vertical) or addresses (horizontal) of one source, while most of its
  // packets in the window are probes (SYN, echo request, UDP not from a
  // reflection port).
  uint32_t scan_ports = 64;
  uint32_t scan_hard_ports = 256;
  uint32_t scan_addrs = 16;
  uint32_t scan_hard_addrs = 48;
  uint32_t scan_min_probes = 2;
  uint32_t scan_probe_percent = 50;
};

// One key of the [detector] section.
struct DetectorSetting {
  enum class Kind : uint8_t { Count, Percent, Duration, Text };
  const char *key; // "icmp_source_pps": [detector] icmp_source_pps = 200
  Kind kind;
  const char *default_value; // as written in the config file
  const char *help;          // one line
  int64_t min = 0, max = 0;  // Count, Percent: the range; Duration: in ms
};
const std::vector<DetectorSetting> &detector_settings();

// A value for a key: a number for Count and Percent, milliseconds for
// Duration, text for Text.
using DetectorValue =
    std::variant<int64_t, std::chrono::milliseconds, std::string>;

// Sets one key. An unknown key, a value of the wrong kind or out of range
// is an Error naming the key ("detector.syn_port_percent: 120 is not
// within 0..100").
psl::backend::Status set_detector_option(DetectorOptions &o,
                                         std::string_view key,
                                         const DetectorValue &value);

// Checks that the values make sense together (every hard threshold at or
// above its threshold, ...). The first problem, naming its keys.
psl::backend::Status check_detector_options(const DetectorOptions &o);

} // namespace psr::analyze
