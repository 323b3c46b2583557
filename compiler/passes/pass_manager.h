// The ordered list of frontend passes and the function that runs them.
#pragma once

#include <memory>
#include <vector>

#include "passes/pass.h"

namespace psl {

std::vector<std::unique_ptr<Pass>> make_frontend_passes();

// Runs every pass in order. A pass that needs clean input is skipped once
// an earlier pass reported an error.
void run_frontend_passes(Policy &policy, PassContext &ctx);

} // namespace psl
