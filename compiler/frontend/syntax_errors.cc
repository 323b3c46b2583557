#include "frontend/syntax_errors.h"

#include <algorithm>
#include <cctype>

#include "PolicyParser.h"
#include "frontend/decl_abort.h"
#include "frontend/literals.h"

namespace psl::frontend {

using antlr4::Parser;
using antlr4::ParserRuleContext;
using antlr4::Token;
using antlr4::misc::IntervalSet;
using P = psl_antlr::PolicyParser;

// ------------------------------------------------------------------ TokenMap

TokenMap::TokenMap(const SourceFile &file, antlr4::BufferedTokenStream &tokens)
    : file_(file), tokens_(tokens) {}

bool TokenMap::is_missing(const Token *t) {
  return t == nullptr || t->getStartIndex() == INVALID_INDEX ||
         t->getTokenIndex() == INVALID_INDEX;
}

std::string TokenMap::text(const Token *t) const {
  if (is_missing(t) || t->getType() == Token::EOF)
    return "";
  size_t start = t->getStartIndex(), stop = t->getStopIndex();
  const std::string &src = file_.text();
  if (start >= src.size() || stop < start)
    return "";
  return src.substr(start, std::min(stop, src.size() - 1) - start + 1);
}

antlr4::Token *TokenMap::previous_default(size_t index) const {
  size_t n = tokens_.size();
  if (index == INVALID_INDEX || index > n)
    index = n;
  while (index > 0) {
    Token *t = tokens_.get(--index);
    if (t->getChannel() == Token::DEFAULT_CHANNEL && t->getType() != Token::EOF)
      return t;
  }
  return nullptr;
}

SourceRange TokenMap::range(const Token *t) const {
  SourceRange r;
  if (!t)
    return r;
  bool placeless = is_missing(t) || t->getType() == Token::EOF;
  if (placeless) {
    // Just after the last real token before it (or at 1:1).
    size_t index = t->getTokenIndex();
    if (index == INVALID_INDEX) {
      // A conjured token: it stands where the current token is.
      index = tokens_.index();
    }
    Token *prev = previous_default(index);
    if (!prev) {
      r.begin = {1, 1};
      r.end = {1, 2};
      return r;
    }
    SourceRange p = range(prev);
    r.begin = p.end;
    r.end = {p.end.line, p.end.column + 1};
    return r;
  }
  uint32_t line = static_cast<uint32_t>(t->getLine());
  uint32_t col = static_cast<uint32_t>(t->getCharPositionInLine()) + 1;
  size_t len = t->getStopIndex() >= t->getStartIndex()
                   ? t->getStopIndex() - t->getStartIndex() + 1
                   : 0;
  r.begin = {line, col};
  r.end = {line, col + static_cast<uint32_t>(len)};
  return r;
}

SourceRange TokenMap::range(const Token *first, const Token *last) const {
  SourceRange a = range(first);
  if (!last || is_missing(last) || last->getType() == Token::EOF ||
      (!is_missing(first) && last->getTokenIndex() < first->getTokenIndex()))
    return a;
  SourceRange b = range(last);
  return SourceRange{a.begin, b.end};
}

SourceRange TokenMap::range(const ParserRuleContext *ctx) const {
  if (!ctx)
    return {};
  return range(ctx->start, ctx->stop);
}

// ------------------------------------------------------ SyntaxErrorReporter

namespace {

std::string printable_char(const std::string &bytes) {
  unsigned char c = bytes.empty() ? 0 : static_cast<unsigned char>(bytes[0]);
  char buf[16];
  if (bytes.size() == 1 && c >= 0x21 && c < 0x7f)
    return "'" + bytes + "'";
  uint32_t cp = c;
  if (c >= 0xc0 && bytes.size() > 1) {
    int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
    cp = c & (0x3f >> extra);
    for (size_t i = 1; i < bytes.size(); ++i)
      cp = (cp << 6) | (static_cast<unsigned char>(bytes[i]) & 0x3f);
    std::snprintf(buf, sizeof buf, "U+%04X", cp);
    return "'" + bytes + "' (" + buf + ")";
  }
  std::snprintf(buf, sizeof buf, "U+%04X", cp);
  return buf;
}

} // namespace

void SyntaxErrorReporter::scan_lexical_errors() {
  auto &tokens = map_.stream();
  for (size_t i = 0; i < tokens.size(); ++i) {
    Token *t = tokens.get(i);
    switch (t->getType()) {
    case P::ERROR_CHAR: {
      std::string text = map_.text(t);
      diags_.report(
          DiagCode::E0102, map_.range(t),
          "invalid character " + printable_char(text) +
              (text == "-" ? " (names use letters, digits and '_')" : ""));
      break;
    }
    case P::C_AND:
      diags_.report(DiagCode::E0102, map_.range(t),
                    "invalid operator '&&'; use 'and'");
      break;
    case P::C_OR:
      diags_.report(DiagCode::E0102, map_.range(t),
                    "invalid operator '||'; use 'or'");
      break;
    case P::C_NOT:
      diags_.report(DiagCode::E0102, map_.range(t),
                    "invalid operator '!'; use 'not' (or '!=')");
      break;
    case P::BAD_NUMBER:
      diags_.report(DiagCode::E0103, map_.range(t),
                    describe_bad_number(map_.text(t)));
      break;
    case P::UNTERMINATED_STRING:
      diags_.report(
          DiagCode::E0104, map_.range(t),
          "unterminated string: missing '\"' before the end of the line");
      break;
    default:
      continue;
    }
    lexical_errors_.push_back(i);
    error_tokens_.insert(i);
  }
}

bool SyntaxErrorReporter::syntax_error(DiagCode code, const Token *offending,
                                       size_t region_start, std::string message,
                                       std::vector<Diagnostic::Note> notes,
                                       const SourceRange *at_range) {
  size_t at = TokenMap::is_missing(offending) ? map_.stream().index()
                                              : offending->getTokenIndex();
  if (error_tokens_.count(at))
    return false;
  if (region_start == INVALID_INDEX || region_start > at)
    region_start = at;
  auto it = std::lower_bound(lexical_errors_.begin(), lexical_errors_.end(),
                             region_start);
  if (it != lexical_errors_.end() && *it <= at)
    return false; // the lexical error explains it
  error_tokens_.insert(at);
  Diagnostic &d = diags_.report(
      code, at_range ? *at_range : map_.range(offending), std::move(message));
  d.notes = std::move(notes);
  ++reported_;
  return true;
}

// ------------------------------------------------------------------ phrasing

namespace {

bool is_decl_start(size_t type) {
  switch (type) {
  case P::CONST:
  case P::SET:
  case P::PROTECT:
  case P::RULE:
  case P::DEFAULT:
  case P::TEST:
    return true;
  default:
    return false;
  }
}

bool is_keyword(size_t type) { return type >= P::POLICY && type <= P::FALSE; }

template <typename Ctx>
Ctx *ancestor(antlr4::tree::ParseTree *node) {
  for (auto *n = node; n; n = n->parent)
    if (auto *c = dynamic_cast<Ctx *>(n))
      return c;
  return nullptr;
}

ParserRuleContext *enclosing_decl(Parser *parser) {
  return ancestor<P::DeclContext>(parser->getContext());
}

// The text of the first IDENT directly under `ctx` (a declaration's name).
std::string name_in(const TokenMap &map, ParserRuleContext *ctx) {
  if (!ctx)
    return "";
  for (auto *child : ctx->children)
    if (auto *term = dynamic_cast<antlr4::tree::TerminalNode *>(child))
      if (term->getSymbol()->getType() == P::IDENT &&
          !TokenMap::is_missing(term->getSymbol()))
        return map.text(term->getSymbol());
  return "";
}

std::string quote(const std::string &s) { return "'" + s + "'"; }

std::string show(const TokenMap &map, const Token *t) {
  if (!t || t->getType() == Token::EOF)
    return "the end of the file";
  std::string s = map.text(t);
  if (s.size() > 32)
    s = s.substr(0, 29) + "...";
  return quote(s);
}

// How a token type reads in "expected ..." lists.
std::string describe_type(size_t type) {
  switch (type) {
  case Token::EOF:
    return "the end of the file";
  case P::IDENT:
    return "a name";
  case P::FIELD:
    return "a field";
  case P::INT:
  case P::HEX_INT:
    return "a number";
  case P::IPV4:
  case P::IPV6:
    return "an address";
  case P::MAC:
    return "a MAC address";
  case P::DURATION:
    return "a duration";
  case P::RATE:
    return "a rate";
  case P::STRING:
    return "a string";
  default:
    return "";
  }
}

std::string join_alternatives(const std::vector<std::string> &items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0)
      out += i + 1 == items.size() ? " or " : ", ";
    out += items[i];
  }
  return out;
}

