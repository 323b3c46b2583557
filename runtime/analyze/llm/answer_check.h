// Whether a policy a model wrote may become a proposal, before the
// governor sees it. The checks, in order:
//
//   too_large             more bytes than max_policy_bytes
//   names_secret          the answer contains the API key (or 8+ of its
//                         characters in a row)
//   check_failed          psc check --generated reports errors (syntax,
//                         names, types ...), with the operator policy's
//                         `protect` conditions added to it, so that
//   drops_protected       a drop of protected traffic is E0401
//   missing_ttl           a rule without `ttl` (E0402 for drops; this
//                         check for pass and count rules too)
//   too_many_rules        more than max_rules rules
//   forbidden_declaration `default`, `protect`, `set` or `test`
//   name_collision        a name the operator policy declares
//   drops_everything      a drop rule whose condition always holds
//                         (W0205), or a policy that drops more than half
//                         of a fixed sample of ordinary traffic (TCP to
//                         443, established replies, DNS queries and
//                         answers, pings, from 80 sources over the IPv4
//                         and IPv6 space) on the reference interpreter
//
// Each problem becomes a diagnostic in psc check's text form (a
// FILE:LINE:COL line and the source line with carets), which the repair
// round sends back. too_large, names_secret and too_many_rules are not
// sent back: the answer is refused at once.
#pragma once

#include <string>
#include <vector>

#include "analyze/llm/api_key.h"
#include "analyze/llm/operator_view.h"
#include "analyze/proposal.h"
#include "ast/ast.h"

namespace psr::analyze::llm {

struct CheckLimits {
  size_t max_policy_bytes = 64 << 10;
  size_t max_rules = 64;
};

struct CheckOutcome {
  bool accepted = false;
  // Not accepted:
  std::string reason;      // the label of the first problem above
  bool repairable = false; // worth a repair round
  std::string message;     // one line
  std::string diagnostics; // psc check text of every problem
  // Accepted:
  std::string psl; // canonical layout, comments left out
  std::string policy_name;
  std::vector<ProposedRule> rules;
};

// `file_name` is what diagnostics call the answer ("answer.psl").
CheckOutcome check_policy_answer(const std::string &text,
                                 const std::string &file_name,
                                 const OperatorView &op,
                                 const CheckLimits &limits,
                                 const Redactor &redact);

// Share of the probe sample (above) the policy drops, 0..1. `policy` must
// have checked without errors.
double probe_drop_share(const psl::Policy &policy);

} // namespace psr::analyze::llm
