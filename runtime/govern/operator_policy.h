// The operator's policy as the governor and the lifecycle use it: the
// text psd read from its policy directory, checked (no errors), with what
// the governor needs of it computed once: its names, its `protect`
// declarations as text (with the constants they use), and where generated
// rules go when the two are composed (compose.h).
//
// Rule names starting with `detector_` or `llm_` are reserved for
// generated rules: an operator policy with one is refused.
#pragma once

#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "driver.h"
#include "govern/source_text.h"

namespace psr::govern {

struct OperatorPolicy {
  std::string path; // where it was read ("" when it came from elsewhere)
  std::string text;
  std::shared_ptr<const psl::CheckedModule> checked; // free of errors

  // Every name it declares: constants, sets and rules.
  std::set<std::string> names;
  // `protect` declarations and the constants they use (transitively), in
  // the policy's order, as its text: "  const mgmt = {...}\n  protect
  // ip.src in mgmt\n". Empty when it protects nothing.
  std::string protect_text;
  // The conditions of the protects that test only addresses (ip.src,
  // ip.dst; no rate(), no dynamic set): `not (COND)` excludes exactly
  // their packets from an IP packet's match, so a generated drop can be
  // kept off them by construction (governor.h, exemptions).
  std::vector<std::string> source_protects;
  // Those protects, with the constants they use, as protect_text.
  std::string source_protect_text;
  // Where generated rules are inserted: the start of the line of its first
  // rule (or of the comment lines right above it); without rules, of the
  // `default` or first test; else its closing brace.
  size_t insert_at = 0;
  bool insert_on_own_line = true; // false: text precedes it on its line

  const psl::Policy &policy() const { return *checked->module.policy; }
};

struct OperatorLoad {
  std::shared_ptr<const OperatorPolicy> policy; // null: refused
  std::string message;                          // why it was refused
  RenderedDiagnostics diagnostics; // the checker's, warnings included
};

// Checks `text` as psc check does (normal mode): errors, or a rule with a
// reserved name, refuse it.
OperatorLoad load_operator_policy(std::string path, std::string text);

// `detector_...`, `llm_...`.
bool reserved_rule_name(const std::string &name);

} // namespace psr::govern
