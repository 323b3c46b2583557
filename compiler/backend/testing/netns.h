// Network namespaces for tests that attach XDP to real interfaces and send
// real packets, without touching the host's own network.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "backend/bpf_object.h"
#include "backend/status.h"

namespace psl::backend::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output; // stdout and stderr
};
// Runs `command` with /bin/sh; captures its output.
CommandResult run_command(const std::string &command);

// Two namespaces joined by a veth pair:
//
//   <name>        ifname()      192.0.2.1/24   (the XDP side)
//   <name>-peer   peer_ifname() 192.0.2.2/24   (traffic comes from here)
//
// named psc-test-<pid>-<n>. 192.0.2.0/24 is TEST-NET-1: it exists only
// inside these namespaces. The destructor deletes both namespaces (and so
// the veth pair), also when the test failed.
class VethPair {
public:
  static Expected<std::unique_ptr<VethPair>> create();
  ~VethPair();
  VethPair(const VethPair &) = delete;
  VethPair &operator=(const VethPair &) = delete;

  const std::string &ns() const { return ns_; }
  const std::string &peer_ns() const { return peer_ns_; }
  const std::string &ifname() const { return ifname_; }
  const std::string &peer_ifname() const { return peer_ifname_; }
  static const char *address() { return "192.0.2.1"; }
  static const char *peer_address() { return "192.0.2.2"; }

  // `command` run inside the peer namespace (ip netns exec: fine for
  // ping, not for BPF work, which needs the host's /sys/fs/bpf).
  CommandResult run_in_peer(const std::string &command) const;

  // A TCP connect() from the peer namespace to address():`port`: whether it
  // completed within `timeout_ms`; nullopt if the peer namespace could not
  // be entered.
  std::optional<bool> peer_connects(uint16_t port, int timeout_ms = 1000) const;

  // How many of `count` pings from the peer namespace to address() got an
  // answer (`interval` seconds apart, ping's -i; `source` its -I when not
  // empty); -1 when ping's summary line is missing.
  int peer_pings(int count, const std::string &interval = "0.2",
                 const std::string &source = "") const;

  // A TCP socket listening on address():`port` in ns(); invalid if the
  // namespace could not be entered.
  UniqueFd listen_tcp(uint16_t port) const;

private:
  VethPair() = default;
  std::string ns_, peer_ns_;
  std::string ifname_ = "psc0", peer_ifname_ = "psc1";
};

// Moves the calling thread into the named namespace (like `nsenter
// --net=/var/run/netns/NAME`: only the network namespace changes, so bpffs
// stays visible) and back on destruction.
class ScopedNetns {
public:
  explicit ScopedNetns(const std::string &name);
  ~ScopedNetns();
  ScopedNetns(const ScopedNetns &) = delete;
  ScopedNetns &operator=(const ScopedNetns &) = delete;

  bool ok() const { return error_.empty(); }
  const std::string &error() const { return error_; }

private:
  UniqueFd previous_;
  std::string error_;
};

// Deletes what test processes that died left behind: psc-test-<pid>-*
// namespaces and /sys/fs/bpf/psc-test-<pid>* pins.
void remove_stale_test_state();

} // namespace psl::backend::testing
