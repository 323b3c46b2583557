#include "passes/pass_manager.h"

#include <exception>
#include <future>
#include <thread>

#ifdef __GLIBC__
#include <malloc.h>
#endif

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

namespace {

void run_passes(std::vector<std::unique_ptr<Pass>>::iterator first,
                std::vector<std::unique_ptr<Pass>>::iterator last,
                Policy &policy, PassContext &ctx) {
  for (; first != last; ++first) {
    Pass &pass = **first;
    if (pass.needs_clean_input() && ctx.diags.has_errors())
      continue;
    pass.run(policy, ctx);
  }
}

} // namespace

void run_frontend_passes(Policy &policy, PassContext &ctx) {
  auto passes = make_frontend_passes();
  run_passes(passes.begin(), passes.end(), policy, ctx);
}

void run_frontend_passes(Policy &policy, PassContext &ctx,
                         const AlongsideChecks &alongside) {
  auto passes = make_frontend_passes();
  auto tail = passes.begin();
  while (tail != passes.end() && !(*tail)->needs_clean_input())
    ++tail;
  run_passes(passes.begin(), tail, policy, ctx);
  if (tail == passes.end() || ctx.diags.has_errors() || !alongside) {
    run_passes(tail, passes.end(), policy, ctx);
    return;
  }
  // The checks and the work beside them take a core each: the checks take
  // no second thread of their own unless the machine has a third core
  // (on two, the lint's second thread slowed a 100k-rule `psc build`), or
  // until the work beside is done and its core free (core_freed).
  PassOptions beside = ctx.options;
  std::atomic<bool> core_freed{false};
  if (beside.threads == 0 && std::thread::hardware_concurrency() < 3) {
    beside.threads = 1;
    if (std::thread::hardware_concurrency() > 1)
      beside.core_freed = &core_freed;
  }
  PassContext beside_ctx{ctx.diags, beside};
  // Only this thread writes the diagnostics until it is joined.
  std::future<void> checks = std::async(std::launch::async, [&] {
    run_passes(tail, passes.end(), policy, beside_ctx);
#ifdef __GLIBC__
    // The lint's conditions and indexes are freed by now, but their pages
    // stay with this thread's arena, where the work beside cannot reuse
    // them: given back, they do not add to its peak.
    malloc_trim(0);
#endif
  });
  std::exception_ptr failed;
  try {
    alongside(policy);
  } catch (...) {
    failed = std::current_exception();
  }
  core_freed.store(true, std::memory_order_relaxed);
  checks.get(); // waits; rethrows the passes' exception first
  if (failed)
    std::rethrow_exception(failed);
}

} // namespace psl
