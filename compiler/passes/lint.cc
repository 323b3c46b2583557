// The lint: semantic checks on the typed, folded conditions (it runs last,
// only on input without errors). Every check reasons about sets of packets
// (compiler/analysis/), never about the text of conditions.
//
//   W0203  a rule condition that is always false
//   W0205  a rule condition that is always true
//   W0208  a condition too complex to reason about: reported once, and the
//          other checks then skip it (they never warn because of it); also
//          once when the global work budget runs out
//   W0201  a rule never reached: earlier terminal rules (pass/drop, not
//          shadow; a rule with a ttl only for rules expiring no later)
//          together match every packet it matches
//   W0202  a rule whose removal changes no verdict because later rules with
//          the same action take over all of its packets
//   W0207  a constant or dynamic set nobody uses
//   W0209  a drop (the default included) that also drops ARP or IPv6
//          neighbour discovery (lockout.h)
//
// Drops that touch `protect`ed traffic (W0204, E0401, E0402) are the
// protect pass's (protect.h).
//
// Cost: every rule is converted once; the shadow and redundancy checks ask
// an incremental BoxIndex of the earlier (resp. later) rules for the rules
// containing one witness packet at a time (analysis::cover), so a rule only
// meets rules that match a packet of its own that is still uncovered. A global
// budget bounds the total work on adversarial input; past it the checks
// stop warning rather than guess. On large policies the conditions are
// built on a second thread, one rule ahead of the shadow check or more
// (passes/ordered_feed.h); the diagnostics do not depend on it.
#include "passes/lint.h"

#include <algorithm>
#include <atomic>
#include <initializer_list>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "analysis/box.h"
#include "analysis/box_index.h"
#include "analysis/condition_builder.h"
#include "analysis/cover.h"
#include "analysis/describe.h"
#include "analysis/dnf.h"
#include "analysis/space.h"
#include "analysis/witness.h"
#include "passes/lockout.h"
#include "passes/ordered_feed.h"

namespace psl {
namespace {

using analysis::Box;
using analysis::BoxIndex;
using analysis::CoverItem;
using analysis::CoverResult;
using analysis::Dnf;

constexpr analysis::DnfLimits kDnfLimits{256};
// Work of all cover() calls together (entries looked at, subtractions):
// far above what real policies need (a generated 100k-rule policy uses a
// few hundred thousand steps), a bound of about a second for adversarial
// ones (a /16 rule after the 256 /24 rules that cover it, 50k times).
constexpr size_t kGlobalVisitBudget = size_t{1} << 27;
constexpr size_t kGlobalStepBudget = size_t{1} << 20;
constexpr size_t kMaxCoverVisits = size_t{1} << 16;
constexpr size_t kMaxIntersecting = 1024;
constexpr size_t kMaxNotes = 8;
// From this many rules the conditions are built on a second thread.
constexpr size_t kThreadedLintRules = 512;

using analysis::CondState;

struct RuleInfo {
  RuleDecl *decl = nullptr;
  CondState state = CondState::Ok;
  Dnf dnf;
  bool shadowed = false;
  bool redundant = false;
};

std::string quoted(const std::string &s) { return "'" + s + "'"; }

// The parts one after the other, in one allocation: the shadowing and
// redundancy messages are built tens of thousands of times on large
// policies, where operator+ chains spent as long as the checks.
std::string concat(std::initializer_list<std::string_view> parts) {
  size_t n = 0;
  for (std::string_view p : parts)
    n += p.size();
  std::string out;
  out.reserve(n);
  for (std::string_view p : parts)
    out += p;
  return out;
}

SourceRange rule_range(const RuleDecl &r) {
  return r.name_range.valid() ? r.name_range : r.range;
}

SourceRange cond_range(const Expr *e, const SourceRange &fallback) {
  return e && e->range.valid() ? e->range : fallback;
}

// Collects the declarations that names refer to.
class RefCollector : public Visitor {
public:
  std::vector<const Decl *> refs;
  void visit(NameExpr &n) override {
    if (n.decl)
      refs.push_back(n.decl);
  }
};

class Linter {
public:
  Linter(const Policy &policy, PassContext &ctx) : policy_(policy), ctx_(ctx) {}

