#include "fmt/printer.h"

#include <algorithm>
#include <string_view>

namespace psl {
namespace {

// Binding strength, loosest first. A child printed where a stronger
// expression is required gets parentheses; nothing else does.
enum Prec : int {
  kPrecOr = 1,
  kPrecAnd = 2,
  kPrecNot = 3,
  kPrecCompare = 4,
  kPrecRange = 5,   // lo..hi: an operand of `in` or a set element
  kPrecPrimary = 6, // literals, names, fields, sets, rate(...)
};

int precedence(const Expr &e) {
  switch (e.kind) {
  case ExprKind::Binary:
    return as<BinaryExpr>(e).op == BinaryOp::Or ? kPrecOr : kPrecAnd;
  case ExprKind::Not:
    return kPrecNot;
  case ExprKind::Compare:
    return kPrecCompare;
  case ExprKind::Range:
    return kPrecRange;
  case ExprKind::Literal:
  case ExprKind::Name:
  case ExprKind::Field:
  case ExprKind::Set:
  case ExprKind::Rate:
    return kPrecPrimary;
  }
  throw InternalError("fmt: unknown expression kind");
}

// `indent`: the indentation (in steps of two spaces) of the line the
// expression starts on, for a set printed one element per line.
void print_expr(const Expr &e, int min_prec, std::string &out, int indent);

void print_child(const Expr *e, int min_prec, std::string &out,
                 int indent = 0) {
  if (!e)
    throw InternalError("fmt: expression without an operand");
  print_expr(*e, min_prec, out, indent);
}

// A set is printed one element per line when it was written over several
// lines (a long list stays a list, not one 9,000-character line) or holds
// comments, which then stay on their element's line.
bool one_per_line(const SetExpr &set) {
  return set.has_comments() ||
         (set.range.valid() && set.range.end.line > set.range.begin.line &&
          set.elements.size() > 1);
}

void print_set_lines(const SetExpr &set, std::string &out, int indent) {
  const std::string pad(static_cast<size_t>(indent + 1) * 2, ' ');
  out += "{\n";
  for (size_t i = 0; i < set.elements.size(); ++i) {
    if (i < set.element_leading.size())
      for (const Comment &c : set.element_leading[i])
        out += pad + c.text + "\n";
    out += pad;
    print_child(set.elements[i].get(), kPrecRange, out, indent + 1);
    if (i + 1 < set.elements.size())
      out += ',';
    if (i < set.element_trailing.size() && set.element_trailing[i])
      out += "  " + set.element_trailing[i]->text;
    out += '\n';
  }
  for (const Comment &c : set.trailing_inner)
    out += pad + c.text + "\n";
  out.append(static_cast<size_t>(indent) * 2, ' ');
  out += '}';
}

void print_expr(const Expr &e, int min_prec, std::string &out, int indent) {
  const bool parens = precedence(e) < min_prec;
  if (parens)
    out += '(';
  switch (e.kind) {
  case ExprKind::Literal: {
    const auto &lit = as<LiteralExpr>(e);
    out += lit.spelling.empty()
               ? value_to_string(lit.value, Type::of(lit.literal_kind))
               : lit.spelling;
    break;
  }
  case ExprKind::Name:
    out += as<NameExpr>(e).name;
    break;
  case ExprKind::Field:
    out += as<FieldExpr>(e).path;
    break;
  case ExprKind::Set: {
    const auto &set = as<SetExpr>(e);
    if (set.elements.empty() && set.trailing_inner.empty()) {
      out += "{}";
      break;
    }
    if (one_per_line(set)) {
      print_set_lines(set, out, indent);
      break;
    }
    out += "{ ";
    for (size_t i = 0; i < set.elements.size(); ++i) {
      if (i)
        out += ", ";
      print_child(set.elements[i].get(), kPrecRange, out, indent);
    }
    out += " }";
    break;
  }
  case ExprKind::Range: {
    const auto &r = as<RangeExpr>(e);
    print_child(r.lo.get(), kPrecPrimary, out, indent);
    out += "..";
    print_child(r.hi.get(), kPrecPrimary, out, indent);
    break;
  }
  case ExprKind::Not:
    out += "not ";
    print_child(as<NotExpr>(e).operand.get(), kPrecNot, out, indent);
    break;
  case ExprKind::Binary: {
    const auto &b = as<BinaryExpr>(e);
    const int p = precedence(b);
    // Left-associative: a right operand of the same strength keeps its
    // parentheses so the tree (and ast_equal) is unchanged.
    print_child(b.lhs.get(), p, out, indent);
    out += b.op == BinaryOp::Or ? " or " : " and ";
    print_child(b.rhs.get(), p + 1, out, indent);
    break;
  }
  case ExprKind::Compare: {
    const auto &c = as<CompareExpr>(e);
    print_child(c.lhs.get(), kPrecRange, out, indent);
    out += ' ';
    out += compare_op_spelling(c.op);
    out += ' ';
    print_child(c.rhs.get(), kPrecRange, out, indent);
    break;
  }
  case ExprKind::Rate: {
    const auto &r = as<RateExpr>(e);
    out += "rate(";
    for (size_t i = 0; i < r.keys.size(); ++i) {
      if (i)
        out += ", ";
      print_child(r.keys[i].get(), kPrecPrimary, out, indent);
    }
    if (r.burst) {
      if (!r.keys.empty())
        out += ", ";
      out += "burst ";
      out += std::to_string(*r.burst);
    }
    out += ')';
    break;
  }
  }
  if (parens)
    out += ')';
}

std::string duration_text(const DurationLit &d) {
  if (!d.spelling.empty())
    return d.spelling;
  Value v;
  v.v = d.value;
  return value_to_string(v, Type::of(TypeKind::Duration));
}

// Writes lines with indentation and decides where blank lines go: one
// blank line between two items whose source lines had at least one blank
// line between them, none at the start or end of a block.
class Printer {
public:
  explicit Printer(const SourceFile *file) : file_(file) {}

