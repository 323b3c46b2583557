#include "bnf_grammar.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <limits>
#include <utility>

namespace psl::testing {
namespace {

using grammar::append_utf8;
using grammar::CharClass;
using grammar::Expr;
using grammar::Grammar;
using grammar::Rule;

// One code point at `i`; its length in `len` (0 at the end or on a bad
// sequence).
uint32_t decode_utf8(std::string_view s, size_t i, size_t &len) {
  len = 0;
  if (i >= s.size())
    return 0;
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
  if (i + n > s.size())
    return 0;
  uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
  for (size_t k = 1; k < n; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  len = n;
  return cp;
}

class BnfParser {
public:
  explicit BnfParser(std::string_view s) : s_(s) {}

  Grammar run() {
    Grammar g;
    skip();
    while (pos_ < s_.size()) {
      Rule r;
      r.name = name();
      skip();
      if (s_.substr(pos_, 3) != "::=")
        fail("expected '::='");
      pos_ += 3;
      r.body = alternatives();
      if (g.find(r.name))
        fail("rule '" + r.name + "' defined twice");
      g.rules.push_back(std::move(r));
      skip();
    }
    return g;
  }

private:
  [[noreturn]] void fail(const std::string &m) const {
    throw std::runtime_error("bnf offset " + std::to_string(pos_) + ": " + m);
  }

  void skip() {
    while (pos_ < s_.size()) {
      if (std::isspace(static_cast<unsigned char>(s_[pos_]))) {
        ++pos_;
      } else if (s_[pos_] == '#') {
        while (pos_ < s_.size() && s_[pos_] != '\n')
          ++pos_;
      } else {
        break;
      }
    }
  }

  static bool name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
           c == '-' || c == '.';
  }

  std::string name() {
    size_t start = pos_;
    while (pos_ < s_.size() && name_char(s_[pos_]))
      ++pos_;
    if (start == pos_)
      fail("expected a rule name");
    return std::string(s_.substr(start, pos_ - start));
  }

  // Whether a new rule (`name ::=`) starts here.
  bool at_rule_start() {
    size_t save = pos_;
    while (pos_ < s_.size() && name_char(s_[pos_]))
      ++pos_;
    bool named = pos_ > save;
    skip();
    bool yes = named && s_.substr(pos_, 3) == "::=";
    pos_ = save;
    return yes;
  }

  Expr alternatives() {
    std::vector<Expr> alts;
    for (;;) {
      alts.push_back(sequence());
      skip();
      if (pos_ < s_.size() && s_[pos_] == '|') {
        ++pos_;
        continue;
      }
      break;
    }
    return alts.size() == 1 ? std::move(alts[0]) : Expr::alt(std::move(alts));
  }

  Expr sequence() {
    std::vector<Expr> items;
    for (;;) {
      skip();
      if (pos_ >= s_.size())
        break;
      char c = s_[pos_];
      if (c == '|' || c == ')')
        break;
      if (name_char(c) && at_rule_start())
        break;
      items.push_back(postfix(atom()));
    }
    if (items.empty())
      fail("empty alternative");
    return items.size() == 1 ? std::move(items[0])
                             : Expr::seq(std::move(items));
  }

  Expr postfix(Expr e) {
    for (;;) {
      if (pos_ >= s_.size())
        return e;
      char c = s_[pos_];
      if (c == '?') {
        ++pos_;
        e = Expr::opt(std::move(e));
      } else if (c == '*') {
        ++pos_;
        e = Expr::star(std::move(e));
      } else if (c == '+') {
        ++pos_;
        e = Expr::plus(std::move(e));
      } else if (c == '{') {
        ++pos_;
        uint32_t lo = number();
        uint32_t hi = lo;
        if (s_[pos_] == ',') {
          ++pos_;
          hi =
              s_[pos_] == '}' ? std::numeric_limits<uint32_t>::max() : number();
        }
        if (s_[pos_] != '}')
          fail("expected '}'");
        ++pos_;
        e = Expr::repeat(std::move(e), lo, hi);
      } else {
        return e;
      }
    }
  }

  uint32_t number() {
    uint32_t v = 0;
    size_t start = pos_;
    while (pos_ < s_.size() &&
           std::isdigit(static_cast<unsigned char>(s_[pos_])))
      v = v * 10 + static_cast<uint32_t>(s_[pos_++] - '0');
    if (start == pos_)
      fail("expected a number");
    return v;
  }

  Expr atom() {
    char c = s_[pos_];
    if (c == '(') {
      ++pos_;
      Expr e = alternatives();
      skip();
      if (pos_ >= s_.size() || s_[pos_] != ')')
        fail("expected ')'");
      ++pos_;
      return e;
    }
    if (c == '"') {
      ++pos_;
      std::string text;
      while (pos_ < s_.size() && s_[pos_] != '"') {
        if (s_[pos_] == '\n')
          fail("newline in a literal");
        append_utf8(text, character());
      }
      if (pos_ >= s_.size())
        fail("unterminated literal");
      ++pos_;
      return Expr::literal(text);
    }
    if (c == '[') {
      ++pos_;
      CharClass cc;
      if (pos_ < s_.size() && s_[pos_] == '^') {
        cc.negated = true;
        ++pos_;
      }
      while (pos_ < s_.size() && s_[pos_] != ']') {
        uint32_t lo = character();
        uint32_t hi = lo;
        if (pos_ + 1 < s_.size() && s_[pos_] == '-' && s_[pos_ + 1] != ']') {
          ++pos_;
          hi = character();
        }
        cc.add(lo, hi);
      }
      if (pos_ >= s_.size())
        fail("unterminated class");
      ++pos_;
      return Expr::char_class(cc);
    }
    if (name_char(c))
      return Expr::ref(name());
    fail(std::string("unexpected '") + c + "'");
  }

  uint32_t hex(size_t digits) {
    uint32_t v = 0;
    for (size_t i = 0; i < digits; ++i) {
      if (pos_ >= s_.size() ||
          !std::isxdigit(static_cast<unsigned char>(s_[pos_])))
        fail("bad hex escape");
      char h = s_[pos_++];
      v = v * 16 +
          static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(h))
                                    ? h - '0'
                                    : std::tolower(h) - 'a' + 10);
    }
    return v;
  }

