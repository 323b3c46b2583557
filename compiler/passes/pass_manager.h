// The ordered list of frontend passes and the function that runs them.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "passes/pass.h"

namespace psl {

std::vector<std::unique_ptr<Pass>> make_frontend_passes();

// Runs every pass in order. A pass that needs clean input is skipped once
// an earlier pass reported an error.
void run_frontend_passes(Policy &policy, PassContext &ctx);

// What a caller does with the policy while the last passes run (see
// below). It must only read the tree and must not touch the context's
// diagnostics.
using AlongsideChecks = std::function<void(const Policy &)>;

// Runs the passes as above, with one difference: once the first pass that
// needs clean input is reached and no earlier pass reported an error (the
// tree is resolved, folded and typed), that pass and the rest run on a
// second thread while `alongside` runs on the calling thread; the call
// returns when both are done. Those passes (the lint and the protect
// check) only read the tree, so the diagnostics are those of
// run_frontend_passes, in the same order. `alongside` is not called when
// an earlier pass reported an error; when it is, the caller still has to
// look at the diagnostics before using what it made: a later pass may
// have reported one. An exception from either side reaches the caller
// once both are done (the passes' first).
void run_frontend_passes(Policy &policy, PassContext &ctx,
                         const AlongsideChecks &alongside);

} // namespace psl
