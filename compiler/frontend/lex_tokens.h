// The token stream of a text as plain values, from the lexer the parser
// uses (FastLexer) or from the generated ANTLR lexer alone: the tests
// compare the two, token for token.
#pragma once

#include <string>
#include <vector>

namespace psl::frontend {

struct LexedToken {
  size_t type = 0, channel = 0;
  size_t start = 0, stop = 0;
  size_t line = 0, column = 0;
  bool operator==(const LexedToken &o) const {
    return type == o.type && channel == o.channel && start == o.start &&
           stop == o.stop && line == o.line && column == o.column;
  }
};

enum class LexerKind { Fast, Generated };

// All tokens of `text`, through EOF. The text is lexed as a whole; with
// `begin`/`end`, only those bytes (line counting from `line`), as a piece
// of a large file is.
std::vector<LexedToken> lex_all(const std::string &text, LexerKind kind,
                                size_t begin = 0,
                                size_t end = std::string::npos,
                                size_t line = 1);

} // namespace psl::frontend