struct Phrase {
  DiagCode code = DiagCode::E0101;
  std::string message;
  std::vector<Diagnostic::Note> notes;
};

class Phraser {
public:
  Phraser(Parser *parser, const TokenMap &map, Token *offending,
          const IntervalSet &expected)
      : parser_(parser), map_(map), off_(offending), expected_(expected) {
    size_t index = TokenMap::is_missing(offending) ? map.stream().index()
                                                   : offending->getTokenIndex();
    prev_ = map.previous_default(index);
    type_ = offending ? offending->getType() : Token::EOF;
    ctx_ = parser->getContext();
  }

  Phrase phrase() {
    Phrase p;
    p.message = message(p);
    return p;
  }

private:
  bool expects(size_t t) const { return expected_.contains(t); }
  bool expects_only(std::initializer_list<size_t> ts) const {
    for (size_t t : expected_.toList())
      if (std::find(ts.begin(), ts.end(), t) == ts.end())
        return false;
    return !expected_.isEmpty();
  }
  bool expects_exactly(std::initializer_list<size_t> ts) const {
    for (size_t t : ts)
      if (!expects(t))
        return false;
    return expects_only(ts);
  }
  bool expects_expression() const {
    return expects(P::FIELD) && expects(P::LPAREN) && expects(P::INT);
  }
  size_t prev_type() const {
    return prev_ ? prev_->getType() : Token::INVALID_TYPE;
  }
  std::string prev_text() const {
    return prev_ ? quote(map_.text(prev_)) : "the start of the file";
  }
  std::string found() const { return show(map_, off_); }
  template <typename Ctx>
  Ctx *in() const {
    return ancestor<Ctx>(ctx_);
  }