  void run() {
    check_unused();
    prepare_rules();
    {
      // Rule i's condition is built (on a second thread on large policies)
      // while the forward pass checks the rules before it. Only the
      // builder adds opaque atoms to space_, in rule order, so their ids
      // are the same with or without the thread.
      const bool threaded = rules_.size() >= kThreadedLintRules &&
                            (ctx_.options.threads > 1 ||
                             (ctx_.options.threads == 0 &&
                              std::thread::hardware_concurrency() > 1));
      OrderedFeed conditions(
          rules_.size(), [this](size_t i) { build_condition_of(i); }, threaded);
      // Or once the build beside the checks frees its core.
      const std::atomic<bool> *core_freed = rules_.size() >= kThreadedLintRules
                                                ? ctx_.options.core_freed
                                                : nullptr;
      forward(conditions, core_freed);
    }
    backward();
  }

private:
  DiagnosticSink &diags() { return ctx_.diags; }

  // ------------------------------------------------------------ W0207

  void check_unused() {
    // Roots: rules, protects and tests. Constants reach further through
    // their values.
    std::unordered_set<const Decl *> used;
    std::unordered_map<const Decl *, std::vector<const Decl *>> edges;
    std::vector<const Decl *> work;
    for (auto &d : policy_.decls) {
      if (!d)
        continue;
      RefCollector c;
      c.visit_decl(*d);
      if (d->kind == DeclKind::Const) {
        edges[d.get()] = std::move(c.refs);
      } else {
        for (const Decl *r : c.refs)
          work.push_back(r);
      }
    }
    while (!work.empty()) {
      const Decl *d = work.back();
      work.pop_back();
      if (!used.insert(d).second)
        continue;
      auto it = edges.find(d);
      if (it != edges.end())
        for (const Decl *r : it->second)
          work.push_back(r);
    }
    // Who refers to an unused declaration (only unused constants can).
    std::unordered_map<const Decl *, const ConstDecl *> referrer;
    for (const auto *c : policy_.consts)
      if (!used.count(c))
        for (const Decl *r : edges[c])
          if (r != c && !referrer.count(r))
            referrer[r] = c;
    auto note_referrer = [&](Diagnostic &diag, const Decl *d) {
      auto it = referrer.find(d);
      if (it != referrer.end())
        diag.notes.push_back({"it is only used by " + quoted(it->second->name) +
                                  ", which is unused itself",
                              it->second->name_range});
    };
    for (const auto *c : policy_.consts) {
      if (used.count(c))
        continue;
      auto &diag = diags().report(
          DiagCode::W0207, c->name_range.valid() ? c->name_range : c->range,
          "constant " + quoted(c->name) + " is never used");
      note_referrer(diag, c);
    }
    for (const auto *s : policy_.sets) {
      if (used.count(s))
        continue;
      auto &diag = diags().report(
          DiagCode::W0207, s->name_range.valid() ? s->name_range : s->range,
          "set " + quoted(s->name) + " is never used");
      note_referrer(diag, s);
    }
  }

  // -------------------------------------------------- W0203, W0208

  Diagnostic &report_too_complex(SourceRange range, const std::string &what,
                                 const char *skipped) {
    auto &diag = diags().report(DiagCode::W0208, range,
                                what + " is too complex to lint");
    diag.notes.push_back(
        {"it has more than " + std::to_string(kDnfLimits.max_terms) +
             " alternatives; the other lint checks skip " + skipped,
         SourceRange{}});
    return diag;
  }

