#include "grammar_export/char_grammar.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "ast/fields.h"
#include "diag/diagnostics.h"
#include "grammar_export/g4_reader.h"

namespace psl::grammar {
namespace {

// What the frontend checks after ANTLR parsed, stated as grammar. `label`
// picks one labelled alternative of the rule (nullptr: the whole body).
// `expected` is the rule (or alternative) as grammar/Policy.g4 writes it
// now; a .g4 that differs makes the export fail until this table is
// brought up to date, so the exported grammar never silently drifts.
struct Rewrite {
  const char *rule;
  const char *label;
  const char *expected;
  const char *replacement;
};

constexpr Rewrite kRewrites[] = {
    // E0105 (more than one policy), E0106 (no policy).
    {"policyFile", nullptr, "policyDecl* EOF", "policyDecl EOF"},
    // The name is optional in the .g4 only for error recovery (E0101).
    {"policyDecl", nullptr, "POLICY IDENT? LBRACE decl* RBRACE",
     "POLICY IDENT LBRACE decl* RBRACE"},
    // `x` is a contextual word the frontend checks (E0101).
    {"testPacket", nullptr,
     "PACKET LBRACE (fieldAssign (COMMA fieldAssign)* COMMA?)? RBRACE"
     " (IDENT numberLit (WITHIN durationLit)?)?"
     " ARROW (PASS | DROP) (countOp numberLit)?",
     "PACKET LBRACE (fieldAssign (COMMA fieldAssign)* COMMA?)? RBRACE"
     " ('x' numberLit (WITHIN durationLit)?)?"
     " ARROW (PASS | DROP) (countOp numberLit)?"},
    // The only functions: rate(KEY, ..., burst N) with packet fields as
    // keys (E0310) and proto(N) (E0101).
    {"primary", "callPrimary",
     "IDENT LPAREN (callArg (COMMA callArg)*)? RPAREN",
     "'rate' LPAREN (FIELD (COMMA FIELD)* (COMMA BURST numberLit)?"
     " | BURST numberLit)? RPAREN"
     " | 'proto' LPAREN numberLit RPAREN"},
    // Error tokens, kept in the .g4 for precise messages (E0103, E0104).
    {"literalValue", nullptr,
     "INT | HEX_INT | IPV4 | IPV6 | MAC | DURATION | RATE | TRUE | FALSE"
     " | BAD_NUMBER",
     "INT | HEX_INT | IPV4 | IPV6 | MAC | DURATION | RATE | TRUE | FALSE"},
    {"durationLit", nullptr, "DURATION | INT | BAD_NUMBER", "DURATION"},
    {"stringLit", nullptr, "STRING | UNTERMINATED_STRING", "STRING"},
};

// What a generated policy may hold (runtime/analyze/proposal.h).
constexpr Rewrite kGeneratedOnly = {
    "decl", nullptr,
    "constDecl | setDecl | protectDecl | ruleDecl | defaultDecl | testDecl",
    "constDecl | ruleDecl"};

[[noreturn]] void drift(const std::string &what) {
  throw InternalError("grammar/Policy.g4 " + what +
                      "; compiler/grammar_export/char_grammar.cc must be "
                      "updated to match it");
}

void apply(Grammar &g, const Rewrite &rw) {
  Rule *rule = g.find(rw.rule);
  if (!rule)
    drift(std::string("has no rule '") + rw.rule + "'");
  Expr expected = read_g4_body(rw.expected);
  Expr replacement = read_g4_body(rw.replacement);
  if (!rw.label) {
    if (rule->body != expected)
      drift(std::string("changed rule '") + rw.rule +
            "' (now: " + to_string(rule->body) + ")");
    rule->body = std::move(replacement);
    rule->alt_labels.clear();
    return;
  }
  auto it =
      std::find(rule->alt_labels.begin(), rule->alt_labels.end(), rw.label);
  if (it == rule->alt_labels.end() || rule->body.kind != Expr::Kind::Alt)
    drift(std::string("has no alternative '") + rw.label + "' in rule '" +
          rw.rule + "'");
  size_t index = static_cast<size_t>(it - rule->alt_labels.begin());
  if (rule->body.items[index] != expected)
    drift(std::string("changed alternative '") + rw.label + "' of rule '" +
          rw.rule + "' (now: " + to_string(rule->body.items[index]) + ")");
  // A replacement with alternatives of its own is spliced in.
  std::vector<Expr> alts;
  std::vector<std::string> labels;
  for (size_t i = 0; i < rule->body.items.size(); ++i) {
    if (i != index) {
      alts.push_back(rule->body.items[i]);
      labels.push_back(rule->alt_labels[i]);
      continue;
    }
    if (replacement.kind == Expr::Kind::Alt) {
      for (Expr &a : replacement.items) {
        alts.push_back(std::move(a));
        labels.push_back(rw.label);
      }
    } else {
      alts.push_back(replacement);
      labels.push_back(rw.label);
    }
  }
  rule->body = Expr::alt(std::move(alts));
  rule->alt_labels = std::move(labels);
}

void collect_refs(const Expr &e, std::vector<std::string> &out) {
  if (e.kind == Expr::Kind::Ref)
    out.push_back(e.text);
  for (const Expr &item : e.items)
    collect_refs(item, out);
}

// The rules reachable from `start`, in the .g4's order.
Grammar reachable(const Grammar &g, const std::string &start) {
  std::set<std::string> seen{start};
  std::vector<std::string> todo{start};
  while (!todo.empty()) {
    std::string name = todo.back();
    todo.pop_back();
    const Rule *r = g.find(name);
    if (!r) {
      if (name == "EOF")
        continue;
      drift("refers to an undefined rule '" + name + "'");
    }
    std::vector<std::string> refs;
    collect_refs(r->body, refs);
    for (const std::string &ref : refs)
      if (seen.insert(ref).second)
        todo.push_back(ref);
  }
  Grammar out;
  out.name = g.name;
  for (const Rule &r : g.rules)
    if (seen.count(r.name))
      out.rules.push_back(r);
  return out;
}

// ------------------------------------------------------------- separators

// How the lexer splits two tokens written without space between them.
// Tokens not named here are words: two words need a space.
//  - isolating: their characters occur in no other exported token (except
//    inside a quoted STRING), so nothing can run into them;
//  - operators: made of = < > ! . only; next to a word (a name, a field,
//    a number, an address) the lexer splits them, but two operators in a
//    row could read as one (`<` `=`), so those get a space;
//  - ':' follows only IDENT (`rule NAME:`, `set NAME :`) and may touch it;
//    after it a space is required, since ':' also occurs inside IPv6 and
//    MAC literals (`a:` followed by `::1` would lex as one IPv6 token).
const std::set<std::string> kIsolating = {"LPAREN", "RPAREN", "LBRACE",
                                          "RBRACE", "COMMA"};
const std::set<std::string> kOperators = {
    "ARROW", "EQ", "NE", "LE", "GE", "LT", "GT", "ASSIGN", "DOTDOT"};
const char *const kColon = "COLON";

void check_glue_names(const Grammar &g) {
  auto check = [&](const std::string &name) {
    if (!g.find(name))
      drift("has no token '" + name + "'");
  };
  for (const std::string &n : kIsolating)
    check(n);
  for (const std::string &n : kOperators)
    check(n);
  check(kColon);
}

// Whether tokens `a` then `b` need whitespace between them. Token keys:
// the lexer rule's name, or a literal written in a parser rule as 'x'.
bool needs_space(const std::string &a, const std::string &b) {
  if (kIsolating.count(a) || kIsolating.count(b))
    return false;
  if (b == kColon)
    return a != "IDENT";
  if (a == kColon)
    return true;
  return kOperators.count(a) == kOperators.count(b);
}

using TokenSet = std::set<std::string>;

struct Sets {
  bool nullable = false;
  TokenSet first, last;
};

class SeparatorPlanner {
public:
  explicit SeparatorPlanner(const Grammar &g) : g_(g) {
    // Fixed point over the parser rules.
    bool changed = true;
    while (changed) {
      changed = false;
      for (const Rule &r : g_.rules) {
        if (r.lexer)
          continue;
        Sets s = sets(r.body);
        Sets &old = rules_[r.name];
        if (s.nullable != old.nullable || s.first != old.first ||
            s.last != old.last) {
          old = s;
          changed = true;
        }
      }
    }
  }