  // "; 'count' is a reserved word" when a keyword stands where a name should.
  std::string keyword_hint() const {
    if (is_keyword(type_))
      return "; " + found() + " is a reserved word";
    return "";
  }

  void did_you_mean(Phrase &p,
                    const std::vector<std::string> &candidates) const {
    if (type_ != P::IDENT && !is_keyword(type_))
      return;
    std::string best = closest_match(map_.text(off_), candidates);
    if (!best.empty())
      p.notes.push_back(
          {"did you mean " + quote(best) + "?", map_.range(off_)});
  }

  std::string what_expression() const {
    switch (prev_type()) {
    case P::EQ:
    case P::NE:
    case P::LT:
    case P::LE:
    case P::GT:
    case P::GE:
      return "a value";
    case P::IN:
      return "a set, a range or a prefix";
    case P::DOTDOT:
      return "the end of the range";
    case P::AND:
    case P::OR:
    case P::NOT:
      return "a condition";
    case P::LPAREN:
      return in<P::CallPrimaryContext>() && !in<P::ParenPrimaryContext>()
                 ? "an argument or ')'"
                 : "an expression";
    case P::COMMA:
      if (ctx_is_set())
        return "a set element";
      return "an argument";
    case P::LBRACE:
      return "a set element or '}'";
    default:
      return "an expression";
    }
  }

