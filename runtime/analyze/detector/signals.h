// One window's findings: every detection's signal read from a summary and
// compared with its thresholds. A pure function of the window and the
// options: whether a finding held long enough, is in force already or
// goes into a set is the detector's (detector.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyze/detector/options.h"
#include "summary/summary.h"

namespace psr::analyze {

enum class Detection : uint8_t {
  IcmpSourceFlood, // one source's echo requests
  IcmpFlood,       // echo requests of many sources together
  SynSourceFlood,  // one source's SYNs
  SynFlood,        // SYNs of many (spoofed) sources, handshakes failing
  UdpSourceFlood,  // one source's datagrams (not from reflection ports)
  UdpReflection,   // datagrams from one reflection port, all sources
  VerticalScan,    // one source, many destination ports
  HorizontalScan,  // one source, many destination addresses
};
// "icmp_source_flood", "icmp_flood", "syn_source_flood", "syn_flood",
// "udp_source_flood", "udp_reflection", "vertical_scan", "horizontal_scan"
const char *detection_name(Detection d);
// The detections whose subject is a source address (blocked as such).
bool is_per_source(Detection d);

// A counter of the summary a finding read, by its place in the summary's
// JSON ("talkers.top[198.51.100.7].icmp_echo.per_s").
struct ReadCounter {
  std::string name;
  double value = 0;
};

struct Finding {
  Detection detection = Detection::IcmpFlood;
  // Per source: its address (as the summary writes it). SynFlood: the
  // destination port named in the rule, or "any". UdpReflection: the
  // source port. IcmpFlood: empty.
  std::string subject;
  int family = 0;    // per source: 4 or 6
  uint16_t port = 0; // SynFlood (0: no port takes syn_port_percent) and
                     // UdpReflection
  // IcmpFlood: the families whose ICMP carried packets in the window.
  bool ipv4 = false, ipv6 = false;
  double level = 0;      // the signal, in the threshold's unit
  double threshold = 0;  // what it was compared with
  bool hard = false;     // at or over the hard threshold
  const char *unit = ""; // "echo requests/s", "destination ports", ...
  std::vector<ReadCounter> counters;
};

// Every finding of the window, per-source ones first. A window shorter
// than options.min_window gives none. Per-source floods are read from the
// top talkers, scans from the top talkers and both fan-out lists; the
// detections of many sources count what the per-source findings and the
// policy's drops do not explain already (docs/detector.md).
std::vector<Finding> find_signals(const summary::Summary &window,
                                  const DetectorOptions &options);

} // namespace psr::analyze
