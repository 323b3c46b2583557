#include "analyze/llm/operator_view.h"

#include <algorithm>
#include <functional>

#include "ast/ast.h"
#include "driver.h"
#include "report/report.h"

namespace psr::analyze::llm {

using psl::backend::Error;
using psl::backend::Expected;

namespace {

size_t offset_of(const psl::SourceFile &f, psl::SourceLoc loc) {
  std::string_view line = f.line(loc.line);
  return static_cast<size_t>(line.data() - f.text().data()) + loc.column - 1;
}

// The text of `e` with each name of a constant replaced by the constant's
// value; false (and `dynamic` set) if it names a dynamic set.
bool inline_constants(const psl::SourceFile &file, const psl::Expr &e,
                      std::string &out) {
  struct Replace {
    size_t begin, end;
    std::string text;
  };
  std::vector<Replace> reps;
  bool dynamic = false;
  std::function<void(const psl::Expr &)> walk = [&](const psl::Expr &x) {
    switch (x.kind) {
    case psl::ExprKind::Name: {
      const auto &n = static_cast<const psl::NameExpr &>(x);
      if (n.target == psl::NameExpr::Target::Set)
        dynamic = true;
      if (n.target == psl::NameExpr::Target::Const && n.decl) {
        const auto &c = static_cast<const psl::ConstDecl &>(*n.decl);
        if (c.folded)
          reps.push_back({offset_of(file, x.range.begin),
                          offset_of(file, x.range.end),
                          psl::value_to_string(*c.folded, c.type)});
      }
      return;
    }
    case psl::ExprKind::Set:
      for (const auto &el : static_cast<const psl::SetExpr &>(x).elements)
        walk(*el);
      return;
    case psl::ExprKind::Range: {
      const auto &r = static_cast<const psl::RangeExpr &>(x);
      walk(*r.lo);
      walk(*r.hi);
      return;
    }
    case psl::ExprKind::Not:
      walk(*static_cast<const psl::NotExpr &>(x).operand);
      return;
    case psl::ExprKind::Binary: {
      const auto &b = static_cast<const psl::BinaryExpr &>(x);
      walk(*b.lhs);
      walk(*b.rhs);
      return;
    }
    case psl::ExprKind::Compare: {
      const auto &c = static_cast<const psl::CompareExpr &>(x);
      walk(*c.lhs);
      walk(*c.rhs);
      return;
    }
    default:
      return;
    }
  };
  walk(e);
  size_t begin = offset_of(file, e.range.begin);
  size_t end = offset_of(file, e.range.end);
  std::sort(reps.begin(), reps.end(), [](const Replace &a, const Replace &b) {
    return a.begin < b.begin;
  });
  out.clear();
  size_t at = begin;
  for (const Replace &r : reps) {
    out += file.text().substr(at, r.begin - at);
    out += r.text;
    at = r.end;
  }
  out += file.text().substr(at, end - at);
  // One line: a protect written over several lines reads the same.
  std::string flat;
  bool space = false;
  for (char c : out) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = true;
      continue;
    }
    if (space && !flat.empty())
      flat += ' ';
    space = false;
    flat += c;
  }
  out = flat;
  return !dynamic;
}

} // namespace

Expected<OperatorView> read_operator_policy(const std::string &path,
                                            const std::string &text) {
  psl::CheckedModule m = psl::check_source(path, text);
  if (!m.ok()) {
    psl::FileReport report{m.diags.file_ptr(), m.diags.diagnostics()};
    return Error("the operator policy '" + path + "' does not check", 0,
                 psl::render_text(report));
  }
  const psl::Policy &p = *m.module.policy;
  OperatorView v;
  v.policy = p.name;
  for (const psl::ConstDecl *c : p.consts)
    v.names.push_back(c->name);
  for (const psl::SetDecl *s : p.sets) {
    v.names.push_back(s->name);
    v.dynamic_sets.push_back(s->name + " : " + s->elem_type_name);
  }
  for (const psl::RuleDecl *r : p.rules)
    v.names.push_back(r->name);
  for (const psl::ProtectDecl *pr : p.protects) {
    std::string cond;
    if (inline_constants(m.diags.file(), *pr->cond, cond))
      v.protects.push_back(cond);
    else
      v.runtime_protects.push_back(cond);
  }
  return v;
}

} // namespace psr::analyze::llm
