// What load, unload, status and set share on the command line: --dev and
// --netns to a target of the policy runtime, the BPF readiness check, and
// how times and durations are shown.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "backend/status.h"
#include "policy/layout.h"

namespace psc {

// --netns NS: a name under /var/run/netns (ip netns), a path to a network
// namespace file (/proc/PID/ns/net), or `net-<inode>` as status shows it.
// Enters the namespace (this thread; psc has one) when it lives. A gone
// namespace is only accepted with `allow_gone` (unload and status of what
// it left), and only when PacketScope has pins or state of it: then
// nothing is entered. Every failure is the environment's (a namespace that
// does not exist, one that cannot be entered).
struct EnteredNetns {
  std::string netns; // net-<inode>
  bool gone = false;
};
psl::backend::Expected<EnteredNetns> enter_netns(const std::string &netns,
                                                 bool allow_gone);

// --dev and --netns as a target of the policy runtime: the namespace
// entered. Null after saying why on `err`; *exit_status is then
// kExitUsage (--dev cannot name an interface) or the status of the
// error's kind.
struct TargetChoice {
  psr::policy::Target target;
  bool netns_gone = false;
};
std::optional<TargetChoice> choose_target(const char *verb,
                                          const std::string &dev,
                                          const std::string &netns,
                                          bool allow_gone, std::ostream &err,
                                          int *exit_status);

// Missing privileges or kernel support: the environment's error, naming
// what is missing.
psl::backend::Status bpf_ready();

// The exit status of `e` (exit_status(e.kind)), after saying on `err`,
// for an internal error, that it is a bug in psc.
int error_status(const char *verb, const psl::backend::Error &e,
                 std::ostream &err);
// Shows `e` on `err` ("psc VERB: MESSAGE", its notes, its detail), then
// returns error_status().
int report_error(const char *verb, const psl::backend::Error &e,
                 std::ostream &err);

// "2025-01-31 12:00:00 UTC"; "-" for 0.
std::string format_time(uint64_t unix_ns);
// RFC 3339 for JSON ("2025-01-31T12:00:00Z"); "" for 0.
std::string format_time_json(uint64_t unix_ns);

} // namespace psc
