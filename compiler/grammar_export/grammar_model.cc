#include "grammar_export/grammar_model.h"

#include <algorithm>

namespace psl::grammar {

void CharClass::add(uint32_t lo, uint32_t hi) {
  if (lo > hi)
    std::swap(lo, hi);
  ranges.emplace_back(lo, hi);
  std::sort(ranges.begin(), ranges.end());
  std::vector<std::pair<uint32_t, uint32_t>> merged;
  for (const auto &r : ranges) {
    if (!merged.empty() && r.first <= merged.back().second + 1)
      merged.back().second = std::max(merged.back().second, r.second);
    else
      merged.push_back(r);
  }
  ranges = std::move(merged);
}

bool CharClass::contains(uint32_t c) const {
  bool in = false;
  for (const auto &r : ranges)
    if (c >= r.first && c <= r.second) {
      in = true;
      break;
    }
  return in != negated;
}

Expr Expr::seq(std::vector<Expr> items) {
  Expr e;
  e.kind = Kind::Seq;
  e.items = std::move(items);
  return e;
}

Expr Expr::alt(std::vector<Expr> items) {
  Expr e;
  e.kind = Kind::Alt;
  e.items = std::move(items);
  return e;
}

namespace {
Expr wrap(Expr::Kind kind, Expr inner) {
  Expr e;
  e.kind = kind;
  e.items.push_back(std::move(inner));
  return e;
}
} // namespace

Expr Expr::opt(Expr e) { return wrap(Kind::Opt, std::move(e)); }
Expr Expr::star(Expr e) { return wrap(Kind::Star, std::move(e)); }
Expr Expr::plus(Expr e) { return wrap(Kind::Plus, std::move(e)); }

Expr Expr::repeat(Expr inner, uint32_t min, uint32_t max) {
  Expr e = wrap(Kind::Repeat, std::move(inner));
  e.min = min;
  e.max = max;
  return e;
}

Expr Expr::literal(std::string text) {
  Expr e;
  e.kind = Kind::Literal;
  e.text = std::move(text);
  return e;
}

Expr Expr::char_class(CharClass chars) {
  Expr e;
  e.kind = Kind::Chars;
  e.chars = std::move(chars);
  return e;
}

Expr Expr::ref(std::string name) {
  Expr e;
  e.kind = Kind::Ref;
  e.text = std::move(name);
  return e;
}

bool Expr::operator==(const Expr &o) const {
  return kind == o.kind && items == o.items && text == o.text &&
         chars == o.chars && min == o.min && max == o.max;
}

const Rule *Grammar::find(const std::string &name) const {
  for (const Rule &r : rules)
    if (r.name == name)
      return &r;
  return nullptr;
}

Rule *Grammar::find(const std::string &name) {
  for (Rule &r : rules)
    if (r.name == name)
      return &r;
  return nullptr;
}

namespace {

std::string char_text(uint32_t c) {
  switch (c) {
  case '\n':
    return "\\n";
  case '\r':
    return "\\r";
  case '\t':
    return "\\t";
  case '\\':
    return "\\\\";
  case '\'':
    return "\\'";
  case ']':
    return "\\]";
  case '-':
    return "\\-";
  default:
    break;
  }
  if (c < 0x20 || c >= 0x7f) {
    static const char hex[] = "0123456789ABCDEF";
    std::string s = "\\u";
    for (int shift = 12; shift >= 0; shift -= 4)
      s += hex[(c >> shift) & 0xf];
    return s;
  }
  return std::string(1, static_cast<char>(c));
}

// Whether `e` needs parentheses as an operand of a postfix operator or
// inside a sequence.
bool compound(const Expr &e) {
  return (e.kind == Expr::Kind::Seq && e.items.size() != 1) ||
         e.kind == Expr::Kind::Alt;
}

} // namespace

std::string to_string(const Expr &e) {
  switch (e.kind) {
  case Expr::Kind::Seq: {
    std::string s;
    for (const Expr &item : e.items) {
      if (!s.empty())
        s += ' ';
      s += item.kind == Expr::Kind::Alt ? "(" + to_string(item) + ")"
                                        : to_string(item);
    }
    return s;
  }
  case Expr::Kind::Alt: {
    std::string s;
    for (const Expr &item : e.items)
      s += (s.empty() ? "" : " | ") + to_string(item);
    return s;
  }
  case Expr::Kind::Opt:
  case Expr::Kind::Star:
  case Expr::Kind::Plus:
  case Expr::Kind::Repeat: {
    const Expr &inner = e.items[0];
    std::string s =
        compound(inner) ? "(" + to_string(inner) + ")" : to_string(inner);
    if (e.kind == Expr::Kind::Opt)
      return s + "?";
    if (e.kind == Expr::Kind::Star)
      return s + "*";
    if (e.kind == Expr::Kind::Plus)
      return s + "+";
    return s + "{" + std::to_string(e.min) + "," + std::to_string(e.max) + "}";
  }
  case Expr::Kind::Literal: {
    std::string s = "'";
    for (unsigned char c : e.text)
      s += char_text(c);
    return s + "'";
  }
  case Expr::Kind::Chars: {
    std::string s = e.chars.negated ? "~[" : "[";
    for (const auto &r : e.chars.ranges) {
      s += char_text(r.first);
      if (r.second != r.first)
        s += "-" + char_text(r.second);
    }
    return s + "]";
  }
  case Expr::Kind::Ref:
    return e.text;
  case Expr::Kind::Any:
    return ".";
  }
  return "";
}

void append_utf8(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

} // namespace psl::grammar