  Sets sets(const Expr &e) const {
    Sets s;
    switch (e.kind) {
    case Expr::Kind::Seq: {
      s.nullable = true;
      for (const Expr &item : e.items) {
        Sets is = sets(item);
        if (s.nullable)
          s.first.insert(is.first.begin(), is.first.end());
        s.nullable = s.nullable && is.nullable;
      }
      bool tail_nullable = true;
      for (auto it = e.items.rbegin(); it != e.items.rend() && tail_nullable;
           ++it) {
        Sets is = sets(*it);
        s.last.insert(is.last.begin(), is.last.end());
        tail_nullable = is.nullable;
      }
      return s;
    }
    case Expr::Kind::Alt:
      for (const Expr &item : e.items) {
        Sets is = sets(item);
        s.nullable = s.nullable || is.nullable;
        s.first.insert(is.first.begin(), is.first.end());
        s.last.insert(is.last.begin(), is.last.end());
      }
      return s;
    case Expr::Kind::Opt:
    case Expr::Kind::Star:
      s = sets(e.items[0]);
      s.nullable = true;
      return s;
    case Expr::Kind::Plus:
    case Expr::Kind::Repeat:
      s = sets(e.items[0]);
      if (e.kind == Expr::Kind::Repeat && e.min == 0)
        s.nullable = true;
      return s;
    case Expr::Kind::Literal:
      s.first = s.last = {"'" + e.text + "'"};
      return s;
    case Expr::Kind::Ref: {
      if (e.text == "EOF") {
        s.nullable = true;
        return s;
      }
      const Rule *r = g_.find(e.text);
      if (r && r->lexer) {
        s.first = s.last = {e.text};
        return s;
      }
      auto it = rules_.find(e.text);
      return it == rules_.end() ? Sets{} : it->second;
    }
    case Expr::Kind::Chars:
    case Expr::Kind::Any:
      break;
    }
    drift("has a character set or '.' in a parser rule");
  }

