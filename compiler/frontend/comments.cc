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
