// Lowering pass 1: a rule's typed, folded condition -> Cond in negation
// normal form, read with the checks' reading of and/or/not
// (analysis/nnf.h). `not` goes down to the atoms (De Morgan), each atom keeping
// its guard: `not tcp.dport == 22` is tcp ∧ dport ≠ 22, and `not (a and b)`
// is (not a) or (not b). Field comparisons become value sets; rate() and
// dynamic-set membership are registered in the classifier (RateSpec,
// DynSetSpec) and stay opaque atoms. The Cond keeps and/or as written (code
// rules evaluate it in source order); placement expands it into
// alternatives with the shared DNF (conjunctions.h, analysis/dnf.h).
#pragma once

#include <optional>
#include <string>

#include "lower/classifier.h"

namespace psl::lower {

// Registers every dynamic set of the policy (in declaration order).
void register_dynsets(const Policy &policy, Classifier &c);

// nullopt and *error set: a construct the lowering does not support (an
// internal error: the passes accepted it).
std::optional<Cond> normalize_condition(const Expr &cond, uint32_t rule,
                                        Classifier &c, std::string *error);

} // namespace psl::lower
