#include "passes/protect.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "analysis/box.h"
#include "analysis/box_index.h"
#include "analysis/condition_builder.h"
#include "analysis/cover.h"
#include "analysis/describe.h"
#include "analysis/dnf.h"
#include "analysis/space.h"
#include "analysis/witness.h"

namespace psl {
namespace {

using analysis::Box;
using analysis::BoxIndex;
using analysis::CoverItem;
using analysis::CoverResult;
using analysis::Dnf;

// The same bounds as the lint's (lint.cc): per condition, and the work of
// all cover() calls together.
constexpr analysis::DnfLimits kDnfLimits{256};
constexpr size_t kGlobalVisitBudget = size_t{1} << 27;
constexpr size_t kGlobalStepBudget = size_t{1} << 20;
constexpr size_t kMaxCoverVisits = size_t{1} << 16;

using analysis::CondState;

struct ProtectInfo {
  ProtectDecl *decl = nullptr;
  CondState state = CondState::Ok;
  Dnf dnf;
};

std::string quoted(const std::string &s) { return "'" + s + "'"; }

SourceRange rule_range(const RuleDecl &r) {
  return r.name_range.valid() ? r.name_range : r.range;
}

SourceRange cond_range(const Expr *e, const SourceRange &fallback) {
  return e && e->range.valid() ? e->range : fallback;
}

class ProtectChecker {
public:
  ProtectChecker(const Policy &policy, PassContext &ctx)
      : policy_(policy), ctx_(ctx) {}

  void run() {
    if (generated())
      check_generated_ttl();
    build_protects();
    if (protects_.empty())
      return;
    forward();
    check_default_drop();
  }

private:
  DiagnosticSink &diags() { return ctx_.diags; }
  bool generated() const { return ctx_.options.generated; }

  // --------------------------------------------------------------- E0402

  void check_generated_ttl() {
    for (auto *r : policy_.rules)
      if (r->action == Action::Drop && !r->ttl)
        diags().report(
            DiagCode::E0402,
            r->action_range.valid() ? r->action_range : rule_range(*r),
            "generated drop rule " + quoted(r->name) + " has no ttl");
  }

  // -------------------------------------------------------- W0203, W0208

  void build_protects() {
    for (auto *p : policy_.protects) {
      ProtectInfo info;
      info.decl = p;
      info.state = analysis::build_condition(space_, p->cond.get(), kDnfLimits,
                                             info.dnf);
      SourceRange range = cond_range(p->cond.get(), p->range);
      if (info.state == CondState::TooComplex && p->cond) {
        auto &diag = diags().report(DiagCode::W0208, range,
                                    "protect condition is too complex to lint");
        diag.notes.push_back(
            {"it has more than " + std::to_string(kDnfLimits.max_terms) +
                 " alternatives; the other lint checks skip it",
             SourceRange{}});
      } else if (info.state == CondState::AlwaysFalse) {
        diags().report(DiagCode::W0203, range,
                       "protect condition is always false");
      }
      protects_.push_back(std::move(info));
    }
    for (auto &pi : protects_)
      for (const auto &b : pi.dnf)
        protect_index_.insert(&b,
                              static_cast<uint32_t>(&pi - protects_.data()));
  }

  // ------------------------------------------------------ W0204 / E0401

  // Rules in order. Each terminal rule (not too complex) joins earlier_,
  // which the hand-written check asks whether protected packets reach a
  // drop. (The lint leaves shadowed rules out of its own index; here they
  // change nothing: a shadowed rule without a ttl is covered by earlier
  // rules without one, and the covers below use only those.)
  void forward() {
    rule_dnfs_.resize(policy_.rules.size());
    for (uint32_t i = 0; i < policy_.rules.size(); ++i) {
      current_ = i;
      const RuleDecl &rd = *policy_.rules[i];
      // Hand-written: once the earlier rules pass every protected packet,
      // no later drop can touch one (nor can the default).
      if (!generated() && protects_covered())
        return;
      Dnf &dnf = rule_dnfs_[i];
      CondState state =
          analysis::build_condition(space_, rd.cond.get(), kDnfLimits, dnf);
      if (state == CondState::TooComplex) {
        if (generated() && rd.action == Action::Drop && !rd.shadow)
          report_unprovable_drop(rd, "its condition is too complex");
        // It may pass protected packets before later rules see them: the
        // hand-written check cannot tell any more, so it is quiet.
        if (rd.terminal() && rd.action == Action::Pass)
          complex_pass_seen_ = true;
        continue;
      }
      if (state != CondState::Ok)
        continue;
      if (rd.action == Action::Drop && !rd.shadow)
        check_protect(rd, dnf);
      if (rd.terminal()) {
        expires_.resize(i + 1, false);
        expires_[i] = rd.ttl.has_value();
        for (const auto &b : dnf)
          earlier_.insert(&b, i);
      }
    }
  }

