// parse_policy: bytes -> tokens -> parse tree -> AST, with every error a
// diagnostic. Nothing from ANTLR reaches stderr and no exception leaves.
#include "frontend/parser.h"

#include <exception>
#include <optional>
#include <string>

#include "PolicyLexer.h"
#include "PolicyParser.h"
#include "antlr4-runtime.h"
#include "frontend/ast_builder.h"
#include "frontend/byte_stream.h"
#include "frontend/comments.h"
#include "frontend/syntax_errors.h"

namespace psl {
namespace {

using P = psl_antlr::PolicyParser;

// Deeper nesting than this is refused before parsing: the parser and every
// pass recurse over the tree, and no real policy comes close.
constexpr int kMaxNesting = 256;

SourceLoc location_of(const std::string &text, size_t offset) {
  SourceLoc loc{1, 1};
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++loc.line;
      loc.column = 1;
    } else {
      ++loc.column;
    }
  }
  return loc;
}

// Reports E0002 at the first NUL byte or invalid UTF-8 sequence.
bool check_encoding(const SourceFile &file, DiagnosticSink &diags) {
  const std::string &s = file.text();
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (c == 0) {
      SourceLoc at = location_of(s, i);
      diags.report(DiagCode::E0002, {at, {at.line, at.column + 1}},
                   "input contains a NUL byte");
      return false;
    }
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      cp = c & 0x07;
    }
    bool ok = len != 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80)
        ok = false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (ok) {
      // Overlong forms, surrogates and values past U+10FFFF.
      if ((len == 3 && cp < 0x800) ||
          (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
          (cp >= 0xd800 && cp <= 0xdfff))
        ok = false;
    }
    if (!ok) {
      SourceLoc at = location_of(s, i);
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02x", c);
      diags.report(DiagCode::E0002, {at, {at.line, at.column + 1}},
                   std::string("input is not valid UTF-8 (byte ") + byte + ")");
      return false;
    }
    i += len;
  }
  return true;
}

// Refuses absurd nesting before the (recursive) parser sees it.
bool check_nesting(frontend::SyntaxErrorReporter &rep,
                   antlr4::BufferedTokenStream &tokens) {
  int depth = 0, nots = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    antlr4::Token *t = tokens.get(i);
    if (t->getChannel() != antlr4::Token::DEFAULT_CHANNEL)
      continue;
    size_t type = t->getType();
    if (type == P::NOT)
      ++nots;
    else
      nots = 0;
    if (type == P::LPAREN || type == P::LBRACE)
      ++depth;
    else if ((type == P::RPAREN || type == P::RBRACE) && depth > 0)
      --depth;
    if (depth > kMaxNesting || nots > kMaxNesting) {
      rep.syntax_error(DiagCode::E0101, t, i,
                       "nesting is too deep (more than " +
                           std::to_string(kMaxNesting) +
                           (nots > kMaxNesting ? " 'not' in a row)"
                                               : " levels of '(' and '{')"));
      return false;
    }
  }
  return true;
}

bool is_declaration_start(size_t type) {
  return type == P::CONST || type == P::SET || type == P::PROTECT ||
         type == P::RULE || type == P::DEFAULT || type == P::TEST;
}

// Parses a valid file one declaration at a time: SLL prediction with a
// bailing strategy (much faster than full LL, and it decides every valid
// file), each declaration's AST built and its parse tree freed before the
// next, so memory follows the largest declaration rather than the file
// (a 100,000-rule policy would otherwise hold a parse tree of ~1 GiB).
// Returns nothing at the first sign of a syntax error, an ambiguity SLL
// cannot settle, or a file shape it does not handle (no policy, a second
// policy): the caller then runs the error-recovering parse.
std::optional<frontend::BuiltPolicy>
parse_by_declaration(antlr4::CommonTokenStream &tokens,
                     frontend::SyntaxErrorReporter &reporter) {
  // `policy NAME {`
  std::vector<antlr4::Token *> head;
  size_t i = 0;
  for (; i < tokens.size() && head.size() < 3; ++i)
    if (tokens.get(i)->getChannel() == antlr4::Token::DEFAULT_CHANNEL)
      head.push_back(tokens.get(i));
  if (head.size() < 3 || head[0]->getType() != P::POLICY ||
      head[1]->getType() != P::IDENT || head[2]->getType() != P::LBRACE)
    return std::nullopt;

  P parser(&tokens);
  parser.removeErrorListeners();
  parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
      antlr4::atn::PredictionMode::SLL);
  parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
  tokens.seek(head[2]->getTokenIndex() + 1);

  frontend::BuiltPolicy built =
      frontend::begin_policy(head[0], head[1], reporter);
  try {
    while (is_declaration_start(tokens.LA(1))) {
      P::DeclContext *decl = parser.decl();
      // `decl` recovers from some errors by itself (see the grammar); any
      // error at all sends the file to the full parse.
      if (parser.getNumberOfSyntaxErrors() > 0 || !decl || decl->exception)
        return std::nullopt;
      frontend::add_declaration(built, decl, reporter);
      parser.getTreeTracker().reset();
    }
  } catch (const antlr4::ParseCancellationException &) {
    return std::nullopt;
  }
  antlr4::Token *close = tokens.LT(1);
  if (close->getType() != P::RBRACE || tokens.LA(2) != antlr4::Token::EOF)
    return std::nullopt;
  frontend::finish_policy(built, close, reporter);
  return built;
}

