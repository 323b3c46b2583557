#include "frontend/ast_builder.h"

#include <string>
#include <utility>

#include "frontend/literals.h"

namespace psl::frontend {
namespace {

using P = psl_antlr::PolicyParser;
using antlr4::Token;
using antlr4::tree::TerminalNode;

// A required part of the tree is missing: drop the declaration.
struct Broken {};

template <typename T>
T *need(T *p) {
  if (!p)
    throw Broken{};
  return p;
}

// Longer and/or chains are built as balanced trees so that the AST (and
// every recursive pass over it) stays shallow; short ones associate to the
// left as usual. Both read back the same through fmt.
constexpr size_t kMaxLeftChain = 64;

std::string quote(const std::string &s) { return "'" + s + "'"; }

class Builder {
public:
  explicit Builder(SyntaxErrorReporter &rep) : rep_(rep), map_(rep.map()) {}

  BuiltPolicy policy(P::PolicyDeclContext *ctx) {
    BuiltPolicy out;
    out.policy = std::make_unique<Policy>();
    Policy &p = *out.policy;
    p.range = map_.range(ctx);
    if (auto *kw = ctx->POLICY())
      out.policy_token = kw->getSymbol()->getTokenIndex();
    if (auto *name = ctx->IDENT();
        name && !TokenMap::is_missing(name->getSymbol())) {
      p.name = text(name);
      p.name_range = range(name);
    } else if (auto *lb = ctx->LBRACE();
               lb && ctx->POLICY() && !TokenMap::is_missing(lb->getSymbol()) &&
               map_.previous_default(lb->getSymbol()->getTokenIndex()) ==
                   ctx->POLICY()->getSymbol()) {
      // `policy {`: the grammar lets the name be absent (so the body is
      // still parsed); anything else in its place was reported already.
      rep_.syntax_error(DiagCode::E0101, lb->getSymbol(),
                        ctx->POLICY()->getSymbol()->getTokenIndex(),
                        "expected a policy name after 'policy'");
    }
    if (auto *rb = ctx->RBRACE();
        rb && !TokenMap::is_missing(rb->getSymbol())) {
      out.close_brace = rb->getSymbol()->getTokenIndex();
      p.range = map_.range(ctx->getStart(), rb->getSymbol());
    }
    for (auto *d : ctx->decl())
      add_decl(out, d);
    index_policy(p);
    return out;
  }

  // The head of a policy whose declarations come one at a time (the
  // chunked parse of large valid files): `policy NAME {`.
  BuiltPolicy head(Token *policy_kw, Token *name) {
    BuiltPolicy out;
    out.policy = std::make_unique<Policy>();
    out.policy_token = policy_kw->getTokenIndex();
    out.policy->name = text(name);
    out.policy->name_range = map_.range(name);
    out.policy->range = map_.range(policy_kw);
    return out;
  }

  // Builds one declaration and appends it (a broken one is dropped, or kept
  // as a placeholder, exactly as when the whole policy is built at once).
  void add_decl(BuiltPolicy &out, P::DeclContext *d) {
    if (!d)
      return;
    BuiltDecl built;
    DeclPtr decl;
    try {
      decl = d->exception ? placeholder(d) : this->decl(d, built);
    } catch (const Broken &) {
      decl = placeholder(d);
    }
    if (!decl)
      return;
    built.decl = decl.get();
    built.span = span(d);
    out.policy->decls.push_back(std::move(decl));
    out.decls.push_back(std::move(built));
  }

private:
  // ------------------------------------------------------------ helpers

  std::string text(TerminalNode *n) const { return map_.text(n->getSymbol()); }
  std::string text(Token *t) const { return map_.text(t); }
  SourceRange range(TerminalNode *n) const {
    return map_.range(n->getSymbol());
  }
  SourceRange range(antlr4::ParserRuleContext *c) const {
    return map_.range(c);
  }
  TokenSpan span(antlr4::ParserRuleContext *c) const {
    TokenSpan s;
    if (c->getStart())
      s.first = c->getStart()->getTokenIndex();
    if (c->getStop())
      s.last = c->getStop()->getTokenIndex();
    if (s.last == INVALID_INDEX ||
        (s.first != INVALID_INDEX && s.last < s.first))
      s.last = s.first;
    return s;
  }

  void literal_error(DiagCode code, SourceRange r, std::string message) {
    rep_.diags().report(code, r, std::move(message));
  }

  // ------------------------------------------------------ declarations

