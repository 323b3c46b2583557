#include "passes/lockout.h"

#include <algorithm>
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
// Intervals of all of a kind's pieces together past which the check stops
// subtracting (lockout.h): a blocklist of single addresses adds one each.
constexpr size_t kMaxIntervals = 256;
// Index entries all the cover() calls of one check may look at, then it
// stays quiet: far above what a policy of single addresses needs (a few
// per rule), a bound on adversarial ones.
constexpr size_t kMaxCoverVisits = size_t{1} << 24;

size_t intervals(const std::vector<analysis::Box> &boxes) {
  size_t n = 0;
  for (const analysis::Box &b : boxes)
    for (const analysis::Constraint &c : b.constraints())
      n += c.set.size();
  return n;
}

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
                        {arp_region()},
                        false,
                        false,
                        {}});
  kinds_.push_back(Kind{
      "IPv6 neighbour discovery",
      "so the host stops answering on the link over IPv6",
      "rule ndp: icmp6.type in { router_solicitation, router_advertisement, "
      "neighbor_solicitation, neighbor_advertisement } => pass",
      {nd_region()},
      false,
      false,
      {}});
}

void LockoutCheck::report(const Kind &k, const RuleDecl &rd, const Box &piece,
                          const analysis::Witness &example,
                          const analysis::Space &space, DiagnosticSink &diags) {
  auto &d = diags.report(DiagCode::W0209, rule_range(rd),
                         "drop rule '" + rd.name + "' drops all " + k.what +
                             ", " + k.effect);
  d.notes.push_back({std::string("for example ") +
                         analysis::describe(piece, example, space) +
                         "; to keep them, pass them before it: " + k.pass,
                     SourceRange{}});
}

analysis::CoverResult
LockoutCheck::taken_all(const Kind &k, analysis::BoxIndex::Filter filter) {
  std::vector<analysis::CoverItem> items;
  items.reserve(k.left.size());
  for (const Box &l : k.left)
    items.push_back(analysis::CoverItem{&l, &l});
  analysis::CoverLimits limits;
  limits.max_visits =
      std::min(limits.max_visits,
               kMaxCoverVisits - std::min(kMaxCoverVisits, cover_visits_));
  auto res = analysis::cover(items, k.taken, filter, limits);
  cover_visits_ += res.visits;
  return res;
}

void LockoutCheck::defer_if_large(Kind &k) {
  if (!k.done && intervals(k.left) > kMaxIntervals)
    k.deferred = true;
}

// The deferred form of rule(): the same decisions, asked of cover().
void LockoutCheck::rule_deferred(Kind &k, const RuleDecl &rd,
                                 const analysis::Dnf &dnf,
                                 const analysis::Space &space,
                                 DiagnosticSink &diags) {
  using Status = analysis::CoverResult::Status;
  const uint32_t tag = static_cast<uint32_t>(ttl_.size() - 1);
  if (rd.action == Action::Drop) {
    // Anything of the kind still undecided before this rule? (Unknown:
    // too much work; stay quiet, as for too many pieces.)
    auto before = taken_all(k, [&](uint32_t t) { return !ttl_[t]; });
    if (before.status != Status::NotCovered) {
      k.done = true;
      return;
    }
    for (const Box &b : dnf)
      k.taken.insert(&b, tag);
    auto after = taken_all(k, [&](uint32_t t) { return !ttl_[t] || t == tag; });
    if (after.status == Status::Covered)
      report(k, rd, before.uncovered_box, *before.uncovered, space, diags);
    k.done = after.status != Status::NotCovered;
    return;
  }
  if (!rd.ttl) // a ttl rule's boxes would never count: not filed
    for (const Box &b : dnf)
      k.taken.insert(&b, tag);
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
  ttl_.push_back(rd.ttl.has_value());
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
    if (k.deferred) {
      rule_deferred(k, rd, dnf, space, diags);
      continue;
    }
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
      report(k, rd, l, analysis::witness(l, &l), space, diags);
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
    defer_if_large(k);
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
    const Box *piece = &k.left.front();
    analysis::Witness example = analysis::witness(*piece, piece);
    analysis::CoverResult rest;
    if (k.deferred) {
      rest = taken_all(k, [&](uint32_t t) { return !ttl_[t]; });
      if (rest.status != analysis::CoverResult::Status::NotCovered)
        continue; // all of it decided, or too much work to say
      piece = &rest.uncovered_box;
      example = *rest.uncovered;
    }
    auto &d = diags.report(DiagCode::W0209, policy.default_decl->range,
                           std::string("default drop also drops ") + k.what +
                               ", " + k.effect);
    d.notes.push_back(
        {std::string("for example ") +
             analysis::describe(*piece, example, space) +
             "; to keep them, pass them before the default: " + k.pass,
         SourceRange{}});
    k.done = true;
  }
}

} // namespace psl
