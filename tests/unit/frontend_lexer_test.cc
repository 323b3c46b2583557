// FastLexer (the parser's lexer) must give the generated ANTLR lexer's
// token stream exactly: same types, channels, offsets, lines and columns,
// on the tokens it lexes itself and across its hand-offs to the generated
// lexer, over whole texts and over byte ranges (the pieces of a large
// file).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "frontend/lex_tokens.h"

namespace psl::frontend {
namespace {

std::string show(const std::vector<LexedToken> &tokens) {
  std::string out;
  for (const LexedToken &t : tokens)
    out += std::to_string(t.type) + "/" + std::to_string(t.channel) + " " +
           std::to_string(t.start) + ".." + std::to_string(t.stop) + " @" +
           std::to_string(t.line) + ":" + std::to_string(t.column) + "\n";
  return out;
}

void expect_same_tokens(const std::string &text, size_t begin = 0,
                        size_t end = std::string::npos, size_t line = 1) {
  auto fast = lex_all(text, LexerKind::Fast, begin, end, line);
  auto generated = lex_all(text, LexerKind::Generated, begin, end, line);
  EXPECT_EQ(show(fast), show(generated)) << "input: '" << text << "'";
}

TEST(FastLexerTest, EveryTokenClass) {
  for (const char *text : {
           "",
           "   \n\t\r\f  ",
           "policy p {\n  rule r0: ip.src == 10.0.0.1 => drop\n}\n",
           "const c = { 10.0.0.0/8, 192.168.1.0/24, 2001:db8::/32, ::1, "
           "::ffff:1.2.3.4 }",
           "set s : ip dynamic ttl 10m capacity 1000",
           "rule r: tcp.dport in 1000..2000 and not udp.sport != 53 => pass "
           "ttl 5s shadow",
           "rule r: rate(ip.src, burst 10) > 10k/s => drop",
           "rate 1Mbit/s 2Gbit/s 3kbit/s 4bit/s 5/s 6M/s 7G/s",
           "durations 500ms 10s 5m 1h 10sec 10min 3mb 7hx",
           "numbers 0 00 123 0x1F 0xZZ 0x 1.2.3 1.2.3.4.5 1.2.3.4/s "
           "1.2.3.4/24x 1.2.3.4/ 1e5 10K/s 1_000",
           "macs aa:bb:cc:dd:ee:ff 00:11:22:33:44:55 a1:b2 dead::beef ab: "
           "ab:cd x: f:",
           "1:2:3:4:5:6:7:8 1:2:3:4:5:6:1.2.3.4 fe80::1%eth0 ::",
           "fields ip.src ip. ip.1 a.b.c a._b _x __ x.y.",
           "keywords policy const protect set dynamic ttl capacity rule "
           "default test "
           "packet within pass drop count shadow and or not in burst true "
           "false "
           "policyx rulez in_ x1",
           "ops => == != <= >= < > = ( ) { } , : .. . ... ! && || & | @ $ ; \\ "
           "^",
           "strings \"a\" \"a\\\"b\" \"unterminated\n\"x\\",
           "# comment\n# another\r\nrule # trailing",
           "\xef\xbb\xbfpolicy p {}",
           "caf\xc3\xa9 \xe2\x82\xac \xff \x80",
           "10.0.0.1=>drop",
           "1..2",
           "1...2",
           "10ms/s",
           "10m/s",
           "10bit",
           "10bits/s",
           "22 port22 22port",
           "0x1g",
           "12:34",
           "1:",
           "1::",
           "a::b",
           "f::1.2.3.4/64",
       })
    expect_same_tokens(text);
}

TEST(FastLexerTest, ByteRangesAsPieces) {
  const std::string text = "policy p {\n  rule a: ip.src == 1.2.3.4 => drop\n  "
                           "rule b: tcp.dport == 22 => pass\n}\n";
  for (size_t begin = 0; begin <= text.size(); begin += 3)
    for (size_t end = begin; end <= text.size(); end += 7)
      expect_same_tokens(text, begin, end, 5);
}

// Random texts over the bytes where token rules meet: digits, hex and unit
// letters, ':', '.', '/', operators, quotes, line breaks, bytes of UTF-8.
TEST(FastLexerTest, RandomTexts) {
  static const std::vector<std::string> pieces = {
      "0",    "1",  "9",        "12",   "255",     "a",        "b",    "f",
      "e",    "x",  "k",        "M",    "G",       "m",        "s",    "h",
      "bit",  "ms", "_",        "z",    "ip",      "src",      "rule", "in",
      ":",    "::", ".",        "..",   "/",       "/s",       " ",    "\n",
      "\r\n", "\t", "#",        "\"",   "\\",      "=",        "=>",   "==",
      "!",    "<",  ">",        "&",    "|",       ",",        "{",    "}",
      "(",    ")",  "\xc3\xa9", "\xff", "1.2.3.4", "dead:beef"};
  std::mt19937 rng(20261125);
  std::uniform_int_distribution<size_t> pick(0, pieces.size() - 1);
  std::uniform_int_distribution<int> length(1, 24);
  for (int n = 0; n < 20000; ++n) {
    std::string text;
    for (int k = length(rng); k > 0; --k)
      text += pieces[pick(rng)];
    expect_same_tokens(text);
    if (HasFailure())
      return;
  }
}

// The policies that ship with the project and the tests' own.
TEST(FastLexerTest, ProjectPolicies) {
  size_t files = 0;
  for (const char *dir : {"policies", "tests"}) {
    for (const auto &entry : std::filesystem::recursive_directory_iterator(
             std::filesystem::path(PSC_SOURCE_DIR) / dir)) {
      if (entry.path().extension() != ".psl")
        continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream buffer;
      buffer << in.rdbuf();
      SCOPED_TRACE(entry.path().string());
      expect_same_tokens(buffer.str());
      ++files;
    }
  }
  EXPECT_GT(files, 10u);
}

} // namespace
} // namespace psl::frontend