  // What is left of a broken constant or set: its name, so that uses of it
  // do not cascade into "unknown name" errors. The value is an error
  // literal (and a set's element type is left empty), which the passes
  // treat as already reported. Other broken declarations are dropped:
  // nothing refers to them.
  DeclPtr placeholder(P::DeclContext *d) {
    TerminalNode *name = nullptr;
    if (auto *c = d->constDecl()) {
      if (!(name = c->IDENT()) || TokenMap::is_missing(name->getSymbol()))
        return nullptr;
      auto out = std::make_unique<ConstDecl>();
      out->name = text(name);
      out->name_range = range(name);
      auto lit = std::make_unique<LiteralExpr>();
      lit->range = out->name_range;
      out->value = std::move(lit);
      out->range = range(d);
      return out;
    }
    if (auto *c = d->setDecl()) {
      auto idents = c->IDENT();
      if (idents.empty() || TokenMap::is_missing(idents[0]->getSymbol()))
        return nullptr;
      auto out = std::make_unique<SetDecl>();
      out->name = text(idents[0]);
      out->name_range = range(idents[0]);
      out->range = range(d);
      return out;
    }
    return nullptr;
  }

  DeclPtr decl(P::DeclContext *d, BuiltDecl &built) {
    DeclPtr out;
    if (auto *c = d->constDecl())
      out = const_decl(c);
    else if (auto *s = d->setDecl())
      out = set_decl(s);
    else if (auto *pr = d->protectDecl())
      out = protect_decl(pr);
    else if (auto *r = d->ruleDecl())
      out = rule_decl(r);
    else if (auto *df = d->defaultDecl())
      out = default_decl(df);
    else if (auto *t = d->testDecl())
      out = test_decl(t, built);
    if (out)
      out->range = range(d);
    return out;
  }

  DeclPtr const_decl(P::ConstDeclContext *c) {
    auto d = std::make_unique<ConstDecl>();
    auto *name = need(c->IDENT());
    d->name = text(name);
    d->name_range = range(name);
    d->value = expr(need(c->expr()));
    return d;
  }

  DeclPtr set_decl(P::SetDeclContext *c) {
    auto d = std::make_unique<SetDecl>();
    auto idents = c->IDENT();
    if (idents.size() < 2)
      throw Broken{};
    d->name = text(idents[0]);
    d->name_range = range(idents[0]);
    d->elem_type_name = text(idents[1]);
    d->elem_range = range(idents[1]);
    for (auto *opt : c->setOption()) {
      if (auto *ttl = dynamic_cast<P::SetTtlContext *>(opt)) {
        auto lit = duration(need(ttl->durationLit()));
        if (d->ttl) {
          rep_.diags().report(DiagCode::E0313, range(opt),
                              "duplicate 'ttl' in set " + quote(d->name));
          continue;
        }
        if (lit)
          d->ttl = std::move(lit);
      } else if (auto *cap = dynamic_cast<P::SetCapacityContext *>(opt)) {
        auto *num = need(cap->numberLit());
        if (d->capacity) {
          rep_.diags().report(DiagCode::E0313, range(opt),
                              "duplicate 'capacity' in set " + quote(d->name));
          continue;
        }
        if (auto v = number(num)) {
          d->capacity = *v;
          d->capacity_range = range(num);
        }
      }
    }
    return d;
  }

  DeclPtr protect_decl(P::ProtectDeclContext *c) {
    auto d = std::make_unique<ProtectDecl>();
    d->cond = expr(need(c->expr()));
    return d;
  }

  static Action action_of(size_t type) {
    switch (type) {
    case P::DROP:
      return Action::Drop;
    case P::COUNT:
      return Action::Count;
    default:
      return Action::Pass;
    }
  }

  DeclPtr rule_decl(P::RuleDeclContext *c) {
    auto d = std::make_unique<RuleDecl>();
    auto *name = need(c->IDENT());
    d->name = text(name);
    d->name_range = range(name);
    d->cond = expr(need(c->expr()));
    auto *act = need(c->ruleAction());
    d->action = action_of(need(act->getStart())->getType());
    d->action_range = range(act);
    bool seen_ttl = false;
    for (auto *m : c->ruleModifier()) {
      if (auto *ttl = dynamic_cast<P::RuleTtlContext *>(m)) {
        auto lit = duration(need(ttl->durationLit()));
        if (seen_ttl) {
          rep_.diags().report(DiagCode::E0311, range(m),
                              "duplicate modifier 'ttl' in rule " +
                                  quote(d->name));
          continue;
        }
        seen_ttl = true;
        if (lit)
          d->ttl = std::move(lit);
      } else if (auto *sh = dynamic_cast<P::RuleShadowContext *>(m)) {
        if (d->shadow) {
          rep_.diags().report(DiagCode::E0311, range(m),
                              "duplicate modifier 'shadow' in rule " +
                                  quote(d->name));
          continue;
        }
        d->shadow = true;
        d->shadow_range = range(need(sh->SHADOW()));
      }
    }
    return d;
  }

