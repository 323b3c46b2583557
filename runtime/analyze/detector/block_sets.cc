#include "analyze/detector/block_sets.h"

namespace psr::analyze {

namespace {

// The set `cond` is `ip.src in SET` of, or null.
const psl::SetDecl *source_set(const psl::Expr &cond) {
  if (cond.kind != psl::ExprKind::Compare)
    return nullptr;
  const auto &cmp = psl::as<psl::CompareExpr>(cond);
  if (cmp.op != psl::CompareOp::In || !cmp.lhs || !cmp.rhs ||
      cmp.lhs->kind != psl::ExprKind::Field ||
      cmp.rhs->kind != psl::ExprKind::Name)
    return nullptr;
  if (psl::as<psl::FieldExpr>(*cmp.lhs).path != "ip.src")
    return nullptr;
  const auto &name = psl::as<psl::NameExpr>(*cmp.rhs);
  if (name.target != psl::NameExpr::Target::Set || name.decl == nullptr ||
      name.decl->kind != psl::DeclKind::Set)
    return nullptr;
  const auto &set = psl::as<psl::SetDecl>(*name.decl);
  return set.elem == psl::TypeKind::Ip ? &set : nullptr;
}

} // namespace

std::vector<BlockSet> find_block_sets(const psl::Policy &policy) {
  std::vector<BlockSet> out;
  std::vector<std::string> passes;
  for (const psl::RuleDecl *r : policy.rules) {
    if (r->action == psl::Action::Pass && !r->shadow)
      passes.push_back(r->name);
    if (r->action != psl::Action::Drop || r->shadow || r->ttl || !r->cond)
      continue;
    const psl::SetDecl *set = source_set(*r->cond);
    if (set == nullptr)
      continue;
    bool known = false;
    for (const BlockSet &b : out)
      known = known || b.name == set->name;
    if (!known)
      out.push_back({set->name, r->name, passes});
  }
  return out;
}

} // namespace psr::analyze
