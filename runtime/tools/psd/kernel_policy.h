// psd's PolicyControl and the summaries' PolicyStatusSource over the
// policy runtime (runtime/policy), in psd's network namespace: the same
// state layout, locks and swaps as psc load, with the XDP observation
// compiled in (PolicyLoadOptions::observe) so the tracer sees traffic.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/status.h"
#include "options.h"
#include "policy/layout.h"
#include "policy/rule_expiry.h"
#include "policy_control.h"
#include "summary/sources.h"
#include "trace/paths.h"

namespace psd {

class KernelPolicy : public PolicyControl,
                     public psr::summary::PolicyStatusSource {
public:
  // Takes the namespace's rule-expiry role (one psd per network
  // namespace: a second one is refused).
  static psl::backend::Expected<std::unique_ptr<KernelPolicy>>
  create(const PsdOptions &options);

  psl::backend::Expected<InForceInfo>
  in_force(const std::string &iface) override;
  psl::backend::Status put_in_force(const OperatorPolicy &policy) override;
  psl::backend::Status take_down(const std::string &iface) override;
  psl::backend::Status maintain(const std::string &iface) override;

  psl::backend::Expected<std::vector<psr::summary::PolicyView>>
  policies() override;

  // Where the policy program of `iface` has its maps pinned (the XDP
  // observation's among them).
  std::string maps_dir(const std::string &iface) const;
  // The program in force on `iface` (0: none or unreadable).
  uint32_t program_id(const std::string &iface) const;
  // Rule names by counter id, from the sidecar of the program in force.
  psl::backend::Expected<psr::trace::RuleNamer>
  rule_namer(const std::string &iface) const;

private:
  KernelPolicy() = default;
  psl::backend::Expected<psr::policy::Target>
  target(const std::string &iface) const;

  PsdOptions options_;
  psr::policy::StateLayout layout_;
  std::string netns_;
  std::unique_ptr<psr::policy::ExpiryEnforcer> enforcer_;
};

} // namespace psd
