// Syntax and lexical errors: ANTLR's console listeners are replaced by this
// strategy, which phrases errors in PSL's diagnostic style from the
// parser's rule-context stack and expected-token set, reports at most one
// error per declaration, and recovers at declaration boundaries.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "antlr4-runtime.h"
#include "diag/diagnostics.h"

namespace psl::frontend {

// Source positions and text of tokens. The lexer runs over bytes, so token
// start/stop indexes are byte offsets into the file.
class TokenMap {
public:
  TokenMap(const SourceFile &file, antlr4::BufferedTokenStream &tokens);

  const SourceFile &file() const { return file_; }
  antlr4::BufferedTokenStream &stream() const { return tokens_; }

  // A token conjured by error recovery (it has no place in the source).
  static bool is_missing(const antlr4::Token *t);
  // The token's bytes as written.
  std::string text(const antlr4::Token *t) const;
  // A token's range; EOF (and a conjured token) gets the one column just
  // after the last real token before it.
  SourceRange range(const antlr4::Token *t) const;
  // From the start of `first` to the end of `last` (tokens).
  SourceRange range(const antlr4::Token *first,
                    const antlr4::Token *last) const;
  SourceRange range(const antlr4::ParserRuleContext *ctx) const;
  // The nearest default-channel token before token index `index`, or null.
  antlr4::Token *previous_default(size_t index) const;

private:
  const SourceFile &file_;
  antlr4::BufferedTokenStream &tokens_;
};

// Collects the frontend's syntax diagnostics and keeps them from
// cascading.
class SyntaxErrorReporter {
public:
  SyntaxErrorReporter(DiagnosticSink &diags, const TokenMap &map)
      : diags_(diags), map_(map) {}

  // Reports the lexer's error tokens (invalid characters E0102, invalid
  // numbers E0103, unterminated strings E0104) and remembers where they are.
  void scan_lexical_errors();

  // Reports a syntax error at `offending`, unless an error was already
  // reported at that token or a lexical error in tokens
  // [region_start, offending] explains it. Returns whether it reported.
  // `at` overrides where the diagnostic points (default: the offending
  // token).
  bool syntax_error(DiagCode code, const antlr4::Token *offending,
                    size_t region_start, std::string message,
                    std::vector<Diagnostic::Note> notes = {},
                    const SourceRange *at = nullptr);

  size_t reported() const { return reported_; }
  const TokenMap &map() const { return map_; }
  DiagnosticSink &diags() { return diags_; }

private:
  DiagnosticSink &diags_;
  const TokenMap &map_;
  std::vector<size_t> lexical_errors_; // token indexes, ascending
  std::set<size_t> error_tokens_;      // tokens that already carry an error
  size_t reported_ = 0;
};

class SyntaxErrorStrategy : public antlr4::DefaultErrorStrategy {
public:
  explicit SyntaxErrorStrategy(SyntaxErrorReporter &reporter)
      : reporter_(reporter) {}

  void reportError(antlr4::Parser *parser,
                   const antlr4::RecognitionException &e) override;
  void recover(antlr4::Parser *parser, std::exception_ptr e) override;
  antlr4::Token *recoverInline(antlr4::Parser *parser) override;
  void sync(antlr4::Parser *parser) override;

  // After a DeclAbort: skip to the next declaration (see decl_abort.h).
  void resync_after_decl(antlr4::Parser *parser);

protected:
  void reportUnwantedToken(antlr4::Parser *parser) override;
  void reportMissingToken(antlr4::Parser *parser) override;

private:
  // Phrases and reports an error at `offending` with the parser's current
  // context and the tokens that were expected there.
  void report(antlr4::Parser *parser, antlr4::Token *offending,
              const antlr4::misc::IntervalSet &expected);
  // Between declarations / at file level: skip junk to a point where the
  // loop can go on.
  void skip_to_declaration(antlr4::Parser *parser, bool file_level);

  SyntaxErrorReporter &reporter_;
};

// Silences a lexer (it never errors: every byte is some token) and turns
// anything unexpected into a diagnostic instead of stderr output.
class LexerErrorListener : public antlr4::BaseErrorListener {
public:
  explicit LexerErrorListener(DiagnosticSink &diags) : diags_(diags) {}
  void syntaxError(antlr4::Recognizer *recognizer, antlr4::Token *offending,
                   size_t line, size_t column, const std::string &msg,
                   std::exception_ptr e) override;

private:
  DiagnosticSink &diags_;
};

} // namespace psl::frontend