  bool ctx_is_set() const {
    for (auto *n = static_cast<antlr4::tree::ParseTree *>(ctx_); n;
         n = n->parent) {
      if (dynamic_cast<P::SetPrimaryContext *>(n))
        return true;
      if (dynamic_cast<P::CallPrimaryContext *>(n) ||
          dynamic_cast<P::ParenPrimaryContext *>(n))
        return false;
    }
    return false;
  }

  std::string message(Phrase &p) {
    auto *rule = in<P::RuleDeclContext>();
    auto *constd = in<P::ConstDeclContext>();
    auto *setd = in<P::SetDeclContext>();
    auto *testd = in<P::TestDeclContext>();
    auto *packet = in<P::TestPacketContext>();

    if (type_ == P::RPAREN && !expects(P::RPAREN))
      return "unexpected ')'";
    if (type_ == P::ASSIGN && !expects(P::ASSIGN) && !expects(P::IDENT))
      return "unexpected '='; use '==' to compare";

    // Expressions.
    if (expects_expression()) {
      if (rule && prev_type() == P::COLON)
        return "expected the condition of rule " + quote(name_in(map_, rule)) +
               " after ':'";
      if (prev_type() == P::PROTECT)
        return "expected a condition after 'protect'";
      if (constd && prev_type() == P::ASSIGN)
        return "expected the value of constant " +
               quote(name_in(map_, constd)) + " after '='";
      if (prev_type() == P::ASSIGN)
        return "expected a value after " + prev_text();
      return "expected " + what_expression() + " after " + prev_text();
    }
    if (auto *paren = dynamic_cast<P::ParenPrimaryContext *>(ctx_);
        paren && expects(P::RPAREN)) {
      if (paren->LPAREN())
        p.notes.push_back(
            {"to match this '('", map_.range(paren->LPAREN()->getSymbol())});
      return "expected ')'";
    }
    if (auto *call = dynamic_cast<P::CallPrimaryContext *>(ctx_);
        call && expects(P::RPAREN)) {
      std::string fn =
          call->IDENT() ? map_.text(call->IDENT()->getSymbol()) : "";
      return "expected ',' or ')' in the arguments of " + quote(fn);
    }
    if (dynamic_cast<P::SetPrimaryContext *>(ctx_) && expects(P::RBRACE))
      return "expected ',' or '}' in the set";
    if (expects_only({P::IN}))
      return "expected 'in' after 'not'";

    // Numbers, durations, strings.
    if (expects(P::DURATION) &&
        expects_only({P::DURATION, P::INT, P::BAD_NUMBER}))
      return "expected a duration (e.g. 10m) after " + prev_text();
    if (expects_only({P::INT, P::HEX_INT}))
      return "expected a number after " + prev_text();

    // Actions and verdicts.
    if (expects_exactly({P::PASS, P::DROP, P::COUNT})) {
      did_you_mean(p, {"pass", "drop", "count"});
      return "expected an action ('pass', 'drop' or 'count') after '=>'";
    }
    if (expects_exactly({P::PASS, P::DROP})) {
      did_you_mean(p, {"pass", "drop"});
      if (in<P::DefaultDeclContext>())
        return "expected 'pass' or 'drop' after 'default'";
      return "expected a verdict ('pass' or 'drop') after '=>'";
    }

    // Declarations.
    if (rule) {
      if (prev_type() == P::RULE && expects(P::IDENT))
        return "expected a rule name after 'rule'" + keyword_hint();
      if (expects_only({P::COLON}))
        return "expected ':' after the rule name " + quote(name_in(map_, rule));
      if (expects(P::ARROW))
        return "expected '=>' after the condition of rule " +
               quote(name_in(map_, rule));
    }
    if (constd) {
      if (prev_type() == P::CONST && expects(P::IDENT))
        return "expected a constant name after 'const'" + keyword_hint();
      if (expects_only({P::ASSIGN}))
        return "expected '=' after the constant name " +
               quote(name_in(map_, constd));
    }
    if (setd) {
      std::string name = name_in(map_, setd);
      if (prev_type() == P::SET && expects(P::IDENT))
        return "expected a set name after 'set'" + keyword_hint();
      if (expects_only({P::COLON}))
        return "expected ':' and an element type after the set name " +
               quote(name);
      if (prev_type() == P::COLON && expects(P::IDENT))
        return "expected an element type ('ip', 'port', 'int', 'mac' or "
               "'proto') after ':'" +
               keyword_hint();
      if (expects_only({P::DYNAMIC}))
        return "expected 'dynamic' after the element type of set " +
               quote(name) + " (a fixed set is a constant: 'const " + name +
               " = { ... }')";
    }
    if (packet) {
      if (expects_only({P::LBRACE}))
        return "expected '{' after 'packet'";
      if (auto *assign = in<P::FieldAssignContext>();
          assign && expects_only({P::ASSIGN})) {
        std::string field =
            assign->FIELD() ? map_.text(assign->FIELD()->getSymbol()) : "";
        return "expected '=' after the field " + quote(field) +
               (type_ == P::EQ ? " (test packets assign with '=')" : "");
      }
      if (expects(P::FIELD) && expects(P::RBRACE))
        return "expected a field (e.g. 'ip.src = 10.0.0.1') or '}' in the "
               "packet";
      if (expects(P::COMMA) && expects(P::RBRACE))
        return "expected ',' or '}' in the packet";
      if (expects(P::ARROW)) {
        if (type_ == P::INT || type_ == P::HEX_INT)
          return "expected '=>' after the packet (write 'x " + map_.text(off_) +
                 "' to send it several times)";
        return "expected '=>' and a verdict after the packet";
      }
    }
    if (testd) {
      std::string name =
          testd->stringLit() ? map_.text(testd->stringLit()->getStart()) : "";
      if (expects_only({P::STRING, P::UNTERMINATED_STRING}))
        return "expected the test name (a string in double quotes) after "
               "'test'";
      if (expects_only({P::LBRACE}))
        return "expected '{' after the test name";
      if (expects(P::PACKET) && expects(P::RBRACE)) {
        if ((prev_type() == P::PASS || prev_type() == P::DROP) &&
            (type_ == P::INT || type_ == P::HEX_INT))
          return "expected a comparison ('>=', '<=', '==', '>' or '<') before "
                 "the count " +
                 found();
        did_you_mean(p, {"packet"});
        return "expected 'packet' or '}' in test " + name;
      }
    }
    if (auto *policy = in<P::PolicyDeclContext>()) {
      std::string name = name_in(map_, policy);
      if (prev_type() == P::POLICY && expects(P::IDENT))
        return "expected a policy name after 'policy'" + keyword_hint();
      if (expects_only({P::LBRACE}) ||
          (expects(P::LBRACE) && expects(P::IDENT)))
        return "expected '{' after the policy name " + quote(name);
      if (expects(P::RBRACE) && (type_ == Token::EOF || type_ == P::POLICY))
        return "expected '}' at the end of policy " + quote(name);
    }

    // Generic: a short list of what would have fitted, else "unexpected".
    std::vector<std::string> names;
    for (size_t t : expected_.toList()) {
      std::string d = describe_type(t);
      if (d.empty()) {
        std::string lit = parser_->getVocabulary().getLiteralName(t);
        if (lit.empty())
          continue;
        d = lit;
      }
      if (std::find(names.begin(), names.end(), d) == names.end())
        names.push_back(d);
    }
    if (!names.empty() && names.size() <= 3)
      return "expected " + join_alternatives(names) + ", found " + found();
    return "unexpected " + found();
  }

