#include "frontend/comments.h"

#include <algorithm>

#include "PolicyParser.h"

namespace psl::frontend {
namespace {

using P = psl_antlr::PolicyParser;
using antlr4::Token;

Comment make_comment(const TokenMap &map, const Token *t) {
  Comment c;
  c.range = map.range(t);
  c.text = map.text(t);
  // Own line: nothing but blanks between the line start and the '#'.
  const std::string &src = map.file().text();
  size_t start = t->getStartIndex();
  size_t line_start = start - std::min(start, t->getCharPositionInLine());
  c.own_line = true;
  for (size_t i = line_start; i < start; ++i)
    if (src[i] != ' ' && src[i] != '\t' && src[i] != '\r' && src[i] != '\f')
      c.own_line = false;
  return c;
}

// The first item whose span ends after `index` (it contains the comment or
// comes after it), or null.
template <typename Item>
Item *next_item(std::vector<Item> &items, size_t index) {
  auto it = std::upper_bound(
      items.begin(), items.end(), index,
      [](size_t i, const Item &item) { return i < item.span.last; });
  return it == items.end() ? nullptr : &*it;
}

// The item whose span ends exactly at token `index`, or null.
template <typename Item>
Item *item_ending_at(std::vector<Item> &items, size_t index) {
  auto it = std::lower_bound(
      items.begin(), items.end(), index,
      [](const Item &item, size_t i) { return item.span.last < i; });
  return it != items.end() && it->span.last == index ? &*it : nullptr;
}

bool before(const SourceLoc &a, const SourceLoc &b) {
  return a.line < b.line || (a.line == b.line && a.column < b.column);
}

bool holds(const SourceRange &r, const SourceLoc &at) {
  return r.valid() && !before(at, r.begin) && !before(r.end, at);
}

// The innermost set literal of `e` whose braces hold `at`, or null.
SetExpr *set_holding(Expr *e, const SourceLoc &at) {
  if (!e || !holds(e->range, at))
    return nullptr;
  auto first_of = [&](std::initializer_list<Expr *> children) -> SetExpr * {
    for (Expr *c : children)
      if (SetExpr *s = set_holding(c, at))
        return s;
    return nullptr;
  };
  switch (e->kind) {
  case ExprKind::Set: {
    auto &set = static_cast<SetExpr &>(*e);
    for (auto &el : set.elements)
      if (SetExpr *s = set_holding(el.get(), at))
        return s;
    return &set;
  }
  case ExprKind::Range: {
    auto &r = static_cast<RangeExpr &>(*e);
    return first_of({r.lo.get(), r.hi.get()});
  }
  case ExprKind::Not:
    return set_holding(static_cast<NotExpr &>(*e).operand.get(), at);
  case ExprKind::Binary: {
    auto &b = static_cast<BinaryExpr &>(*e);
    return first_of({b.lhs.get(), b.rhs.get()});
  }
  case ExprKind::Compare: {
    auto &c = static_cast<CompareExpr &>(*e);
    return first_of({c.lhs.get(), c.rhs.get()});
  }
  default:
    return nullptr;
  }
}

// The set literal of a declaration's expression whose braces hold `at`.
SetExpr *set_holding(Decl &d, const SourceLoc &at) {
  switch (d.kind) {
  case DeclKind::Const:
    return set_holding(static_cast<ConstDecl &>(d).value.get(), at);
  case DeclKind::Rule:
    return set_holding(static_cast<RuleDecl &>(d).cond.get(), at);
  case DeclKind::Protect:
    return set_holding(static_cast<ProtectDecl &>(d).cond.get(), at);
  default:
    return nullptr;
  }
}

// Keeps a comment inside a set's braces with the element it annotates:
// after an element on its line, the element's; on its own line, the next
// element's; after the last element, the set's.
void attach_to_set(SetExpr &set, Comment c) {
  const size_t n = set.elements.size();
  set.element_leading.resize(n);
  set.element_trailing.resize(n);
  const SourceLoc at = c.range.begin;
  if (!c.own_line)
    for (size_t k = n; k-- > 0;) {
      const SourceRange &r = set.elements[k]->range;
      if (r.end.line == at.line && !before(at, r.end)) {
        if (!set.element_trailing[k]) {
          set.element_trailing[k] = std::move(c);
          return;
        }
        break;
      }
    }
  for (size_t k = 0; k < n; ++k)
    if (before(at, set.elements[k]->range.begin)) {
      set.element_leading[k].push_back(std::move(c));
      return;
    }
  set.trailing_inner.push_back(std::move(c));
}

} // namespace

std::vector<CommentToken> collect_comments(const TokenMap &map) {
  std::vector<CommentToken> out;
  auto &tokens = map.stream();
  for (size_t i = 0; i < tokens.size(); ++i) {
    Token *t = tokens.get(i);
    if (t->getType() != P::COMMENT)
      continue;
    CommentToken c;
    c.comment = make_comment(map, t);
    c.index = i;
    if (Token *prev = map.previous_default(i)) {
      c.prev_index = prev->getTokenIndex();
      c.same_line_as_prev = prev->getLine() == t->getLine();
    }
    out.push_back(std::move(c));
  }
  return out;
}

void attach_comments(Module &module, BuiltPolicy *built, const TokenMap &map) {
  attach_comments(module, built, collect_comments(map));
}

void attach_comments(Module &module, BuiltPolicy *built,
                     std::vector<CommentToken> comments) {
  for (CommentToken &ct : comments) {
    const size_t i = ct.index;
    Comment &c = ct.comment;
    if (!built || !built->policy || built->policy_token == INVALID_INDEX ||
        i < built->policy_token) {
      module.header_comments.push_back(std::move(c));
      continue;
    }
    if (built->close_brace != INVALID_INDEX && i > built->close_brace) {
      module.footer_comments.push_back(std::move(c));
      continue;
    }
    Policy &policy = *built->policy;
    const bool same_line_as_prev = ct.same_line_as_prev;

    // At the end of a declaration's last line.
    if (same_line_as_prev) {
      if (BuiltDecl *d = item_ending_at(built->decls, ct.prev_index)) {
        if (!d->decl->trailing_comment) {
          d->decl->trailing_comment = std::move(c);
          continue;
        }
      }
    }
    BuiltDecl *d = next_item(built->decls, i);
    if (!d) {
      policy.trailing_inner_comments.push_back(std::move(c));
      continue;
    }
    bool inside = d->span.first < i;
    if (inside && d->decl->kind != DeclKind::Test)
      if (SetExpr *set = set_holding(*d->decl, c.range.begin)) {
        attach_to_set(*set, std::move(c));
        continue;
      }
    if (!inside || d->decl->kind != DeclKind::Test) {
      // Before the declaration, or inside a (multi-line) one: printed
      // before it.
      d->decl->leading_comments.push_back(std::move(c));
      continue;
    }
    // Inside a test: the same rules one level down, for its packets.
    auto &test = static_cast<TestDecl &>(*d->decl);
    if (same_line_as_prev) {
      if (BuiltPacket *p = item_ending_at(d->packets, ct.prev_index)) {
        if (!p->packet->trailing_comment) {
          p->packet->trailing_comment = std::move(c);
          continue;
        }
      }
    }
    if (BuiltPacket *p = next_item(d->packets, i))
      p->packet->leading_comments.push_back(std::move(c));
    else
      test.trailing_inner_comments.push_back(std::move(c));
  }
}

} // namespace psl::frontend
