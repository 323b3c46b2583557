// The one reading of and/or/not (compiler/analysis/nnf.h), with a reader
// that writes what it is given: De Morgan down to the atoms, folded
// constants, left to right, the reader's short cut and its atomic `not`.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analysis_test_util.h"

namespace psl::analysis {
namespace {

using namespace test_util;

// Atoms are bare bool fields, written "tcp.syn" or "!tcp.syn".
struct TextReader {
  using Value = std::string;
  std::vector<std::string> atoms; // in the order read
  std::string settling;           // a left side that decides an `and`
  bool keep_not = false;          // `not FIELD` is an atom

  std::optional<std::string> constant(bool v) { return v ? "T" : "F"; }
  bool settles(const std::string &l, bool is_and) {
    return is_and && l == settling;
  }
  bool atomic_not(const NotExpr &n) {
    return keep_not && n.operand->kind == ExprKind::Field;
  }
  std::optional<std::string> join(bool is_and, std::string l, std::string r) {
    return "(" + l + (is_and ? " & " : " | ") + r + ")";
  }
  std::optional<std::string> atom(const Expr &e, bool negate) {
    std::string text;
    if (e.kind == ExprKind::Not)
      text = "not " + static_cast<const FieldExpr &>(
                          *static_cast<const NotExpr &>(e).operand)
                          .path;
    else if (e.kind == ExprKind::Field)
      text = static_cast<const FieldExpr &>(e).path;
    else
      return std::nullopt;
    text = (negate ? "!" : "") + text;
    atoms.push_back(text);
    return text;
  }
};

std::string read(Conditions &c, const std::string &rule, TextReader r = {}) {
  auto v = read_nnf(c.cond(rule), false, r);
  return v ? *v : "nullopt";
}

TEST(Nnf, NotGoesDownByDeMorgan) {
  Conditions c("rule a: not (tcp.syn and tcp.ack) => drop\n"
               "rule b: not (tcp.syn or not tcp.ack) => drop\n"
               "rule c: not not tcp.syn => drop\n"
               "rule d: tcp.syn and not (tcp.ack or (tcp.fin and "
               "not tcp.rst)) => drop\n");
  EXPECT_EQ(read(c, "a"), "(!tcp.syn | !tcp.ack)");
  EXPECT_EQ(read(c, "b"), "(!tcp.syn & tcp.ack)");
  EXPECT_EQ(read(c, "c"), "tcp.syn");
  EXPECT_EQ(read(c, "d"), "(tcp.syn & (!tcp.ack & (!tcp.fin | tcp.rst)))");
}

TEST(Nnf, FoldedConstantsAreConstants) {
  Conditions c("const on = true\n"
               "rule a: true => drop\n"
               "rule b: not on => drop\n"
               "rule c: tcp.syn or not on => drop\n");
  EXPECT_EQ(read(c, "a"), "T");
  EXPECT_EQ(read(c, "b"), "F");
  EXPECT_EQ(read(c, "c"), "(tcp.syn | F)");
}

TEST(Nnf, LeftToRightAndTheReadersShortCut) {
  Conditions c("rule a: tcp.fin and tcp.syn => drop\n"
               "rule b: not (tcp.fin or tcp.syn) => drop\n"
               "rule c: tcp.fin or tcp.syn => drop\n");
  TextReader r;
  r.settling = "tcp.fin";
  EXPECT_EQ(read_nnf(c.cond("a"), false, r), "tcp.fin");
  EXPECT_EQ(r.atoms, std::vector<std::string>{"tcp.fin"}); // syn not read
  TextReader r2;
  r2.settling = "!tcp.fin";
  EXPECT_EQ(read_nnf(c.cond("b"), false, r2), "!tcp.fin"); // an `and` now
  TextReader r3;
  r3.settling = "tcp.fin";
  EXPECT_EQ(read_nnf(c.cond("c"), false, r3), "(tcp.fin | tcp.syn)");
  EXPECT_EQ(r3.atoms, (std::vector<std::string>{"tcp.fin", "tcp.syn"}));
}

TEST(Nnf, AtomicNotAndAtomFailures) {
  Conditions c("rule a: tcp.ack or not tcp.syn => drop\n"
               "rule b: not (not tcp.syn) => drop\n"
               "rule c: tcp.syn and ip.ttl > 3 => drop\n");
  TextReader r;
  r.keep_not = true;
  EXPECT_EQ(read(c, "a", r), "(tcp.ack | not tcp.syn)");
  // The outer `not` is not atomic: it reaches the inner one as a negation.
  EXPECT_EQ(read(c, "b", r), "!not tcp.syn");
  EXPECT_EQ(read(c, "b"), "tcp.syn");
  // An atom the reader cannot read stops the walk.
  EXPECT_EQ(read(c, "c"), "nullopt");
}

} // namespace
} // namespace psl::analysis
