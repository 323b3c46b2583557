#include "grammar_export/bnf_writer.h"

#include <cctype>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "diag/diagnostics.h"

namespace psl::grammar {
namespace {

std::string unicode_escape(uint32_t c) {
  static const char hex[] = "0123456789abcdef";
  std::string s = c > 0xffff ? "\\U" : "\\u";
  for (int shift = c > 0xffff ? 28 : 12; shift >= 0; shift -= 4)
    s += hex[(c >> shift) & 0xf];
  return s;
}

// One character in a string literal or a class. Both dialects read \uXXXX
// (exactly four digits), so nothing after it can be taken as a fifth.
std::string char_escape(uint32_t c, bool in_class) {
  switch (c) {
  case '\n':
    return "\\n";
  case '\r':
    return "\\r";
  case '\t':
    return "\\t";
  case '\\':
    return "\\\\";
  case '"':
    return in_class ? "\"" : "\\\"";
  default:
    break;
  }
  if (in_class && (c == ']' || c == '[' || c == '-' || c == '^'))
    return std::string("\\") + static_cast<char>(c);
  if (c < 0x20 || c == 0x7f)
    return unicode_escape(c);
  if (c < 0x80)
    return std::string(1, static_cast<char>(c));
  return unicode_escape(c);
}

class Printer {
public:
  Printer(const Grammar &g, BnfDialect dialect) {
    std::map<std::string, std::string> owner;
    for (const Rule &r : g.rules) {
      std::string n = dialect == BnfDialect::Gbnf ? gbnf_name(r.name) : r.name;
      auto [it, inserted] = owner.emplace(n, r.name);
      if (!inserted)
        throw InternalError("grammar rules '" + it->second + "' and '" +
                            r.name + "' get the same name '" + n + "'");
      names_[r.name] = n;
    }
  }

  std::string name(const std::string &rule) const {
    auto it = names_.find(rule);
    if (it == names_.end())
      throw InternalError("grammar refers to an undefined rule '" + rule + "'");
    return it->second;
  }

  std::string expr(const Expr &e) const {
    switch (e.kind) {
    case Expr::Kind::Seq: {
      if (e.items.empty())
        throw InternalError("an empty sequence in an exported grammar");
      std::string s;
      for (const Expr &item : e.items) {
        if (!s.empty())
          s += ' ';
        s += item.kind == Expr::Kind::Alt ? "(" + expr(item) + ")" : expr(item);
      }
      return s;
    }
    case Expr::Kind::Alt: {
      std::string s;
      for (const Expr &item : e.items)
        s += (s.empty() ? "" : " | ") + expr(item);
      return s;
    }
    case Expr::Kind::Opt:
    case Expr::Kind::Star:
    case Expr::Kind::Plus:
    case Expr::Kind::Repeat: {
      const Expr &inner = e.items[0];
      bool atomic = inner.kind == Expr::Kind::Literal ||
                    inner.kind == Expr::Kind::Chars ||
                    inner.kind == Expr::Kind::Ref;
      std::string s = atomic ? expr(inner) : "(" + expr(inner) + ")";
      switch (e.kind) {
      case Expr::Kind::Opt:
        return s + "?";
      case Expr::Kind::Star:
        return s + "*";
      case Expr::Kind::Plus:
        return s + "+";
      default:
        return s + "{" + std::to_string(e.min) + "," + std::to_string(e.max) +
               "}";
      }
    }
    case Expr::Kind::Literal: {
      std::string s = "\"";
      for (size_t i = 0; i < e.text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(e.text[i]);
        // UTF-8 sequences are written as they are.
        s += c >= 0x80 ? std::string(1, static_cast<char>(c))
                       : char_escape(c, false);
      }
      return s + "\"";
    }
    case Expr::Kind::Chars: {
      std::string s = e.chars.negated ? "[^" : "[";
      for (const auto &r : e.chars.ranges) {
        s += char_escape(r.first, true);
        if (r.second == r.first + 1)
          s += char_escape(r.second, true);
        else if (r.second != r.first)
          s += "-" + char_escape(r.second, true);
      }
      return s + "]";
    }
    case Expr::Kind::Ref:
      return name(e.text);
    case Expr::Kind::Any:
      break;
    }
    throw InternalError("'.' in an exported grammar");
  }

  // `name ::= body`; a long top-level alternative is broken after '|'
  // (both dialects allow a line break there).
  std::string rule(const Rule &r) const {
    std::string head = name(r.name) + " ::= ";
    if (r.body.kind != Expr::Kind::Alt)
      return head + expr(r.body) + "\n";
    std::string out, line = head;
    const std::string indent(head.size(), ' ');
    for (size_t i = 0; i < r.body.items.size(); ++i) {
      std::string alt = expr(r.body.items[i]);
      if (i == 0) {
        line += alt;
      } else if (line.size() + alt.size() + 3 > 100) {
        out += line + " |\n";
        line = indent + alt;
      } else {
        line += " | " + alt;
      }
    }
    return out + line + "\n";
  }

private:
  std::map<std::string, std::string> names_;
};

} // namespace

std::string gbnf_name(const std::string &name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '_') {
      out += '-';
      continue;
    }
    if (std::isupper(static_cast<unsigned char>(c)) && i > 0 &&
        (std::islower(static_cast<unsigned char>(name[i - 1])) ||
         std::isdigit(static_cast<unsigned char>(name[i - 1]))))
      out += '-';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string write_bnf(const Grammar &grammar, BnfDialect dialect,
                      const std::string &header) {
  if (grammar.rules.empty() || grammar.rules[0].name != "root")
    throw InternalError("an exported grammar must start with rule 'root'");
  Printer p(grammar, dialect);
  std::ostringstream out;
  std::istringstream lines(header);
  for (std::string line; std::getline(lines, line);)
    out << (line.empty() ? "#" : "# " + line) << "\n";
  if (!header.empty())
    out << "\n";
  for (const Rule &r : grammar.rules)
    out << p.rule(r);
  return out.str();
}

std::string write_reference(const Grammar &refined) {
  // Parser rules with literal tokens inlined, EOF dropped.
  Grammar g;
  std::set<std::string> literal_tokens;
  for (const Rule &r : refined.rules)
    if (r.lexer && !r.fragment && r.body.kind == Expr::Kind::Literal)
      literal_tokens.insert(r.name);
  std::function<Expr(const Expr &)> inline_tokens = [&](const Expr &e) {
    if (e.kind == Expr::Kind::Ref && literal_tokens.count(e.text))
      return refined.find(e.text)->body;
    Expr out = e;
    out.items.clear();
    for (const Expr &item : e.items)
      if (!(item.kind == Expr::Kind::Ref && item.text == "EOF"))
        out.items.push_back(inline_tokens(item));
    if (out.kind == Expr::Kind::Seq && out.items.size() == 1)
      return out.items[0];
    return out;
  };
  for (const Rule &r : refined.rules) {
    if (r.lexer && literal_tokens.count(r.name))
      continue;
    Rule c = r;
    c.body = r.lexer ? r.body : inline_tokens(r.body);
    g.rules.push_back(std::move(c));
  }
  // Every name is defined in `g` except EOF, which inline_tokens removed.
  Printer p(g, BnfDialect::XgrammarEbnf);
  std::ostringstream out;
  bool tokens_started = false;
  for (const Rule &r : g.rules) {
    if (r.lexer && !tokens_started) {
      out << "\n# tokens: no space inside one; spaces or newlines between "
             "two\n";
      tokens_started = true;
    }
    out << p.rule(r);
  }
  return out.str();
}

} // namespace psl::grammar
