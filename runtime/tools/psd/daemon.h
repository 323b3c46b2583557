// psd's life: put the operator policies in force (or adopt them), then
// the loop (a summary every window, rule expiry and set sweeps every
// second, the API meanwhile), reloads on SIGHUP, and the stop, which
// keeps protection in force unless --detach-on-exit.
//
// Everything that touches the kernel comes in through PolicyControl and
// the summary sources, and the signals through WaitFn, so tests run the
// whole daemon on fakes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "api/routes.h"
#include "backend/status.h"
#include "options.h"
#include "policy_control.h"
#include "summary/sources.h"

namespace psd {

namespace summary = psr::summary;

// What woke the loop: its time came, SIGHUP, or SIGTERM/SIGINT.
enum class Wake { Timeout, Reload, Stop };
// Waits at most the given time for a signal.
using WaitFn = std::function<Wake(std::chrono::milliseconds)>;

class Daemon {
public:
  Daemon(PsdOptions options, PolicyControl &control,
         std::shared_ptr<spdlog::logger> log);
  ~Daemon();

  // Every interface's operator policy is checked, then adopted (the same
  // text is in force already) or put in force (state carried from what
  // was). Fails if an interface is left with no policy in force at all;
  // an interface whose new policy failed but whose old one is in force
  // keeps it (the error is logged and in the status).
  psl::backend::Status start_policies();

  // SIGHUP: the same; a failure leaves what is in force and psd runs on.
  void reload_policies();

  // Binds the API, then runs windows until `wait` says Stop. `token`: the
  // bearer token (required beyond loopback; checked by the caller).
  psl::backend::Status serve(summary::TraceSource &trace,
                             summary::PolicyStatusSource &policy_status,
                             const std::optional<std::string> &token,
                             const WaitFn &wait);

  // After serve(): the policies stay in force, or with detach_on_exit are
  // taken down.
  void shutdown();

  psr::api::DaemonStatus status() const;
  // The API's port once serve() has bound it (0 before): for tests that
  // listen on port 0. Thread-safe.
  uint16_t api_port() const;

private:
  psl::backend::Status apply_policies(bool at_start);

  PsdOptions options_;
  PolicyControl &control_;
  std::shared_ptr<spdlog::logger> log_;
  uint64_t started_unix_ms_ = 0;

  mutable std::mutex mu_;
  std::vector<psr::api::InterfaceStatus> interfaces_;
  std::vector<std::pair<std::string, uint64_t>> failures_;
  uint16_t port_ = 0;
};

} // namespace psd
