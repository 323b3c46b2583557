#include "backend/testing/bpf_test_support.h"

#include <cstdlib>
#include <string>

namespace psl::backend::testing {

bool bpf_required() {
  const char *value = std::getenv("PSC_REQUIRE_BPF");
  return value != nullptr && std::string(value) == "1";
}

bool require_or_skip(const FeatureProbe &probe, const char *what) {
  if (probe.available)
    return true;
  // Fatal, like the skip: gtest then does not run the test body after a
  // SetUp() that returned here.
  if (bpf_required())
    [&] {
      FAIL() << what << " is required (PSC_REQUIRE_BPF=1) but missing: "
             << probe.reason;
    }();
  else
    [&] { GTEST_SKIP() << "needs " << what << ": " << probe.reason; }();
  return false;
}

} // namespace psl::backend::testing