  DeclPtr default_decl(P::DefaultDeclContext *c) {
    auto d = std::make_unique<DefaultDecl>();
    if (c->DROP())
      d->action = Action::Drop;
    else if (c->PASS())
      d->action = Action::Pass;
    else
      throw Broken{};
    return d;
  }

  DeclPtr test_decl(P::TestDeclContext *c, BuiltDecl &built) {
    auto d = std::make_unique<TestDecl>();
    auto *name = need(c->stringLit());
    d->name = string_value(name);
    d->name_range = range(name);
    for (auto *pc : c->testPacket()) {
      auto packet = test_packet(need(pc));
      built.packets.push_back({packet.get(), span(pc)});
      d->packets.push_back(std::move(packet));
    }
    return d;
  }

  std::unique_ptr<TestPacket> test_packet(P::TestPacketContext *c) {
    auto p = std::make_unique<TestPacket>();
    p->range = range(c);
    for (auto *a : c->fieldAssign()) {
      TestPacket::Assign assign;
      auto *field = need(need(a)->FIELD());
      assign.field = field_expr(field);
      assign.value = operand(need(a->operand()));
      p->fields.push_back(std::move(assign));
    }
    auto numbers = c->numberLit();
    size_t next_number = 0;
    if (auto *x = c->IDENT()) {
      auto *count = need(numbers.empty() ? nullptr : numbers[0]);
      next_number = 1;
      if (text(x) != "x") {
        rep_.syntax_error(
            DiagCode::E0101, x->getSymbol(), x->getSymbol()->getTokenIndex(),
            "expected 'x' before the repeat count, found " + quote(text(x)));
        throw Broken{};
      }
      if (auto v = number(count))
        p->repeat = *v;
      p->repeat_range = range(count);
      if (auto *w = c->durationLit())
        if (auto lit = duration(w))
          p->within = std::move(lit);
    }
    Token *verdict = need(c->verdict);
    p->expect = verdict->getType() == P::DROP ? Action::Drop : Action::Pass;
    p->expect_range = map_.range(verdict);
    if (auto *op = c->countOp()) {
      switch (need(op->getStart())->getType()) {
      case P::EQ:
        p->count_op = CompareOp::Eq;
        break;
      case P::GE:
        p->count_op = CompareOp::Ge;
        break;
      case P::LE:
        p->count_op = CompareOp::Le;
        break;
      case P::GT:
        p->count_op = CompareOp::Gt;
        break;
      default:
        p->count_op = CompareOp::Lt;
        break;
      }
      auto *count =
          need(next_number < numbers.size() ? numbers[next_number] : nullptr);
      if (auto v = number(count))
        p->count = *v;
      else
        p->count = 0;
    }
    return p;
  }

  // ------------------------------------------------------------ literals

  std::optional<uint64_t> number(P::NumberLitContext *c) {
    Token *t = need(c->getStart());
    auto r = parse_int_literal(text(t));
    if (!r.ok()) {
      literal_error(DiagCode::E0103, map_.range(t), r.error);
      return std::nullopt;
    }
    return std::get<uint64_t>(r.value.v);
  }

  std::optional<DurationLit> duration(P::DurationLitContext *c) {
    Token *t = need(c->getStart());
    if (t->getType() == P::BAD_NUMBER)
      return std::nullopt; // reported by the lexical scan
    auto r = parse_duration_literal(text(t));
    if (!r.ok()) {
      literal_error(DiagCode::E0103, map_.range(t), r.error);
      return std::nullopt;
    }
    DurationLit d;
    d.value = std::get<Duration>(r.value.v);
    d.spelling = text(t);
    d.range = map_.range(t);
    return d;
  }

