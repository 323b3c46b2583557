// The one reading of a condition's `and`, `or` and `not`, shared by the
// checks (ConditionBuilder: the condition as boxes) and the lowering
// (lower/normalize: the condition as a Cond tree): `not` goes down to the
// atoms by De Morgan (under a negation `and` reads as `or` and `or` as
// `and`), each atom is read with the polarity it arrives with, a folded
// bool constant is true or false, and operands are read left to right.
// What an atom, a constant and a join become is the reader's; combining
// alternatives is dnf.h's.
//
// A reader R provides
//   using Value = ...;
//   std::optional<Value> constant(bool value);
//   std::optional<Value> atom(const Expr &e, bool negate);
//       anything but and/or/not (and the `not X` below); nullopt stops
//   std::optional<Value> join(bool is_and, Value l, Value r);
//   bool settles(const Value &l, bool is_and);
//       l alone decides (false ∧ ...): the right side is not read
//   bool atomic_not(const NotExpr &n);
//       `not X` is an atom of its own, read by atom() (for the checks'
//       Complement reading of `not tcp.syn`)
#pragma once

#include <optional>
#include <utility>
#include <variant>

#include "ast/ast.h"

namespace psl::analysis {

template <class R>
std::optional<typename R::Value> read_nnf(const Expr &e, bool negate, R &r) {
  if (e.constant)
    if (auto *b = std::get_if<bool>(&e.constant->v))
      return r.constant(*b != negate);
  switch (e.kind) {
  case ExprKind::Binary: {
    const auto &b = static_cast<const BinaryExpr &>(e);
    const bool is_and = (b.op == BinaryOp::And) != negate;
    auto l = read_nnf(*b.lhs, negate, r);
    if (!l)
      return std::nullopt;
    if (r.settles(*l, is_and))
      return l;
    auto rhs = read_nnf(*b.rhs, negate, r);
    if (!rhs)
      return std::nullopt;
    return r.join(is_and, std::move(*l), std::move(*rhs));
  }
  case ExprKind::Not: {
    const auto &n = static_cast<const NotExpr &>(e);
    if (r.atomic_not(n))
      return r.atom(e, negate);
    return read_nnf(*n.operand, !negate, r);
  }
  default:
    return r.atom(e, negate);
  }
}

} // namespace psl::analysis
