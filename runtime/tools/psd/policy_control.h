// What psd needs of the policy runtime and the governor to keep policies
// in force: narrow, so that the daemon's logic is tested with a fake and
// the adapter (kernel_policy.h: one psr::govern::Lifecycle per interface
// over runtime/policy) stays thin.
//
// An interface is *governed* once open() succeeded for it: from then on
// its operator policy changes through replace_operator(), proposals are
// submitted to it and its lifecycle ticks. An interface whose first
// policy was refused keeps what is in force, ungoverned, until a policy
// opens it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyze/proposal.h"
#include "backend/object_cache.h"
#include "backend/status.h"
#include "govern/generated_rule.h"
#include "govern/lifecycle.h"
#include "govern/operator_policy.h"
#include "policy_dir.h"

namespace psd {

struct InForceInfo {
  bool present = false;
  std::string policy; // its name
  uint32_t prog_id = 0;
  std::string text; // the source text it was built from
};

struct OpenResult {
  bool adopted = false; // the program in force was taken over: no swap
  uint32_t prog_id = 0;
};

class PolicyControl {
public:
  virtual ~PolicyControl() = default;
  // What is in force on `iface` now.
  virtual psl::backend::Expected<InForceInfo>
  in_force(const std::string &iface) = 0;

  // Governs `policy.iface` with `policy` (the operator's): what is in
  // force is adopted when it is this policy with the generated rules
  // psd keeps, else the composition is put in force (state carried).
  // Refused (with `refusal` filled) or failed: nothing changed.
  virtual psl::backend::Expected<OpenResult>
  open(const OperatorPolicy &policy, psr::govern::OperatorResult *refusal) = 0;
  virtual bool governed(const std::string &iface) = 0;
  // A new operator policy for a governed interface: refused (nothing
  // changes) or in force with the generated rules it keeps.
  virtual psr::govern::OperatorResult
  replace_operator(const OperatorPolicy &policy) = 0;

  virtual psr::govern::SubmitResult submit(const std::string &iface,
                                           const psr::analyze::Proposal &p) = 0;
  // The lifecycle's tick: ttls, shadow periods, protected addresses.
  virtual psl::backend::Expected<psr::govern::TickResult>
  tick(const std::string &iface) = 0;
  // A generated rule, by name (ENOENT: not one in force).
  virtual psl::backend::Expected<uint32_t>
  withdraw(const std::string &iface, const std::string &rule) = 0;

  // The operator policy a governed interface has (null: not governed)
  // and its generated rules in force.
  virtual std::shared_ptr<const psr::govern::OperatorPolicy>
  operator_policy(const std::string &iface) = 0;
  virtual std::vector<psr::govern::GeneratedRule>
  generated(const std::string &iface) = 0;
  // The live entries of one of the policy's dynamic sets.
  virtual psl::backend::Expected<std::vector<std::string>>
  set_entries(const std::string &iface, const std::string &set) = 0;

  // Detaches the policy and removes its pins and state.
  virtual psl::backend::Status take_down(const std::string &iface) = 0;
  // Once a second: sweeps expired dynamic set entries; on an interface
  // no lifecycle governs, also takes out rules whose ttl ran out.
  virtual psl::backend::Status maintain(const std::string &iface) = 0;

  // The object cache's counters (backend/object_cache.h) for the metrics;
  // nothing when policies are built without one.
  virtual std::optional<psl::backend::ObjectCacheStats>
  object_cache_stats() const {
    return std::nullopt;
  }
};

} // namespace psd
