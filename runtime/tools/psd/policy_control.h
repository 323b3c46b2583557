// What psd needs of the policy runtime to put policies in force: narrow,
// so that the daemon's logic is tested with a fake and the adapter over
// runtime/policy (kernel_policy.h) stays thin.
#pragma once

#include <cstdint>
#include <string>

#include "backend/status.h"
#include "policy_dir.h"

namespace psd {

struct InForceInfo {
  bool present = false;
  std::string policy; // its name
  uint32_t prog_id = 0;
  std::string text; // the source text it was built from
};

class PolicyControl {
public:
  virtual ~PolicyControl() = default;
  // What is in force on `iface` now.
  virtual psl::backend::Expected<InForceInfo>
  in_force(const std::string &iface) = 0;
  // Builds, loads and switches to `policy` (already checked), keeping the
  // state of the policy in force (counters, dynamic sets, rate buckets).
  // On failure nothing changes on the interface.
  virtual psl::backend::Status put_in_force(const OperatorPolicy &policy) = 0;
  // Detaches the policy and removes its pins and state.
  virtual psl::backend::Status take_down(const std::string &iface) = 0;
  // Once a second: takes out rules whose ttl ran out, sweeps expired
  // dynamic set entries.
  virtual psl::backend::Status maintain(const std::string &iface) = 0;
};

} // namespace psd
