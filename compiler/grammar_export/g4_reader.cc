#include "grammar_export/g4_reader.h"

#include <cctype>
#include <cstdint>
#include <utility>

namespace psl::grammar {
namespace {

// Normal forms, so that two spellings of one grammar compare equal:
// one-element sequences and alternatives are their element.
Expr simplify(Expr e) {
  if ((e.kind == Expr::Kind::Seq || e.kind == Expr::Kind::Alt) &&
      e.items.size() == 1)
    return std::move(e.items[0]);
  return e;
}

class Reader {
public:
  explicit Reader(std::string_view text) : s_(text) {}

  Grammar grammar() {
    Grammar g;
    skip();
    expect_word("grammar");
    g.name = ident();
    expect(';');
    for (skip(); !done(); skip()) {
      if (peek() == '@') {
        ++pos_;
        ident();
        if (accept("::"))
          ident();
        action();
        continue;
      }
      std::string word = peek_ident();
      if (word == "options" || word == "tokens" || word == "channels") {
        ident();
        action();
        continue;
      }
      if (word == "import") {
        fail("'import' of other grammars is not supported");
      }
      g.rules.push_back(rule());
    }
    return g;
  }

  Expr body_only() {
    std::vector<std::string> labels;
    std::vector<std::string> commands;
    Expr e = alternatives(labels, commands);
    skip();
    if (!done())
      fail("unexpected text after the rule body");
    return e;
  }

private:
  [[noreturn]] void fail(const std::string &message) const {
    uint32_t line = 1, col = 1;
    for (size_t i = 0; i < pos_ && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw G4Error(std::to_string(line) + ":" + std::to_string(col) + ": " +
                  message);
  }

  bool done() const { return pos_ >= s_.size(); }
  char peek(size_t ahead = 0) const {
    return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0';
  }

  // Whitespace and comments.
  void skip() {
    while (!done()) {
      char c = peek();
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++pos_;
      } else if (c == '/' && peek(1) == '/') {
        while (!done() && peek() != '\n')
          ++pos_;
      } else if (c == '/' && peek(1) == '*') {
        size_t end = s_.find("*/", pos_ + 2);
        if (end == std::string_view::npos)
          fail("unterminated comment");
        pos_ = end + 2;
      } else {
        break;
      }
    }
  }

  bool accept(std::string_view word) {
    skip();
    if (s_.substr(pos_, word.size()) == word) {
      pos_ += word.size();
      return true;
    }
    return false;
  }

  void expect(char c) {
    skip();
    if (peek() != c)
      fail(std::string("expected '") + c + "'");
    ++pos_;
  }

  static bool ident_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  }

  std::string peek_ident() {
    skip();
    size_t end = pos_;
    while (end < s_.size() && ident_char(s_[end]))
      ++end;
    return std::string(s_.substr(pos_, end - pos_));
  }

  std::string ident() {
    std::string word = peek_ident();
    if (word.empty() || std::isdigit(static_cast<unsigned char>(word[0])))
      fail("expected a name");
    pos_ += word.size();
    return word;
  }

  void expect_word(const std::string &word) {
    if (ident() != word)
      fail("expected '" + word + "'");
  }

  // A `{...}` action or a `[...]` argument: skipped, with nesting and the
  // quotes of the target language respected.
  void balanced(char open, char close) {
    skip();
    if (peek() != open)
      fail(std::string("expected '") + open + "'");
    int depth = 0;
    while (!done()) {
      char c = s_[pos_++];
      if (c == '"' || c == '\'') {
        while (!done() && s_[pos_] != c) {
          if (s_[pos_] == '\\')
            ++pos_;
          ++pos_;
        }
        ++pos_;
      } else if (c == open) {
        ++depth;
      } else if (c == close && --depth == 0) {
        return;
      }
    }
    fail(std::string("unbalanced '") + open + "'");
  }
  void action() { balanced('{', '}'); }