  // Every rule's slot, its condition not built yet.
  void prepare_rules() {
    rules_.resize(policy_.rules.size());
    expiry_.reserve(policy_.rules.size());
    for (size_t i = 0; i < rules_.size(); ++i) {
      RuleDecl *r = policy_.rules[i];
      rules_[i].decl = r;
      expiry_.push_back(r->ttl ? Expiry{r->ttl->value.ns, true} : Expiry{});
    }
  }

  // Builds rule i's condition; may run on the feed's thread, so it
  // touches rules_[i] and space_ only, and reports nothing.
  void build_condition_of(size_t i) {
    RuleInfo &info = rules_[i];
    info.state = analysis::build_condition(space_, info.decl->cond.get(),
                                           kDnfLimits, info.dnf);
  }

  // What building rule i's condition found: too complex, always false.
  void report_condition(const RuleInfo &info) {
    const RuleDecl &r = *info.decl;
    SourceRange range = cond_range(r.cond.get(), r.range);
    if (info.state == CondState::TooComplex && r.cond)
      report_too_complex(range, "condition of rule " + quoted(r.name),
                         "this rule");
    else if (info.state == CondState::AlwaysFalse)
      diags().report(DiagCode::W0203, range,
                     "condition of rule " + quoted(r.name) +
                         " is always false");
  }

  // --------------------------------------------------------------- W0205

  void check_always_true(const RuleInfo &ri) {
    if (ri.state != CondState::Ok)
      return;
    // Quick rejection: the least packet (no IP, no VLAN, all zero) is
    // outside almost every condition.
    bool has_w0 = std::any_of(ri.dnf.begin(), ri.dnf.end(), [&](const Box &b) {
      return analysis::box_contains(b, least_packet_);
    });
    if (!has_w0)
      return;
    const Box all; // the unconstrained box: every packet
    BoxIndex own;
    for (const auto &b : ri.dnf)
      own.insert(&b, 0);
    auto res =
        cover({CoverItem{&all, &all}}, own, [](uint32_t) { return true; });
    if (res.status == CoverResult::Status::Covered)
      diags().report(
          DiagCode::W0205, cond_range(ri.decl->cond.get(), ri.decl->range),
          "condition of rule " + quoted(ri.decl->name) + " is always true");
  }

  // ------------------------------------------------------ cover helpers

  // May rule j stand in for rule i? A rule with a ttl expires: it only
  // covers rules that expire no later. (The cover filters ask this of
  // every candidate: expiry_ keeps the answer next to its neighbours'
  // instead of behind each rule's declaration.)
  bool outlives(uint32_t j, uint32_t i) const {
    const Expiry &ej = expiry_[j], &ei = expiry_[i];
    return !ej.expires || (ei.expires && ei.ns <= ej.ns);
  }
  bool expires(uint32_t j) const { return expiry_[j].expires; }

  CoverResult run_cover(const std::vector<CoverItem> &items,
                        const BoxIndex &index, BoxIndex::Filter filter) {
    return run_cover(items.data(), items.size(), index, filter);
  }
  CoverResult run_cover(CoverItem item, const BoxIndex &index,
                        BoxIndex::Filter filter) {
    return run_cover(&item, 1, index, filter);
  }
  CoverResult run_cover(const CoverItem *items, size_t n, const BoxIndex &index,
                        BoxIndex::Filter filter) {
    CoverResult none;
    if (budget_ == 0 || steps_ == 0) {
      note_exhausted();
      return none; // Unknown
    }
    analysis::CoverLimits limits;
    limits.max_visits = std::min(kMaxCoverVisits, budget_);
    limits.max_steps = std::min(limits.max_steps, steps_);
    auto res = cover(items, n, index, filter, limits);
    budget_ -= std::min(budget_, res.visits);
    steps_ -= std::min(steps_, res.steps);
    return res;
  }

