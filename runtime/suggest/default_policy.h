// policies/default.psl as psc was built with it: the operator policy
// `psc suggest` and scripts/llm-eval review against when none is given
// (psd's default too).
#pragma once

#include <string_view>

namespace psr::suggest {

std::string_view default_policy_text();
inline constexpr const char *kDefaultPolicyName =
    "policies/default.psl (built in)";

} // namespace psr::suggest