  Rule rule() {
    Rule r;
    if (peek_ident() == "fragment") {
      ident();
      r.fragment = true;
    }
    r.name = ident();
    r.lexer = std::isupper(static_cast<unsigned char>(r.name[0]));
    expect(':');
    r.body = alternatives(r.alt_labels, r.commands);
    expect(';');
    // Exception handlers of parser rules: how errors are reported.
    for (;;) {
      std::string word = peek_ident();
      if (word == "catch") {
        ident();
        balanced('[', ']');
        action();
      } else if (word == "finally") {
        ident();
        action();
      } else {
        break;
      }
    }
    bool labelled = false;
    for (const std::string &l : r.alt_labels)
      labelled |= !l.empty();
    if (!labelled)
      r.alt_labels.clear();
    return r;
  }

  // alternative ('|' alternative)*; labels and lexer commands of the
  // top-level alternatives are collected.
  Expr alternatives(std::vector<std::string> &labels,
                    std::vector<std::string> &commands) {
    std::vector<Expr> alts;
    for (;;) {
      alts.push_back(alternative(labels, commands));
      skip();
      if (peek() != '|')
        break;
      ++pos_;
    }
    return simplify(Expr::alt(std::move(alts)));
  }

  Expr alternative(std::vector<std::string> &labels,
                   std::vector<std::string> &commands) {
    std::vector<Expr> items;
    std::string label;
    for (;;) {
      skip();
      char c = peek();
      if (done() || c == '|' || c == ')' || c == ';')
        break;
      if (c == '#') {
        ++pos_;
        label = ident();
        continue;
      }
      if (c == '-' && peek(1) == '>') {
        pos_ += 2;
        lexer_commands(commands);
        continue;
      }
      if (c == '{') {
        action();
        skip();
        if (peek() == '?') // a semantic predicate
          ++pos_;
        continue;
      }
      items.push_back(element());
    }
    labels.push_back(label);
    return simplify(Expr::seq(std::move(items)));
  }

  void lexer_commands(std::vector<std::string> &commands) {
    for (;;) {
      std::string cmd = ident();
      skip();
      if (peek() == '(') {
        size_t start = pos_;
        balanced('(', ')');
        cmd += std::string(s_.substr(start, pos_ - start));
      }
      commands.push_back(cmd);
      skip();
      if (peek() != ',')
        return;
      ++pos_;
    }
  }

  Expr element() {
    // An element label: `verdict=(...)`, `items+=x`.
    size_t save = pos_;
    if (std::isalpha(static_cast<unsigned char>(peek()))) {
      ident();
      skip();
      if (peek() == '+' && peek(1) == '=')
        pos_ += 2;
      else if (peek() == '=' && peek(1) != '>')
        pos_ += 1;
      else
        pos_ = save;
    }
    Expr e = atom();
    skip();
    char c = peek();
    if (c == '?' || c == '*' || c == '+') {
      ++pos_;
      if (peek() == '?') // non-greedy: the same language
        ++pos_;
      if (c == '?')
        return Expr::opt(std::move(e));
      if (c == '*')
        return Expr::star(std::move(e));
      return Expr::plus(std::move(e));
    }
    return e;
  }

  Expr atom() {
    skip();
    char c = peek();
    if (c == '(') {
      ++pos_;
      std::vector<std::string> labels, commands;
      Expr e = alternatives(labels, commands);
      expect(')');
      if (e.kind != Expr::Kind::Alt && e.kind != Expr::Kind::Seq)
        return e;
      // Keep a parenthesised sequence one element of the outer sequence.
      return e;
    }
    if (c == '~') {
      ++pos_;
      return negate(atom());
    }
    if (c == '.' && peek(1) != '.') {
      ++pos_;
      Expr e;
      e.kind = Expr::Kind::Any;
      return e;
    }
    if (c == '\'') {
      std::string text = literal();
      skip();
      if (peek() == '.' && peek(1) == '.') {
        pos_ += 2;
        skip();
        std::string hi = literal();
        uint32_t lo_cp = single_code_point(text), hi_cp = single_code_point(hi);
        CharClass cc;
        cc.add(lo_cp, hi_cp);
        return Expr::char_class(cc);
      }
      return Expr::literal(text);
    }
    if (c == '[')
      return Expr::char_class(char_set());
    if (std::isalpha(static_cast<unsigned char>(c)))
      return Expr::ref(ident());
    fail(std::string("unexpected '") + c + "'");
  }

