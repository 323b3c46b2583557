#include "govern/operator_policy.h"

#include <algorithm>
#include <vector>

#include "govern/const_uses.h"

namespace psr::govern {

namespace {

// Whether a protect condition tests nothing but ip.src and ip.dst against
// constants.
class AddressOnly : public psl::Visitor {
public:
  bool ok = true;
  void visit(psl::FieldExpr &e) override {
    ok = ok && (e.path == "ip.src" || e.path == "ip.dst");
  }
  void visit(psl::RateExpr &) override { ok = false; }
  void visit(psl::NameExpr &e) override {
    ok = ok && e.target != psl::NameExpr::Target::Set;
  }
};

bool blank(const std::string &text, size_t from, size_t to) {
  for (size_t i = from; i < to; ++i)
    if (text[i] != ' ' && text[i] != '\t')
      return false;
  return true;
}

} // namespace

bool reserved_rule_name(const std::string &name) {
  return name.rfind("detector_", 0) == 0 || name.rfind("llm_", 0) == 0;
}

OperatorLoad load_operator_policy(std::string path, std::string text) {
  OperatorLoad out;
  auto checked = std::make_shared<psl::CheckedModule>(
      psl::check_source(path.empty() ? "<operator policy>" : path, text));
  out.diagnostics = render_diagnostics(checked->diags);
  if (!checked->ok()) {
    const psl::Diagnostic *e = first_error(checked->diags);
    out.message = "the operator policy does not check" +
                  (e ? ": " + e->message : std::string());
    return out;
  }
  auto op = std::make_shared<OperatorPolicy>();
  op->path = std::move(path);
  op->text = std::move(text);
  const psl::Policy &p = *checked->module.policy;
  const psl::SourceFile &file = checked->diags.file();
  for (const psl::RuleDecl *r : p.rules) {
    if (reserved_rule_name(r->name)) {
      out.message = "rule '" + r->name + "' of the operator policy (" +
                    file.path() + ":" + std::to_string(r->range.begin.line) +
                    ") has a name reserved for generated rules (detector_, "
                    "llm_): rename it";
      return out;
    }
    op->names.insert(r->name);
  }
  for (const psl::ConstDecl *c : p.consts)
    op->names.insert(c->name);
  for (const psl::SetDecl *s : p.sets)
    op->names.insert(s->name);

  // The protects and what they use, in the policy's order: all of them,
  // and those that test addresses only.
  auto protects_as_text = [&](bool addresses_only) {
    std::set<const psl::ProtectDecl *> chosen;
    ConstUses uses;
    for (psl::ProtectDecl *pd : p.protects) {
      AddressOnly a;
      a.visit_expr(*pd->cond);
      if (addresses_only && !a.ok)
        continue;
      chosen.insert(pd);
      uses.visit_decl(*pd);
      if (addresses_only)
        op->source_protects.push_back(slice(file, pd->cond->range));
    }
    std::string text;
    for (const auto &d : p.decls) {
      const bool wanted =
          (d->kind == psl::DeclKind::Protect &&
           chosen.count(static_cast<const psl::ProtectDecl *>(d.get()))) ||
          (d->kind == psl::DeclKind::Const &&
           uses.found.count(static_cast<const psl::ConstDecl *>(d.get())));
      if (wanted)
        text += "  " + slice(file, d->range) + "\n";
    }
    return text;
  };
  op->protect_text = protects_as_text(false);
  op->source_protect_text = protects_as_text(true);

  // Where generated rules go.
  const psl::Decl *first = nullptr;
  if (!p.rules.empty())
    first = p.rules.front();
  else if (p.default_decl != nullptr)
    first = p.default_decl;
  else if (!p.tests.empty())
    first = p.tests.front();
  // (a default after the tests: whichever comes first)
  if (p.rules.empty() && p.default_decl != nullptr && !p.tests.empty() &&
      offset_of(file, p.tests.front()->range.begin) <
          offset_of(file, p.default_decl->range.begin))
    first = p.tests.front();
  size_t at = 0;
  if (first != nullptr) {
    psl::SourceLoc begin = first->range.begin;
    for (const psl::Comment &c : first->leading_comments)
      if (c.own_line && c.range.valid()) {
        begin = c.range.begin;
        break;
      }
    at = offset_of(file, begin);
  } else {
    at = offset_of(file, p.range.end) - 1; // the closing brace
  }
  const std::string &t = op->text;
  const size_t line_start = t.rfind('\n', at == 0 ? 0 : at - 1);
  const size_t ls =
      line_start == std::string::npos || at == 0 ? 0 : line_start + 1;
  if (blank(t, ls, at)) {
    op->insert_at = ls;
    op->insert_on_own_line = true;
  } else {
    op->insert_at = at;
    op->insert_on_own_line = false;
  }
  op->checked = std::move(checked);
  out.policy = std::move(op);
  return out;
}

} // namespace psr::govern