  // "ws" (required) or "ws?" (optional) between a token of `last` and one
  // of `first`; nothing when either is empty.
  std::optional<Expr> separator(const TokenSet &last,
                                const TokenSet &first) const {
    if (last.empty() || first.empty())
      return std::nullopt;
    for (const std::string &a : last)
      for (const std::string &b : first)
        if (needs_space(a, b))
          return Expr::ref("ws");
    return Expr::opt(Expr::ref("ws"));
  }

private:
  const Grammar &g_;
  std::map<std::string, Sets> rules_;
};

// ------------------------------------------------------------- conversion

class Converter {
public:
  Converter(const Grammar &refined, const CharGrammarOptions &options)
      : g_(refined), options_(options), plan_(refined) {}

  Grammar run() {
    check_glue_names(g_);
    Grammar out;
    out.name = g_.name;
    out.rules.push_back(
        {"root",
         Expr::seq({Expr::opt(Expr::ref("ws")), Expr::ref(kStartRule),
                    Expr::opt(Expr::ref("ws"))}),
         false,
         false,
         {},
         {}});
    for (const Rule &r : g_.rules) {
      if (r.lexer)
        continue;
      Rule c = r;
      c.body = convert(r.body, {});
      c.alt_labels.clear();
      out.rules.push_back(std::move(c));
    }
    for (const Rule &r : g_.rules) {
      if (!r.lexer || inline_literal(r))
        continue;
      Rule c = r;
      c.commands.clear();
      if (r.name == "IDENT")
        c.body = ident_without_keywords();
      else if (r.name == "FIELD" && options_.known_fields)
        c.body = known_fields();
      check_lexer_body(r, c.body);
      out.rules.push_back(std::move(c));
    }
    CharClass space;
    space.add(' ');
    space.add('\t');
    space.add('\n');
    out.rules.push_back({"ws",
                         Expr::repeat(Expr::char_class(space), 1, 40),
                         true,
                         false,
                         {},
                         {}});
    // Drop fragments only the replaced IDENT/FIELD bodies used.
    return reachable(out, "root");
  }

private:
  // A token that is one literal ('policy', '=>') is written inline.
  static bool inline_literal(const Rule &r) {
    return r.lexer && r.body.kind == Expr::Kind::Literal;
  }