  std::string string_value(P::StringLitContext *c) {
    Token *t = need(c->getStart());
    std::string raw = text(t);
    std::string body = raw.size() >= 1 ? raw.substr(1) : raw;
    if (t->getType() == P::STRING && !body.empty())
      body.pop_back();
    std::string error;
    std::string value = unescape_string(body, &error);
    if (!error.empty())
      literal_error(DiagCode::E0103, map_.range(t), error);
    return value;
  }

  ExprPtr literal(P::LiteralValueContext *c) {
    Token *t = need(c->getStart());
    auto lit = std::make_unique<LiteralExpr>();
    lit->range = map_.range(t);
    lit->spelling = text(t);
    LiteralResult r;
    switch (t->getType()) {
    case P::TRUE:
      r = LiteralResult::of(TypeKind::Bool, Value{true});
      break;
    case P::FALSE:
      r = LiteralResult::of(TypeKind::Bool, Value{false});
      break;
    case P::INT:
    case P::HEX_INT:
      r = parse_int_literal(lit->spelling);
      break;
    case P::IPV4:
    case P::IPV6:
      r = parse_ip_literal(lit->spelling);
      break;
    case P::MAC:
      r = parse_mac_literal(lit->spelling);
      break;
    case P::DURATION:
      r = parse_duration_literal(lit->spelling);
      break;
    case P::RATE:
      r = parse_rate_literal(lit->spelling);
      break;
    case P::BAD_NUMBER:
      return lit; // reported by the lexical scan; an Error literal
    default:
      throw Broken{};
    }
    if (!r.ok()) {
      literal_error(DiagCode::E0103, lit->range, r.error);
      return lit;
    }
    lit->literal_kind = r.kind;
    lit->value = std::move(r.value);
    return lit;
  }

  // ---------------------------------------------------------- expressions

  std::unique_ptr<FieldExpr> field_expr(TerminalNode *n) {
    auto f = std::make_unique<FieldExpr>();
    f->path = text(n);
    f->range = range(n);
    return f;
  }

  ExprPtr chain(std::vector<ExprPtr> &items, size_t lo, size_t hi,
                BinaryOp op) {
    if (hi - lo == 1)
      return std::move(items[lo]);
    size_t mid = lo + (hi - lo) / 2;
    auto lhs = chain(items, lo, mid, op);
    auto rhs = chain(items, mid, hi, op);
    return binary(op, std::move(lhs), std::move(rhs));
  }

  ExprPtr binary(BinaryOp op, ExprPtr lhs, ExprPtr rhs) {
    auto b = std::make_unique<BinaryExpr>();
    b->op = op;
    b->range = SourceRange{lhs->range.begin, rhs->range.end};
    b->lhs = std::move(lhs);
    b->rhs = std::move(rhs);
    return b;
  }

  ExprPtr fold(std::vector<ExprPtr> items, BinaryOp op) {
    if (items.empty())
      throw Broken{};
    if (items.size() > kMaxLeftChain)
      return chain(items, 0, items.size(), op);
    ExprPtr acc = std::move(items[0]);
    for (size_t i = 1; i < items.size(); ++i)
      acc = binary(op, std::move(acc), std::move(items[i]));
    return acc;
  }

  ExprPtr expr(P::ExprContext *c) {
    std::vector<ExprPtr> items;
    for (auto *a : c->andExpr())
      items.push_back(and_expr(need(a)));
    return fold(std::move(items), BinaryOp::Or);
  }

  ExprPtr and_expr(P::AndExprContext *c) {
    std::vector<ExprPtr> items;
    for (auto *n : c->notExpr())
      items.push_back(not_expr(need(n)));
    return fold(std::move(items), BinaryOp::And);
  }

  ExprPtr not_expr(P::NotExprContext *c) {
    if (auto *n = dynamic_cast<P::NotNotContext *>(c)) {
      auto e = std::make_unique<NotExpr>();
      e->operand = not_expr(need(n->notExpr()));
      e->range =
          SourceRange{range(need(n->NOT())).begin, e->operand->range.end};
      return e;
    }
    auto *cmp = need(dynamic_cast<P::NotCmpContext *>(c));
    return cmp_expr(need(cmp->cmpExpr()));
  }