  Parser *parser_;
  const TokenMap &map_;
  Token *off_;
  IntervalSet expected_;
  Token *prev_ = nullptr;
  size_t type_ = 0;
  ParserRuleContext *ctx_ = nullptr;
};

// What a declaration is called in messages: "rule 'r'", "constant 'c'".
std::string describe_decl(const TokenMap &map, P::DeclContext *decl) {
  if (!decl)
    return "";
  if (auto *r = decl->ruleDecl())
    return "rule " + quote(name_in(map, r));
  if (auto *c = decl->constDecl())
    return "constant " + quote(name_in(map, c));
  if (auto *s = decl->setDecl())
    return "set " + quote(name_in(map, s));
  if (decl->protectDecl())
    return "protect condition";
  if (decl->defaultDecl())
    return "default";
  if (auto *t = decl->testDecl())
    return "test " + (t->stringLit() ? map.text(t->stringLit()->getStart())
                                     : std::string("''"));
  return "declaration";
}

} // namespace

// ------------------------------------------------------- SyntaxErrorStrategy

void SyntaxErrorStrategy::report(Parser *parser, Token *offending,
                                 const IntervalSet &expected) {
  const TokenMap &map = reporter_.map();
  auto *decl = enclosing_decl(parser);
  size_t region = decl ? decl->getStart()->getTokenIndex() : INVALID_INDEX;
  if (!decl) {
    size_t at = TokenMap::is_missing(offending) ? map.stream().index()
                                                : offending->getTokenIndex();
    if (Token *prev = map.previous_default(at))
      region = prev->getTokenIndex();
  }
  Phrase p = Phraser(parser, map, offending, expected).phrase();
  // "expected X after Y" with X missing at the end of a line: point just
  // after Y, where X belongs, not at whatever starts the next line.
  SourceRange after_prev;
  const SourceRange *at = nullptr;
  size_t index = TokenMap::is_missing(offending) ? map.stream().index()
                                                 : offending->getTokenIndex();
  if (Token *prev = map.previous_default(index);
      prev && !TokenMap::is_missing(offending) &&
      offending->getType() != Token::EOF &&
      offending->getLine() > prev->getLine() &&
      p.message.rfind("expected ", 0) == 0) {
    SourceRange pr = map.range(prev);
    after_prev = SourceRange{pr.end, {pr.end.line, pr.end.column + 1}};
    at = &after_prev;
  }
  reporter_.syntax_error(p.code, offending, region, std::move(p.message),
                         std::move(p.notes), at);
}

