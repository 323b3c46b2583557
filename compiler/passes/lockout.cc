#include "passes/lockout.h"

#include <utility>

#include "analysis/describe.h"
#include "analysis/normalize.h"
#include "analysis/witness.h"

namespace psl {

namespace {

using analysis::Box;
using analysis::IntervalSet;

constexpr uint64_t kEthArp = 0x0806;
constexpr size_t kMaxPieces = 64;

Box arp_region() {
  Box b;
  b.restrict(analysis::kLayerIp, analysis::zero());
  b.restrict(analysis::kDimEthType, IntervalSet::point(kEthArp));
  analysis::normalize(b);
  return b;
}

// Router and neighbour solicitation and advertisement (133 to 136).
Box nd_region() {
  Box b;
  b.restrict(analysis::kLayerIcmp6, analysis::one());
  b.restrict(analysis::field_dim(FieldId::Icmp6Type),
             IntervalSet::range(133, 136));
  analysis::normalize(b);
  return b;
}

SourceRange rule_range(const RuleDecl &r) {
  return r.name_range.valid() ? r.name_range : r.range;
}

} // namespace

LockoutCheck::LockoutCheck() {
  kinds_.push_back(Kind{"ARP",
                        "so the host stops answering on the link",
                        "rule arp: eth.type == 0x0806 => pass",
                        {arp_region()}});
  kinds_.push_back(Kind{
      "IPv6 neighbour discovery",
      "so the host stops answering on the link over IPv6",
      "rule ndp: icmp6.type in { router_solicitation, router_advertisement, "
      "neighbor_solicitation, neighbor_advertisement } => pass",
      {nd_region()}});
}

void LockoutCheck::rule(const RuleDecl &rd, bool known,
                        const analysis::Dnf &dnf, const analysis::Space &space,
                        DiagnosticSink &diags) {
  if (unknown_ || !rd.terminal())
    return;
  if (!known) {
    if (rd.action == Action::Pass)
      unknown_ = true; // it may pass them: stay quiet from here on
    return;
  }
  for (Kind &k : kinds_) {
    if (k.done)
      continue;
    // Most rules do not meet the kind at all (no allocation then).
    bool meets = false;
    for (const Box &b : dnf)
      for (const Box &l : k.left)
        meets = meets || analysis::intersects(b, l);
    if (!meets)
      continue;
    // What of the kind is still undecided after this rule.
    std::vector<Box> left;
    for (const Box &l : k.left) {
      std::vector<Box> pieces{l};
      for (const Box &b : dnf) {
        std::vector<Box> next;
        for (const Box &p : pieces)
          analysis::subtract(p, b, next);
        pieces = std::move(next);
        if (pieces.empty())
          break;
      }
      for (Box &p : pieces)
        left.push_back(std::move(p));
    }
    // A broad drop: it takes all of the kind that reaches it. (One that
    // drops some of it, as a rule against off-link neighbour discovery
    // does, is a choice; what it leaves is then the later rules' and the
    // default's to decide.)
    if (rd.action == Action::Drop && left.empty()) {
      const Box &l = k.left.front();
      auto &d = diags.report(DiagCode::W0209, rule_range(rd),
                             "drop rule '" + rd.name + "' drops all " + k.what +
                                 ", " + k.effect);
      d.notes.push_back(
          {std::string("for example ") +
               analysis::describe(l, analysis::witness(l, &l), space) +
               "; to keep them, pass them before it: " + k.pass,
           SourceRange{}});
      k.done = true;
      continue;
    }
    // A rule with a ttl expires: what it decides is undecided again then.
    if (rd.ttl)
      continue;
    k.left = std::move(left);
    // Cut into too many pieces (many rules on parts of it, each passing
    // or dropping some): no broad drop is likely, and following them all
    // would cost the lint; stay quiet for this kind.
    k.done = k.left.empty() || k.left.size() > kMaxPieces;
  }
}

void LockoutCheck::finish(const Policy &policy, const analysis::Space &space,
                          DiagnosticSink &diags) {
  if (unknown_ || policy.default_action() != Action::Drop ||
      !policy.default_decl)
    return;
  for (Kind &k : kinds_) {
    if (k.done || k.left.empty())
      continue;
    const Box &l = k.left.front();
    auto &d = diags.report(DiagCode::W0209, policy.default_decl->range,
                           std::string("default drop also drops ") + k.what +
                               ", " + k.effect);
    d.notes.push_back(
        {std::string("for example ") +
             analysis::describe(l, analysis::witness(l, &l), space) +
             "; to keep them, pass them before the default: " + k.pass,
         SourceRange{}});
    k.done = true;
  }
}

} // namespace psl