  std::string take() { return std::move(out_); }

  void module(const Module &m) {
    for (const Comment &c : m.header_comments)
      comment_line(c);
    if (m.policy)
      policy(*m.policy, m.footer_comments);
    else
      for (const Comment &c : m.footer_comments)
        comment_line(c);
  }

private:
  void policy(const Policy &p, const std::vector<Comment> &footer) {
    std::string opener = "policy " + p.name + " {";
    const Comment *same_line =
        first_block_comment(p.decls, p.trailing_inner_comments);
    line(opener, p.range.begin.line, p.name_range.begin.line, same_line);
    block_start();
    ++indent_;
    for (const DeclPtr &d : p.decls)
      decl(*d);
    inner_comments(p.trailing_inner_comments);
    --indent_;
    const Comment *closing = nullptr;
    size_t footer_from = 0;
    if (!footer.empty() && !footer.front().own_line) {
      closing = &footer.front();
      footer_from = 1;
    }
    block_end();
    line("}", p.range.end.line, p.range.end.line, closing);
    for (size_t i = footer_from; i < footer.size(); ++i)
      comment_line(footer[i]);
  }

  // The comment that sits on a block's opening line (`policy p {  # x`):
  // the block's first comment when it does not stand on its own line and
  // comes before the first item (a comment inside a multi-line first
  // declaration is one of its leading comments too, and stays above it).
  template <typename Items>
  const Comment *first_block_comment(const Items &items,
                                     const std::vector<Comment> &inner) {
    const Comment *first = nullptr;
    if (!items.empty()) {
      const auto &item = *items.front();
      if (!item.leading_comments.empty()) {
        first = &item.leading_comments.front();
        uint32_t item_line = item.range.begin.line;
        if (item_line != 0 && first->range.begin.line >= item_line)
          first = nullptr;
      }
    } else if (!inner.empty()) {
      first = &inner.front();
    }
    if (first && !first->own_line) {
      opener_comment_ = first;
      return first;
    }
    return nullptr;
  }

