// gtest helpers for tests that need a real kernel: skip when the machine
// cannot do BPF (a container without CAP_BPF, an old kernel), but fail
// instead when PSC_REQUIRE_BPF=1 says this machine must (CI).
#pragma once

#include <gtest/gtest.h>

#include "backend/bpf_features.h"

namespace psl::backend::testing {

// PSC_REQUIRE_BPF=1 in the environment.
bool bpf_required();

// Records a skip (or, when required, a failure) for the running test if
// `probe` is unavailable and returns false; the caller must then return.
// PSC_REQUIRE_OR_SKIP does both.
bool require_or_skip(const FeatureProbe &probe, const char *what);

} // namespace psl::backend::testing

// In a TEST body or SetUp(): returns from it when the feature is missing.
#define PSC_REQUIRE_OR_SKIP(probe)                                             \
  do {                                                                         \
    if (!::psl::backend::testing::require_or_skip((probe), #probe))            \
      return;                                                                  \
  } while (0)