  // `e` as characters, with whitespace before each of its tokens that
  // follows another: `before` holds the tokens that can come right before
  // `e` in this place (empty at the start of a rule body, where the
  // rule's callers put the space). Spaces are pushed down to the tokens
  // of optional and repeated parts, so an absent part leaves no space
  // behind and no space is ever required at the end of a construct.
  Expr convert(const Expr &e, const TokenSet &before) const {
    switch (e.kind) {
    case Expr::Kind::Seq: {
      std::vector<Expr> out;
      TokenSet prev = before;
      for (const Expr &item : e.items) {
        if (item.kind == Expr::Kind::Ref && item.text == "EOF")
          continue;
        out.push_back(convert(item, prev));
        Sets s = plan_.sets(item);
        if (!s.nullable)
          prev.clear();
        prev.insert(s.last.begin(), s.last.end());
      }
      return Expr::seq(std::move(out));
    }
    case Expr::Kind::Alt: {
      std::vector<Expr> out;
      for (const Expr &item : e.items)
        out.push_back(convert(item, before));
      return Expr::alt(std::move(out));
    }
    case Expr::Kind::Opt:
      return Expr::opt(convert(e.items[0], before));
    case Expr::Kind::Star:
    case Expr::Kind::Plus: {
      // X* -> (X X'*)?   X+ -> X X'*, X' being X after an X.
      Sets s = plan_.sets(e.items[0]);
      TokenSet again = s.last;
      if (s.nullable)
        again.insert(before.begin(), before.end());
      Expr plus = Expr::seq({convert(e.items[0], before),
                             Expr::star(convert(e.items[0], again))});
      return e.kind == Expr::Kind::Star ? Expr::opt(std::move(plus)) : plus;
    }
    case Expr::Kind::Ref: {
      const Rule *r = g_.find(e.text);
      Expr token = r && inline_literal(*r) ? r->body : e;
      // A parser rule is shared by every place that uses it: the space
      // before it stays here, sized for any token it can start with.
      return with_space(before, plan_.sets(e).first, std::move(token));
    }
    case Expr::Kind::Literal:
      return with_space(before, plan_.sets(e).first, e);
    case Expr::Kind::Repeat:
    case Expr::Kind::Chars:
    case Expr::Kind::Any:
      break;
    }
    drift("has an unexpected construct in a parser rule");
  }

  Expr with_space(const TokenSet &before, const TokenSet &first, Expr e) const {
    if (auto sep = plan_.separator(before, first))
      return Expr::seq({*sep, std::move(e)});
    return e;
  }

  // Negated sets only inside a delimited token (STRING: '"' ... '"'),
  // where the isolating tokens' characters may occur, or in a fragment
  // that only such tokens use; '.' nowhere. A negated set also never
  // admits NUL, which the frontend refuses (E0002).
  static bool delimited(const Rule &r) {
    const Expr &b = r.body;
    if (b.kind != Expr::Kind::Seq || b.items.size() < 2)
      return false;
    const Expr &first = b.items.front(), &last = b.items.back();
    return first.kind == Expr::Kind::Literal &&
           last.kind == Expr::Kind::Literal && first.text == last.text;
  }

  bool used_only_in_delimited(const std::string &fragment) const {
    for (const Rule &r : g_.rules) {
      if (!r.lexer || r.name == fragment)
        continue;
      std::vector<std::string> refs;
      collect_refs(r.body, refs);
      if (std::count(refs.begin(), refs.end(), fragment) == 0)
        continue;
      if (!(r.fragment ? used_only_in_delimited(r.name) : delimited(r)))
        return false;
    }
    return true;
  }

  void check_lexer_body(const Rule &r, Expr &body) const {
    bool may_negate =
        r.fragment ? used_only_in_delimited(r.name) : delimited(r);
    std::function<void(Expr &)> walk = [&](Expr &e) {
      if (e.kind == Expr::Kind::Any)
        drift("uses '.' in token '" + r.name + "'");
      if (e.kind == Expr::Kind::Chars && e.chars.negated) {
        if (!may_negate)
          drift("uses a negated set outside a quoted token ('" + r.name + "')");
        e.chars.add(0);
      }
      for (Expr &item : e.items)
        walk(item);
    };
    walk(body);
  }