  void leading(const std::vector<Comment> &comments) {
    for (const Comment &c : comments)
      if (&c != opener_comment_)
        comment_line(c);
  }

  void inner_comments(const std::vector<Comment> &comments) {
    leading(comments);
  }

  void decl(const Decl &d) {
    leading(d.leading_comments);
    const Comment *trailing =
        d.trailing_comment ? &*d.trailing_comment : nullptr;
    switch (d.kind) {
    case DeclKind::Const: {
      const auto &c = as<ConstDecl>(d);
      std::string text = "const " + c.name + " = ";
      print_child(c.value.get(), 0, text, indent_);
      line(text, d.range.begin.line, d.range.end.line, trailing);
      break;
    }
    case DeclKind::Set: {
      const auto &s = as<SetDecl>(d);
      std::string text =
          "set " + s.name + " : " + s.elem_type_name + " dynamic";
      if (s.ttl)
        text += " ttl " + duration_text(*s.ttl);
      if (s.capacity)
        text += " capacity " + std::to_string(*s.capacity);
      line(text, d.range.begin.line, d.range.end.line, trailing);
      break;
    }
    case DeclKind::Protect: {
      std::string text = "protect ";
      print_child(as<ProtectDecl>(d).cond.get(), 0, text, indent_);
      line(text, d.range.begin.line, d.range.end.line, trailing);
      break;
    }
    case DeclKind::Rule: {
      const auto &r = as<RuleDecl>(d);
      std::string text = "rule " + r.name + ": ";
      print_child(r.cond.get(), 0, text, indent_);
      text += " => ";
      text += action_name(r.action);
      if (r.ttl)
        text += " ttl " + duration_text(*r.ttl);
      if (r.shadow)
        text += " shadow";
      line(text, d.range.begin.line, d.range.end.line, trailing);
      break;
    }
    case DeclKind::Default:
      line(std::string("default ") + action_name(as<DefaultDecl>(d).action),
           d.range.begin.line, d.range.end.line, trailing);
      break;
    case DeclKind::Test:
      test(as<TestDecl>(d));
      break;
    }
  }

  void test(const TestDecl &t) {
    const Comment *same_line =
        first_block_comment(t.packets, t.trailing_inner_comments);
    line("test " + quote_string(t.name) + " {", t.range.begin.line,
         t.name_range.begin.line ? t.name_range.begin.line : t.range.begin.line,
         same_line);
    block_start();
    ++indent_;
    for (const auto &p : t.packets)
      packet(*p);
    inner_comments(t.trailing_inner_comments);
    --indent_;
    block_end();
    line("}", t.range.end.line, t.range.end.line,
         t.trailing_comment ? &*t.trailing_comment : nullptr);
  }

  void packet(const TestPacket &p) {
    leading(p.leading_comments);
    std::string text = "packet {";
    if (!p.fields.empty()) {
      text += ' ';
      for (size_t i = 0; i < p.fields.size(); ++i) {
        if (i)
          text += ", ";
        print_child(p.fields[i].field.get(), kPrecPrimary, text);
        text += " = ";
        // The grammar takes an operand here (a primary or a range).
        print_child(p.fields[i].value.get(), kPrecRange, text);
      }
      text += ' ';
    }
    text += '}';
    if (p.repeat) {
      text += " x " + std::to_string(*p.repeat);
      if (p.within)
        text += " within " + duration_text(*p.within);
    }
    text += " => ";
    text += action_name(p.expect);
    if (p.count_op && p.count) {
      text += ' ';
      text += compare_op_spelling(*p.count_op);
      text += ' ';
      text += std::to_string(*p.count);
    }
    line(text, p.range.begin.line, p.range.end.line,
         p.trailing_comment ? &*p.trailing_comment : nullptr);
  }

