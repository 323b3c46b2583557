// The protect check: a drop that touches `protect`ed traffic.
//
//   W0204  a drop rule (not shadow) that drops protected packets: in a
//          hand-written policy the protected packets that reach it (earlier
//          terminal rules without a ttl may pass them first); `default
//          drop` reached by protected packets
//   E0401  the same for generated policies (--generated), on the rule's
//          own condition (a generated rule must not rely on others),
//          failing closed when a condition is too complex
//   E0402  a generated drop (shadow ones too) without a ttl
//   W0203, W0208  a protect condition that is always false, or too
//          complex to reason about
//
// It reasons about sets of packets (compiler/analysis/) and runs after
// the lint, on input without errors.
#pragma once

#include <memory>

#include "passes/pass.h"

namespace psl {

std::unique_ptr<Pass> create_protect_pass();

} // namespace psl