  // Past the global budget the checks stay silent; say so once.
  void note_exhausted() {
    if (exhausted_ || current_ >= rules_.size())
      return;
    exhausted_ = true;
    const RuleDecl &rd = *rules_[current_].decl;
    auto &diag =
        diags().report(DiagCode::W0208, rule_range(rd),
                       "lint budget exhausted at rule " + quoted(rd.name));
    diag.notes.push_back({"the policy needs more work than the lint allows; "
                          "shadowing and redundancy checks that "
                          "remained were skipped",
                          SourceRange{}});
  }

  std::vector<CoverItem> items_of(const RuleInfo &ri) const {
    std::vector<CoverItem> items;
    items.reserve(ri.dnf.size());
    for (const auto &b : ri.dnf)
      items.push_back(CoverItem{&b, &b});
    return items;
  }

  static std::vector<uint32_t> unique_sorted(std::vector<uint32_t> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  }

  void add_rule_notes(Diagnostic &diag, const std::vector<uint32_t> &used,
                      std::string_view all_text, std::string_view some_text) {
    auto tags = used.size() == 1 ? used : unique_sorted(used);
    const std::string_view text = tags.size() == 1 ? all_text : some_text;
    const size_t shown = std::min(tags.size(), kMaxNotes);
    diag.notes.reserve(shown + (tags.size() > kMaxNotes ? 1 : 0));
    for (size_t k = 0; k < shown; ++k) {
      const RuleDecl &r = *rules_[tags[k]].decl;
      diag.notes.push_back(
          {concat({"rule '", r.name, "' ", text}), rule_range(r)});
    }
    if (tags.size() > kMaxNotes)
      diag.notes.push_back(
          {"and " + std::to_string(tags.size() - kMaxNotes) + " more rules",
           SourceRange{}});
  }

  // --------------------------------------------------------------- W0201

  // Rule by rule as `conditions` builds them: what the condition alone
  // says (W0208, W0203, W0205), then the rule against the earlier ones.
  void forward(OrderedFeed &conditions, const std::atomic<bool> *core_freed) {
    LockoutCheck lockout;
    for (uint32_t i = 0; i < rules_.size(); ++i) {
      if (core_freed && core_freed->load(std::memory_order_relaxed)) {
        conditions.start_thread();
        core_freed = nullptr;
      }
      conditions.wait(i);
      current_ = i;
      RuleInfo &ri = rules_[i];
      const RuleDecl &rd = *ri.decl;
      report_condition(ri);
      check_always_true(ri);
      if (ri.state != CondState::AlwaysFalse)
        lockout.rule(rd, ri.state == CondState::Ok, ri.dnf, space_, diags());
      if (ri.state != CondState::Ok)
        continue;

      if (earlier_.size() > 0) {
        auto res = run_cover(items_of(ri), earlier_,
                             [&](uint32_t j) { return outlives(j, i); });
        if (res.status == CoverResult::Status::Covered) {
          // Never reached, whatever the actions of the covering rules (a
          // later duplicate included: reporting the copy that is never
          // reached, not the one a later copy makes redundant, keeps the
          // advice safe to follow).
          ri.shadowed = true;
          auto &diag = diags().report(
              DiagCode::W0201, rule_range(rd),
              concat(
                  {"rule '", rd.name, "' is shadowed by earlier rules and ",
                   rd.terminal() ? "never decides" : "never counts a packet"}));
          add_rule_notes(diag, res.used, "matches all of its packets first",
                         "matches some of its packets first");
        }
      }

      if (rd.terminal() && !ri.shadowed)
        for (const auto &b : ri.dnf)
          earlier_.insert(&b, i);
    }
    lockout.finish(policy_, space_, diags());
  }

  // --------------------------------------------------------------- W0202

