// The grammars the exporter handles, in one small model: the ANTLR grammar
// as grammar/Policy.g4 writes it (parser and lexer rules, read by
// g4_reader.h) and the character-level grammar the exporter derives from
// it (char_grammar.h), which the GBNF and EBNF writers print. Both are
// rules over the same expression tree; only what a reference means
// differs (a parser rule, a token or a fragment in the ANTLR grammar; any
// rule in the character-level one).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace psl::grammar {

// A set of characters (code points), as ANTLR's [a-z] or ~[\r\n].
struct CharClass {
  bool negated = false;
  std::vector<std::pair<uint32_t, uint32_t>> ranges; // inclusive, sorted

  void add(uint32_t lo, uint32_t hi);
  void add(uint32_t c) { add(c, c); }
  bool contains(uint32_t c) const; // honours `negated`
  bool operator==(const CharClass &o) const {
    return negated == o.negated && ranges == o.ranges;
  }
};

struct Expr {
  enum class Kind : uint8_t {
    Seq,     // items in order (empty: matches nothing, the empty string)
    Alt,     // one of items
    Opt,     // items[0]?
    Star,    // items[0]*
    Plus,    // items[0]+
    Repeat,  // items[0]{min,max}
    Literal, // text, exactly
    Chars,   // one character of `chars`
    Ref,     // the rule named `text`
    Any,     // ANTLR's '.': any one character
  };
  Kind kind = Kind::Seq;
  std::vector<Expr> items;
  std::string text;
  CharClass chars;
  uint32_t min = 0, max = 0; // Repeat

  static Expr seq(std::vector<Expr> items = {});
  static Expr alt(std::vector<Expr> items);
  static Expr opt(Expr e);
  static Expr star(Expr e);
  static Expr plus(Expr e);
  static Expr repeat(Expr e, uint32_t min, uint32_t max);
  static Expr literal(std::string text);
  static Expr char_class(CharClass chars);
  static Expr ref(std::string name);

  bool operator==(const Expr &o) const;
  bool operator!=(const Expr &o) const { return !(*this == o); }
};

// One rule of a grammar.
struct Rule {
  std::string name;
  Expr body;
  bool lexer = false;    // an ANTLR lexer rule (name starts upper-case)
  bool fragment = false; // an ANTLR `fragment` (only used by lexer rules)
  // ANTLR lexer commands after `->`: "skip", "channel(HIDDEN)".
  std::vector<std::string> commands;
  // ANTLR alternative labels (`# callPrimary`), one per alternative of a
  // top-level Alt body (empty strings where unlabelled).
  std::vector<std::string> alt_labels;
};

struct Grammar {
  std::string name; // `grammar Policy;`
  std::vector<Rule> rules;

  const Rule *find(const std::string &name) const;
  Rule *find(const std::string &name);
};

// A compact, ANTLR-like rendering of an expression ("POLICY IDENT? LBRACE
// decl* RBRACE"), for messages and for comparing grammar shapes in tests.
std::string to_string(const Expr &e);

// Appends code point `cp` to `out` as UTF-8.
void append_utf8(std::string &out, uint32_t cp);

} // namespace psl::grammar
