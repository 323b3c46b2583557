// What the analyzer needs to know of the operator policy: the names it
// declares (a generated policy must not reuse them) and the traffic it
// protects, written out with its constants' values so that the prompt can
// show it and the checker can add it to a generated policy (the
// E0401 check of psc check --generated: a generated drop must not touch
// protected traffic).
#pragma once

#include <string>
#include <vector>

#include "backend/status.h"

namespace psr::analyze::llm {

struct OperatorView {
  std::string policy; // the operator policy's name; empty: none given
  // Every name it declares: constants, dynamic sets, rules.
  std::vector<std::string> names;
  // Its dynamic sets, as "NAME : TYPE" (the fast path's targets).
  std::vector<std::string> dynamic_sets;
  // Each `protect` condition with constants replaced by their values,
  // e.g. "ip.src in { 10.0.0.0/8, 192.168.0.0/16 }".
  std::vector<std::string> protects;
  // `protect` conditions that name a dynamic set: their content changes
  // at run time, so only the governor can check them (it does).
  std::vector<std::string> runtime_protects;
};

// Reads the operator policy (it must check without errors: it is the one
// in force). `path` is for messages.
psl::backend::Expected<OperatorView>
read_operator_policy(const std::string &path, const std::string &text);

} // namespace psr::analyze::llm
