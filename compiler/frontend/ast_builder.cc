#include "frontend/ast_builder.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <typeinfo>
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

// ------------------------------------------------------- tree navigation
//
// ANTLR's generated accessors (ctx->expr(), ctx->IDENT(), ...) dynamic_cast
// every child on every call; on large policies that was about a tenth of
// `psc check`. These find children by rule index and token type instead. A
// child is a terminal exactly when it is one of the two terminal node
// classes the runtime creates (TerminalNodeImpl, ErrorNodeImpl), and
// otherwise a rule context whose rule index tells which rule. Each returns
// what the generated accessor of the same name would.
//
// Comparing type_info objects costs a strcmp of the type names whenever
// they are two objects (libstdc++ cannot assume one per type across
// libraries), which is every time for a rule context: a few percent of
// parsing a large policy. So each thread remembers, by the address of the
// type_info, what every class it met is; a class is compared by name only
// the first time.
bool is_terminal(antlr4::tree::ParseTree *t) {
  struct Known {
    const std::type_info *type = nullptr;
    bool terminal = false;
  };
  constexpr size_t kSlots = 128; // the grammar has about 50 context classes
  thread_local std::array<Known, kSlots> known;
  thread_local size_t used = 0;
  const std::type_info *type = &typeid(*t);
  size_t at = (reinterpret_cast<uintptr_t>(type) >> 4) % kSlots;
  for (size_t probe = 0; probe < kSlots; ++probe, at = (at + 1) % kSlots) {
    if (known[at].type == type)
      return known[at].terminal;
    if (known[at].type == nullptr)
      break;
  }
  const bool terminal = *type == typeid(antlr4::tree::TerminalNodeImpl) ||
                        *type == typeid(antlr4::tree::ErrorNodeImpl);
  if (known[at].type == nullptr && used < kSlots / 2) {
    known[at] = {type, terminal};
    ++used;
  }
  return terminal;
}

template <typename T>
struct RuleOf;
#define PSL_RULE_OF(CONTEXT, INDEX)                                            \
  template <>                                                                  \
  struct RuleOf<P::CONTEXT> {                                                  \
    static constexpr size_t index = P::INDEX;                                  \
  };
PSL_RULE_OF(ConstDeclContext, RuleConstDecl)
PSL_RULE_OF(SetDeclContext, RuleSetDecl)
PSL_RULE_OF(SetOptionContext, RuleSetOption)
PSL_RULE_OF(ProtectDeclContext, RuleProtectDecl)
PSL_RULE_OF(RuleDeclContext, RuleRuleDecl)
PSL_RULE_OF(RuleActionContext, RuleRuleAction)
PSL_RULE_OF(RuleModifierContext, RuleRuleModifier)
PSL_RULE_OF(DefaultDeclContext, RuleDefaultDecl)
PSL_RULE_OF(TestDeclContext, RuleTestDecl)
PSL_RULE_OF(TestPacketContext, RuleTestPacket)
PSL_RULE_OF(FieldAssignContext, RuleFieldAssign)
PSL_RULE_OF(CountOpContext, RuleCountOp)
PSL_RULE_OF(ExprContext, RuleExpr)
PSL_RULE_OF(AndExprContext, RuleAndExpr)
PSL_RULE_OF(NotExprContext, RuleNotExpr)
PSL_RULE_OF(CmpExprContext, RuleCmpExpr)
PSL_RULE_OF(CmpOpContext, RuleCmpOp)
PSL_RULE_OF(OperandContext, RuleOperand)
PSL_RULE_OF(PrimaryContext, RulePrimary)
PSL_RULE_OF(CallArgContext, RuleCallArg)
PSL_RULE_OF(LiteralValueContext, RuleLiteralValue)
PSL_RULE_OF(DurationLitContext, RuleDurationLit)
PSL_RULE_OF(NumberLitContext, RuleNumberLit)
PSL_RULE_OF(StringLitContext, RuleStringLit)
#undef PSL_RULE_OF

// `t` as a context of rule T, or null.
template <typename T>
T *as_rule(antlr4::tree::ParseTree *t) {
  if (is_terminal(t) ||
      static_cast<antlr4::RuleContext *>(t)->getRuleIndex() != RuleOf<T>::index)
    return nullptr;
  return static_cast<T *>(t);
}

