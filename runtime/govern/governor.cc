#include "govern/governor.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "analyze/evidence.h"
#include "ast/value.h"
#include "driver.h"
#include "govern/compose.h"
#include "govern/const_uses.h"
#include "govern/rule_shape.h"
#include "govern/source_text.h"
#include "policy/set_values.h"

namespace psr::govern {

namespace {

using analyze::Origin;
using analyze::Proposal;

bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// The `rule` keywords of a text, outside comments and strings, counted up
// to `stop`: the rule cap is enforced before a single token is parsed.
size_t count_rule_keywords(const std::string &t, size_t stop) {
  size_t n = 0;
  for (size_t i = 0; i < t.size() && n <= stop;) {
    const char c = t[i];
    if (c == '#') {
      i = t.find('\n', i);
      if (i == std::string::npos)
        break;
      continue;
    }
    if (c == '"') {
      for (++i; i < t.size() && t[i] != '"' && t[i] != '\n'; ++i)
        if (t[i] == '\\')
          ++i;
      ++i;
      continue;
    }
    if (ident_char(c)) {
      size_t j = i;
      while (j < t.size() && ident_char(t[j]))
        ++j;
      if (t.compare(i, j - i, "rule") == 0)
        ++n;
      i = j;
      continue;
    }
    ++i;
  }
  return n;
}

bool syntax_code(psl::DiagCode c) {
  using psl::DiagCode;
  switch (c) {
  case DiagCode::E0001:
  case DiagCode::E0002:
  case DiagCode::E0101:
  case DiagCode::E0102:
  case DiagCode::E0103:
  case DiagCode::E0104:
  case DiagCode::E0105:
  case DiagCode::E0106:
    return true;
  default:
    return false;
  }
}

bool has_error(const psl::DiagnosticSink &d, psl::DiagCode code) {
  for (const psl::Diagnostic &x : d.diagnostics())
    if (x.severity == psl::Severity::Error && x.code == code)
      return true;
  return false;
}

std::string plural(size_t n, const char *one, const char *many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

Verdict refuse_with(Reason r, std::string message,
                    const RenderedDiagnostics &d) {
  Verdict v = Verdict::refuse(r, std::move(message));
  v.diagnostics_text = d.text;
  v.diagnostics_json = d.json;
  return v;
}

// Whether an expression tests a field (rate() keys aside).
class TestsField : public psl::Visitor {
public:
  explicit TestsField(const char *path) : path_(path) {}
  bool found = false;
  void visit(psl::FieldExpr &e) override { found = found || e.path == path_; }
  // A rate()'s keys choose buckets, not packets.
  void visit(psl::RateExpr &) override {}

private:
  std::string path_;
};

bool tests_field(const psl::Expr &e, const char *path) {
  TestsField t(path);
  t.visit_expr(const_cast<psl::Expr &>(e));
  return t.found;
}

// The governor's protect declarations and the operator's (all of them, or
// those that protect addresses), as text.
std::string protects_text(const GovernorContext &ctx,
                          bool addresses_only = false) {
  std::string t;
  const std::string &op =
      addresses_only ? ctx.op->source_protect_text : ctx.op->protect_text;
  if (!op.empty())
    t += "  # the operator policy's protects\n" + op;
  if (ctx.protect != nullptr)
    t += protect_declarations(*ctx.protect);
  return t;
}

// What stages (b) and (c) make of a policy text: the rules as they go
// into the store, or a refusal.
struct Checked {
  std::optional<Verdict> refusal;
  std::vector<GeneratedRule> rules;
  RenderedDiagnostics warnings;
};

// `text` with each rule's `shadow` blanked (same length, so every
// diagnostic keeps its place).
std::string blank_shadows(const psl::SourceFile &file,
                          const psl::Policy &policy) {
  std::string t = file.text();
  for (const psl::RuleDecl *r : policy.rules)
    if (r->shadow && r->shadow_range.valid()) {
      const size_t b = offset_of(file, r->shadow_range.begin),
                   e = offset_of(file, r->shadow_range.end);
      for (size_t i = b; i < e && i < t.size(); ++i)
        t[i] = ' ';
    }
  return t;
}

// Does any generated rule in force (other than those of `self`) hold this
// name, as a rule or as a constant with another text?
bool generated_name_taken(const GovernorContext &ctx, const std::string &name,
                          const std::string *const_text,
                          const std::string &self) {
  if (ctx.generated == nullptr)
    return false;
  for (const GeneratedRule &g : *ctx.generated) {
    if (g.name == self)
      continue;
    if (g.name == name)
      return true;
    for (const GeneratedConst &c : g.consts)
      if (c.name == name && (const_text == nullptr || c.text != *const_text))
        return true;
  }
  return false;
}

Checked check_rules(const std::string &display, const std::string &text,
                    Origin origin, const GovernorContext &ctx,
                    const std::string &self) {
  Checked out;
  psl::PassOptions generated;
  generated.generated = true;
  // The proposal alone: is it PSL, does it stand on its own?
  psl::CheckedModule alone = psl::check_source(display, text, generated);
  const psl::SourceFile &file = alone.diags.file();
  const RenderedDiagnostics alone_diags = render_diagnostics(alone.diags);
  if (!alone.ok()) {
    const psl::Diagnostic *e = first_error(alone.diags);
    if (alone.module.policy == nullptr || (e && syntax_code(e->code))) {
      out.refusal = refuse_with(Reason::NotPsl,
                                "the proposal is not a PSL policy" +
                                    (e ? ": " + e->message : ""),
                                alone_diags);
    } else if (has_error(alone.diags, psl::DiagCode::E0402)) {
      out.refusal = refuse_with(
          Reason::NoTtl, "a drop rule of the proposal has no ttl", alone_diags);
    } else {
      std::string m = "the proposal does not check";
      if (e)
        m += ": " + e->message;
      if (e && e->code == psl::DiagCode::E0201)
        m += " (a proposal declares everything it uses: it never names "
             "the operator policy's constants or sets)";
      out.refusal = refuse_with(Reason::CheckFailed, m, alone_diags);
    }
    return out;
  }
  const psl::Policy &p = *alone.module.policy;
  for (const auto &d : p.decls) {
    if (d->kind == psl::DeclKind::Const || d->kind == psl::DeclKind::Rule)
      continue;
    static const char *names[] = {"const", "set",     "protect",
                                  "rule",  "default", "test"};
    out.refusal = refuse_with(
        Reason::ForbiddenDecl,
        std::string("a proposal declares only constants and rules, not '") +
            names[static_cast<int>(d->kind)] + "' (line " +
            std::to_string(d->range.begin.line) + ")",
        alone_diags);
    return out;
  }
  if (p.rules.empty()) {
    out.refusal =
        refuse_with(Reason::Empty, "the proposal has no rule", alone_diags);
    return out;
  }

  // With the protects: the compiler's E0401 on each rule as enforced.
  const std::string blanked = blank_shadows(file, p);
  const size_t close = offset_of(file, p.range.end) - 1;
  if (close >= blanked.size() || blanked[close] != '}') {
    out.refusal =
        refuse_with(Reason::NotPsl,
                    "the proposal's policy has no closing brace", alone_diags);
    return out;
  }
  std::set<const psl::RuleDecl *> exempt;
  const std::string protects = protects_text(ctx);
  if (!protects.empty()) {
    const std::string clause = exemption_clause(*ctx.op, ctx.protect);
    // The text checked: the rules with their exemption (if any), the
    // protects before the closing brace.
    auto guarded_text = [&]() {
      std::string t = blanked;
      t.insert(close, "\n" + protects);
      std::vector<const psl::RuleDecl *> by_end(exempt.begin(), exempt.end());
      std::sort(by_end.begin(), by_end.end(), [&](auto *a, auto *b) {
        return offset_of(file, a->cond->range.begin) >
               offset_of(file, b->cond->range.begin);
      });
      for (const psl::RuleDecl *r : by_end) {
        const size_t b = offset_of(file, r->cond->range.begin),
                     e = offset_of(file, r->cond->range.end);
        t.insert(e, ")");
        t.insert(b, clause + " and (");
      }
      return t;
    };
    psl::CheckedModule guarded =
        psl::check_source(display, guarded_text(), generated);
    // Drops that touch protected traffic: kept off the protected sources
    // by construction, if that is all they touch. Only drops that do not
    // pick their sources: one that names sources (ip.src) and meets a
    // protected one means it.
    if (!guarded.ok() && !clause.empty() &&
        has_error(guarded.diags, psl::DiagCode::E0401)) {
      for (const psl::Diagnostic &x : guarded.diags.diagnostics())
        if (x.code == psl::DiagCode::E0401)
          for (const psl::RuleDecl *r : p.rules)
            if (x.range.begin.line >= r->range.begin.line &&
                x.range.begin.line <= r->range.end.line &&
                r->action == psl::Action::Drop &&
                !tests_field(*r->cond, "ip.src"))
              exempt.insert(r);
      if (!exempt.empty())
        guarded = psl::check_source(display, guarded_text(), generated);
      // A rule that is left with nothing to drop dropped only protected
      // traffic.
      if (guarded.ok())
        for (const psl::Diagnostic &x : guarded.diags.diagnostics())
          for (const psl::RuleDecl *r : exempt)
            if (x.code == psl::DiagCode::W0203 &&
                x.range.begin.line >= r->range.begin.line &&
                x.range.begin.line <= r->range.end.line) {
              out.refusal =
                  refuse_with(Reason::TouchesProtected,
                              "rule '" + r->name + "' (line " +
                                  std::to_string(r->range.begin.line) +
                                  ") drops nothing but protected traffic",
                              render_diagnostics(guarded.diags));
              return out;
            }
    }
    if (!guarded.ok()) {
      const RenderedDiagnostics d = render_diagnostics(guarded.diags);
      bool shadowed = false;
      for (const psl::RuleDecl *r : p.rules)
        shadowed = shadowed || r->shadow;
      std::string judged;
      if (shadowed)
        judged += " (each rule judged as enforced: its `shadow` is set aside "
                  "for this check)";
      if (!exempt.empty())
        judged += " (with the protected sources excluded from it: what is "
                  "left is protected by another protect)";
      if (has_error(guarded.diags, psl::DiagCode::E0401)) {
        const psl::Diagnostic *e = nullptr;
        for (const psl::Diagnostic &x : guarded.diags.diagnostics())
          if (x.code == psl::DiagCode::E0401 && !e)
            e = &x;
        out.refusal =
            refuse_with(Reason::TouchesProtected, e->message + judged, d);
      } else if (has_error(guarded.diags, psl::DiagCode::E0203)) {
        out.refusal = refuse_with(
            Reason::NameTaken,
            "a constant of the proposal has the name of one the operator "
            "policy's protects use",
            d);
      } else {
        const psl::Diagnostic *e = first_error(guarded.diags);
        out.refusal =
            refuse_with(Reason::CheckFailed,
                        "the proposal does not check with the protects added" +
                            (e ? ": " + e->message : std::string()),
                        d);
      }
      return out;
    }
  }

  // (c) the governor's own rules, rule by rule.
  const std::string prefix = std::string(analyze::origin_name(origin)) + "_";
  for (const psl::RuleDecl *r : p.rules) {
    const std::string where = "rule '" + r->name + "' (line " +
                              std::to_string(r->range.begin.line) + ")";
    if (r->action == psl::Action::Pass) {
      out.refusal = refuse_with(
          Reason::PassRefused,
          where + " passes traffic: generated rules only drop or count (a "
                  "generated pass would go before every operator drop)",
          alone_diags);
      return out;
    }
    if (!r->ttl) {
      out.refusal =
          refuse_with(Reason::NoTtl, where + " has no ttl", alone_diags);
      return out;
    }
    if (r->ttl->value.ns > ctx.options.max_ttl_ns) {
      out.refusal = refuse_with(Reason::TtlTooLong,
                                where + " asks for ttl " + r->ttl->spelling +
                                    ", more than the " +
                                    psl::duration_text(ctx.options.max_ttl_ns) +
                                    " a generated rule "
                                    "may have",
                                alone_diags);
      return out;
    }
    if (r->action == psl::Action::Drop) {
      const ShapeFinding f = drop_shape(*r);
      if (f.shape != Shape::Narrow) {
        const std::string example =
            f.example.empty() ? "" : " (for example " + f.example + ")";
        switch (f.shape) {
        case Shape::DropsEverything:
          out.refusal = refuse_with(
              Reason::DropsEverything,
              where + " drops every packet" + example +
                  ": a generated drop must name addresses or ports, or "
                  "limit a rate()",
              alone_diags);
          break;
        case Shape::WholeProtocol:
          out.refusal = refuse_with(
              Reason::WholeProtocol,
              where + " drops a whole protocol" + example +
                  ": a generated drop must name addresses or ports, or "
                  "limit a rate()",
              alone_diags);
          break;
        default:
          out.refusal = refuse_with(
              Reason::WholeProtocol,
              where + " has a condition too complex to show that it drops "
                      "less than a whole protocol",
              alone_diags);
        }
        return out;
      }
    }
    if (r->name.rfind(prefix, 0) != 0 || r->name.size() == prefix.size()) {
      out.refusal = refuse_with(Reason::BadName,
                                where + ": rules from the " +
                                    analyze::origin_name(origin) +
                                    " are named " + prefix + "<kind>_<n>",
                                alone_diags);
      return out;
    }
    if (ctx.op->names.count(r->name) ||
        generated_name_taken(ctx, r->name, nullptr, self)) {
      out.refusal = refuse_with(Reason::NameTaken,
                                where + ": the name is taken by " +
                                    (ctx.op->names.count(r->name)
                                         ? "the operator policy"
                                         : "a generated rule in force"),
                                alone_diags);
      return out;
    }
  }

  // The rules as they go into the store.
  std::map<const psl::ConstDecl *, size_t> const_order;
  for (size_t i = 0; i < p.consts.size(); ++i)
    const_order[p.consts[i]] = i;
  for (const psl::ConstDecl *c : p.consts) {
    const std::string t = slice(file, c->range);
    if (ctx.op->names.count(c->name) ||
        generated_name_taken(ctx, c->name, &t, self)) {
      out.refusal = refuse_with(
          Reason::NameTaken,
          "constant '" + c->name + "' (line " +
              std::to_string(c->range.begin.line) + "): the name is taken by " +
              (ctx.op->names.count(c->name) ? "the operator policy"
                                            : "a generated rule in force"),
          alone_diags);
      return out;
    }
  }
  for (const psl::RuleDecl *r : p.rules) {
    GeneratedRule g;
    g.name = r->name;
    g.origin = origin;
    g.action = psl::action_name(r->action);
    g.condition = slice(file, r->cond->range);
    g.ttl_ns = r->ttl->value.ns;
    g.ttl_text = r->ttl->spelling;
    g.exempt = exempt.count(r) != 0;
    ConstUses uses;
    uses.visit_expr(*r->cond);
    std::vector<const psl::ConstDecl *> used(uses.found.begin(),
                                             uses.found.end());
    std::sort(used.begin(), used.end(), [&](auto *a, auto *b) {
      return const_order[a] < const_order[b];
    });
    for (const psl::ConstDecl *c : used)
      g.consts.push_back({c->name, slice(file, c->range)});
    out.rules.push_back(std::move(g));
  }
  out.warnings = alone_diags;
  return out;
}

Verdict review_policy(const Proposal &p, const GovernorContext &ctx) {
  const GovernorOptions &o = ctx.options;
  // (a) before parsing.
  if (p.psl.size() > o.max_proposal_bytes)
    return Verdict::refuse(Reason::TooLarge,
                           "the proposal has " + std::to_string(p.psl.size()) +
                               " bytes, more than the " +
                               std::to_string(o.max_proposal_bytes) +
                               " a proposal may have");
  bool blank = true;
  for (char c : p.psl)
    blank = blank && std::isspace(static_cast<unsigned char>(c));
  if (blank)
    return Verdict::refuse(Reason::Empty, "the proposal has no text");
  const size_t scanned = count_rule_keywords(p.psl, o.max_rules_per_proposal);
  if (scanned > o.max_rules_per_proposal)
    return Verdict::refuse(
        Reason::TooLarge,
        "the proposal has more than " +
            plural(o.max_rules_per_proposal, "rule", "rules") +
            ", the most one proposal may have");

  // (b), (c).
  Checked c = check_rules("proposal " + p.id, p.psl, p.origin, ctx, "");
  if (c.refusal)
    return *c.refusal;
  if (c.rules.size() > o.max_rules_per_proposal)
    return Verdict::refuse(
        Reason::TooLarge,
        "the proposal has " + plural(c.rules.size(), "rule", "rules") +
            ", more than the " + std::to_string(o.max_rules_per_proposal) +
            " one proposal may have");
  const size_t in_force = ctx.generated ? ctx.generated->size() : 0;
  if (in_force + c.rules.size() > o.max_generated_rules)
    return Verdict::refuse(Reason::TooLarge,
                           "with this proposal the target would have " +
                               std::to_string(in_force + c.rules.size()) +
                               " generated rules in force, more than the " +
                               std::to_string(o.max_generated_rules) +
                               " allowed");

  // Modes, and what a shadow rule's hits will be held against.
  const uint64_t period = o.shadow_period_ns(p.origin);
  const analyze::CitedRate cited = analyze::cited_rate(p.evidence);
  size_t shadowed = 0;
  for (GeneratedRule &g : c.rules) {
    g.proposal_id = p.id;
    g.accepted_unix_ms = ctx.now_unix_ms;
    g.cited_pps = cited.known ? cited.pps : -1;
    g.cited_basis = cited.basis;
    if (period > 0 && g.action == "drop") {
      g.mode = RuleMode::Shadow;
      g.shadow_since_ns = ctx.boot_now_ns;
      g.shadow_period_ns = period;
      ++shadowed;
    }
  }

  // (d) the composition.
  std::vector<GeneratedRule> all;
  if (ctx.generated)
    all = *ctx.generated;
  all.insert(all.end(), c.rules.begin(), c.rules.end());
  Verdict v;
  if (ctx.build) {
    Composition comp =
        compose_and_build(*ctx.op, all, exemption_clause(*ctx.op, ctx.protect),
                          ctx.build_options);
    if (!comp.ok)
      return refuse_with(comp.reason, comp.message, comp.diagnostics);
    v.composed_text = std::move(comp.text);
    v.artifact = std::move(comp.artifact);
    v.rule_ttls = std::move(comp.rule_ttls);
  } else {
    v.composed_text =
        compose_policy(*ctx.op, all, exemption_clause(*ctx.op, ctx.protect));
    psl::CheckedModule m =
        psl::check_source(ctx.op->path.empty() ? "<composed policy>"
                                               : ctx.op->path + " (composed)",
                          v.composed_text);
    if (!m.ok()) {
      const psl::Diagnostic *e = first_error(m.diags);
      return refuse_with(Reason::ComposeFailed,
                         "the operator policy with the generated rules does "
                         "not check" +
                             (e ? ": " + e->message : std::string()),
                         render_diagnostics(m.diags));
    }
  }
  v.accepted = true;
  v.mode = shadowed > 0 ? RuleMode::Shadow : RuleMode::Enforce;
  v.diagnostics_text = c.warnings.text;
  v.diagnostics_json = c.warnings.json;
  v.message = "accepted " + plural(c.rules.size(), "rule", "rules");
  if (shadowed == c.rules.size())
    v.message += ", in shadow for " + psl::duration_text(period);
  else if (shadowed > 0)
    v.message += " (" + std::to_string(shadowed) + " drop" +
                 (shadowed == 1 ? "" : "s") + " in shadow for " +
                 psl::duration_text(period) + ")";
  v.rules = std::move(c.rules);
  return v;
}

// The fields an operator rule tests against set `name` with `in` / `==`.
class SetUses : public psl::Visitor {
public:
  explicit SetUses(const std::string &set) : set_(set) {}
  std::set<std::string> fields;
  void visit(psl::CompareExpr &e) override {
    if (e.op == psl::CompareOp::In || e.op == psl::CompareOp::Eq) {
      const psl::Expr *f = e.lhs.get(), *s = e.rhs.get();
      if (f->kind != psl::ExprKind::Field)
        std::swap(f, s);
      if (f->kind == psl::ExprKind::Field && s->kind == psl::ExprKind::Name) {
        const auto &n = static_cast<const psl::NameExpr &>(*s);
        if (n.target == psl::NameExpr::Target::Set && n.name == set_)
          fields.insert(static_cast<const psl::FieldExpr &>(*f).path);
      }
    }
    psl::Visitor::visit(e);
  }

private:
  std::string set_;
};

Verdict review_set_insert(const Proposal &p, const GovernorContext &ctx) {
  const GovernorOptions &o = ctx.options;
  const analyze::SetInsert &in = p.insert;
  if (in.values.empty())
    return Verdict::refuse(
        Reason::Empty, "the proposal adds no value to set '" + in.set + "'");
  if (in.values.size() > o.max_set_values)
    return Verdict::refuse(
        Reason::TooLarge,
        "the proposal adds " + std::to_string(in.values.size()) +
            " values, more than the " + std::to_string(o.max_set_values) +
            " one proposal may add");
  const psl::Policy &op = ctx.op->policy();
  const psl::SetDecl *set = nullptr;
  for (const psl::SetDecl *s : op.sets)
    if (s->name == in.set)
      set = s;
  if (set == nullptr)
    return Verdict::refuse(Reason::UnknownSet,
                           "the operator policy has no dynamic set '" + in.set +
                               "'");
  std::set<std::string> fields;
  for (const psl::RuleDecl *r : op.rules) {
    if (r->action != psl::Action::Drop || r->shadow)
      continue;
    SetUses uses(in.set);
    uses.visit_expr(*r->cond);
    fields.insert(uses.fields.begin(), uses.fields.end());
  }
  if (fields.empty())
    return Verdict::refuse(Reason::SetNotEnforced,
                           "no rule of the operator policy that drops (and is "
                           "not shadow) uses set '" +
                               in.set + "'");
  std::vector<std::string> values;
  for (const std::string &text : in.values) {
    if (text.size() > 64)
      return Verdict::refuse(Reason::BadValue,
                             "a value of " + std::to_string(text.size()) +
                                 " bytes is no " + set->elem_type_name);
    be::Expected<std::vector<uint8_t>> key =
        policy::encode_set_value(set->elem, text);
    if (!key)
      return Verdict::refuse(Reason::BadValue,
                             "set '" + in.set + "' holds " +
                                 set->elem_type_name +
                                 " values: " + key.error().message);
    values.push_back(policy::decode_set_key(set->elem, *key));
  }
  uint64_t ttl = in.ttl_ms * 1000000ull;
  if (in.ttl_ms > o.max_ttl_ns / 1000000ull)
    return Verdict::refuse(
        Reason::TtlTooLong,
        "the entries would stay " + psl::duration_text(in.ttl_ms * 1000000ull) +
            ", more than the " + psl::duration_text(o.max_ttl_ns) + " allowed");
  if (ttl == 0) {
    if (!set->ttl)
      return Verdict::refuse(Reason::NoTtl,
                             "the proposal gives no ttl and set '" + in.set +
                                 "' has none: its entries would never expire");
    if (set->ttl->value.ns > o.max_ttl_ns)
      return Verdict::refuse(Reason::TtlTooLong,
                             "set '" + in.set + "' keeps entries " +
                                 set->ttl->spelling + ", more than the " +
                                 psl::duration_text(o.max_ttl_ns) +
                                 " a generated entry may stay");
  }

  // Protected? `FIELD == VALUE => drop` for each use, through the same
  // check as a rule's, against the protects of addresses: the operator's
  // own rule drops the set's members, and where it stands among the
  // operator's rules decides what else they may still send (SSH to a
  // protected port, say), which is the operator's to judge (W0204).
  // A value matched against another field than ip.src is checked with
  // the protected sources excluded (exemption_clause()), as a rule that
  // does not pick its sources would be: the question is whether the value
  // itself is protected there.
  const std::string protects = protects_text(ctx, /*addresses_only=*/true);
  if (!protects.empty()) {
    const std::string clause = exemption_clause(*ctx.op, ctx.protect);
    std::string text = "policy set_insert_check {\n";
    std::vector<std::string> rule_value;
    for (size_t i = 0; i < values.size(); ++i)
      for (const std::string &f : fields) {
        const std::string test = f + " == " + values[i];
        text +=
            "  rule value_" + std::to_string(rule_value.size()) + ": " +
            (f == "ip.src" || clause.empty() ? test
                                             : clause + " and (" + test + ")") +
            " => drop ttl 1m\n";
        rule_value.push_back(values[i]);
      }
    text += protects + "}\n";
    psl::PassOptions generated;
    generated.generated = true;
    psl::CheckedModule m = psl::check_source(
        "set insert " + p.id + " into " + in.set, text, generated);
    if (!m.ok()) {
      std::set<std::string> hit;
      for (const psl::Diagnostic &d : m.diags.diagnostics()) {
        if (d.code != psl::DiagCode::E0401 && d.code != psl::DiagCode::W0203)
          continue;
        for (const psl::RuleDecl *r : m.module.policy->rules)
          if (r->range.begin.line == d.range.begin.line)
            hit.insert(rule_value[r->index]);
      }
      const RenderedDiagnostics diags = render_diagnostics(m.diags);
      if (hit.empty())
        return refuse_with(Reason::CheckFailed,
                           "the values could not be checked against the "
                           "protects",
                           diags);
      std::string list;
      for (const std::string &h : hit)
        list += (list.empty() ? "" : ", ") + h;
      return refuse_with(Reason::TouchesProtected,
                         "protected traffic would be dropped: " + list, diags);
    }
  }
  if (ctx.inserts != nullptr && !ctx.inserts->take(values.size(), ctx.now_ns))
    return Verdict::refuse(Reason::InsertRate,
                           "over the cap of " +
                               std::to_string(o.set_inserts_per_second) +
                               " set inserts per second (" +
                               std::to_string(values.size()) + " asked, " +
                               std::to_string(static_cast<uint64_t>(
                                   ctx.inserts->available(ctx.now_ns))) +
                               " available)");
  Verdict v;
  v.accepted = true;
  v.values = std::move(values);
  v.ttl_ns = ttl;
  v.message = "accepted " + plural(v.values.size(), "value", "values") +
              " for set '" + in.set + "' (ttl " +
              (ttl ? psl::duration_text(ttl) : set->ttl->spelling) + ")";
  return v;
}

} // namespace

std::string exemption_clause(const OperatorPolicy &op,
                             const ProtectedAddresses *protect) {
  std::set<std::string> sources;
  if (protect != nullptr) {
    for (const std::string &a : protect->management)
      sources.insert(a);
    for (const std::string &a : protect->host.gateways)
      sources.insert(a);
    for (const std::string &a : protect->host.addresses)
      sources.insert(a);
  }
  std::string clause;
  if (!sources.empty()) {
    std::string set;
    for (const std::string &a : sources)
      set += (set.empty() ? "" : ", ") + a;
    clause = "ip.src not in { " + set + " }";
  }
  for (const std::string &c : op.source_protects)
    clause += (clause.empty() ? "" : " and ") + std::string("not (") + c + ")";
  return clause;
}

Verdict review(const Proposal &p, const GovernorContext &ctx) {
  if (ctx.op == nullptr)
    return Verdict::refuse(Reason::ComposeFailed,
                           "there is no operator policy to compose with");
  return p.kind == Proposal::Kind::SetInsert ? review_set_insert(p, ctx)
                                             : review_policy(p, ctx);
}

Verdict recheck(const GeneratedRule &rule, const GovernorContext &ctx) {
  if (ctx.op == nullptr)
    return Verdict::refuse(Reason::ComposeFailed,
                           "there is no operator policy to compose with");
  std::string text = "policy recheck {\n";
  for (const GeneratedConst &c : rule.consts)
    text += "  " + c.text + "\n";
  text += "  " + rule.text() + "\n}\n";
  Checked c = check_rules("generated rule " + rule.name, text, rule.origin, ctx,
                          rule.name);
  if (c.refusal)
    return *c.refusal;
  Verdict v;
  v.accepted = true;
  // The rule as it stands now: exempt or not under today's protects.
  GeneratedRule now = rule;
  now.exempt = !c.rules.empty() && c.rules.front().exempt;
  v.rules.push_back(std::move(now));
  v.message = "rule '" + rule.name + "' still passes the governor's checks";
  return v;
}

} // namespace psr::govern
