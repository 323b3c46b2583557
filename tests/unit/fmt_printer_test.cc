// The canonical printer on hand-built trees: layout, parentheses, literal
// spellings and comment placement, independent of the parser.
// fmt_roundtrip_test.cc runs real PSL text through the real parser.
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "fmt/printer.h"

namespace psl {
namespace {

ExprPtr lit(TypeKind kind, std::string spelling) {
  auto e = std::make_unique<LiteralExpr>();
  e->literal_kind = kind;
  e->spelling = std::move(spelling);
  return e;
}
ExprPtr int_lit(uint64_t n) {
  auto e = std::make_unique<LiteralExpr>();
  e->literal_kind = TypeKind::Int;
  e->value.v = n;
  return e; // no spelling: printed from the value
}
std::unique_ptr<FieldExpr> field_node(std::string path) {
  auto e = std::make_unique<FieldExpr>();
  e->path = std::move(path);
  return e;
}
ExprPtr field(std::string path) { return field_node(std::move(path)); }
ExprPtr name(std::string n) {
  auto e = std::make_unique<NameExpr>();
  e->name = std::move(n);
  return e;
}
ExprPtr binary(BinaryOp op, ExprPtr l, ExprPtr r) {
  auto e = std::make_unique<BinaryExpr>();
  e->op = op;
  e->lhs = std::move(l);
  e->rhs = std::move(r);
  return e;
}
ExprPtr and_(ExprPtr l, ExprPtr r) {
  return binary(BinaryOp::And, std::move(l), std::move(r));
}
ExprPtr or_(ExprPtr l, ExprPtr r) {
  return binary(BinaryOp::Or, std::move(l), std::move(r));
}
ExprPtr not_(ExprPtr o) {
  auto e = std::make_unique<NotExpr>();
  e->operand = std::move(o);
  return e;
}
ExprPtr cmp(CompareOp op, ExprPtr l, ExprPtr r) {
  auto e = std::make_unique<CompareExpr>();
  e->op = op;
  e->lhs = std::move(l);
  e->rhs = std::move(r);
  return e;
}
ExprPtr range_(ExprPtr lo, ExprPtr hi) {
  auto e = std::make_unique<RangeExpr>();
  e->lo = std::move(lo);
  e->hi = std::move(hi);
  return e;
}
template <typename... E>
ExprPtr set(E... elems) {
  auto e = std::make_unique<SetExpr>();
  (e->elements.push_back(std::move(elems)), ...);
  return e;
}

Comment comment(std::string text, uint32_t line, bool own_line = true) {
  Comment c;
  c.text = std::move(text);
  c.range.begin = {line, 1};
  c.range.end = {line, static_cast<uint32_t>(c.text.size() + 1)};
  c.own_line = own_line;
  return c;
}

SourceRange lines(uint32_t first, uint32_t last) {
  SourceRange r;
  r.begin = {first, 1};
  r.end = {last, 2};
  return r;
}

TEST(FmtExpr, PrecedenceNeedsParenthesesOnlyWhereTheTreeDemands) {
  EXPECT_EQ(format_expr(*or_(and_(name("a"), name("b")), name("c"))),
            "a and b or c");
  EXPECT_EQ(format_expr(*and_(or_(name("a"), name("b")), name("c"))),
            "(a or b) and c");
  EXPECT_EQ(format_expr(*and_(and_(name("a"), name("b")), name("c"))),
            "a and b and c");
  // The right operand of the same operator keeps its parentheses: the
  // tree is different from the left-associative one.
  EXPECT_EQ(format_expr(*and_(name("a"), and_(name("b"), name("c")))),
            "a and (b and c)");
  EXPECT_EQ(format_expr(*or_(name("a"), and_(name("b"), name("c")))),
            "a or b and c");
  EXPECT_EQ(format_expr(*not_(and_(name("a"), name("b")))), "not (a and b)");
  EXPECT_EQ(format_expr(*and_(not_(name("a")), name("b"))), "not a and b");
  EXPECT_EQ(format_expr(*not_(not_(name("a")))), "not not a");
  // `not` is looser than a comparison.
  EXPECT_EQ(
      format_expr(*not_(cmp(CompareOp::Eq, field("tcp.dport"), int_lit(22)))),
      "not tcp.dport == 22");
  EXPECT_EQ(format_expr(*cmp(CompareOp::Eq, field("tcp.syn"),
                             cmp(CompareOp::Eq, field("tcp.ack"),
                                 lit(TypeKind::Bool, "true")))),
            "tcp.syn == (tcp.ack == true)");
  EXPECT_EQ(format_expr(*cmp(CompareOp::Eq, field("tcp.syn"), not_(name("a")))),
            "tcp.syn == (not a)");
}

TEST(FmtExpr, ComparisonsSetsRangesAndRate) {
  EXPECT_EQ(
      format_expr(*cmp(CompareOp::NotIn, field("ip.src"), name("trusted"))),
      "ip.src not in trusted");
  EXPECT_EQ(
      format_expr(*cmp(CompareOp::In, field("tcp.dport"),
                       range_(int_lit(1024), lit(TypeKind::Int, "0xffff")))),
      "tcp.dport in 1024..0xffff");
  EXPECT_EQ(format_expr(*set(lit(TypeKind::Cidr, "10.0.0.0/8"), name("lab"),
                             range_(int_lit(8000), int_lit(8100)))),
            "{ 10.0.0.0/8, lab, 8000..8100 }");
  EXPECT_EQ(format_expr(*set()), "{}");

  auto rate = std::make_unique<RateExpr>();
  rate->keys.push_back(field_node("ip.src"));
  rate->keys.push_back(field_node("tcp.dport"));
  rate->burst = 500;
  EXPECT_EQ(format_expr(*cmp(CompareOp::Gt, std::move(rate),
                             lit(TypeKind::Rate, "10k/s"))),
            "rate(ip.src, tcp.dport, burst 500) > 10k/s");
  auto global = std::make_unique<RateExpr>();
  EXPECT_EQ(format_expr(*global), "rate()");
  global->burst = 7;
  EXPECT_EQ(format_expr(*global), "rate(burst 7)");
}

TEST(FmtExpr, LiteralSpellingIsKept) {
  EXPECT_EQ(format_expr(*lit(TypeKind::Int, "0x2A")), "0x2A");
  EXPECT_EQ(format_expr(*lit(TypeKind::Proto, "proto(47)")), "proto(47)");
  EXPECT_EQ(format_expr(*lit(TypeKind::Ip, "2001:DB8::1")), "2001:DB8::1");
  EXPECT_EQ(format_expr(*int_lit(42)), "42");
}

TEST(FmtString, Quoting) {
  EXPECT_EQ(quote_string("web SYN passes"), "\"web SYN passes\"");
  EXPECT_EQ(quote_string("a \"b\" \\ c\n\t\r"),
            "\"a \\\"b\\\" \\\\ c\\n\\t\\r\"");
}

// policy edge { const ...; set ...; protect ...; rule ...; default; test }
Module sample_module() {
  Module m;
  m.header_comments.push_back(comment("# header", 1));
  m.policy = std::make_unique<Policy>();
  Policy &p = *m.policy;
  p.name = "edge";

  auto c = std::make_unique<ConstDecl>();
  c->name = "web";
  c->value =
      set(int_lit(80), int_lit(443), range_(int_lit(8000), int_lit(8100)));
  c->leading_comments.push_back(comment("# ports", 3));
  p.decls.push_back(std::move(c));

  auto s = std::make_unique<SetDecl>();
  s->name = "banned";
  s->elem_type_name = "ip";
  s->ttl = DurationLit{Duration{600'000'000'000}, "10m", {}};
  s->capacity = 100000;
  p.decls.push_back(std::move(s));

  auto pr = std::make_unique<ProtectDecl>();
  pr->cond = cmp(CompareOp::In, field("ip.src"), name("trusted"));
  p.decls.push_back(std::move(pr));

  auto r = std::make_unique<RuleDecl>();
  r->name = "flood";
  r->cond = and_(cmp(CompareOp::Eq, field("icmp.type"), name("echo_request")),
                 cmp(CompareOp::Gt, std::make_unique<RateExpr>(),
                     lit(TypeKind::Rate, "100/s")));
  r->action = Action::Drop;
  r->ttl = DurationLit{Duration{600'000'000'000}, "10m", {}};
  r->shadow = true;
  r->trailing_comment = comment("# noisy", 9, false);
  p.decls.push_back(std::move(r));

  auto d = std::make_unique<DefaultDecl>();
  d->action = Action::Drop;
  p.decls.push_back(std::move(d));

  auto t = std::make_unique<TestDecl>();
  t->name = "flood is cut";
  auto pk = std::make_unique<TestPacket>();
  pk->fields.push_back(
      {field_node("ip.src"), lit(TypeKind::Ip, "198.51.100.1")});
  pk->fields.push_back({field_node("icmp.type"), name("echo_request")});
  pk->repeat = 1000;
  pk->within = DurationLit{Duration{1'000'000'000}, "1s", {}};
  pk->expect = Action::Drop;
  pk->count_op = CompareOp::Ge;
  pk->count = 850;
  pk->leading_comments.push_back(comment("# a burst", 12));
  t->packets.push_back(std::move(pk));
  auto empty = std::make_unique<TestPacket>();
  empty->trailing_comment = comment("# nothing to match", 14, false);
  t->packets.push_back(std::move(empty));
  t->trailing_inner_comments.push_back(comment("# end of test", 15));
  p.decls.push_back(std::move(t));

  p.trailing_inner_comments.push_back(comment("# end of policy", 17));
  m.footer_comments.push_back(comment("# footer", 19));
  return m;
}

TEST(FmtModule, CanonicalLayoutOfEveryDeclaration) {
  EXPECT_EQ(
      format_module(sample_module()),
      "# header\n"
      "policy edge {\n"
      "  # ports\n"
      "  const web = { 80, 443, 8000..8100 }\n"
      "  set banned : ip dynamic ttl 10m capacity 100000\n"
      "  protect ip.src in trusted\n"
      "  rule flood: icmp.type == echo_request and rate() > 100/s => drop ttl "
      "10m "
      "shadow  # noisy\n"
      "  default drop\n"
      "  test \"flood is cut\" {\n"
      "    # a burst\n"
      "    packet { ip.src = 198.51.100.1, icmp.type = echo_request } x 1000 "
      "within 1s => drop >= 850\n"
      "    packet {} => pass  # nothing to match\n"
      "    # end of test\n"
      "  }\n"
      "  # end of policy\n"
      "}\n"
      "# footer\n");
  EXPECT_EQ(comment_count(sample_module()), 8u);
}

TEST(FmtModule, NoPolicyPrintsOnlyComments) {
  Module m;
  EXPECT_EQ(format_module(m), "");
  m.header_comments.push_back(comment("# only a comment", 1));
  EXPECT_EQ(format_module(m), "# only a comment\n");
  EXPECT_EQ(comment_count(m), 1u);
}

TEST(FmtModule, DurationWithoutSpellingIsPrintedFromItsValue) {
  Module m;
  m.policy = std::make_unique<Policy>();
  m.policy->name = "p";
  auto r = std::make_unique<RuleDecl>();
  r->name = "a";
  r->cond = field("ip.frag");
  r->action = Action::Drop;
  r->ttl = DurationLit{Duration{5ull * 60 * 1'000'000'000}, "", {}};
  m.policy->decls.push_back(std::move(r));
  std::string out = format_module(m);
  EXPECT_EQ(out, "policy p {\n  rule a: ip.frag => drop ttl 5m\n}\n");
}

// Blank lines come from the source text: one blank line where the source
// had one or more, none after an opening brace or before a closing one.
TEST(FmtModule, BlankLinesFollowTheSource) {
  const char *text = "# header\n"         // 1
                     "\n"                 // 2
                     "\n"                 // 3
                     "policy p {\n"       // 4
                     "\n"                 // 5
                     "  const a = 1\n"    // 6
                     "  const b = 2\n"    // 7
                     "\n"                 // 8
                     "\n"                 // 9
                     "  # about c\n"      // 10
                     "\n"                 // 11
                     "  # more about c\n" // 12
                     "  const c = 3\n"    // 13
                     "\n"                 // 14
                     "}\n"                // 15
                     "\n"                 // 16
                     "# footer\n";        // 17
  Module m;
  m.file = std::make_shared<const SourceFile>("t.psl", text);
  m.header_comments.push_back(comment("# header", 1));
  m.policy = std::make_unique<Policy>();
  m.policy->name = "p";
  m.policy->range = lines(4, 15);
  m.policy->name_range = lines(4, 4);
  for (auto [n, line] :
       {std::pair<const char *, uint32_t>{"a", 6}, {"b", 7}, {"c", 13}}) {
    auto c = std::make_unique<ConstDecl>();
    c->name = n;
    c->value = int_lit(line == 6 ? 1 : line == 7 ? 2 : 3);
    c->range = lines(line, line);
    if (line == 13) {
      c->leading_comments.push_back(comment("# about c", 10));
      c->leading_comments.push_back(comment("# more about c", 12));
    }
    m.policy->decls.push_back(std::move(c));
  }
  m.footer_comments.push_back(comment("# footer", 17));
  EXPECT_EQ(format_module(m), "# header\n"
                              "\n"
                              "policy p {\n"
                              "  const a = 1\n"
                              "  const b = 2\n"
                              "\n"
                              "  # about c\n"
                              "\n"
                              "  # more about c\n"
                              "  const c = 3\n"
                              "}\n"
                              "\n"
                              "# footer\n");
}

TEST(FmtModule, CommentAfterAnOpeningBraceStaysOnItsLine) {
  Module m;
  m.policy = std::make_unique<Policy>();
  m.policy->name = "p";
  auto d = std::make_unique<DefaultDecl>();
  d->leading_comments.push_back(
      comment("# on the brace line", 1, /*own_line=*/false));
  d->leading_comments.push_back(comment("# above default", 2));
  m.policy->decls.push_back(std::move(d));
  m.footer_comments.push_back(comment("# after the closing brace", 4, false));
  EXPECT_EQ(format_module(m), "policy p {  # on the brace line\n"
                              "  # above default\n"
                              "  default pass\n"
                              "}  # after the closing brace\n");
}

TEST(FmtModule, EmptyBlocksWithComments) {
  Module m;
  m.policy = std::make_unique<Policy>();
  m.policy->name = "p";
  m.policy->trailing_inner_comments.push_back(comment("# nothing yet", 2));
  auto t = std::make_unique<TestDecl>();
  t->name = "t";
  t->trailing_inner_comments.push_back(comment("# brace", 3, false));
  t->trailing_inner_comments.push_back(comment("# todo", 4));
  m.policy->decls.insert(m.policy->decls.begin(), std::move(t));
  EXPECT_EQ(format_module(m), "policy p {\n"
                              "  test \"t\" {  # brace\n"
                              "    # todo\n"
                              "  }\n"
                              "  # nothing yet\n"
                              "}\n");
}

} // namespace
} // namespace psl