  uint32_t character() {
    if (s_[pos_] != '\\') {
      size_t len = 0;
      uint32_t cp = decode_utf8(s_, pos_, len);
      if (len == 0)
        fail("bad UTF-8");
      pos_ += len;
      return cp;
    }
    ++pos_;
    char c = s_[pos_++];
    switch (c) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'x':
      return hex(2);
    case 'u':
      return hex(4);
    case 'U':
      return hex(8);
    default:
      return static_cast<unsigned char>(c);
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

constexpr unsigned kUnbounded = 1u << 20;

} // namespace

Grammar parse_bnf(std::string_view text) { return BnfParser(text).run(); }

Sampler::Sampler(const Grammar &g, uint32_t seed, unsigned max_depth)
    : g_(g), rng_(seed), max_depth_(max_depth) {
  for (const Rule &r : g_.rules)
    rule_height_[r.name] = kUnbounded;
  for (bool changed = true; changed;) {
    changed = false;
    for (const Rule &r : g_.rules) {
      unsigned h = height(r.body);
      if (h < rule_height_[r.name]) {
        rule_height_[r.name] = h;
        changed = true;
      }
    }
  }
}

// The fewest nested rule expansions a derivation of `e` needs.
unsigned Sampler::height(const Expr &e) const {
  switch (e.kind) {
  case Expr::Kind::Seq: {
    unsigned h = 0;
    for (const Expr &item : e.items)
      h = std::max(h, height(item));
    return h;
  }
  case Expr::Kind::Alt: {
    unsigned h = kUnbounded;
    for (const Expr &item : e.items)
      h = std::min(h, height(item));
    return h;
  }
  case Expr::Kind::Opt:
  case Expr::Kind::Star:
    return 0;
  case Expr::Kind::Repeat:
    return e.min == 0 ? 0 : height(e.items[0]);
  case Expr::Kind::Plus:
    return height(e.items[0]);
  case Expr::Kind::Ref: {
    auto it = rule_height_.find(e.text);
    if (it == rule_height_.end())
      throw std::runtime_error("undefined rule '" + e.text + "'");
    return it->second >= kUnbounded ? kUnbounded : it->second + 1;
  }
  default:
    return 0;
  }
}

uint32_t Sampler::pick_char(const CharClass &c) {
  std::vector<uint32_t> pool;
  if (c.negated) {
    for (uint32_t ch = 0x20; ch < 0x7f; ++ch)
      if (c.contains(ch))
        pool.push_back(ch);
  } else {
    for (const auto &r : c.ranges)
      for (uint32_t ch = r.first; ch <= r.second && pool.size() < 4096; ++ch)
        pool.push_back(ch);
  }
  if (pool.empty())
    throw std::runtime_error("empty character class");
  return pool[rng_() % pool.size()];
}

std::string Sampler::draw(const std::string &rule) {
  std::string out;
  expr(Expr::ref(rule), 0, out);
  return out;
}

void Sampler::expr(const Expr &e, unsigned depth, std::string &out) {
  bool deep = depth >= max_depth_;
  switch (e.kind) {
  case Expr::Kind::Seq:
    for (const Expr &item : e.items)
      expr(item, depth, out);
    return;
  case Expr::Kind::Alt: {
    std::vector<const Expr *> choices;
    if (deep) {
      unsigned best = kUnbounded;
      for (const Expr &item : e.items)
        best = std::min(best, height(item));
      for (const Expr &item : e.items)
        if (height(item) == best)
          choices.push_back(&item);
    } else {
      for (const Expr &item : e.items)
        choices.push_back(&item);
    }
    expr(*choices[rng_() % choices.size()], depth, out);
    return;
  }
  case Expr::Kind::Opt:
    if (!deep && rng_() % 2)
      expr(e.items[0], depth, out);
    return;
  case Expr::Kind::Star:
  case Expr::Kind::Plus:
  case Expr::Kind::Repeat: {
    uint32_t lo = e.kind == Expr::Kind::Plus     ? 1
                  : e.kind == Expr::Kind::Repeat ? e.min
                                                 : 0;
    uint32_t hi =
        e.kind == Expr::Kind::Repeat ? std::min(e.max, lo + 3) : lo + 3;
    uint32_t n = deep ? lo : lo + rng_() % (hi - lo + 1);
    for (uint32_t i = 0; i < n; ++i)
      expr(e.items[0], depth, out);
    return;
  }
  case Expr::Kind::Literal:
    out += e.text;
    return;
  case Expr::Kind::Chars:
    append_utf8(out, pick_char(e.chars));
    return;
  case Expr::Kind::Ref: {
    const Rule *r = g_.find(e.text);
    if (!r)
      throw std::runtime_error("undefined rule '" + e.text + "'");
    ++uses_[r->name];
    expr(r->body, depth + 1, out);
    return;
  }
  case Expr::Kind::Any:
    throw std::runtime_error("'.' in an exported grammar");
  }
}

namespace {

class Matcher {
public:
  Matcher(const Grammar &g, std::string_view text) : g_(g), s_(text) {}

