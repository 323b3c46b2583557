// The constants an expression names, and those their values name: what a
// governor check must look through to see the values a rule really tests.
#pragma once

#include <set>

#include "ast/ast.h"

namespace psr::govern {

class ConstUses : public psl::Visitor {
public:
  std::set<const psl::ConstDecl *> found;
  void visit(psl::NameExpr &e) override {
    if (e.target != psl::NameExpr::Target::Const || e.decl == nullptr)
      return;
    auto *c = dynamic_cast<const psl::ConstDecl *>(e.decl);
    if (c == nullptr || !found.insert(c).second)
      return;
    if (c->value)
      visit_expr(*c->value);
  }
};

} // namespace psr::govern
