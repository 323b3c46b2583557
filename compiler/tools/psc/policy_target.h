// What load, unload, status and set share on the command line: --dev and
// --netns to a target of the policy runtime, the BPF readiness check, and
// how times and durations are shown.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "policy/layout.h"

namespace psc {

// --netns NS: a name under /var/run/netns (ip netns), a path to a network
// namespace file (/proc/PID/ns/net), or `net-<inode>` as status shows it.
// Enters the namespace (this thread; psc has one) when it lives. A gone
// namespace is only accepted with `allow_gone` (unload and status of what
// it left): then nothing is entered.
struct TargetChoice {
  psr::policy::Target target;
  bool netns_gone = false;
};
std::optional<TargetChoice> choose_target(const char *verb,
                                          const std::string &dev,
                                          const std::string &netns,
                                          bool allow_gone, std::ostream &err,
                                          int *exit_status);
// Enters --netns (empty: stays); the namespace id it ends up in, or
// nullopt after saying why on `err`.
std::optional<std::string> enter_netns(const char *verb,
                                       const std::string &netns,
                                       bool allow_gone, std::ostream &err,
                                       bool *gone = nullptr);

// Missing privileges or kernel support: one line naming what is missing.
bool bpf_ready(const char *verb, std::ostream &err);

// 5s, 10m, 1h, 1500ms: a duration as PSL writes it.
std::string format_duration(uint64_t ns);
// "2025-01-31 12:00:00 UTC"; "-" for 0.
std::string format_time(uint64_t unix_ns);
// RFC 3339 for JSON ("2025-01-31T12:00:00Z"); "" for 0.
std::string format_time_json(uint64_t unix_ns);

} // namespace psc
