#include "ast/ast.h"

namespace psl {

const char *compare_op_spelling(CompareOp op) {
  switch (op) {
  case CompareOp::Eq:
    return "==";
  case CompareOp::Ne:
    return "!=";
  case CompareOp::Lt:
    return "<";
  case CompareOp::Le:
    return "<=";
  case CompareOp::Gt:
    return ">";
  case CompareOp::Ge:
    return ">=";
  case CompareOp::In:
    return "in";
  case CompareOp::NotIn:
    return "not in";
  }
  return "?";
}

CompareOp mirror_op(CompareOp op) {
  switch (op) {
  case CompareOp::Lt:
    return CompareOp::Gt;
  case CompareOp::Le:
    return CompareOp::Ge;
  case CompareOp::Gt:
    return CompareOp::Lt;
  case CompareOp::Ge:
    return CompareOp::Le;
  default:
    return op;
  }
}

CompareOp negate_op(CompareOp op) {
  switch (op) {
  case CompareOp::Eq:
    return CompareOp::Ne;
  case CompareOp::Ne:
    return CompareOp::Eq;
  case CompareOp::Lt:
    return CompareOp::Ge;
  case CompareOp::Le:
    return CompareOp::Gt;
  case CompareOp::Gt:
    return CompareOp::Le;
  case CompareOp::Ge:
    return CompareOp::Lt;
  case CompareOp::In:
    return CompareOp::NotIn;
  case CompareOp::NotIn:
    return CompareOp::In;
  }
  return op;
}

const char *action_name(Action a) {
  switch (a) {
  case Action::Pass:
    return "pass";
  case Action::Drop:
    return "drop";
  case Action::Count:
    return "count";
  }
  return "?";
}

// ------------------------------------------------------------------ visitor

void Visitor::visit_policy(Policy &p) {
  for (auto &d : p.decls)
    if (d)
      visit_decl(*d);
}

void Visitor::visit_decl(Decl &d) {
  switch (d.kind) {
  case DeclKind::Const:
    return visit(static_cast<ConstDecl &>(d));
  case DeclKind::Set:
    return visit(static_cast<SetDecl &>(d));
  case DeclKind::Protect:
    return visit(static_cast<ProtectDecl &>(d));
  case DeclKind::Rule:
    return visit(static_cast<RuleDecl &>(d));
  case DeclKind::Default:
    return visit(static_cast<DefaultDecl &>(d));
  case DeclKind::Test:
    return visit(static_cast<TestDecl &>(d));
  }
}

void Visitor::visit_expr(Expr &e) {
  switch (e.kind) {
  case ExprKind::Literal:
    return visit(static_cast<LiteralExpr &>(e));
  case ExprKind::Name:
    return visit(static_cast<NameExpr &>(e));
  case ExprKind::Field:
    return visit(static_cast<FieldExpr &>(e));
  case ExprKind::Set:
    return visit(static_cast<SetExpr &>(e));
  case ExprKind::Range:
    return visit(static_cast<RangeExpr &>(e));
  case ExprKind::Not:
    return visit(static_cast<NotExpr &>(e));
  case ExprKind::Binary:
    return visit(static_cast<BinaryExpr &>(e));
  case ExprKind::Compare:
    return visit(static_cast<CompareExpr &>(e));
  case ExprKind::Rate:
    return visit(static_cast<RateExpr &>(e));
  }
}

#define PSL_WALK(child)                                                        \
  do {                                                                         \
    if (child)                                                                 \
      visit_expr(*(child));                                                    \
  } while (0)

void Visitor::visit(SetExpr &e) {
  for (auto &el : e.elements)
    PSL_WALK(el);
}
void Visitor::visit(RangeExpr &e) {
  PSL_WALK(e.lo);
  PSL_WALK(e.hi);
}
void Visitor::visit(NotExpr &e) { PSL_WALK(e.operand); }
void Visitor::visit(BinaryExpr &e) {
  PSL_WALK(e.lhs);
  PSL_WALK(e.rhs);
}
void Visitor::visit(CompareExpr &e) {
  PSL_WALK(e.lhs);
  PSL_WALK(e.rhs);
}
void Visitor::visit(RateExpr &e) {
  for (auto &k : e.keys)
    PSL_WALK(k);
}
void Visitor::visit(ConstDecl &d) { PSL_WALK(d.value); }
void Visitor::visit(ProtectDecl &d) { PSL_WALK(d.cond); }
void Visitor::visit(RuleDecl &d) { PSL_WALK(d.cond); }
void Visitor::visit(TestDecl &d) {
  for (auto &p : d.packets)
    if (p)
      visit(*p);
}
void Visitor::visit(TestPacket &p) {
  for (auto &a : p.fields) {
    PSL_WALK(a.field);
    PSL_WALK(a.value);
  }
}

#undef PSL_WALK

// ----------------------------------------------------------- structural
// equality

namespace {

bool eq(const Expr *a, const Expr *b);

template <typename T>
bool eq_list(const std::vector<std::unique_ptr<T>> &a,
             const std::vector<std::unique_ptr<T>> &b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!eq(a[i].get(), b[i].get()))
      return false;
  return true;
}

bool eq(const Expr *a, const Expr *b) {
  if (!a || !b)
    return a == b;
  if (a->kind != b->kind)
    return false;
  switch (a->kind) {
  case ExprKind::Literal: {
    auto &x = static_cast<const LiteralExpr &>(*a);
    auto &y = static_cast<const LiteralExpr &>(*b);
    return x.literal_kind == y.literal_kind && x.value == y.value;
  }
  case ExprKind::Name:
    return static_cast<const NameExpr &>(*a).name ==
           static_cast<const NameExpr &>(*b).name;
  case ExprKind::Field:
    return static_cast<const FieldExpr &>(*a).path ==
           static_cast<const FieldExpr &>(*b).path;
  case ExprKind::Set:
    return eq_list(static_cast<const SetExpr &>(*a).elements,
                   static_cast<const SetExpr &>(*b).elements);
  case ExprKind::Range: {
    auto &x = static_cast<const RangeExpr &>(*a);
    auto &y = static_cast<const RangeExpr &>(*b);
    return eq(x.lo.get(), y.lo.get()) && eq(x.hi.get(), y.hi.get());
  }
  case ExprKind::Not:
    return eq(static_cast<const NotExpr &>(*a).operand.get(),
              static_cast<const NotExpr &>(*b).operand.get());
  case ExprKind::Binary: {
    auto &x = static_cast<const BinaryExpr &>(*a);
    auto &y = static_cast<const BinaryExpr &>(*b);
    return x.op == y.op && eq(x.lhs.get(), y.lhs.get()) &&
           eq(x.rhs.get(), y.rhs.get());
  }
  case ExprKind::Compare: {
    auto &x = static_cast<const CompareExpr &>(*a);
    auto &y = static_cast<const CompareExpr &>(*b);
    return x.op == y.op && eq(x.lhs.get(), y.lhs.get()) &&
           eq(x.rhs.get(), y.rhs.get());
  }
  case ExprKind::Rate: {
    auto &x = static_cast<const RateExpr &>(*a);
    auto &y = static_cast<const RateExpr &>(*b);
    return x.burst == y.burst && eq_list(x.keys, y.keys);
  }
  }
  return false;
}

bool eq_duration(const std::optional<DurationLit> &a,
                 const std::optional<DurationLit> &b) {
  if (a.has_value() != b.has_value())
    return false;
  return !a || a->value == b->value;
}

bool eq_packet(const TestPacket &a, const TestPacket &b) {
  if (a.fields.size() != b.fields.size() || a.repeat != b.repeat ||
      !eq_duration(a.within, b.within) || a.expect != b.expect ||
      a.count_op != b.count_op || a.count != b.count)
    return false;
  for (size_t i = 0; i < a.fields.size(); ++i)
    if (!eq(a.fields[i].field.get(), b.fields[i].field.get()) ||
        !eq(a.fields[i].value.get(), b.fields[i].value.get()))
      return false;
  return true;
}

bool eq_decl(const Decl &a, const Decl &b) {
  if (a.kind != b.kind)
    return false;
  switch (a.kind) {
  case DeclKind::Const: {
    auto &x = static_cast<const ConstDecl &>(a);
    auto &y = static_cast<const ConstDecl &>(b);
    return x.name == y.name && eq(x.value.get(), y.value.get());
  }
  case DeclKind::Set: {
    auto &x = static_cast<const SetDecl &>(a);
    auto &y = static_cast<const SetDecl &>(b);
    return x.name == y.name && x.elem_type_name == y.elem_type_name &&
           eq_duration(x.ttl, y.ttl) && x.capacity == y.capacity;
  }
  case DeclKind::Protect:
    return eq(static_cast<const ProtectDecl &>(a).cond.get(),
              static_cast<const ProtectDecl &>(b).cond.get());
  case DeclKind::Rule: {
    auto &x = static_cast<const RuleDecl &>(a);
    auto &y = static_cast<const RuleDecl &>(b);
    return x.name == y.name && eq(x.cond.get(), y.cond.get()) &&
           x.action == y.action && eq_duration(x.ttl, y.ttl) &&
           x.shadow == y.shadow;
  }
  case DeclKind::Default:
    return static_cast<const DefaultDecl &>(a).action ==
           static_cast<const DefaultDecl &>(b).action;
  case DeclKind::Test: {
    auto &x = static_cast<const TestDecl &>(a);
    auto &y = static_cast<const TestDecl &>(b);
    if (x.name != y.name || x.packets.size() != y.packets.size())
      return false;
    for (size_t i = 0; i < x.packets.size(); ++i)
      if (!eq_packet(*x.packets[i], *y.packets[i]))
        return false;
    return true;
  }
  }
  return false;
}

} // namespace

bool ast_equal(const Policy &a, const Policy &b) {
  if (a.name != b.name || a.decls.size() != b.decls.size())
    return false;
  for (size_t i = 0; i < a.decls.size(); ++i) {
    if (!a.decls[i] || !b.decls[i]) {
      if (a.decls[i] != b.decls[i])
        return false;
      continue;
    }
    if (!eq_decl(*a.decls[i], *b.decls[i]))
      return false;
  }
  return true;
}

} // namespace psl
