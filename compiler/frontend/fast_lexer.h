// The PSL lexer with a hand-written path for the tokens that make up
// nearly all of a policy: whitespace, comments, names, keywords, fields,
// operators and the plain number forms (decimal integers, IPv4 addresses
// and prefixes, durations, rates). Every other token (strings, IPv6
// addresses, MACs, hex numbers, invalid literals, stray characters, the end
// of input) is left to the ANTLR lexer generated from grammar/Policy.g4,
// which starts at the same byte, line and column the hand-written path
// reached. The hand-written path claims a token only where it can tell
// that the grammar's longest match (ties going to the earlier rule) gives
// exactly that token, so the token stream is the generated lexer's,
// token for token: same types, channels, offsets, lines and columns.
//
// ANTLR types stay inside compiler/frontend/: lex_tokens.h is what the rest
// sees (for tests).
//
// Why: the generated lexer walks its DFA once per byte behind a virtual
// call or two, and made up about a third of the time to parse a large
// policy.
#pragma once

#include <memory>
#include <string>

#include "PolicyLexer.h"

namespace psl::frontend {

class FastLexer : public psl_antlr::PolicyLexer {
public:
  // `input` reads `text` (the whole file; the stream may be limited to a
  // byte range of it), which must outlive the lexer.
  FastLexer(antlr4::CharStream *input, const std::string &text);

  std::unique_ptr<antlr4::Token> nextToken() override;
  // Lexer's own, without its dynamic_cast to the simulator: every token
  // asks for both when it is made (CommonToken's constructor).
  size_t getLine() const override { return sim()->getLine(); }
  size_t getCharPositionInLine() override {
    return sim()->getCharPositionInLine();
  }

private:
  // A lexer's simulator is always a LexerATNSimulator (the generated
  // constructor makes one; the parser's replacement derives from it).
  antlr4::atn::LexerATNSimulator *sim() const {
    return static_cast<antlr4::atn::LexerATNSimulator *>(_interpreter);
  }

  // The token at `at` as the hand-written path sees it: its type, channel
  // and length, or length 0 where the generated lexer must decide.
  struct Claim {
    size_t type = 0;
    size_t channel = antlr4::Token::DEFAULT_CHANNEL;
    size_t length = 0;
  };
  Claim claim(size_t at, size_t end) const;
  Claim claim_word(size_t at, size_t end) const;
  Claim claim_number(size_t at, size_t end) const;

  const std::string &text_;
};

} // namespace psl::frontend
