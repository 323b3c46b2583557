// Composition: the operator policy with the generated rules in force
// inserted before its first rule (after its constants, sets and
// protects), in acceptance order, each rule preceded by the constants it
// needs that no earlier rule brought. One policy, one program: an
// operator `pass` does not exempt traffic from a generated drop (only
// `protect` does, which the governor checked), and the operator's
// `default` still decides what no rule matched.
//
// Deterministic: the same operator text and rules (and modes) give the
// same bytes, which is how a restarted psd knows it can adopt the program
// in force without a swap. With no generated rules the composition is the
// operator's text unchanged.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "codegen/policy_build.h"
#include "govern/generated_rule.h"
#include "govern/operator_policy.h"
#include "govern/verdict.h"

namespace psr::govern {

// `exemption`: what exempt drops get in front of their condition
// (exemption_clause() of governor.h; "" for none).
std::string compose_policy(const OperatorPolicy &op,
                           const std::vector<GeneratedRule> &rules,
                           const std::string &exemption = "");

// The composition, checked (normal mode: no errors) and built: what
// put_in_force takes.
struct Composition {
  bool ok = false;
  Reason reason = Reason::None; // ComposeFailed or BuildFailed
  std::string message;
  RenderedDiagnostics diagnostics;

  std::string text;
  std::shared_ptr<const be::PolicyArtifact> artifact;
  std::map<std::string, uint64_t> rule_ttls;
  std::map<std::string, std::string> rule_origins; // the generated rules'
};
Composition compose_and_build(const OperatorPolicy &op,
                              const std::vector<GeneratedRule> &rules,
                              const std::string &exemption = "",
                              const be::PolicyBuildOptions &build = {});

} // namespace psr::govern
