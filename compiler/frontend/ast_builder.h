// Parse tree -> AST. Tolerates the partial trees error recovery leaves: a
// declaration the parser gave up on (or that misses a part) is dropped,
// never half-built.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "PolicyParser.h"
#include "ast/ast.h"
#include "frontend/syntax_errors.h"

namespace psl::frontend {

// Token indexes (into the token stream) of what the AST was built from, for
// attaching comments. INVALID_INDEX where a token is missing.
struct TokenSpan {
  size_t first = INVALID_INDEX;
  size_t last = INVALID_INDEX;
};

struct BuiltPacket {
  TestPacket *packet = nullptr;
  TokenSpan span;
};

struct BuiltDecl {
  Decl *decl = nullptr;
  TokenSpan span;
  std::vector<BuiltPacket> packets; // for a TestDecl
};

struct BuiltPolicy {
  std::unique_ptr<Policy> policy;
  size_t policy_token = INVALID_INDEX; // `policy`
  size_t close_brace = INVALID_INDEX;  // its '}'
  std::vector<BuiltDecl> decls;        // kept declarations, in source order
};

// Builds one policy. Literal errors (E0103) and the syntax errors the
// grammar leaves to the frontend go to `reporter`.
BuiltPolicy build_policy(psl_antlr::PolicyParser::PolicyDeclContext *ctx,
                         SyntaxErrorReporter &reporter);

// The same, one declaration at a time, so a caller can free each
// declaration's parse tree before parsing the next: begin_policy with the
// `policy` keyword and the name, add_declaration for each `decl` tree,
// finish_policy with the closing brace (it also indexes the policy).
BuiltPolicy begin_policy(antlr4::Token *policy_kw, antlr4::Token *name,
                         SyntaxErrorReporter &reporter);
void add_declaration(BuiltPolicy &policy,
                     psl_antlr::PolicyParser::DeclContext *ctx,
                     SyntaxErrorReporter &reporter);
void finish_policy(BuiltPolicy &policy, antlr4::Token *close_brace,
                   SyntaxErrorReporter &reporter);
// The same with the closing brace's token index and range (its token may
// be gone).
void finish_policy(BuiltPolicy &policy, size_t close_brace,
                   const SourceRange &close_range);

// Fills the per-kind views (consts, rules, ...) and RuleDecl::index from
// `decls`.
void index_policy(Policy &policy);

} // namespace psl::frontend
