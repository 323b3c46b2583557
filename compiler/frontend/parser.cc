// parse_policy: bytes -> tokens -> parse tree -> AST, with every error a
// diagnostic. Nothing from ANTLR reaches stderr and no exception leaves.
#include "frontend/parser.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <exception>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "PolicyLexer.h"
#include "PolicyParser.h"
#include "antlr4-runtime.h"
#include "frontend/ast_builder.h"
#include "frontend/byte_stream.h"
#include "frontend/comments.h"
#include "frontend/fast_lexer.h"
#include "frontend/lean_parser.h"
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

// Refuses absurd nesting before the (recursive) parser sees it. `depth` is
// the nesting at the stream's first token (a piece of a file starts inside
// the policy's braces).
bool check_nesting(frontend::SyntaxErrorReporter &rep,
                   antlr4::BufferedTokenStream &tokens, int depth = 0) {
  int nots = 0;
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

// `policy NAME {` as the stream's first three default-channel tokens:
// those tokens, or nothing.
std::optional<std::array<antlr4::Token *, 3>>
policy_head(antlr4::CommonTokenStream &tokens) {
  std::array<antlr4::Token *, 3> head{};
  size_t found = 0;
  for (size_t i = 0; i < tokens.size() && found < 3; ++i)
    if (tokens.get(i)->getChannel() == antlr4::Token::DEFAULT_CHANNEL)
      head[found++] = tokens.get(i);
  if (found < 3 || head[0]->getType() != P::POLICY ||
      head[1]->getType() != P::IDENT || head[2]->getType() != P::LBRACE)
    return std::nullopt;
  return head;
}

// Makes `parser` give up at the first syntax error, with SLL prediction.
void make_bailing(P &parser) {
  parser.removeErrorListeners();
  parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
      antlr4::atn::PredictionMode::SLL);
  parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
}

// Parses declarations from the stream's position for as long as one
// starts, adding each to `built` and freeing its parse tree. False at the
// first syntax error or an ambiguity SLL cannot settle.
bool parse_declarations(P &parser, antlr4::CommonTokenStream &tokens,
                        frontend::BuiltPolicy &built,
                        frontend::SyntaxErrorReporter &reporter) {
  try {
    while (is_declaration_start(tokens.LA(1))) {
      P::DeclContext *decl = parser.decl();
      // `decl` recovers from some errors by itself (see the grammar); any
      // error at all sends the file to the full parse.
      if (parser.getNumberOfSyntaxErrors() > 0 || !decl || decl->exception)
        return false;
      frontend::add_declaration(built, decl, reporter);
      parser.getTreeTracker().reset();
    }
  } catch (const antlr4::ParseCancellationException &) {
    return false;
  }
  return true;
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
  auto head = policy_head(tokens);
  if (!head)
    return std::nullopt;
  frontend::LeanPolicyParser parser(&tokens);
  make_bailing(parser);
  tokens.seek((*head)[2]->getTokenIndex() + 1);
  frontend::BuiltPolicy built =
      frontend::begin_policy((*head)[0], (*head)[1], reporter);
  if (!parse_declarations(parser, tokens, built, reporter))
    return std::nullopt;
  antlr4::Token *close = tokens.LT(1);
  if (close->getType() != P::RBRACE || tokens.LA(2) != antlr4::Token::EOF)
    return std::nullopt;
  frontend::finish_policy(built, close, reporter);
  return built;
}

// ------------------------------------------------- large files, in pieces
//
// A large file is cut into pieces at lines that start a declaration. A few
// threads take the pieces in turn and lex, parse (as above) and build each
// on its own, freeing its tokens right after; the pieces' declarations,
// comments and diagnostics are then joined in file order. Only for a file
// the fast path takes: at the first sign of trouble in any piece (a
// lexical or syntax error, a piece that does not start with a declaration)
// the whole file goes through the sequential path, so what is reported for
// a broken file never depends on the pieces.
//
// A line start is always a token boundary: no token but skipped whitespace
// spans a newline (comments and strings end at the line's end), so the
// pieces' tokens are exactly the whole file's tokens.
//
// Thread safety of the ANTLR 4.9 runtime: recognizers of one grammar share
// the ATN (read only; its lazily computed follow sets are guarded by a
// mutex) and, by default, the DFA cache, whose updates and every read of a
// DFA edge take two process-wide locks (ATNSimulator::_edgeLock and
// _stateLock). Concurrent recognizers would be correct but would contend
// on those locks for every character and token. So the lexers and parsers
// of each thread get simulators with a DFA cache of that thread (built up
// again per parse: a few hundred states for this grammar) that read DFA
// edges without the lock, which is safe because no other thread can reach
// that DFA. What stays shared is read only, reference counted atomically,
// or guarded by the runtime's locks (taken only when a DFA grows). The one
// exception is LexerATNSimulator::match_calls, a statistics counter that
// nothing reads, which every lexer increments without synchronization.

