// Large files are parsed in pieces on several threads (ParseOptions): the
// result must be exactly the sequential parse's, whatever the number of
// pieces: the same tree (with every source range), comments, rule indexes
// and diagnostics in the same order. Files the fast path does not take
// (lexical or syntax errors anywhere) must give the sequential path's
// diagnostics too.
#include <gtest/gtest.h>

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "ast/ast.h"
#include "diag/diagnostics.h"
#include "fmt/printer.h"
#include "frontend/parser.h"

namespace psl {
namespace {

std::string show(const SourceRange &r) {
  return std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column) +
         "-" + std::to_string(r.end.line) + ":" + std::to_string(r.end.column);
}

// Every source range of the tree, in walk order.
class RangeDump : public Visitor {
public:
  std::string out;

  void add(const char *what, const SourceRange &r) {
    out += what;
    out += ' ';
    out += show(r);
    out += '\n';
  }
  void visit(LiteralExpr &e) override { add("literal", e.range); }
  void visit(NameExpr &e) override { add("name", e.range); }
  void visit(FieldExpr &e) override { add("field", e.range); }
  void visit(SetExpr &e) override {
    add("set", e.range);
    Visitor::visit(e);
  }
  void visit(RangeExpr &e) override {
    add("range", e.range);
    Visitor::visit(e);
  }
  void visit(NotExpr &e) override {
    add("not", e.range);
    Visitor::visit(e);
  }
  void visit(BinaryExpr &e) override {
    add("binary", e.range);
    Visitor::visit(e);
  }
  void visit(CompareExpr &e) override {
    add("compare", e.range);
    add("op", e.op_range);
    Visitor::visit(e);
  }
  void visit(RateExpr &e) override {
    add("rate", e.range);
    add("burst", e.burst_range);
    Visitor::visit(e);
  }
  void visit(ConstDecl &d) override {
    add("const", d.name_range);
    Visitor::visit(d);
  }
  void visit(SetDecl &d) override {
    add("set", d.name_range);
    add("elem", d.elem_range);
    add("capacity", d.capacity_range);
  }
  void visit(RuleDecl &d) override {
    add("rule", d.name_range);
    add("action", d.action_range);
    add("shadow", d.shadow_range);
    out += "index " + std::to_string(d.index) + "\n";
    Visitor::visit(d);
  }
  void visit(TestDecl &d) override {
    add("test", d.name_range);
    Visitor::visit(d);
  }
  void visit(TestPacket &p) override {
    add("packet", p.range);
    add("repeat", p.repeat_range);
    add("expect", p.expect_range);
    Visitor::visit(p);
  }
};

struct Result {
  std::string diagnostics;
  bool has_policy = false;
  std::string formatted; // fmt's output: the tree and every comment
  std::string ranges;
  std::unique_ptr<Policy> policy;
};

Result parse(const std::string &text, ParseOptions options) {
  auto file = std::make_shared<const SourceFile>("big.psl", text);
  DiagnosticSink diags(file);
  Module module = parse_policy(file, diags, options);
  Result r;
  for (const Diagnostic &d : diags.diagnostics()) {
    r.diagnostics += show(d.range) + " " + severity_name(d.severity) + " " +
                     diag_info(d.code).name + " " + d.message + "\n";
    for (const auto &n : d.notes)
      r.diagnostics += "  note " + show(n.range) + " " + n.message + "\n";
  }
  r.has_policy = module.policy != nullptr;
  if (module.policy) {
    r.formatted = format_module(module);
    RangeDump dump;
    dump.add("policy", module.policy->range);
    dump.add("name", module.policy->name_range);
    for (auto &d : module.policy->decls) {
      dump.add("decl", d->range);
      dump.visit_decl(*d);
    }
    r.ranges = dump.out;
    r.policy = std::move(module.policy);
  }
  return r;
}

ParseOptions sequential() {
  ParseOptions o;
  o.piece_bytes = std::numeric_limits<size_t>::max();
  return o;
}

ParseOptions in_pieces(unsigned threads, size_t piece_bytes) {
  ParseOptions o;
  o.threads = threads;
  o.piece_bytes = piece_bytes;
  return o;
}

// A policy with every kind of declaration, comments in every place,
// multi-line declarations and a few diagnostics the AST builder reports
// (so the fast path still takes the file).
std::string big_policy(int blocks) {
  std::string s = "# header comment\n\n# second header line\npolicy big {\n";
  for (int i = 0; i < blocks; ++i) {
    std::string n = std::to_string(i);
    s += "  # block " + n + "\n";
    s += "  const c" + n + " = { 10." + std::to_string(i % 256) +
         ".0.0/16, 192.0.2." + std::to_string(i % 256) + " }  # trailing\n";
    s += "  set s" + n + " : ip dynamic ttl 10m capacity 1000\n";
    s += "  protect ip.src in c" + n + "\n";
    s += "  rule r" + n + ": ip.src in c" + n +
         " and tcp.dport in { 22, 80..90 } => drop ttl 1h\n";
    s += "  rule m" + n + ":\n    not (udp.dport == 53\n      # inside\n" +
         "      or icmp.type == echo_request) => count shadow\n";
    s += "  rule rate" + n + ": rate(ip.src, burst 10) > 100/s => drop\n";
    s += "\n";
    if (i % 7 == 3) {
      // Reported by the AST builder, not the parser: an invalid literal,
      // a duplicate modifier, a rate() key that is not a field, an
      // unknown function.
      s += "  rule bad" + n + ": ip.src == 10.0.0.300 => drop\n";
      s += "  rule dup" + n + ": tcp.dport == 1 => drop ttl 1m ttl 2m\n";
      s += "  rule key" + n + ": rate(1) > 5/s => drop\n";
      s += "  rule fn" + n + ": foo(1) => drop\n";
    }
    if (i % 5 == 0) {
      s += "  test \"t" + n + "\" {\n";
      s += "    # before a packet\n";
      s += "    packet { ip.src = 10.0.0.1, tcp.dport = 22 } => drop  # t\n";
      s += "    packet { ip.src = 192.0.2.1 } x 3 within 1s => pass >= 2\n";
      s += "    # last\n  }\n";
    }
  }
  s += "  default pass\n  # inner trailing\n}\n# footer\n";
  return s;
}

void expect_same(const Result &a, const Result &b) {
  EXPECT_EQ(a.diagnostics, b.diagnostics);
  ASSERT_EQ(a.has_policy, b.has_policy);
  EXPECT_EQ(a.formatted, b.formatted);
  EXPECT_EQ(a.ranges, b.ranges);
  if (a.policy && b.policy) {
    EXPECT_TRUE(ast_equal(*a.policy, *b.policy));
  }
}

TEST(FrontendPieces, SameAsSequentialForAnyPieceCount) {
  const std::string text = big_policy(60);
  Result reference = parse(text, sequential());
  ASSERT_TRUE(reference.has_policy);
  // The file has what the test is about: builder diagnostics, comments.
  EXPECT_NE(reference.diagnostics.find("E0103"), std::string::npos);
  EXPECT_NE(reference.diagnostics.find("E0311"), std::string::npos);
  EXPECT_NE(reference.diagnostics.find("E0310"), std::string::npos);
  EXPECT_NE(reference.formatted.find("# inside"), std::string::npos);
  EXPECT_NE(reference.formatted.find("# footer"), std::string::npos);

  for (unsigned threads : {1u, 2u, 3u, 8u}) {
    for (size_t piece : {size_t{100}, size_t{1000}, text.size() / 3}) {
      SCOPED_TRACE("threads " + std::to_string(threads) + ", pieces of " +
                   std::to_string(piece) + " bytes");
      expect_same(reference, parse(text, in_pieces(threads, piece)));
    }
  }
}

TEST(FrontendPieces, BrokenFilesReportAsSequential) {
  const std::string good = big_policy(30);
  const size_t middle = good.find("rule r15:");
  ASSERT_NE(middle, std::string::npos);
  std::vector<std::string> broken = {
      // A syntax error in a middle piece.
      good.substr(0, middle) + "rule oops ip.src == 1.2.3.4 => drop\n" +
          good.substr(middle),
      // A lexical error.
      good.substr(0, middle) +
          "rule lex: ip.src == 1.2.3.4 && ip.dst == "
          "1.2.3.5 => drop\n" +
          good.substr(middle),
      // An unterminated brace: the last piece does not end the policy.
      good.substr(0, good.rfind('}')),
      // A declaration keyword at a line start inside a declaration.
      good.substr(0, middle) + "rule split: ip.src ==\nrule 1.2.3.4 => drop\n" +
          good.substr(middle),
      // Junk after the policy.
      good + "rule after: ip.src == 1.2.3.4 => drop\n",
      // A second policy.
      good + "policy again {\n  default drop\n}\n",
  };
  for (size_t i = 0; i < broken.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    Result reference = parse(broken[i], sequential());
    EXPECT_NE(reference.diagnostics.find("error"), std::string::npos);
    expect_same(reference, parse(broken[i], in_pieces(3, 200)));
  }
}

TEST(FrontendPieces, CutsOnlyAtDeclarationLines) {
  // Lines that look like declarations but are not keywords followed by a
  // blank: a longer name, a field. The file is still valid and the same.
  std::string text = "policy p {\n";
  for (int i = 0; i < 200; ++i)
    text += "  const rules" + std::to_string(i) + " = 1\n  rule r" +
            std::to_string(i) + ":\n    tcp.dport ==\n    rules" +
            std::to_string(i) + " => drop\n";
  text += "}\n";
  Result reference = parse(text, sequential());
  ASSERT_EQ(reference.diagnostics, "");
  expect_same(reference, parse(text, in_pieces(4, 64)));
}

} // namespace
} // namespace psl