  std::set<size_t> ends(const Expr &e, size_t pos) {
    std::set<size_t> out;
    switch (e.kind) {
    case Expr::Kind::Seq: {
      std::set<size_t> cur{pos};
      for (const Expr &item : e.items) {
        std::set<size_t> next;
        for (size_t p : cur)
          for (size_t q : ends(item, p))
            next.insert(q);
        cur = std::move(next);
        if (cur.empty())
          break;
      }
      return cur;
    }
    case Expr::Kind::Alt:
      for (const Expr &item : e.items)
        for (size_t q : ends(item, pos))
          out.insert(q);
      return out;
    case Expr::Kind::Opt:
      out = ends(e.items[0], pos);
      out.insert(pos);
      return out;
    case Expr::Kind::Star:
    case Expr::Kind::Plus:
    case Expr::Kind::Repeat: {
      uint32_t lo = e.kind == Expr::Kind::Plus     ? 1
                    : e.kind == Expr::Kind::Repeat ? e.min
                                                   : 0;
      uint32_t hi = e.kind == Expr::Kind::Repeat
                        ? e.max
                        : std::numeric_limits<uint32_t>::max();
      std::set<size_t> cur{pos}, seen;
      for (uint32_t n = 0;; ++n) {
        if (n >= lo)
          out.insert(cur.begin(), cur.end());
        if (n == hi || cur.empty())
          break;
        std::set<size_t> next;
        for (size_t p : cur)
          for (size_t q : ends(e.items[0], p))
            if (n < lo || !seen.count(q))
              next.insert(q);
        if (n >= lo)
          seen.insert(cur.begin(), cur.end());
        cur = std::move(next);
      }
      return out;
    }
    case Expr::Kind::Literal:
      if (s_.substr(pos, e.text.size()) == e.text)
        out.insert(pos + e.text.size());
      return out;
    case Expr::Kind::Chars: {
      size_t len = 0;
      uint32_t cp = decode_utf8(s_, pos, len);
      if (len && e.chars.contains(cp))
        out.insert(pos + len);
      return out;
    }
    case Expr::Kind::Ref: {
      auto key = std::make_pair(e.text, pos);
      auto it = memo_.find(key);
      if (it != memo_.end())
        return it->second;
      const Rule *r = g_.find(e.text);
      if (!r)
        throw std::runtime_error("undefined rule '" + e.text + "'");
      out = ends(r->body, pos);
      memo_[key] = out;
      return out;
    }
    case Expr::Kind::Any:
      break;
    }
    throw std::runtime_error("'.' in an exported grammar");
  }

private:
  const Grammar &g_;
  std::string_view s_;
  std::map<std::pair<std::string, size_t>, std::set<size_t>> memo_;
};

} // namespace

bool matches(const Grammar &g, const std::string &rule, std::string_view text) {
  Matcher m(g, text);
  return m.ends(Expr::ref(rule), 0).count(text.size()) > 0;
}

} // namespace psl::testing