// The default thread count is the machine's, up to this.
constexpr unsigned kMaxDefaultThreads = 8;

// The DFA cache of one recognizer, for the simulators below.
struct OwnDfa {
  explicit OwnDfa(const antlr4::atn::ATN &atn) {
    dfas.reserve(atn.getNumberOfDecisions());
    for (size_t i = 0; i < atn.getNumberOfDecisions(); ++i)
      dfas.emplace_back(atn.getDecisionState(i), i);
  }
  std::vector<antlr4::dfa::DFA> dfas;
  antlr4::atn::PredictionContextCache contexts;
  // Lexer only: the DFA's edges found so far, flat (see below).
  std::vector<antlr4::dfa::DFAState *> edge_table;
};

class OwnDfaLexerSimulator : public antlr4::atn::LexerATNSimulator {
public:
  OwnDfaLexerSimulator(antlr4::Lexer *lexer, OwnDfa &dfa)
      : LexerATNSimulator(lexer, lexer->getATN(), dfa.dfas, dfa.contexts),
        // State numbers are per DFA: one lexer mode, one DFA, one table.
        table_(dfa.dfas.size() == 1 ? &dfa.edge_table : nullptr) {}

protected:
  // LexerATNSimulator's own, less the read lock (see above), and with the
  // edges found before kept in a flat table by state number and byte: this
  // runs for every byte of the file, and the DFA's own edge map is a hash
  // table. (An edge, once in the DFA, never changes.)
  antlr4::dfa::DFAState *getExistingTargetState(antlr4::dfa::DFAState *s,
                                                size_t t) override {
    if (t > MAX_DFA_EDGE)
      return nullptr;
    const size_t row = static_cast<size_t>(s->stateNumber);
    if (table_ && s->stateNumber >= 0 && row < kMaxTableStates) {
      std::vector<antlr4::dfa::DFAState *> &table = *table_;
      const size_t at = row * kEdges + (t - MIN_DFA_EDGE);
      if (at < table.size() && table[at])
        return table[at];
      auto it = s->edges.find(t - MIN_DFA_EDGE);
      if (it == s->edges.end())
        return nullptr;
      if (at >= table.size())
        table.resize((row + 1) * kEdges, nullptr);
      return table[at] = it->second;
    }
    auto it = s->edges.find(t - MIN_DFA_EDGE);
    return it == s->edges.end() ? nullptr : it->second;
  }

private:
  static constexpr size_t kEdges = MAX_DFA_EDGE - MIN_DFA_EDGE + 1;
  static constexpr size_t kMaxTableStates = 4096;
  // (*table_)[state * kEdges + byte]: a known edge, or null (not looked up
  // yet, or none).
  std::vector<antlr4::dfa::DFAState *> *table_;
};

class OwnDfaParserSimulator : public antlr4::atn::ParserATNSimulator {
public:
  OwnDfaParserSimulator(antlr4::Parser *parser, OwnDfa &dfa)
      : ParserATNSimulator(parser, parser->getATN(), dfa.dfas, dfa.contexts) {}

protected:
  // ParserATNSimulator's own, less the read lock (see above).
  antlr4::dfa::DFAState *getExistingTargetState(antlr4::dfa::DFAState *s,
                                                size_t t) override {
    auto it = s->edges.find(t);
    return it == s->edges.end() ? nullptr : it->second;
  }
};

// One piece of the file: bytes [begin, end), starting on line `line`.
struct Piece {
  size_t begin = 0, end = 0;
  size_t line = 1;
  bool first = false, last = false;
};

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f';
}

// Whether the line starting at `at` starts with a declaration keyword
// followed by a blank (so not a longer name or a field like `rule.x`).
bool line_starts_declaration(const std::string &text, size_t at) {
  while (at < text.size() && is_blank(text[at]))
    ++at;
  for (const char *kw :
       {"rule", "const", "set", "protect", "default", "test"}) {
    size_t n = std::strlen(kw);
    if (text.compare(at, n, kw) == 0 && at + n < text.size() &&
        is_blank(text[at + n]))
      return true;
  }
  return false;
}