  // IDENT_PART must be [first] [rest]*: the two sets the keyword-free
  // IDENT is built from.
  void ident_sets(CharClass &first, CharClass &rest) const {
    const Rule *ident = g_.find("IDENT");
    const Rule *part = g_.find("IDENT_PART");
    if (!ident || ident->body != Expr::ref("IDENT_PART") || !part ||
        part->body.kind != Expr::Kind::Seq || part->body.items.size() != 2 ||
        part->body.items[0].kind != Expr::Kind::Chars ||
        part->body.items[1].kind != Expr::Kind::Star ||
        part->body.items[1].items[0].kind != Expr::Kind::Chars)
      drift("changed IDENT or IDENT_PART");
    first = part->body.items[0].chars;
    rest = part->body.items[1].items[0].chars;
  }

  // IDENT minus the keywords. The lexer gives a keyword token for those
  // names (its literal rules come before IDENT), so IDENT never is one.
  // Built from a trie of the keywords: after a prefix, either stop (when
  // the prefix is not a keyword), continue along the trie, or leave it
  // with any other character and take any rest.
  Expr ident_without_keywords() const {
    CharClass first, rest;
    ident_sets(first, rest);
    std::set<std::string> keywords;
    for (const Rule &r : source_rules())
      if (r.lexer && r.body.kind == Expr::Kind::Literal &&
          looks_like_name(r.body.text, first, rest))
        keywords.insert(r.body.text);
    return trie_node("", keywords, first, rest);
  }

  static bool looks_like_name(const std::string &s, const CharClass &first,
                              const CharClass &rest) {
    if (s.empty() || !first.contains(static_cast<unsigned char>(s[0])))
      return false;
    for (size_t i = 1; i < s.size(); ++i)
      if (!rest.contains(static_cast<unsigned char>(s[i])))
        return false;
    return true;
  }

  Expr trie_node(const std::string &prefix, const std::set<std::string> &kw,
                 const CharClass &first, const CharClass &rest) const {
    const CharClass &here = prefix.empty() ? first : rest;
    std::set<char> next;
    for (const std::string &k : kw)
      if (k.size() > prefix.size() && k.compare(0, prefix.size(), prefix) == 0)
        next.insert(k[prefix.size()]);
    std::vector<Expr> alts;
    for (char c : next)
      alts.push_back(Expr::seq({Expr::literal(std::string(1, c)),
                                trie_node(prefix + c, kw, first, rest)}));
    CharClass other;
    for (const auto &r : here.ranges)
      for (uint32_t c = r.first; c <= r.second; ++c)
        if (!next.count(static_cast<char>(c)))
          other.add(c);
    if (!other.ranges.empty())
      alts.push_back(Expr::seq(
          {Expr::char_class(other), Expr::star(Expr::char_class(rest))}));
    Expr body = alts.size() == 1 ? alts[0] : Expr::alt(std::move(alts));
    bool can_stop = !prefix.empty() && !kw.count(prefix);
    return can_stop ? Expr::opt(std::move(body)) : body;
  }

  static Expr known_fields() {
    std::vector<Expr> alts;
    for (const FieldInfo &f : all_fields())
      alts.push_back(Expr::literal(f.name));
    return Expr::alt(std::move(alts));
  }

  // The keyword list comes from every lexer rule of the .g4, reachable or
  // not: an unused keyword is still reserved.
  const std::vector<Rule> &source_rules() const { return all_rules_; }

public:
  void set_all_rules(const std::vector<Rule> &rules) { all_rules_ = rules; }

private:
  const Grammar &g_;
  CharGrammarOptions options_;
  SeparatorPlanner plan_;
  std::vector<Rule> all_rules_;
};

} // namespace

Grammar refined_grammar(const Grammar &g4, const CharGrammarOptions &options) {
  Grammar g = g4;
  for (const Rewrite &rw : kRewrites)
    apply(g, rw);
  if (options.generated_only)
    apply(g, kGeneratedOnly);
  return reachable(g, kStartRule);
}

Grammar char_grammar(const Grammar &g4, const CharGrammarOptions &options) {
  Grammar refined = refined_grammar(g4, options);
  // Fragments and tokens the parser rules reach only through IDENT/FIELD
  // (IDENT_PART) stay available to the conversion.
  Converter converter(refined, options);
  converter.set_all_rules(g4.rules);
  return converter.run();
}

} // namespace psl::grammar