  bool expires(uint32_t j) const { return j < expires_.size() && expires_[j]; }

  CoverResult run_cover(CoverItem item, const BoxIndex &index,
                        BoxIndex::Filter filter) {
    CoverResult none;
    if (budget_ == 0 || steps_ == 0) {
      note_exhausted();
      return none; // Unknown
    }
    analysis::CoverLimits limits;
    limits.max_visits = std::min(kMaxCoverVisits, budget_);
    limits.max_steps = std::min(limits.max_steps, steps_);
    auto res = cover(&item, 1, index, filter, limits);
    budget_ -= std::min(budget_, res.visits);
    steps_ -= std::min(steps_, res.steps);
    return res;
  }

  // Past the budget the check stays silent; say so once.
  void note_exhausted() {
    if (exhausted_ || current_ >= policy_.rules.size())
      return;
    exhausted_ = true;
    const RuleDecl &rd = *policy_.rules[current_];
    auto &diag = diags().report(DiagCode::W0208, rule_range(rd),
                                "protect check budget exhausted at rule " +
                                    quoted(rd.name));
    diag.notes.push_back({"the policy needs more work than the protect check "
                          "allows; the drops that remained were not checked",
                          SourceRange{}});
  }

  void report_unprovable_drop(const RuleDecl &rd, const std::string &why) {
    diags().report(DiagCode::E0401, rule_range(rd),
                   "cannot prove that drop rule " + quoted(rd.name) +
                       " spares protected traffic: " + why);
  }

  void check_protect(const RuleDecl &rd, const Dnf &dnf) {
    if (generated()) {
      for (const auto &pi : protects_)
        if (pi.state == CondState::TooComplex) {
          report_unprovable_drop(rd, "a protect condition is too complex");
          return;
        }
    }
    // Hand-written: only protected packets that reach the rule count (see
    // below), so with a too-complex pass rule before it there is nothing to
    // report.
    if (!generated() && complex_pass_seen_)
      return;
    // Pairs (box of the rule, box of a protect) that meet, and where.
    for (const auto &b : dnf) {
      std::vector<std::pair<uint32_t, Box>> hits;
      protect_index_.for_each_intersection(
          b, [](uint32_t) { return true; },
          [&](uint32_t id, Box &&region) {
            hits.emplace_back(id, std::move(region));
            return true;
          });
      for (const auto &[id, region] : hits) {
        const ProtectInfo &pi = protects_[protect_index_.entry(id).tag];
        if (generated()) {
          // Context-free: a generated rule may outlive the rules before it.
          report_protect(DiagCode::E0401, rd, pi, region,
                         analysis::witness(region, &region));
          return;
        }
        // Hand-written: only protected packets that reach the rule count
        // (a rule passing the protected traffic first is the usual way to
        // write it). Rules with a ttl expire, so they do not count.
        auto res = run_cover(CoverItem{&region, &region}, earlier_,
                             [&](uint32_t j) { return !expires(j); });
        if (res.status == CoverResult::Status::NotCovered) {
          report_protect(DiagCode::W0204, rd, pi, res.uncovered_box,
                         *res.uncovered);
          return;
        }
      }
    }
  }