// The i-th child of rule T (ctx->expr(i)), or null.
template <typename T>
T *child(antlr4::ParserRuleContext *c, size_t i = 0) {
  for (auto *ch : c->children)
    if (T *r = as_rule<T>(ch); r && i-- == 0)
      return r;
  return nullptr;
}

// Every child of rule T (ctx->expr()).
template <typename T>
std::vector<T *> children(antlr4::ParserRuleContext *c) {
  std::vector<T *> out;
  for (auto *ch : c->children)
    if (T *r = as_rule<T>(ch))
      out.push_back(r);
  return out;
}

// The i-th terminal child of token type `type` (ctx->IDENT(i)), or null.
TerminalNode *token(antlr4::ParserRuleContext *c, size_t type, size_t i = 0) {
  for (auto *ch : c->children) {
    if (!is_terminal(ch))
      continue;
    auto *t = static_cast<TerminalNode *>(ch);
    if (t->getSymbol()->getType() == type && i-- == 0)
      return t;
  }
  return nullptr;
}

// `c` as the labelled alternative T (dynamic_cast<T *>(c)), or null.
template <typename T, typename Base>
T *alternative(Base *c) {
  return c && typeid(*c) == typeid(T) ? static_cast<T *>(c) : nullptr;
}

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
    if (auto *r = child<P::RuleDeclContext>(d))
      out = rule_decl(r);
    else if (auto *c = child<P::ConstDeclContext>(d))
      out = const_decl(c);
    else if (auto *s = child<P::SetDeclContext>(d))
      out = set_decl(s);
    else if (auto *pr = child<P::ProtectDeclContext>(d))
      out = protect_decl(pr);
    else if (auto *df = child<P::DefaultDeclContext>(d))
      out = default_decl(df);
    else if (auto *t = child<P::TestDeclContext>(d))
      out = test_decl(t, built);
    if (out)
      out->range = range(d);
    return out;
  }

  DeclPtr const_decl(P::ConstDeclContext *c) {
    auto d = std::make_unique<ConstDecl>();
    auto *name = need(token(c, P::IDENT));
    d->name = text(name);
    d->name_range = range(name);
    d->value = expr(need(child<P::ExprContext>(c)));
    return d;
  }

  DeclPtr set_decl(P::SetDeclContext *c) {
    auto d = std::make_unique<SetDecl>();
    TerminalNode *name = token(c, P::IDENT, 0);
    TerminalNode *elem = token(c, P::IDENT, 1);
    if (!name || !elem)
      throw Broken{};
    d->name = text(name);
    d->name_range = range(name);
    d->elem_type_name = text(elem);
    d->elem_range = range(elem);
    for (auto *opt : children<P::SetOptionContext>(c)) {
      if (auto *ttl = alternative<P::SetTtlContext>(opt)) {
        auto lit = duration(need(child<P::DurationLitContext>(ttl)));
        if (d->ttl) {
          rep_.diags().report(DiagCode::E0313, range(opt),
                              "duplicate 'ttl' in set " + quote(d->name));
          continue;
        }
        if (lit)
          d->ttl = std::move(lit);
      } else if (auto *cap = alternative<P::SetCapacityContext>(opt)) {
        auto *num = need(child<P::NumberLitContext>(cap));
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
    d->cond = expr(need(child<P::ExprContext>(c)));
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
    auto *name = need(token(c, P::IDENT));
    d->name = text(name);
    d->name_range = range(name);
    d->cond = expr(need(child<P::ExprContext>(c)));
    auto *act = need(child<P::RuleActionContext>(c));
    d->action = action_of(need(act->getStart())->getType());
    d->action_range = range(act);
    bool seen_ttl = false;
    for (auto *ch : c->children) {
      auto *m = as_rule<P::RuleModifierContext>(ch);
      if (!m)
        continue;
      if (auto *ttl = alternative<P::RuleTtlContext>(m)) {
        auto lit = duration(need(child<P::DurationLitContext>(ttl)));
        if (seen_ttl) {
          rep_.diags().report(DiagCode::E0311, range(m),
                              "duplicate modifier 'ttl' in rule " +
                                  quote(d->name));
          continue;
        }
        seen_ttl = true;
        if (lit)
          d->ttl = std::move(lit);
      } else if (auto *sh = alternative<P::RuleShadowContext>(m)) {
        if (d->shadow) {
          rep_.diags().report(DiagCode::E0311, range(m),
                              "duplicate modifier 'shadow' in rule " +
                                  quote(d->name));
          continue;
        }
        d->shadow = true;
        d->shadow_range = range(need(token(sh, P::SHADOW)));
      }
    }
    return d;
  }

  DeclPtr default_decl(P::DefaultDeclContext *c) {
    auto d = std::make_unique<DefaultDecl>();
    if (token(c, P::DROP))
      d->action = Action::Drop;
    else if (token(c, P::PASS))
      d->action = Action::Pass;
    else
      throw Broken{};
    return d;
  }

  DeclPtr test_decl(P::TestDeclContext *c, BuiltDecl &built) {
    auto d = std::make_unique<TestDecl>();
    auto *name = need(child<P::StringLitContext>(c));
    d->name = string_value(name);
    d->name_range = range(name);
    for (auto *pc : children<P::TestPacketContext>(c)) {
      auto packet = test_packet(need(pc));
      built.packets.push_back({packet.get(), span(pc)});
      d->packets.push_back(std::move(packet));
    }
    return d;
  }

  std::unique_ptr<TestPacket> test_packet(P::TestPacketContext *c) {
    auto p = std::make_unique<TestPacket>();
    p->range = range(c);
    for (auto *a : children<P::FieldAssignContext>(c)) {
      TestPacket::Assign assign;
      auto *field = need(token(need(a), P::FIELD));
      assign.field = field_expr(field);
      assign.value = operand(need(child<P::OperandContext>(a)));
      p->fields.push_back(std::move(assign));
    }
    auto numbers = children<P::NumberLitContext>(c);
    size_t next_number = 0;
    if (auto *x = token(c, P::IDENT)) {
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
      if (auto *w = child<P::DurationLitContext>(c))
        if (auto lit = duration(w))
          p->within = std::move(lit);
    }
    Token *verdict = need(c->verdict);
    p->expect = verdict->getType() == P::DROP ? Action::Drop : Action::Pass;
    p->expect_range = map_.range(verdict);
    if (auto *op = child<P::CountOpContext>(c)) {
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

  // `expr` and `andExpr` are nearly always a single operand: no vector then.
  ExprPtr expr(P::ExprContext *c) {
    if (c->children.size() == 1)
      return and_expr(need(as_rule<P::AndExprContext>(c->children[0])));
    std::vector<ExprPtr> items;
    for (auto *ch : c->children)
      if (auto *a = as_rule<P::AndExprContext>(ch))
        items.push_back(and_expr(a));
    return fold(std::move(items), BinaryOp::Or);
  }

  ExprPtr and_expr(P::AndExprContext *c) {
    if (c->children.size() == 1)
      return not_expr(need(as_rule<P::NotExprContext>(c->children[0])));
    std::vector<ExprPtr> items;
    for (auto *ch : c->children)
      if (auto *n = as_rule<P::NotExprContext>(ch))
        items.push_back(not_expr(n));
    return fold(std::move(items), BinaryOp::And);
  }

  ExprPtr not_expr(P::NotExprContext *c) {
    if (auto *n = alternative<P::NotNotContext>(c)) {
      auto e = std::make_unique<NotExpr>();
      e->operand = not_expr(need(child<P::NotExprContext>(n)));
      e->range = SourceRange{range(need(token(n, P::NOT))).begin,
                             e->operand->range.end};
      return e;
    }
    auto *cmp = need(alternative<P::NotCmpContext>(c));
    return cmp_expr(need(child<P::CmpExprContext>(cmp)));
  }

  ExprPtr cmp_expr(P::CmpExprContext *c) {
    // The children in one pass: operand (cmpOp operand | NOT? IN operand)?
    P::OperandContext *operands[2] = {nullptr, nullptr};
    size_t operand_count = 0;
    P::CmpOpContext *cmp_op = nullptr;
    TerminalNode *not_kw = nullptr, *in_kw = nullptr;
    for (auto *ch : c->children) {
      if (is_terminal(ch)) {
        auto *t = static_cast<TerminalNode *>(ch);
        size_t type = t->getSymbol()->getType();
        if (type == P::NOT && !not_kw)
          not_kw = t;
        else if (type == P::IN && !in_kw)
          in_kw = t;
      } else if (auto *o = as_rule<P::OperandContext>(ch)) {
        if (operand_count < 2)
          operands[operand_count] = o;
        ++operand_count;
      } else if (auto *op = as_rule<P::CmpOpContext>(ch); op && !cmp_op) {
        cmp_op = op;
      }
    }
    if (operand_count == 1)
      return operand(operands[0]);
    if (operand_count != 2)
      throw Broken{};
    auto e = std::make_unique<CompareExpr>();
    if (auto *op = cmp_op) {
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
      auto *in = need(in_kw);
      if (auto *n = not_kw) {
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
    auto *lo = child<P::PrimaryContext>(c, 0);
    if (!lo)
      throw Broken{};
    auto *hi = child<P::PrimaryContext>(c, 1);
    if (!hi)
      return primary(lo);
    auto r = std::make_unique<RangeExpr>();
    r->lo = primary(lo);
    r->hi = primary(hi);
    r->range = SourceRange{r->lo->range.begin, r->hi->range.end};
    return r;
  }

  ExprPtr primary(P::PrimaryContext *c) {
    if (auto *l = alternative<P::LiteralPrimaryContext>(c))
      return literal(need(child<P::LiteralValueContext>(l)));
    if (auto *f = alternative<P::FieldPrimaryContext>(c))
      return field_expr(need(token(f, P::FIELD)));
    if (auto *n = alternative<P::NamePrimaryContext>(c)) {
      auto *ident = need(token(n, P::IDENT));
      auto e = std::make_unique<NameExpr>();
      e->name = text(ident);
      e->range = range(ident);
      return e;
    }
    if (auto *s = alternative<P::SetPrimaryContext>(c)) {
      auto e = std::make_unique<SetExpr>();
      for (auto *ch : s->children)
        if (auto *o = as_rule<P::OperandContext>(ch))
          e->elements.push_back(operand(o));
      e->range = range(s);
      return e;
    }
    if (auto *p = alternative<P::ParenPrimaryContext>(c)) {
      // The node stands for the parenthesised text: its range includes
      // the parentheses.
      auto e = expr(need(child<P::ExprContext>(p)));
      e->range = range(p);
      return e;
    }
    if (auto *call = alternative<P::CallPrimaryContext>(c))
      return call_expr(call);
    throw Broken{};
  }

  // A call argument that is nothing but a field: `rate(ip.src)`.
  static TerminalNode *bare_field(P::ExprContext *e) {
    if (!e || children<P::AndExprContext>(e).size() != 1)
      return nullptr;
    auto *a = child<P::AndExprContext>(e);
    if (!a || children<P::NotExprContext>(a).size() != 1)
      return nullptr;
    auto *n = alternative<P::NotCmpContext>(child<P::NotExprContext>(a));
    auto *cmp = n ? child<P::CmpExprContext>(n) : nullptr;
    if (!cmp || children<P::OperandContext>(cmp).size() != 1)
      return nullptr;
    auto *o = child<P::OperandContext>(cmp);
    if (!o || children<P::PrimaryContext>(o).size() != 1)
      return nullptr;
    auto *f = alternative<P::FieldPrimaryContext>(child<P::PrimaryContext>(o));
    return f ? token(f, P::FIELD) : nullptr;
  }

  ExprPtr error_literal(antlr4::ParserRuleContext *c) {
    auto lit = std::make_unique<LiteralExpr>();
    lit->range = range(c);
    lit->spelling = c->getText();
    return lit;
  }

  ExprPtr call_expr(P::CallPrimaryContext *c) {
    auto *fn = need(token(c, P::IDENT));
    std::string name = text(fn);
    auto args = children<P::CallArgContext>(c);
    if (name == "rate") {
      auto e = std::make_unique<RateExpr>();
      e->range = range(c);
      for (auto *arg : args) {
        if (auto *b = alternative<P::BurstArgContext>(arg)) {
          auto *num = need(child<P::NumberLitContext>(b));
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
        auto *ea = need(alternative<P::ExprArgContext>(arg));
        if (auto *f = bare_field(child<P::ExprContext>(ea))) {
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
        if (auto *ea = alternative<P::ExprArgContext>(args[0]))
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
  finish_policy(policy, close_brace->getTokenIndex(),
                reporter.map().range(close_brace));
}

void finish_policy(BuiltPolicy &policy, size_t close_brace,
                   const SourceRange &close_range) {
  // begin_policy set the range to the `policy` keyword's.
  policy.close_brace = close_brace;
  policy.policy->range.end = close_range.end;
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