  // Removing rule i changes no verdict when every packet it matches is,
  // without it, first matched by a later rule with the same action. The
  // check, per box b of the rule: let k be the first later rule with the
  // other action that meets b; the same-action rules between i and k must
  // cover b. (Sufficient, not necessary: interleavings where the
  // other-action rule only meets parts already taken over are missed,
  // never misreported.) The pass runs bottom-up on the policy without the
  // shadowed rules and without the rules already found redundant, so all
  // W0201 and W0202 rules can be removed together without changing a
  // verdict. A rule that only restates the default is not reported:
  // explicit rules before a default of the same action are the normal way
  // to document (and count) an allowlist or a denylist.
  void backward() {
    BoxIndex later[2]; // by action: pass, drop; filled in decreasing order
    bool unknown_later[2] = {false, false};
    for (uint32_t n = static_cast<uint32_t>(rules_.size()); n-- > 0;) {
      current_ = n;
      RuleInfo &ri = rules_[n];
      const RuleDecl &rd = *ri.decl;
      if (!rd.terminal())
        continue;
      int a = rd.action == Action::Drop ? 1 : 0;
      if (ri.state == CondState::TooComplex) {
        unknown_later[a] = true;
        continue;
      }
      if (ri.state != CondState::Ok || ri.shadowed)
        continue;
      std::vector<uint32_t> used;
      if (!unknown_later[1 - a] && later[a].size() > 0 &&
          taken_over(n, later[a], later[1 - a], used)) {
        ri.redundant = true;
        auto &diag = diags().report(
            DiagCode::W0202, rule_range(rd),
            concat({"rule '", rd.name,
                    "' is redundant: removing it changes no verdict"}));
        const bool drop = rd.action == Action::Drop;
        add_rule_notes(diag, used,
                       drop ? "also drops all of its packets"
                            : "also passes all of its packets",
                       drop ? "also drops some of its packets"
                            : "also passes some of its packets");
        continue;
      }
      for (const auto &b : ri.dnf)
        later[a].insert(&b, n);
    }
  }

  bool taken_over(uint32_t i, const BoxIndex &same, const BoxIndex &other,
                  std::vector<uint32_t> &used) {
    for (const auto &b : rules_[i].dnf) {
      // The same-action rules cover b at all? (Usually not: cheap.)
      auto res = run_cover(CoverItem{&b, &b}, same,
                           [&](uint32_t j) { return outlives(j, i); });
      if (res.status != CoverResult::Status::Covered)
        return false;
      if (budget_ == 0) {
        note_exhausted();
        return false;
      }
      // Then before the first other-action rule meeting b?
      uint32_t k = other.least_tag_meeting(b, kMaxIntersecting);
      budget_ -= std::min(budget_, kMaxIntersecting);
      if (k == 0)
        return false; // too much to look at: stay silent
      if (*std::max_element(res.used.begin(), res.used.end()) >= k) {
        res = run_cover(CoverItem{&b, &b}, same,
                        [&](uint32_t j) { return j < k && outlives(j, i); });
        if (res.status != CoverResult::Status::Covered)
          return false;
      }
      used.insert(used.end(), res.used.begin(), res.used.end());
    }
    return true;
  }

  const Policy &policy_;
  PassContext &ctx_;
  analysis::Space space_;
  std::vector<RuleInfo> rules_;
  struct Expiry {
    uint64_t ns = 0;
    bool expires = false; // the rule has a ttl of ns
  };
  std::vector<Expiry> expiry_; // by rule index
  // The least packet (no IP, no VLAN, all zero): outside almost every
  // condition, so a quick first test for W0205.
  const analysis::Witness least_packet_ = analysis::witness(Box{}, nullptr);
  BoxIndex earlier_; // terminal rules before the current one, not shadowed
  size_t budget_ = kGlobalVisitBudget;
  size_t steps_ = kGlobalStepBudget;
  size_t current_ = 0; // the rule being checked (for note_exhausted)
  bool exhausted_ = false;
};

class LintPass final : public Pass {
public:
  const char *name() const override { return "lint"; }
  bool needs_clean_input() const override { return true; }
  void run(Policy &policy, PassContext &ctx) override {
    Linter(policy, ctx).run();
  }
};

} // namespace

std::unique_ptr<Pass> create_lint_pass() {
  return std::make_unique<LintPass>();
}

} // namespace psl
