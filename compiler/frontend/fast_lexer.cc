#include "frontend/fast_lexer.h"

#include <cstring>
#include <string_view>

#include "frontend/byte_stream.h"
#include "frontend/lex_tokens.h"

namespace psl::frontend {
namespace {

using L = psl_antlr::PolicyLexer;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_word_char(char c) { return is_letter(c) || is_digit(c); }
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
// WS in the grammar (the byte-order mark aside, which is not ASCII).
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

// The keyword rules, which come before IDENT: a name equal to one of them
// is that keyword.
size_t keyword_type(const char *s, size_t n) {
  struct Keyword {
    std::string_view text;
    size_t type;
  };
  static constexpr Keyword kKeywords[] = {
      {"policy", L::POLICY},     {"const", L::CONST},
      {"protect", L::PROTECT},   {"set", L::SET},
      {"dynamic", L::DYNAMIC},   {"ttl", L::TTL},
      {"capacity", L::CAPACITY}, {"rule", L::RULE},
      {"default", L::DEFAULT},   {"test", L::TEST},
      {"packet", L::PACKET},     {"within", L::WITHIN},
      {"pass", L::PASS},         {"drop", L::DROP},
      {"count", L::COUNT},       {"shadow", L::SHADOW},
      {"and", L::AND},           {"or", L::OR},
      {"not", L::NOT},           {"in", L::IN},
      {"burst", L::BURST},       {"true", L::TRUE},
      {"false", L::FALSE},
  };
  if (n < 2 || n > 8 || s[0] < 'a' || s[0] > 'w')
    return L::IDENT;
  const std::string_view word(s, n);
  for (const Keyword &k : kKeywords)
    if (k.text.size() == n && k.text[0] == s[0] && k.text == word)
      return k.type;
  return L::IDENT;
}

} // namespace

FastLexer::FastLexer(antlr4::CharStream *input, const std::string &text)
    : PolicyLexer(input), text_(text) {}

// Names, keywords and fields: IDENT_PART ('.' IDENT_PART)*. The other
// rules a letter can start are IPV6 and MAC (hex digits then ':') and
// ERROR_CHAR (one byte, never the longest).
FastLexer::Claim FastLexer::claim_word(size_t at, size_t end) const {
  const char *s = text_.data();
  size_t i = at;
  bool all_hex = true;
  while (i < end && is_word_char(s[i])) {
    all_hex = all_hex && is_hex(s[i]);
    ++i;
  }
  // `dead::1`, `ab:cd:ef:01:23:45`: maybe an address; `x: ...` is not.
  if (all_hex && i < end && s[i] == ':')
    return {};
  bool field = false;
  while (i + 1 < end && s[i] == '.' && is_letter(s[i + 1])) {
    field = true;
    i += 2;
    while (i < end && is_word_char(s[i]))
      ++i;
  }
  if (field)
    return {L::FIELD, antlr4::Token::DEFAULT_CHANNEL, i - at};
  return {keyword_type(s + at, i - at), antlr4::Token::DEFAULT_CHANNEL, i - at};
}

// Decimal forms: INT, IPV4 (with a prefix), DURATION and RATE, the
// longest of them unless BAD_NUMBER, which takes any run of digits,
// letters, '.'-separated parts and a '/unit', is longer still. Where the
// digits run into a hex letter, 'x' or ':' (IPV6, MAC, HEX_INT), the
// generated lexer decides.
FastLexer::Claim FastLexer::claim_number(size_t at, size_t end) const {
  const char *s = text_.data();
  auto digits = [&](size_t i) {
    while (i < end && is_digit(s[i]))
      ++i;
    return i;
  };
  const size_t d = digits(at); // past the leading digits
  if (d < end &&
      (s[d] == ':' || s[d] == 'x' || (is_hex(s[d]) && !is_digit(s[d]))))
    return {};

  // BAD_NUMBER: DIGIT [0-9a-zA-Z_]* ('.' [0-9a-zA-Z_]+)* ('/' [a-zA-Z]+)?,
  // greedy (each part starts with a byte the one before cannot take).
  size_t bad = at + 1;
  while (bad < end && is_word_char(s[bad]))
    ++bad;
  while (bad + 1 < end && s[bad] == '.' && is_word_char(s[bad + 1])) {
    bad += 2;
    while (bad < end && is_word_char(s[bad]))
      ++bad;
  }
  if (bad + 1 < end && s[bad] == '/' && is_letter(s[bad + 1]) &&
      s[bad + 1] != '_') {
    bad += 2;
    while (bad < end && is_letter(s[bad]) && s[bad] != '_')
      ++bad;
  }

  // In the grammar's order, so that the first of equally long ones wins.
  size_t best_type = L::INT;
  size_t best_end = d;
  auto offer = [&](size_t type, size_t stop) {
    if (stop > best_end || (stop == best_end && type < best_type)) {
      best_type = type;
      best_end = stop;
    }
  };
  // IPV4: DIGIT+ '.' DIGIT+ '.' DIGIT+ '.' DIGIT+ ('/' DIGIT+)?
  {
    size_t i = d;
    bool ok = true;
    for (int k = 0; k < 3 && ok; ++k) {
      if (i + 1 < end && s[i] == '.' && is_digit(s[i + 1]))
        i = digits(i + 1);
      else
        ok = false;
    }
    if (ok) {
      if (i + 1 < end && s[i] == '/' && is_digit(s[i + 1]))
        i = digits(i + 1);
      offer(L::IPV4, i);
    }
  }
  // RATE: DIGIT+ [kMG]? 'bit'? '/s'
  {
    size_t i = d;
    if (i < end && (s[i] == 'k' || s[i] == 'M' || s[i] == 'G'))
      ++i;
    if (end - i >= 3 && std::memcmp(s + i, "bit", 3) == 0)
      i += 3;
    if (end - i >= 2 && s[i] == '/' && s[i + 1] == 's')
      offer(L::RATE, i + 2);
  }
  // DURATION: DIGIT+ ('ms' | 's' | 'm' | 'h')
  if (d < end) {
    if (s[d] == 'm')
      offer(L::DURATION, d + 1 < end && s[d + 1] == 's' ? d + 2 : d + 1);
    else if (s[d] == 's' || s[d] == 'h')
      offer(L::DURATION, d + 1);
  }
  if (bad > best_end)
    return {};
  return {best_type, antlr4::Token::DEFAULT_CHANNEL, best_end - at};
}

FastLexer::Claim FastLexer::claim(size_t at, size_t end) const {
  const char *s = text_.data();
  const char c = s[at];
  const char next = at + 1 < end ? s[at + 1] : '\0';
  auto one = [](size_t type) {
    return Claim{type, antlr4::Token::DEFAULT_CHANNEL, 1};
  };
  auto two = [](size_t type) {
    return Claim{type, antlr4::Token::DEFAULT_CHANNEL, 2};
  };
  if (is_letter(c))
    return claim_word(at, end);
  if (is_digit(c))
    return claim_number(at, end);
  switch (c) {
  case '(':
    return one(L::LPAREN);
  case ')':
    return one(L::RPAREN);
  case '{':
    return one(L::LBRACE);
  case '}':
    return one(L::RBRACE);
  case ',':
    return one(L::COMMA);
  case '=':
    return next == '>'   ? two(L::ARROW)
           : next == '=' ? two(L::EQ)
                         : one(L::ASSIGN);
  case '<':
    return next == '=' ? two(L::LE) : one(L::LT);
  case '>':
    return next == '=' ? two(L::GE) : one(L::GT);
  case '!':
    return next == '=' ? two(L::NE)
                       : Claim{L::C_NOT, antlr4::Token::HIDDEN_CHANNEL, 1};
  // '::' may start an IPv6 address.
  case ':':
    return next == ':' ? Claim{} : one(L::COLON);
  case '.':
    return next == '.' ? two(L::DOTDOT) : Claim{};
  case '#': {
    size_t i = at + 1;
    while (i < end && s[i] != '\n' && s[i] != '\r')
      ++i;
    return {L::COMMENT, antlr4::Token::HIDDEN_CHANNEL, i - at};
  }
  default:
    return {};
  }
}

// Lexer::nextToken for the claimed tokens: the same start fields, the same
// token factory call (through emit) and the same end-of-input mark; line
// and column advance as LexerATNSimulator::consume advances them.
std::unique_ptr<antlr4::Token> FastLexer::nextToken() {
  if (hitEOF)
    return PolicyLexer::nextToken();
  antlr4::atn::LexerATNSimulator *sim = this->sim();
  const size_t end = _input->size();
  size_t at = _input->index();
  size_t line = sim->getLine();
  size_t column = sim->getCharPositionInLine();
  const char *s = text_.data();
  while (at < end && is_space(s[at])) {
    if (s[at] == '\n') {
      ++line;
      column = 0;
    } else {
      ++column;
    }
    ++at;
  }
  const Claim c = at < end ? claim(at, end) : Claim{};
  _input->seek(at);
  sim->setLine(line);
  sim->setCharPositionInLine(column);
  if (c.length == 0) {
    // Skipped whitespace up to the end: the generated lexer would have
    // marked it after that whitespace.
    if (at >= end)
      hitEOF = true;
    return PolicyLexer::nextToken();
  }
  token.reset();
  _text.clear();
  tokenStartCharIndex = at;
  tokenStartLine = line;
  tokenStartCharPositionInLine = column;
  type = c.type;
  channel = c.channel;
  // No claimed token holds a line break.
  _input->seek(at + c.length);
  sim->setCharPositionInLine(column + c.length);
  if (at + c.length >= end)
    hitEOF = true;
  emit();
  return std::move(token);
}

std::vector<LexedToken> lex_all(const std::string &text, LexerKind kind,
                                size_t begin, size_t end, size_t line) {
  ByteStream input(text, begin, end);
  std::unique_ptr<psl_antlr::PolicyLexer> lexer;
  if (kind == LexerKind::Fast)
    lexer = std::make_unique<FastLexer>(&input, text);
  else
    lexer = std::make_unique<psl_antlr::PolicyLexer>(&input);
  lexer->removeErrorListeners();
  lexer->setLine(line);
  lexer->setCharPositionInLine(0);
  std::vector<LexedToken> out;
  for (;;) {
    std::unique_ptr<antlr4::Token> t = lexer->nextToken();
    out.push_back({t->getType(), t->getChannel(), t->getStartIndex(),
                   t->getStopIndex(), t->getLine(),
                   t->getCharPositionInLine()});
    if (t->getType() == antlr4::Token::EOF)
      return out;
  }
}

} // namespace psl::frontend