void SyntaxErrorStrategy::reportError(Parser *parser,
                                      const antlr4::RecognitionException &e) {
  bool inside = enclosing_decl(parser) != nullptr;
  if (!inside && inErrorRecoveryMode(parser))
    return;
  beginErrorCondition(parser);
  report(parser, e.getOffendingToken(), e.getExpectedTokens());
}

void SyntaxErrorStrategy::recover(Parser *parser, std::exception_ptr e) {
  if (enclosing_decl(parser))
    throw DeclAbort{};
  DefaultErrorStrategy::recover(parser, e);
}

Token *SyntaxErrorStrategy::recoverInline(Parser *parser) {
  if (enclosing_decl(parser)) {
    beginErrorCondition(parser);
    report(parser, parser->getCurrentToken(), parser->getExpectedTokens());
    throw DeclAbort{};
  }
  return DefaultErrorStrategy::recoverInline(parser);
}

void SyntaxErrorStrategy::sync(Parser *parser) {
  using antlr4::atn::ATNState;
  ATNState *s = parser->getInterpreter<antlr4::atn::ATNSimulator>()
                    ->atn.states[parser->getState()];
  bool inside = enclosing_decl(parser) != nullptr;
  if (!inside && inErrorRecoveryMode(parser))
    return;
  size_t la = parser->getTokenStream()->LA(1);
  IntervalSet next = parser->getATN().nextTokens(s);
  if (next.contains(Token::EPSILON) || next.contains(la))
    return;
  switch (s->getStateType()) {
  case ATNState::BLOCK_START:
  case ATNState::STAR_BLOCK_START:
  case ATNState::PLUS_BLOCK_START:
  case ATNState::STAR_LOOP_ENTRY:
  case ATNState::PLUS_LOOP_BACK:
  case ATNState::STAR_LOOP_BACK:
    break;
  default:
    return;
  }
  if (inside) {
    beginErrorCondition(parser);
    report(parser, parser->getCurrentToken(), parser->getExpectedTokens());
    throw DeclAbort{};
  }

  // Between declarations or at file level.
  auto *ctx = parser->getContext();
  const TokenMap &map = reporter_.map();
  Token *off = parser->getCurrentToken();
  auto *policy = dynamic_cast<P::PolicyDeclContext *>(ctx);
  if (policy && !next.contains(static_cast<size_t>(P::RULE))) {
    // In the header (`policy NAME {`). A declaration already: the name
    // and '{' are missing; report and let '{' be conjured.
    if (is_decl_start(la)) {
      beginErrorCondition(parser);
      Token *off = parser->getCurrentToken();
      bool named = !policy->children.empty() && policy->IDENT();
      reporter_.syntax_error(
          DiagCode::E0101, off, off->getTokenIndex(),
          named ? "expected '{' after the policy name " +
                      quote(name_in(reporter_.map(), policy))
                : std::string("expected a policy name and '{' after 'policy'"));
      return;
    }
    DefaultErrorStrategy::sync(parser);
    return;
  }
  if (policy) {
    auto decls = policy->decl();
    P::DeclContext *last = decls.empty() ? nullptr : decls.back();
    bool last_ok = last && !last->exception;
    size_t type = off->getType();
    std::string message;
    std::vector<Diagnostic::Note> notes;
    Token *prev = map.previous_default(off->getTokenIndex());
    bool same_line = prev && prev->getLine() == off->getLine();
    if (type == Token::EOF || type == P::POLICY) {
      message =
          "expected '}' at the end of policy " + quote(name_in(map, policy));
      if (auto *lb = policy->LBRACE();
          lb && !TokenMap::is_missing(lb->getSymbol()))
        notes.push_back(
            {"the policy's '{' is here", map.range(lb->getSymbol())});
    } else if (type == P::IDENT &&
               parser->getTokenStream()->LA(2) == P::COLON) {
      message = "missing 'rule' before " + quote(map.text(off) + ":");
    } else if (last_ok && last->ruleDecl() && type == P::IDENT && same_line) {
      message =
          "unknown modifier " + show(map, off) + "; expected 'ttl' or 'shadow'";
      std::string best = closest_match(map.text(off), {"ttl", "shadow"});
      if (!best.empty())
        notes.push_back({"did you mean " + quote(best) + "?", map.range(off)});
    } else if (last_ok && last->ruleDecl() && type == P::DURATION &&
               same_line) {
      message = "expected 'ttl' before the duration " + show(map, off);
    } else if (last_ok && last->setDecl() && type == P::IDENT && same_line) {
      message = "unknown set option " + show(map, off) +
                "; expected 'ttl' or 'capacity'";
    } else if (type == P::ASSIGN) {
      message = "unexpected '='; use '==' to compare";
    } else if (type == P::RPAREN) {
      message = "unexpected ')'";
    } else if (last_ok && same_line) {
      message = "unexpected " + show(map, off) + " after the end of the " +
                describe_decl(map, last);
    } else {
      message = "expected a declaration ('const', 'set', 'protect', 'rule', "
                "'default' or "
                "'test') or '}', found " +
                show(map, off);
      if (type == P::IDENT) {
        std::string best =
            closest_match(map.text(off), {"const", "set", "protect", "rule",
                                          "default", "test", "policy"});
        if (!best.empty())
          notes.push_back(
              {"did you mean " + quote(best) + "?", map.range(off)});
      }
    }
    beginErrorCondition(parser);
    reporter_.syntax_error(DiagCode::E0101, off,
                           prev ? prev->getTokenIndex() : INVALID_INDEX,
                           std::move(message), std::move(notes));
    skip_to_declaration(parser, false);
    return;
  }
  if (auto *file = dynamic_cast<P::PolicyFileContext *>(ctx)) {
    auto policies = file->policyDecl();
    Token *prev = map.previous_default(off->getTokenIndex());
    DiagCode code = DiagCode::E0101;
    std::string message;
    if (!policies.empty()) {
      std::string name = name_in(map, policies.back());
      message =
          "unexpected " + show(map, off) + " after the end of " +
          (name.empty() ? std::string("the policy") : "policy " + quote(name));
    } else {
      bool any_policy = false;
      auto &tokens = map.stream();
      for (size_t i = off->getTokenIndex(); i < tokens.size() && !any_policy;
           ++i)
        any_policy = tokens.get(i)->getType() == P::POLICY;
      message = "expected 'policy NAME { ... }', found " + show(map, off);
      if (!any_policy)
        code = DiagCode::E0106;
    }
    beginErrorCondition(parser);
    reporter_.syntax_error(code, off,
                           prev ? prev->getTokenIndex() : INVALID_INDEX,
                           std::move(message));
    skip_to_declaration(parser, true);
    return;
  }
  DefaultErrorStrategy::sync(parser);
}

