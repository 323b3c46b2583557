// Every change of an interface's operator policy, from wherever it comes:
// psd's start, SIGHUP, a change in the policy directory (inotify), POST
// /api/v1/policy; and the withdrawal of a generated rule (DELETE
// /api/v1/rules/NAME). One change at a time; each goes through the
// interface's lifecycle (policy_control.h), which refuses a policy that
// fails anywhere and keeps what is in force, and writes the decision to
// the audit log.
//
// Also psd's view of each interface for /api/v1/status: where its policy
// came from, whether it is governed, the last error.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/logger.h>

#include "api/govern_routes.h"
#include "api/routes.h"
#include "backend/status.h"
#include "decision_stats.h"
#include "options.h"
#include "policy_control.h"

namespace psd {

class PolicyChanges {
public:
  PolicyChanges(const PsdOptions &options, PolicyControl &control,
                DecisionStats &stats, std::shared_ptr<spdlog::logger> log);

  enum class Trigger {
    Start,  // every interface: open (adopt or put in force)
    Signal, // SIGHUP: every policy whose text changed, and those refused
    Watch,  // the directory changed: texts not seen before
  };
  // The policy directory's policies. At start, fails if an interface is
  // left with no policy in force at all; otherwise a failure leaves what
  // is in force (logged, in the status) and psd runs on.
  psl::backend::Status apply_directory(Trigger trigger);

  // POST /api/v1/policy: 200 (in force, and saved to the policy
  // directory), 400/404 (which interface), 422 (refused: diagnostics),
  // 429 (another change is under way).
  psr::api::ChangeOutcome install(const std::optional<std::string> &iface,
                                  const std::string &text);
  // DELETE /api/v1/rules/NAME: 200, 404 (no such generated rule), 409 (an
  // operator rule), 500 (the swap failed: it stays in force).
  psr::api::ChangeOutcome withdraw(const std::optional<std::string> &iface,
                                   const std::string &rule);

  std::vector<psr::api::InterfaceStatus> status() const;
  std::vector<std::pair<std::string, uint64_t>> failures() const;

private:
  struct Iface {
    psr::api::InterfaceStatus status;
    uint64_t failures = 0;
    std::string applied_text; // the operator text in force through psd
    std::string refused_text; // the last text refused
  };
  struct Applied {
    std::string error;                  // empty: in force
    psr::govern::OperatorResult result; // refused: why, the diagnostics
    std::string warnings;               // the checker's, as psc prints them
  };
  // One interface's policy; the caller holds change_mu_.
  Applied apply(Iface &f, const OperatorPolicy &p, Trigger trigger);
  Iface *find(const std::string &iface);
  std::optional<psr::api::ChangeOutcome>
  pick(const std::optional<std::string> &iface, std::vector<Iface *> *out,
       bool all_if_none);

  const PsdOptions &options_;
  PolicyControl &control_;
  DecisionStats &stats_;
  std::shared_ptr<spdlog::logger> log_;

  std::mutex change_mu_;  // one change of an operator policy at a time
  mutable std::mutex mu_; // guards ifaces_' status and counters
  std::vector<Iface> ifaces_;
};

} // namespace psd