  ExprPtr cmp_expr(P::CmpExprContext *c) {
    auto operands = c->operand();
    if (operands.size() == 1)
      return operand(need(operands[0]));
    if (operands.size() != 2)
      throw Broken{};
    auto e = std::make_unique<CompareExpr>();
    if (auto *op = c->cmpOp()) {
      e->op_range = range(op);
      switch (need(op->getStart())->getType()) {
      case P::EQ:
        e->op = CompareOp::Eq;
        break;
      case P::NE:
        e->op = CompareOp::Ne;
        break;
      case P::LT:
        e->op = CompareOp::Lt;
        break;
      case P::LE:
        e->op = CompareOp::Le;
        break;
      case P::GT:
        e->op = CompareOp::Gt;
        break;
      default:
        e->op = CompareOp::Ge;
        break;
      }
    } else {
      auto *in = need(c->IN());
      if (auto *n = c->NOT()) {
        e->op = CompareOp::NotIn;
        e->op_range = SourceRange{range(n).begin, range(in).end};
      } else {
        e->op = CompareOp::In;
        e->op_range = range(in);
      }
    }
    e->lhs = operand(need(operands[0]));
    e->rhs = operand(need(operands[1]));
    e->range = SourceRange{e->lhs->range.begin, e->rhs->range.end};
    return e;
  }

  ExprPtr operand(P::OperandContext *c) {
    auto prims = c->primary();
    if (prims.empty())
      throw Broken{};
    if (prims.size() == 1)
      return primary(need(prims[0]));
    auto r = std::make_unique<RangeExpr>();
    r->lo = primary(need(prims[0]));
    r->hi = primary(need(prims[1]));
    r->range = SourceRange{r->lo->range.begin, r->hi->range.end};
    return r;
  }

  ExprPtr primary(P::PrimaryContext *c) {
    if (auto *l = dynamic_cast<P::LiteralPrimaryContext *>(c))
      return literal(need(l->literalValue()));
    if (auto *f = dynamic_cast<P::FieldPrimaryContext *>(c))
      return field_expr(need(f->FIELD()));
    if (auto *n = dynamic_cast<P::NamePrimaryContext *>(c)) {
      auto e = std::make_unique<NameExpr>();
      e->name = text(need(n->IDENT()));
      e->range = range(n->IDENT());
      return e;
    }
    if (auto *s = dynamic_cast<P::SetPrimaryContext *>(c)) {
      auto e = std::make_unique<SetExpr>();
      for (auto *o : s->operand())
        e->elements.push_back(operand(need(o)));
      e->range = range(s);
      return e;
    }
    if (auto *p = dynamic_cast<P::ParenPrimaryContext *>(c)) {
      // The node stands for the parenthesised text: its range includes
      // the parentheses.
      auto e = expr(need(p->expr()));
      e->range = range(p);
      return e;
    }
    if (auto *call = dynamic_cast<P::CallPrimaryContext *>(c))
      return call_expr(call);
    throw Broken{};
  }

  // A call argument that is nothing but a field: `rate(ip.src)`.
  static TerminalNode *bare_field(P::ExprContext *e) {
    if (!e || e->andExpr().size() != 1)
      return nullptr;
    auto *a = e->andExpr(0);
    if (!a || a->notExpr().size() != 1)
      return nullptr;
    auto *n = dynamic_cast<P::NotCmpContext *>(a->notExpr(0));
    if (!n || !n->cmpExpr() || n->cmpExpr()->operand().size() != 1)
      return nullptr;
    auto *o = n->cmpExpr()->operand(0);
    if (!o || o->primary().size() != 1)
      return nullptr;
    auto *f = dynamic_cast<P::FieldPrimaryContext *>(o->primary(0));
    return f ? f->FIELD() : nullptr;
  }

  ExprPtr error_literal(antlr4::ParserRuleContext *c) {
    auto lit = std::make_unique<LiteralExpr>();
    lit->range = range(c);
    lit->spelling = c->getText();
    return lit;
  }