  // The code point of a one-character literal ('a', '\u00C0').
  uint32_t single_code_point(const std::string &utf8) {
    uint32_t cp = 0;
    size_t n = decode_utf8(utf8, 0, cp);
    if (n == 0 || n != utf8.size())
      fail("a range needs one-character literals");
    return cp;
  }

  static size_t decode_utf8(const std::string &s, size_t i, uint32_t &cp) {
    if (i >= s.size())
      return 0;
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    if (i + len > s.size())
      return 0;
    cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
    for (size_t k = 1; k < len; ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    return len;
  }

  Expr negate(Expr e) {
    CharClass cc;
    collect_chars(e, cc);
    cc.negated = true;
    return Expr::char_class(cc);
  }

  // The characters of a set, a one-character literal or an alternative of
  // those (what ANTLR allows after '~').
  void collect_chars(const Expr &e, CharClass &cc) {
    switch (e.kind) {
    case Expr::Kind::Chars:
      if (e.chars.negated)
        fail("'~' of a negated set");
      for (const auto &r : e.chars.ranges)
        cc.add(r.first, r.second);
      return;
    case Expr::Kind::Literal:
      cc.add(single_code_point(e.text));
      return;
    case Expr::Kind::Alt:
      for (const Expr &item : e.items)
        collect_chars(item, cc);
      return;
    default:
      fail("'~' applies to sets and single characters only");
    }
  }

  // An escape after '\' in a literal or a set; `pos_` is past the '\'.
  uint32_t escape() {
    if (done())
      fail("unterminated escape");
    char c = s_[pos_++];
    switch (c) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'u': {
      uint32_t cp = 0;
      if (peek() == '{') {
        ++pos_;
        while (!done() && peek() != '}')
          cp = cp * 16 + hex_digit(s_[pos_++]);
        ++pos_;
        return cp;
      }
      for (int i = 0; i < 4; ++i)
        cp = cp * 16 + hex_digit(done() ? '\0' : s_[pos_++]);
      return cp;
    }
    default: // \\ \' \] \- and any other quoted character
      return static_cast<unsigned char>(c);
    }
  }

  uint32_t hex_digit(char c) {
    if (c >= '0' && c <= '9')
      return static_cast<uint32_t>(c - '0');
    if (c >= 'a' && c <= 'f')
      return static_cast<uint32_t>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F')
      return static_cast<uint32_t>(c - 'A' + 10);
    fail("bad hex digit in a \\u escape");
  }

  std::string literal() {
    expect('\'');
    std::string out;
    for (;;) {
      if (done())
        fail("unterminated literal");
      char c = s_[pos_++];
      if (c == '\'')
        break;
      if (c == '\\')
        append_utf8(out, escape());
      else
        out += c;
    }
    if (out.empty())
      fail("empty literal");
    return out;
  }

  CharClass char_set() {
    expect('[');
    CharClass cc;
    bool have_prev = false;
    uint32_t prev = 0;
    bool pending_range = false;
    for (;;) {
      if (done())
        fail("unterminated character set");
      char c = s_[pos_++];
      if (c == ']')
        break;
      uint32_t cp = 0;
      if (c == '\\') {
        cp = escape();
      } else if (c == '-' && have_prev && peek() != ']') {
        pending_range = true;
        continue;
      } else {
        // A raw UTF-8 sequence is one character.
        std::string rest(s_.substr(pos_ - 1, 4));
        size_t n = decode_utf8(rest, 0, cp);
        pos_ += n - 1;
      }
      if (pending_range) {
        cc.add(prev, cp);
        pending_range = false;
        have_prev = false;
        continue;
      }
      if (have_prev)
        cc.add(prev);
      prev = cp;
      have_prev = true;
    }
    if (have_prev)
      cc.add(prev);
    if (cc.ranges.empty())
      fail("empty character set");
    return cc;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

} // namespace

Grammar read_g4(std::string_view text) { return Reader(text).grammar(); }

Expr read_g4_body(std::string_view text) { return Reader(text).body_only(); }

} // namespace psl::grammar