  // Do the earlier terminal rules without a ttl cover every protect box?
  // Then they also cover each part of one that a later drop rule meets,
  // which check_protect would otherwise prove for every drop rule (a
  // policy that passes its protected traffic first, as most do, paid two
  // covers per drop rule), and the rest of the policy needs no look. A yes
  // stays true (earlier_ only grows); a no is asked again once earlier_ has
  // doubled. These covers are not charged to the budget: they only stand
  // in for covers that would be. Only for protect boxes without opaque
  // atoms (dynamic sets, rates): their covers then use no box that
  // constrains one, and such boxes hold every packet of a part of the
  // protect box, whatever the drop rule's own atoms.
  bool protects_covered() {
    if (protects_covered_)
      return true;
    if (complex_pass_seen_ || earlier_.size() == 0 ||
        earlier_.size() < 2 * protects_checked_at_)
      return false;
    protects_checked_at_ = earlier_.size();
    for (const auto &pi : protects_) {
      for (const auto &b : pi.dnf) {
        for (const auto &c : b.constraints())
          if (analysis::is_opaque(c.dim))
            return false;
        auto res = cover({CoverItem{&b, &b}}, earlier_,
                         [&](uint32_t j) { return !expires(j); });
        if (res.status != CoverResult::Status::Covered)
          return false;
      }
    }
    protects_covered_ = true;
    return true;
  }

  void report_protect(DiagCode code, const RuleDecl &rd, const ProtectInfo &pi,
                      const Box &region, const analysis::Witness &w) {
    auto &diag = diags().report(code, rule_range(rd),
                                "drop rule " + quoted(rd.name) +
                                    " touches protected traffic");
    diag.notes.push_back({"it drops packets protected here, for example " +
                              analysis::describe(region, w, space_),
                          cond_range(pi.decl->cond.get(), pi.decl->range)});
  }

  void check_default_drop() {
    if (policy_.default_action() != Action::Drop || !policy_.default_decl)
      return;
    if (!generated() && protects_covered_)
      return; // every protected packet is passed before the default
    const DefaultDecl &dd = *policy_.default_decl;
    if (complex_pass_seen_ && !generated())
      return; // that rule may pass what reaches the default
    current_ = policy_.rules.size();
    for (const auto &pi : protects_) {
      if (pi.state == CondState::TooComplex) {
        if (!generated())
          continue;
        diags().report(DiagCode::E0401, dd.range,
                       "cannot prove that the default drop spares protected "
                       "traffic: a protect condition is too complex");
        return;
      }
      for (const auto &p : pi.dnf) {
        auto res = run_cover(CoverItem{&p, &p}, earlier_,
                             [&](uint32_t j) { return !expires(j); });
        bool bad = res.status == CoverResult::Status::NotCovered ||
                   (generated() && res.status == CoverResult::Status::Unknown);
        if (!bad)
          continue;
        auto &diag =
            diags().report(generated() ? DiagCode::E0401 : DiagCode::W0204,
                           dd.range, "default drop touches protected traffic");
        if (res.uncovered)
          diag.notes.push_back(
              {"packets protected here reach it, for example " +
                   analysis::describe(res.uncovered_box, *res.uncovered,
                                      space_),
               cond_range(pi.decl->cond.get(), pi.decl->range)});
        else
          diag.notes.push_back(
              {"packets protected here may reach it",
               cond_range(pi.decl->cond.get(), pi.decl->range)});
        return;
      }
    }
  }

  const Policy &policy_;
  PassContext &ctx_;
  analysis::Space space_;
  std::vector<ProtectInfo> protects_;
  BoxIndex protect_index_;
  std::vector<Dnf> rule_dnfs_; // by rule index; earlier_ points into them
  std::vector<bool> expires_;  // by rule index: the rule has a ttl
  BoxIndex earlier_;           // terminal rules before the current one
  size_t budget_ = kGlobalVisitBudget;
  size_t steps_ = kGlobalStepBudget;
  size_t current_ = 0; // the rule being checked (for note_exhausted)
  bool exhausted_ = false;
  bool complex_pass_seen_ = false; // a too-complex terminal pass rule so far
  bool protects_covered_ = false;  // see protects_covered()
  size_t protects_checked_at_ = 0; // earlier_.size() when last asked
};

class ProtectPass final : public Pass {
public:
  const char *name() const override { return "protect"; }
  bool needs_clean_input() const override { return true; }
  void run(Policy &policy, PassContext &ctx) override {
    ProtectChecker(policy, ctx).run();
  }
};

} // namespace

std::unique_ptr<Pass> create_protect_pass() {
  return std::make_unique<ProtectPass>();
}

} // namespace psl