void SyntaxErrorStrategy::skip_to_declaration(Parser *parser, bool file_level) {
  antlr4::TokenStream *in = parser->getTokenStream();
  int depth = 0;
  for (;;) {
    size_t la = in->LA(1);
    if (la == Token::EOF || la == P::POLICY)
      return;
    if (!file_level) {
      if (is_decl_start(la))
        return;
      if (la == P::RBRACE) {
        if (depth == 0)
          return;
        --depth;
      } else if (la == P::LBRACE) {
        ++depth;
      }
    }
    parser->consume();
  }
}

void SyntaxErrorStrategy::resync_after_decl(Parser *parser) {
  antlr4::TokenStream *in = parser->getTokenStream();
  // Brace depth inside the declaration so far, so that the '}' of a set
  // or a packet does not end the skip; a declaration keyword always does.
  int depth = 0;
  if (auto *ctx = parser->getContext(); ctx && ctx->getStart()) {
    for (size_t i = ctx->getStart()->getTokenIndex(); i < in->index(); ++i) {
      Token *t = in->get(i);
      if (t->getChannel() != Token::DEFAULT_CHANNEL)
        continue;
      if (t->getType() == P::LBRACE)
        ++depth;
      else if (t->getType() == P::RBRACE && depth > 0)
        --depth;
    }
  }
  for (;;) {
    size_t la = in->LA(1);
    if (la == Token::EOF || la == P::POLICY || is_decl_start(la))
      break;
    if (la == P::RBRACE) {
      // A '}' followed by a declaration (or another '}') cannot close the
      // policy: the declaration lost a '{' (e.g. to an unterminated
      // string), so the brace is still its own.
      size_t after = in->LA(2);
      if (depth == 0 && !is_decl_start(after) && after != P::RBRACE)
        break;
      if (depth > 0)
        --depth;
    } else if (la == P::LBRACE) {
      ++depth;
    }
    parser->consume();
  }
  endErrorCondition(parser);
}

void SyntaxErrorStrategy::reportUnwantedToken(Parser *parser) {
  if (inErrorRecoveryMode(parser))
    return;
  beginErrorCondition(parser);
  report(parser, parser->getCurrentToken(), getExpectedTokens(parser));
}

void SyntaxErrorStrategy::reportMissingToken(Parser *parser) {
  if (inErrorRecoveryMode(parser))
    return;
  beginErrorCondition(parser);
  report(parser, parser->getCurrentToken(), getExpectedTokens(parser));
}

void resync_after_decl(Parser *parser) {
  auto handler = parser->getErrorHandler();
  if (auto *strategy = dynamic_cast<SyntaxErrorStrategy *>(handler.get()))
    strategy->resync_after_decl(parser);
}

// -------------------------------------------------------- LexerErrorListener

void LexerErrorListener::syntaxError(antlr4::Recognizer *, Token *, size_t line,
                                     size_t column, const std::string &,
                                     std::exception_ptr) {
  SourceRange r;
  r.begin = {static_cast<uint32_t>(line), static_cast<uint32_t>(column) + 1};
  r.end = {r.begin.line, r.begin.column + 1};
  diags_.report(DiagCode::E0102, r, "invalid character");
}

} // namespace psl::frontend
