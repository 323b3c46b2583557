// Test support for the exported grammars (psc grammar): reads GBNF /
// xgrammar EBNF text back, draws random sentences from it and decides
// whether a text is a sentence. Working on the exported *text*, not on the
// exporter's model, is the point: the tests check what a model server
// would receive.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "grammar_export/grammar_model.h"

namespace psl::testing {

// Reads `name ::= body` rules ('#' comments, rule names of letters,
// digits, '_', '-', '.'); throws std::runtime_error on text it cannot read.
grammar::Grammar parse_bnf(std::string_view text);

// Random sentences. Below `max_depth` nested rule expansions every choice
// is uniform (optional parts 1 in 2, repetitions 0 to 3 more); past it the
// sampler takes the alternatives that end soonest, so every draw ends.
// Negated character classes draw from printable ASCII.
class Sampler {
public:
  Sampler(const grammar::Grammar &g, uint32_t seed, unsigned max_depth);
  std::string draw(const std::string &rule = "root");
  // How many times each rule was expanded, over all draws.
  const std::map<std::string, size_t> &uses() const { return uses_; }

private:
  void expr(const grammar::Expr &e, unsigned depth, std::string &out);
  unsigned height(const grammar::Expr &e) const;
  uint32_t pick_char(const grammar::CharClass &c);

  const grammar::Grammar &g_;
  std::mt19937 rng_;
  unsigned max_depth_;
  std::map<std::string, unsigned> rule_height_;
  std::map<std::string, size_t> uses_;
};

// Whether `text` (all of it) is a sentence of `rule`. Memoised per rule
// and position; the grammar must not be left-recursive (PSL's is not).
bool matches(const grammar::Grammar &g, const std::string &rule,
             std::string_view text);

} // namespace psl::testing