// Cuts `text` into pieces of about `piece_bytes`, each starting at a line
// that starts a declaration (the first at the file's start).
std::vector<Piece> cut_into_pieces(const std::string &text,
                                   size_t piece_bytes) {
  std::vector<Piece> pieces;
  size_t begin = 0, line = 1;
  for (;;) {
    // The first line start at or after begin + piece_bytes that starts a
    // declaration.
    size_t cut = std::string::npos;
    for (size_t at = begin + std::max<size_t>(piece_bytes, 1);
         at < text.size();) {
      size_t nl = text.find('\n', at - 1);
      if (nl == std::string::npos || nl + 1 >= text.size())
        break;
      if (line_starts_declaration(text, nl + 1)) {
        cut = nl + 1;
        break;
      }
      at = nl + 2;
    }
    if (cut == std::string::npos)
      break;
    pieces.push_back({begin, cut, line, pieces.empty(), false});
    line += static_cast<size_t>(
        std::count(text.begin() + static_cast<std::ptrdiff_t>(begin),
                   text.begin() + static_cast<std::ptrdiff_t>(cut), '\n'));
    begin = cut;
  }
  pieces.push_back({begin, text.size(), line, pieces.empty(), true});
  return pieces;
}

// What is left of a piece once parsed: its tokens are freed right away (on
// large files they would be half of the peak memory), so this keeps only
// what joining the pieces needs, with token indexes local to the piece.
struct ParsedPiece {
  ParsedPiece(const Piece &piece, std::shared_ptr<const SourceFile> file)
      : piece(piece), diags(std::move(file)) {}

  Piece piece;
  DiagnosticSink diags; // what building the piece's AST reported
  // The first piece's is the policy (from `policy NAME {`); the others'
  // hold only their declarations.
  frontend::BuiltPolicy built;
  std::vector<frontend::CommentToken> comments;
  size_t token_count = 0;             // without the EOF of a piece's end
  size_t close_index = INVALID_INDEX; // the last piece's closing '}'
  SourceRange close_range;
  bool ok = false;
  std::exception_ptr error; // an exception on the piece's thread
};

// What one thread keeps from piece to piece: DFA caches of its own (made
// with its first lexer and parser).
struct PieceWorker {
  std::unique_ptr<OwnDfa> lexer_dfa;
  std::unique_ptr<OwnDfa> parser_dfa;
};

void parse_piece(PieceWorker &worker, ParsedPiece &out) {
  const Piece &piece = out.piece;
  const SourceFile &file = out.diags.file();
  frontend::ByteStream input(file.text(), piece.begin, piece.end);
  frontend::FastLexer lexer(&input, file.text());
  // The lexer never errors (every byte is some token): nothing to listen to.
  lexer.removeErrorListeners();
  if (!worker.lexer_dfa)
    worker.lexer_dfa = std::make_unique<OwnDfa>(lexer.getATN());
  // setInterpreter deletes the lexer's own simulator.
  lexer.setInterpreter(new OwnDfaLexerSimulator(&lexer, *worker.lexer_dfa));
  lexer.setLine(piece.line);
  lexer.setCharPositionInLine(0);
  frontend::LeanTokenStream tokens(&lexer);
  tokens.fill();
  out.token_count = tokens.size() - (piece.last ? 0 : 1);

  frontend::TokenMap map(file, tokens);
  frontend::SyntaxErrorReporter reporter(out.diags, map);
  reporter.scan_lexical_errors();
  if (out.diags.has_errors() ||
      !check_nesting(reporter, tokens, piece.first ? 0 : 1))
    return;

  frontend::LeanPolicyParser parser(&tokens);
  if (!worker.parser_dfa)
    worker.parser_dfa = std::make_unique<OwnDfa>(parser.getATN());
  parser.setInterpreter(new OwnDfaParserSimulator(&parser, *worker.parser_dfa));
  make_bailing(parser);
  if (piece.first) {
    auto head = policy_head(tokens);
    if (!head)
      return;
    tokens.seek((*head)[2]->getTokenIndex() + 1);
    out.built = frontend::begin_policy((*head)[0], (*head)[1], reporter);
  } else {
    tokens.seek(0);
    if (!is_declaration_start(tokens.LA(1)))
      return;
    out.built.policy = std::make_unique<Policy>();
  }
  if (!parse_declarations(parser, tokens, out.built, reporter))
    return;
  if (piece.last) {
    antlr4::Token *close = tokens.LT(1);
    if (close->getType() != P::RBRACE || tokens.LA(2) != antlr4::Token::EOF)
      return;
    out.close_index = close->getTokenIndex();
    out.close_range = map.range(close);
  } else if (tokens.LA(1) != antlr4::Token::EOF) {
    return;
  }
  // A piece starts with a declaration, so each of its comments has the
  // default-channel token before it in the same piece (or in none, before
  // the policy).
  out.comments = frontend::collect_comments(map);
  out.ok = true;
}