Module parse_whole_file(Module module, antlr4::CommonTokenStream &tokens,
                        frontend::TokenMap &map,
                        frontend::SyntaxErrorReporter &reporter,
                        DiagnosticSink &diags);

Module parse(std::shared_ptr<const SourceFile> file, DiagnosticSink &diags) {
  Module module;
  module.file = file;
  if (!check_encoding(*file, diags))
    return module;

  frontend::ByteStream input(file->text());
  psl_antlr::PolicyLexer lexer(&input);
  lexer.removeErrorListeners();
  frontend::LexerErrorListener lexer_errors(diags);
  lexer.addErrorListener(&lexer_errors);
  antlr4::CommonTokenStream tokens(&lexer);
  tokens.fill();

  frontend::TokenMap map(*file, tokens);
  frontend::SyntaxErrorReporter reporter(diags, map);
  reporter.scan_lexical_errors();
  if (!check_nesting(reporter, tokens)) {
    frontend::attach_comments(module, nullptr, map);
    return module;
  }

  // Fast path for the common case, a valid file: one declaration at a time.
  // (Only without lexical errors: the full parse needs `reporter`'s record
  // of them to keep syntax errors they explain from being reported.)
  if (!diags.has_errors()) {
    const size_t mark = diags.diagnostics().size();
    if (auto built = parse_by_declaration(tokens, reporter)) {
      frontend::attach_comments(module, &*built, map);
      module.policy = std::move(built->policy);
      return module;
    }
    // Something needs the error-recovering parse: start again from scratch
    // (a fresh reporter; there were no lexical errors to remember) so
    // nothing the fast path found is reported twice.
    diags.truncate(mark);
    frontend::SyntaxErrorReporter fresh(diags, map);
    tokens.seek(0);
    return parse_whole_file(std::move(module), tokens, map, fresh, diags);
  }
  return parse_whole_file(std::move(module), tokens, map, reporter, diags);
}

// The error-recovering parse of a whole file: full LL prediction and the
// strategy that writes our syntax diagnostics and resynchronises at the
// next declaration.
Module parse_whole_file(Module module, antlr4::CommonTokenStream &tokens,
                        frontend::TokenMap &map,
                        frontend::SyntaxErrorReporter &reporter,
                        DiagnosticSink &diags) {
  P parser(&tokens);
  parser.removeErrorListeners();
  parser.setErrorHandler(
      std::make_shared<frontend::SyntaxErrorStrategy>(reporter));
  P::PolicyFileContext *tree = parser.policyFile();

  auto policies = tree->policyDecl();
  frontend::BuiltPolicy built;
  if (!policies.empty() && policies[0]) {
    built = frontend::build_policy(policies[0], reporter);
    for (size_t i = 1; i < policies.size(); ++i) {
      auto *extra = policies[i];
      if (!extra || !extra->POLICY())
        continue;
      std::string name =
          extra->IDENT() ? map.text(extra->IDENT()->getSymbol()) : "";
      Diagnostic &d = diags.report(
          DiagCode::E0105,
          map.range(extra->POLICY()->getSymbol(),
                    extra->IDENT() ? extra->IDENT()->getSymbol() : nullptr),
          "second policy" + (name.empty() ? std::string() : " '" + name + "'") +
              " in one file; a file holds exactly one policy");
      d.notes.push_back(
          {"the file's policy '" + built.policy->name + "' is declared here",
           built.policy->name_range.valid() ? built.policy->name_range
                                            : built.policy->range});
    }
  } else if (reporter.reported() == 0) {
    diags.report(DiagCode::E0106, {{1, 1}, {1, 2}},
                 "file has no policy (expected 'policy NAME { ... }')");
  }

  frontend::attach_comments(module, built.policy ? &built : nullptr, map);
  module.policy = std::move(built.policy);
  return module;
}

} // namespace

Module parse_policy(std::shared_ptr<const SourceFile> file,
                    DiagnosticSink &diags) {
  try {
    return parse(file, diags);
  } catch (const std::exception &e) {
    diags.report(DiagCode::E0101, {{1, 1}, {1, 2}},
                 std::string("the parser failed on this input: ") + e.what());
  } catch (...) {
    diags.report(DiagCode::E0101, {{1, 1}, {1, 2}},
                 "the parser failed on this input");
  }
  Module module;
  module.file = std::move(file);
  return module;
}

} // namespace psl
