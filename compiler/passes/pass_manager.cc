#include "passes/pass_manager.h"

#include "passes/consteval.h"
#include "passes/lint.h"
#include "passes/protect.h"
#include "passes/resolve.h"
#include "passes/typecheck.h"

namespace psl {

std::vector<std::unique_ptr<Pass>> make_frontend_passes() {
  std::vector<std::unique_ptr<Pass>> passes;
  // Names first: every later pass follows NameExpr::decl and
  // FieldExpr::field instead of looking names up again.
  passes.push_back(create_resolve_pass());
  // Constants next, so the type checker sees folded sets and ranges and can
  // check values against field widths.
  passes.push_back(create_consteval_pass());
  // Types, including contextual ones (a bare `22` compared with a port, an
  // ICMP type name whose family comes from the field).
  passes.push_back(create_typecheck_pass());
  // Lint last: it reasons about typed, folded conditions and runs only on
  // input without errors.
  passes.push_back(create_lint_pass());
  // The protect check last, on the same clean input: a drop that touches
  // protected traffic (the guard generated policies face as an error).
  passes.push_back(create_protect_pass());
  return passes;
}

void run_frontend_passes(Policy &policy, PassContext &ctx) {
  for (auto &pass : make_frontend_passes()) {
    if (pass->needs_clean_input() && ctx.diags.has_errors())
      continue;
    pass->run(policy, ctx);
  }
}

} // namespace psl