  ExprPtr call_expr(P::CallPrimaryContext *c) {
    auto *fn = need(c->IDENT());
    std::string name = text(fn);
    auto args = c->callArg();
    if (name == "rate") {
      auto e = std::make_unique<RateExpr>();
      e->range = range(c);
      for (auto *arg : args) {
        if (auto *b = dynamic_cast<P::BurstArgContext *>(arg)) {
          auto *num = need(b->numberLit());
          if (e->burst) {
            rep_.diags().report(DiagCode::E0310, range(b),
                                "duplicate 'burst' in rate()");
            continue;
          }
          if (auto v = number(num)) {
            e->burst = *v;
            e->burst_range = range(num);
          }
          continue;
        }
        auto *ea = need(dynamic_cast<P::ExprArgContext *>(arg));
        if (auto *f = bare_field(ea->expr())) {
          if (e->burst)
            rep_.diags().report(DiagCode::E0310, range(ea),
                                "rate() keys come before 'burst'");
          e->keys.push_back(field_expr(f));
        } else {
          rep_.diags().report(
              DiagCode::E0310, range(ea),
              "rate() keys must be packet fields (e.g. 'ip.src'), found " +
                  quote(map_.text(ea->getStart()) +
                        (ea->getStart() != ea->getStop() ? "..." : "")));
        }
      }
      return e;
    }
    if (name == "proto") {
      auto lit = std::make_unique<LiteralExpr>();
      lit->range = range(c);
      Token *num = nullptr;
      if (args.size() == 1)
        if (auto *ea = dynamic_cast<P::ExprArgContext *>(args[0]))
          if (Token *t = ea->getStart();
              t && t == ea->getStop() &&
              (t->getType() == P::INT || t->getType() == P::HEX_INT))
            num = t;
      if (!num) {
        lit->spelling = c->getText();
        rep_.syntax_error(DiagCode::E0101, c->getStart(),
                          c->getStart()->getTokenIndex(),
                          "'proto' takes a protocol number, e.g. 'proto(47)'");
        return lit;
      }
      lit->spelling = "proto(" + map_.text(num) + ")";
      Token *t = num;
      auto r = parse_int_literal(map_.text(t));
      if (!r.ok()) {
        literal_error(DiagCode::E0103, map_.range(t), r.error);
        return lit;
      }
      uint64_t v = std::get<uint64_t>(r.value.v);
      if (v > 255) {
        literal_error(DiagCode::E0103, map_.range(t),
                      "protocol number " + map_.text(t) +
                          " is out of range (0..255)");
        return lit;
      }
      lit->literal_kind = TypeKind::Proto;
      lit->value = Value{ProtoValue{static_cast<uint8_t>(v)}};
      return lit;
    }
    std::vector<Diagnostic::Note> notes;
    std::string best = closest_match(name, {"rate", "proto"});
    if (!best.empty())
      notes.push_back({"did you mean " + quote(best) + "?", range(fn)});
    rep_.syntax_error(
        DiagCode::E0101, fn->getSymbol(), fn->getSymbol()->getTokenIndex(),
        "unknown function " + quote(name) + "; expected 'rate' or 'proto'",
        std::move(notes));
    return error_literal(c);
  }

  SyntaxErrorReporter &rep_;
  const TokenMap &map_;
};

} // namespace

BuiltPolicy build_policy(P::PolicyDeclContext *ctx,
                         SyntaxErrorReporter &reporter) {
  return Builder(reporter).policy(ctx);
}

BuiltPolicy begin_policy(Token *policy_kw, Token *name,
                         SyntaxErrorReporter &reporter) {
  return Builder(reporter).head(policy_kw, name);
}

void add_declaration(BuiltPolicy &policy, P::DeclContext *ctx,
                     SyntaxErrorReporter &reporter) {
  Builder(reporter).add_decl(policy, ctx);
}

void finish_policy(BuiltPolicy &policy, Token *close_brace,
                   SyntaxErrorReporter &reporter) {
  policy.close_brace = close_brace->getTokenIndex();
  policy.policy->range = reporter.map().range(
      reporter.map().stream().get(policy.policy_token), close_brace);
  index_policy(*policy.policy);
}

void index_policy(Policy &p) {
  p.consts.clear();
  p.sets.clear();
  p.protects.clear();
  p.rules.clear();
  p.tests.clear();
  p.default_decl = nullptr;
  for (auto &d : p.decls) {
    switch (d->kind) {
    case DeclKind::Const:
      p.consts.push_back(static_cast<ConstDecl *>(d.get()));
      break;
    case DeclKind::Set:
      p.sets.push_back(static_cast<SetDecl *>(d.get()));
      break;
    case DeclKind::Protect:
      p.protects.push_back(static_cast<ProtectDecl *>(d.get()));
      break;
    case DeclKind::Rule: {
      auto *r = static_cast<RuleDecl *>(d.get());
      r->index = static_cast<uint32_t>(p.rules.size());
      p.rules.push_back(r);
      break;
    }
    case DeclKind::Default:
      // The first one decides; name resolution reports the others (E0206).
      if (!p.default_decl)
        p.default_decl = static_cast<DefaultDecl *>(d.get());
      break;
    case DeclKind::Test:
      p.tests.push_back(static_cast<TestDecl *>(d.get()));
      break;
    }
  }
}

} // namespace psl::frontend