  void comment_line(const Comment &c) {
    line(c.text, c.range.begin.line, c.range.begin.line, nullptr);
  }

  // One output line for a source item spanning lines first..last (0 when
  // unknown), with an optional comment after it.
  void line(const std::string &text, uint32_t first, uint32_t last,
            const Comment *trailing) {
    if (blank_between(last_line_, first))
      out_ += '\n';
    out_.append(static_cast<size_t>(indent_) * 2, ' ');
    out_ += text;
    if (trailing) {
      out_ += "  ";
      out_ += trailing->text;
      last = std::max(last, trailing->range.begin.line);
    }
    out_ += '\n';
    last_line_ = std::max(first, last);
  }

  // Blank lines right after an opening brace or before a closing one are
  // dropped.
  void block_start() { last_line_ = 0; }
  void block_end() { last_line_ = 0; }

  bool blank_between(uint32_t after, uint32_t before) const {
    if (!file_ || after == 0 || before == 0)
      return false;
    for (uint32_t l = after + 1; l < before; ++l) {
      std::string_view text = file_->line(l);
      if (text.find_first_not_of(" \t\r\f\v") == std::string_view::npos)
        return true;
    }
    return false;
  }

  const SourceFile *file_;
  std::string out_;
  int indent_ = 0;
  uint32_t last_line_ = 0;
  const Comment *opener_comment_ = nullptr;
};

} // namespace

std::string format_expr(const Expr &expr) {
  std::string out;
  print_expr(expr, 0, out, 0);
  return out;
}

std::string quote_string(const std::string &text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\r':
      out += "\\r";
      break;
    default:
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string format_module(const Module &module) {
  Printer printer(module.file.get());
  printer.module(module);
  return printer.take();
}

namespace {

// Comments kept inside the set literals of an expression.
size_t set_comment_count(const Expr *e) {
  if (!e)
    return 0;
  switch (e->kind) {
  case ExprKind::Set: {
    const auto &set = as<SetExpr>(*e);
    size_t n = set.trailing_inner.size();
    for (const auto &l : set.element_leading)
      n += l.size();
    for (const auto &t : set.element_trailing)
      n += t ? 1 : 0;
    for (const auto &el : set.elements)
      n += set_comment_count(el.get());
    return n;
  }
  case ExprKind::Range:
    return set_comment_count(as<RangeExpr>(*e).lo.get()) +
           set_comment_count(as<RangeExpr>(*e).hi.get());
  case ExprKind::Not:
    return set_comment_count(as<NotExpr>(*e).operand.get());
  case ExprKind::Binary:
    return set_comment_count(as<BinaryExpr>(*e).lhs.get()) +
           set_comment_count(as<BinaryExpr>(*e).rhs.get());
  case ExprKind::Compare:
    return set_comment_count(as<CompareExpr>(*e).lhs.get()) +
           set_comment_count(as<CompareExpr>(*e).rhs.get());
  default:
    return 0;
  }
}

} // namespace

size_t comment_count(const Module &module) {
  size_t n = module.header_comments.size() + module.footer_comments.size();
  if (!module.policy)
    return n;
  n += module.policy->trailing_inner_comments.size();
  for (const DeclPtr &d : module.policy->decls) {
    n += d->leading_comments.size() + (d->trailing_comment ? 1 : 0);
    if (d->kind == DeclKind::Const)
      n += set_comment_count(as<ConstDecl>(*d).value.get());
    else if (d->kind == DeclKind::Rule)
      n += set_comment_count(as<RuleDecl>(*d).cond.get());
    else if (d->kind == DeclKind::Protect)
      n += set_comment_count(as<ProtectDecl>(*d).cond.get());
    if (d->kind != DeclKind::Test)
      continue;
    const auto &t = as<TestDecl>(*d);
    n += t.trailing_inner_comments.size();
    for (const auto &p : t.packets)
      n += p->leading_comments.size() + (p->trailing_comment ? 1 : 0);
  }
  return n;
}

} // namespace psl
