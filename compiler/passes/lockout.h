// The lockout check (W0209): a drop that also drops what the host needs to
// stay reachable on its link — ARP, and IPv6 neighbour discovery (router
// and neighbour solicitations and advertisements, ICMPv6 133 to 136). A
// policy that drops them is usually an allowlist whose `default drop` met
// no rule passing them: the host stops answering on the link, and with it
// every service the allowlist meant to offer.
//
// Not a pass: the lint (lint.cc) feeds it every rule's condition in order,
// as it builds them anyway. For each of the two kinds it keeps what is
// still undecided (a few boxes, the kind's region minus the terminal rules
// without a ttl seen so far). A drop rule that takes all of that part (a
// broad drop: `ip.version == 6 => drop`) is reported, and so is `default
// drop` if any of it is left; a drop of some of it (off-link neighbour
// discovery, martian sources) is a choice and is not. A terminal pass rule
// too complex to reason about ends the check for both (it may pass them).
//
// Many rules on single addresses (a blocklist of IPv6 hosts) each cut a
// hole into what is left; subtracting every rule would copy an ever longer
// interval set per rule (quadratic). Past kMaxIntervals intervals the
// check stops subtracting: it keeps what was left then and files the later
// rules' boxes in an index, and asks cover() (analysis/cover.h) whether
// they take all of it — the same answers, each a few index lookups.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/box.h"
#include "analysis/box_index.h"
#include "analysis/cover.h"
#include "analysis/dnf.h"
#include "analysis/space.h"
#include "ast/ast.h"
#include "diag/diagnostics.h"

namespace psl {

class LockoutCheck {
public:
  LockoutCheck();

  // Rule `rd` in order, with its condition's boxes (`known` false: too
  // complex to build). Reports on `diags` at most once per kind. The boxes
  // must outlive the check (it may keep pointers to them).
  void rule(const RuleDecl &rd, bool known, const analysis::Dnf &dnf,
            const analysis::Space &space, DiagnosticSink &diags);
  // After the last rule: the default.
  void finish(const Policy &policy, const analysis::Space &space,
              DiagnosticSink &diags);

private:
  struct Kind {
    const char *what;   // "ARP"
    const char *effect; // "so the host stops answering on the link"
    const char *pass;   // a rule that passes them
    std::vector<analysis::Box> left; // still undecided (see `deferred`)
    bool done = false;               // reported, or nothing left
    // Too many holes to subtract: what is undecided is `left` minus the
    // boxes of `taken` (tagged by rule number, ttl rules filtered out).
    bool deferred = false;
    analysis::BoxIndex taken;
  };
  // Is every packet of `k.left` in a box of `k.taken` that `filter` allows?
  analysis::CoverResult taken_all(const Kind &k,
                                  analysis::BoxIndex::Filter filter);
  void defer_if_large(Kind &k);
  void rule_deferred(Kind &k, const RuleDecl &rd, const analysis::Dnf &dnf,
                     const analysis::Space &space, DiagnosticSink &diags);
  void report(const Kind &k, const RuleDecl &rd, const analysis::Box &piece,
              const analysis::Witness &example, const analysis::Space &space,
              DiagnosticSink &diags);

  std::vector<Kind> kinds_;
  bool unknown_ = false; // a too-complex terminal pass rule was seen
  // Per rule number (the tags of Kind::taken): the rule has a ttl, so it
  // decides nothing for later rules or the default.
  std::vector<bool> ttl_;
  size_t cover_visits_ = 0; // of every taken_all() so far (bounded)
};

} // namespace psl
