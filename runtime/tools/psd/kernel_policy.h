// psd's PolicyControl and the summaries' PolicyStatusSource over the
// governor's lifecycles (runtime/govern, one per interface) and the
// policy runtime (runtime/policy), in psd's network namespace: the same
// state layout, locks and swaps as psc load, with the XDP observation
// compiled in (PolicyLoadOptions::observe) so the tracer sees traffic.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "backend/object_cache.h"
#include "backend/status.h"
#include "govern/audit_log.h"
#include "govern/lifecycle.h"
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
  // namespace: a second one is refused). `audit`: what the lifecycles
  // write. `on_step`: the lifecycles' put_in_force step hook (tests stop
  // psd there; null: none).
  static psl::backend::Expected<std::unique_ptr<KernelPolicy>>
  create(const PsdOptions &options, psr::govern::AuditLog &audit,
         std::function<void(std::string_view)> on_step = nullptr);

  psl::backend::Expected<InForceInfo>
  in_force(const std::string &iface) override;
  psl::backend::Expected<OpenResult>
  open(const OperatorPolicy &policy,
       psr::govern::OperatorResult *refusal) override;
  bool governed(const std::string &iface) override;
  psr::govern::OperatorResult
  replace_operator(const OperatorPolicy &policy) override;
  psr::govern::SubmitResult submit(const std::string &iface,
                                   const psr::analyze::Proposal &p) override;
  psl::backend::Expected<psr::govern::TickResult>
  tick(const std::string &iface) override;
  psl::backend::Expected<uint32_t> withdraw(const std::string &iface,
                                            const std::string &rule) override;
  std::shared_ptr<const psr::govern::OperatorPolicy>
  operator_policy(const std::string &iface) override;
  std::vector<psr::govern::GeneratedRule>
  generated(const std::string &iface) override;
  psl::backend::Expected<std::vector<std::string>>
  set_entries(const std::string &iface, const std::string &set) override;
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

  // The object cache policies are built with (nullptr: none), and why
  // there is none when one was asked for (PsdOptions::object_cache_dir).
  const std::shared_ptr<psl::backend::ObjectCache> &object_cache() const {
    return object_cache_;
  }
  const std::string &object_cache_problem() const {
    return object_cache_problem_;
  }
  std::optional<psl::backend::ObjectCacheStats>
  object_cache_stats() const override {
    if (!object_cache_)
      return std::nullopt;
    return object_cache_->stats();
  }

private:
  KernelPolicy() = default;
  psl::backend::Expected<psr::policy::Target>
  target(const std::string &iface) const;

  std::shared_ptr<psr::govern::Lifecycle> lifecycle(const std::string &iface);

  PsdOptions options_;
  psr::policy::StateLayout layout_;
  std::string netns_;
  std::unique_ptr<psr::policy::ExpiryEnforcer> enforcer_;
  psr::govern::AuditLog *audit_ = nullptr;
  std::function<void(std::string_view)> on_step_;
  std::shared_ptr<psl::backend::ObjectCache> object_cache_;
  std::string object_cache_problem_;
  // One lifecycle per governed interface; the loop opens them, API
  // threads use them (each serializes its own calls).
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<psr::govern::Lifecycle>> lifecycles_;
};

} // namespace psd
