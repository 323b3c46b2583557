// Frontend: every comment lands in the AST, where fmt expects it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "frontend_test_util.h"

namespace psl {
namespace {

using testing::Parsed;

std::vector<std::string> texts(const std::vector<Comment> &cs) {
  std::vector<std::string> out;
  for (const auto &c : cs)
    out.push_back(c.text);
  return out;
}

// Every comment the AST holds, wherever it is.
size_t attached(const Module &m) {
  size_t n = m.header_comments.size() + m.footer_comments.size();
  if (!m.policy)
    return n;
  n += m.policy->trailing_inner_comments.size();
  for (const auto &d : m.policy->decls) {
    n += d->leading_comments.size() + (d->trailing_comment ? 1 : 0);
    if (d->kind == DeclKind::Test) {
      auto &t = as<TestDecl>(*d);
      n += t.trailing_inner_comments.size();
      for (const auto &p : t.packets)
        n += p->leading_comments.size() + (p->trailing_comment ? 1 : 0);
    }
  }
  return n;
}

size_t hashes(const std::string &text) {
  size_t n = 0;
  for (char c : text)
    n += c == '#';
  return n;
}

const char *kCommented = R"(# header 1
# header 2

policy p {  # opener
  # leading of c
  const c = 1  # trailing of c

  # leading of r1
  rule r1: tcp.syn   # inside r1
    and tcp.ack => drop  # trailing of r1
  # leading of test
  test "t" {  # test opener
    # leading of packet 1
    packet {} => pass  # trailing of packet 1
    packet {
      tcp.syn = true,  # inside packet 2
    } => drop
    # test trailing inner
  }  # trailing of test
  # policy trailing inner
}  # footer 1
# footer 2
)";

TEST(FrontendComments, AttachedWhereFmtExpectsThem) {
  Parsed p(kCommented);
  ASSERT_TRUE(p.ok()) << p.errors();
  const Module &m = p.module;
  EXPECT_EQ(texts(m.header_comments),
            (std::vector<std::string>{"# header 1", "# header 2"}));
  EXPECT_TRUE(m.header_comments[0].own_line);
  EXPECT_EQ(texts(m.footer_comments),
            (std::vector<std::string>{"# footer 1", "# footer 2"}));
  EXPECT_FALSE(m.footer_comments[0].own_line);
  EXPECT_TRUE(m.footer_comments[1].own_line);

  Policy &pol = p.policy();
  ASSERT_EQ(pol.decls.size(), 3u);
  Decl &c = *pol.decls[0];
  EXPECT_EQ(texts(c.leading_comments),
            (std::vector<std::string>{"# opener", "# leading of c"}));
  EXPECT_FALSE(c.leading_comments[0].own_line);
  EXPECT_TRUE(c.leading_comments[1].own_line);
  ASSERT_TRUE(c.trailing_comment);
  EXPECT_EQ(c.trailing_comment->text, "# trailing of c");
  EXPECT_FALSE(c.trailing_comment->own_line);
  EXPECT_EQ(c.trailing_comment->range.begin.line, 6u);
  EXPECT_EQ(c.trailing_comment->range.begin.column, 16u);
  EXPECT_EQ(c.trailing_comment->range.end.column, 31u);

  Decl &r1 = *pol.decls[1];
  EXPECT_EQ(texts(r1.leading_comments),
            (std::vector<std::string>{"# leading of r1", "# inside r1"}));
  ASSERT_TRUE(r1.trailing_comment);
  EXPECT_EQ(r1.trailing_comment->text, "# trailing of r1");

  auto &t = as<TestDecl>(*pol.decls[2]);
  EXPECT_EQ(texts(t.leading_comments),
            (std::vector<std::string>{"# leading of test"}));
  ASSERT_TRUE(t.trailing_comment);
  EXPECT_EQ(t.trailing_comment->text, "# trailing of test");
  EXPECT_EQ(texts(t.trailing_inner_comments),
            (std::vector<std::string>{"# test trailing inner"}));
  ASSERT_EQ(t.packets.size(), 2u);
  EXPECT_EQ(
      texts(t.packets[0]->leading_comments),
      (std::vector<std::string>{"# test opener", "# leading of packet 1"}));
  ASSERT_TRUE(t.packets[0]->trailing_comment);
  EXPECT_EQ(t.packets[0]->trailing_comment->text, "# trailing of packet 1");
  EXPECT_EQ(texts(t.packets[1]->leading_comments),
            (std::vector<std::string>{"# inside packet 2"}));
  EXPECT_FALSE(t.packets[1]->trailing_comment);

  EXPECT_EQ(texts(pol.trailing_inner_comments),
            (std::vector<std::string>{"# policy trailing inner"}));
  EXPECT_EQ(attached(m), hashes(kCommented));
}

TEST(FrontendComments, EmptyBlocks) {
  Parsed p("policy p {  # a\n  # b\n}\n");
  ASSERT_TRUE(p.ok()) << p.errors();
  EXPECT_EQ(texts(p.policy().trailing_inner_comments),
            (std::vector<std::string>{"# a", "# b"}));
  Parsed t("policy p {\n  test \"t\" {  # a\n  }\n}\n");
  EXPECT_EQ(texts(t.policy().tests[0]->trailing_inner_comments),
            (std::vector<std::string>{"# a"}));
}

TEST(FrontendComments, TwoDeclarationsOnOneLine) {
  Parsed p("policy p {\n  const a = 1 const b = 2  # b's\n}\n");
  ASSERT_TRUE(p.ok()) << p.errors();
  EXPECT_FALSE(p.policy().decls[0]->trailing_comment);
  ASSERT_TRUE(p.policy().decls[1]->trailing_comment);
  EXPECT_EQ(p.policy().decls[1]->trailing_comment->text, "# b's");
}

TEST(FrontendComments, WithoutPolicyAllAreHeader) {
  Parsed p("# one\n# two\n");
  EXPECT_EQ(texts(p.module.header_comments),
            (std::vector<std::string>{"# one", "# two"}));
  Parsed deep("# one\npolicy p { rule r: " + std::string(300, '(') +
              " # two\n");
  EXPECT_EQ(attached(deep.module), 2u);
}

TEST(FrontendComments, CommentsInsideStringsAreNotComments) {
  Parsed p("policy p { test \"# not a comment\" { } }");
  ASSERT_TRUE(p.ok()) << p.errors();
  EXPECT_EQ(p.policy().tests[0]->name, "# not a comment");
  EXPECT_EQ(attached(p.module), 0u);
}

// Not one comment may be lost, whatever the parser had to skip.
TEST(FrontendComments, NoneLostInBrokenFiles) {
  const char *files[] = {
      "# h\npolicy p { # o\n rule a: tcp.syn => # x\n dorp # y\n rule b: # z\n "
      "x => pass # w\n} # f\n",
      "# h\npolicy p { const c = { 1, # in set\n 2 # two\n rule r: ( # open\n "
      "x => drop }\n",
      "policy # a\n { # b\n test \"t\" { packet { # c\n ip.src = } # d\n => "
      "pass } # e\n }\n",
      "policy p { } # a\n policy q { # b\n } # c\n",
      "policy p { # a\n",
      "# only\n rule a: x => drop # b\n",
      "policy p { rule a: x => drop } } # a\n rule b # c\n",
  };
  for (const char *text : files) {
    Parsed p(text);
    EXPECT_EQ(attached(p.module), hashes(text)) << text;
  }
}

TEST(FrontendComments, NoneLostInTheExampleCutAnywhere) {
  const std::string text = kCommented;
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    std::string prefix = text.substr(0, cut);
    // A cut inside a comment still leaves a comment.
    Parsed p(prefix);
    EXPECT_EQ(attached(p.module), hashes(prefix)) << "cut at " << cut;
  }
}

} // namespace
} // namespace psl
