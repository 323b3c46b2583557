// The pass interface. Each pass lives in its own file pair whose header
// exposes only a factory (`create_resolve_pass()` ...); the ordered list is
// in pass_manager.cc.
#pragma once

#include <atomic>
#include <memory>

#include "ast/ast.h"
#include "diag/diagnostics.h"

namespace psl {

struct PassOptions {
  // The policy comes from the daemon (LLM or embedded detector): a drop
  // that touches `protect`ed traffic is an error (E0401) instead of a
  // warning, and every drop must carry a `ttl` (E0402).
  bool generated = false;
  // Threads the checks may use: 0 lets them choose (the lint builds the
  // rules' conditions on a second thread on large policies), 1 keeps all
  // the work on the calling thread. The diagnostics are the same.
  unsigned threads = 0;
  // With threads == 1: a flag that turns true once the work running
  // beside the checks (a build) is done and its core is free; the lint
  // then starts its second thread for what is left (pass_manager.cc).
  const std::atomic<bool> *core_freed = nullptr;
};

struct PassContext {
  DiagnosticSink &diags;
  const PassOptions &options;
};

class Pass {
public:
  virtual ~Pass() = default;
  virtual const char *name() const = 0;
  // Whether the pass needs a tree free of errors from earlier passes (the
  // lint reasons about typed conditions, so it runs only on clean input).
  virtual bool needs_clean_input() const { return false; }
  virtual void run(Policy &policy, PassContext &ctx) = 0;
};

} // namespace psl