// Parses `file` in pieces on up to `threads` threads. Nothing if the file
// is not one the fast path takes (then nothing was reported).
std::optional<Module> parse_in_pieces(std::shared_ptr<const SourceFile> file,
                                      DiagnosticSink &diags, unsigned threads,
                                      size_t piece_bytes) {
  std::vector<Piece> pieces = cut_into_pieces(file->text(), piece_bytes);
  std::vector<std::unique_ptr<ParsedPiece>> parsed;
  for (const Piece &piece : pieces)
    parsed.push_back(std::make_unique<ParsedPiece>(piece, file));

  // Each thread takes the next piece until none is left or one failed
  // (then the sequential parse starts over, so the rest would be wasted).
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  auto work = [&] {
    PieceWorker worker;
    for (size_t k; !failed && (k = next++) < parsed.size();) {
      ParsedPiece &p = *parsed[k];
      try {
        parse_piece(worker, p);
      } catch (...) {
        p.error = std::current_exception();
      }
      if (!p.ok)
        failed = true;
    }
  };
  {
    std::vector<std::thread> helpers;
    const size_t count = std::min<size_t>(threads, parsed.size());
    for (size_t t = 1; t < count; ++t) {
      try {
        helpers.emplace_back(work);
      } catch (const std::system_error &) {
        break; // no more threads: the ones there take all the pieces
      }
    }
    work();
    for (auto &h : helpers)
      h.join();
  }
#ifdef __GLIBC__
  // The helpers' freed memory (the tokens of their last pieces, parse
  // trees) sits in their malloc arenas, where the passes that run next on
  // this thread cannot reuse it: give it back to the system (7 MiB of peak
  // RSS on 100k rules).
  malloc_trim(0);
#endif
  for (auto &p : parsed) {
    if (p->error)
      std::rethrow_exception(p->error);
    if (!p->ok)
      return std::nullopt;
  }

  // Join in file order: declarations (their token spans shifted to the
  // whole file's token numbering), comments, diagnostics.
  frontend::BuiltPolicy built = std::move(parsed[0]->built);
  std::vector<frontend::CommentToken> comments;
  size_t base = 0;
  for (size_t k = 0; k < parsed.size(); ++k) {
    ParsedPiece &p = *parsed[k];
    for (const Diagnostic &d : p.diags.diagnostics())
      diags.report(d.severity, d.code, d.range, d.message).notes = d.notes;
    auto shift = [base](size_t &index) {
      if (index != INVALID_INDEX)
        index += base;
    };
    for (frontend::CommentToken &c : p.comments) {
      shift(c.index);
      shift(c.prev_index);
      comments.push_back(std::move(c));
    }
    if (k > 0) {
      for (frontend::BuiltDecl &d : p.built.decls) {
        shift(d.span.first);
        shift(d.span.last);
        for (frontend::BuiltPacket &packet : d.packets) {
          shift(packet.span.first);
          shift(packet.span.last);
        }
        built.decls.push_back(std::move(d));
      }
      for (DeclPtr &d : p.built.policy->decls)
        built.policy->decls.push_back(std::move(d));
    }
    if (p.piece.last)
      frontend::finish_policy(built, p.close_index + base, p.close_range);
    base += p.token_count;
  }
  Module module;
  module.file = file;
  frontend::attach_comments(module, &built, std::move(comments));
  module.policy = std::move(built.policy);
  return module;
}

unsigned thread_count(const ParseOptions &options) {
  if (options.threads > 0)
    return options.threads;
  return std::clamp(std::thread::hardware_concurrency(), 1u,
                    kMaxDefaultThreads);
}

Module parse_whole_file(Module module, antlr4::CommonTokenStream &tokens,
                        frontend::TokenMap &map,
                        frontend::SyntaxErrorReporter &reporter,
                        DiagnosticSink &diags);

Module parse(std::shared_ptr<const SourceFile> file, DiagnosticSink &diags,
             const ParseOptions &options) {
  Module module;
  module.file = file;
  if (!check_encoding(*file, diags))
    return module;
  // A large file: in pieces (below that size, thread start and the pieces'
  // DFA warm-up cost more than they save).
  const size_t piece_bytes = std::max<size_t>(options.piece_bytes, 1);
  if (file->text().size() / 2 >= piece_bytes)
    if (auto parsed =
            parse_in_pieces(file, diags, thread_count(options), piece_bytes))
      return std::move(*parsed);

  frontend::ByteStream input(file->text());
  frontend::FastLexer lexer(&input, file->text());
  lexer.removeErrorListeners();
  frontend::LexerErrorListener lexer_errors(diags);
  lexer.addErrorListener(&lexer_errors);
  frontend::LeanTokenStream tokens(&lexer);
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
  frontend::LeanPolicyParser parser(&tokens);
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
                    DiagnosticSink &diags, const ParseOptions &options) {
  try {
    return parse(file, diags, options);
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
