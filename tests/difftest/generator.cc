#include "generator.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <optional>
#include <random>

#include "ast/fields.h"
#include "ast/value.h"
#include "frames.h"

namespace psl::difftest {

// ------------------------------------------------------------ policy text

std::string CondNode::text() const {
  switch (kind) {
  case Kind::Atom:
    return atom;
  case Kind::Not: {
    const CondNode &k = kids[0];
    // `not` binds tighter than and/or: those need parentheses below it.
    bool paren = k.kind == Kind::And || k.kind == Kind::Or;
    return "not " + (paren ? "(" + k.text() + ")" : k.text());
  }
  case Kind::And:
  case Kind::Or: {
    auto side = [&](const CondNode &k) {
      // `and` inside `or` needs none; `or` inside `and` does.
      bool paren = kind == Kind::And && k.kind == Kind::Or;
      return paren ? "(" + k.text() + ")" : k.text();
    };
    return side(kids[0]) + (kind == Kind::And ? " and " : " or ") +
           side(kids[1]);
  }
  }
  return atom;
}

size_t CondNode::size() const {
  size_t n = 1;
  for (const CondNode &k : kids)
    n += k.size();
  return n;
}

std::string RuleSpec::text() const {
  std::string s = "rule " + name + ": " + cond.text() + " => " + action;
  std::string t = ttl.empty() ? "" : " ttl " + ttl;
  std::string sh = shadow ? " shadow" : "";
  return s + (modifiers_swapped ? sh + t : t + sh);
}

std::string PolicySpec::text() const {
  std::string s = "policy difftest {\n";
  for (const auto &d : consts)
    s += "  " + d.text + "\n";
  for (const auto &d : sets)
    s += "  " + d.text + "\n";
  for (const auto &d : protects)
    s += "  " + d.text + "\n";
  for (const auto &r : rules)
    s += "  " + r.text() + "\n";
  if (!default_action.empty())
    s += "  default " + default_action + "\n";
  return s + "}\n";
}

std::string to_hex(const std::vector<uint8_t> &bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : bytes) {
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 15]);
  }
  return s;
}

std::vector<uint8_t> from_hex(const std::string &hex) {
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  };
  std::vector<uint8_t> out;
  if (hex.size() % 2)
    return {};
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nib(hex[i]), lo = nib(hex[i + 1]);
    if (hi < 0 || lo < 0)
      return {};
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

namespace {

constexpr uint64_t kStartNs = 1'000'000'000;

bool ordered(TypeKind t) { return t == TypeKind::Int || t == TypeKind::Port; }

IpAddr masked(IpAddr a, unsigned prefix) {
  size_t nbytes = a.family == 4 ? 4 : 16;
  for (size_t i = 0; i < nbytes; ++i) {
    unsigned lo = static_cast<unsigned>(i) * 8;
    if (prefix >= lo + 8)
      continue;
    unsigned keep = prefix > lo ? prefix - lo : 0;
    a.bytes[i] &= static_cast<uint8_t>(keep ? 0xff << (8 - keep) : 0);
  }
  return a;
}

IpAddr last_of(IpAddr a, unsigned prefix) {
  size_t nbytes = a.family == 4 ? 4 : 16;
  for (size_t i = 0; i < nbytes; ++i) {
    unsigned lo = static_cast<unsigned>(i) * 8;
    if (prefix >= lo + 8)
      continue;
    unsigned keep = prefix > lo ? prefix - lo : 0;
    a.bytes[i] |= static_cast<uint8_t>(0xff >> keep);
  }
  return a;
}

// a + delta (delta -1 or +1) within the family's width; false on wrap.
bool step(IpAddr &a, int delta) {
  size_t nbytes = a.family == 4 ? 4 : 16;
  for (size_t i = nbytes; i-- > 0;) {
    if (delta > 0) {
      if (++a.bytes[i] != 0)
        return true;
    } else {
      if (a.bytes[i]-- != 0)
        return true;
    }
  }
  return false;
}

std::string mac_text(const MacAddr &m) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m.bytes[0],
                m.bytes[1], m.bytes[2], m.bytes[3], m.bytes[4], m.bytes[5]);
  return buf;
}

class Generator {
public:
  Generator(uint64_t seed, uint64_t number, const GenOptions &o)
      : rng_(seed * 0x9e3779b97f4a7c15ull ^
             (number + 1) * 0xbf58476d1ce4e5b9ull),
        o_(o) {
    c_.seed = seed;
    c_.number = number;
  }

  Case run() {
    // A few focus fields most atoms use, so that rules share shapes and
    // the lowering merges them into lookup groups (priorities, covering
    // prefixes); the rest of the atoms roam over every field.
    for (int i = 0; i < 4; ++i)
      focus_.push_back(&one(all_fields()));
    int nrules = 1 + pick(o_.max_rules);
    for (int i = 0; i < nrules; ++i)
      c_.policy.rules.push_back(rule(i));
    // Address lists (rules of one address field alone, what the cost
    // model may lower to decision trees) on half the even-numbered cases,
    // anywhere in the rule order.
    if (c_.number % 2 == 0 && chance(50))
      for (int k = 1 + pick(3); k > 0; --k) {
        const auto at = pick(static_cast<int>(c_.policy.rules.size()) + 1);
        c_.policy.rules.insert(c_.policy.rules.begin() + at,
                               address_list_rule(k));
        // And a prefix with a port on the same field: class-keyed, what
        // the model may lower to code beside the tree.
        if (chance(50)) {
          const std::string &list = c_.policy.rules[at].cond.atom;
          RuleSpec r;
          r.name = "with" + std::to_string(k);
          const bool tcp = pick(2);
          const uint64_t port = int_value(
              field_info(tcp ? FieldId::TcpDport : FieldId::UdpDport));
          target_int(tcp ? FieldId::TcpDport : FieldId::UdpDport, port);
          CondNode addr, dport;
          addr.atom = list.substr(0, list.find(' ')) + " in " + cidr();
          dport.atom =
              (tcp ? "tcp.dport == " : "udp.dport == ") + std::to_string(port);
          r.cond.kind = CondNode::Kind::And;
          r.cond.kids = {std::move(addr), std::move(dport)};
          r.action = pick(2) ? "pass" : "drop";
          c_.policy.rules.insert(
              c_.policy.rules.begin() +
                  pick(static_cast<int>(c_.policy.rules.size()) + 1),
              std::move(r));
        }
      }
    // Port ranges after address prefixes on half the odd-numbered cases
    // (lowered to maps, every class-keyed group behind its bitmaps): a
    // class-keyed LPM group of port ranges and its (class, block) bitmap.
    if (c_.number % 2 == 1 && chance(50)) {
      const char *addr = pick(2) ? "ip.src" : "ip.dst";
      static const FieldId ports[] = {FieldId::TcpDport, FieldId::UdpDport,
                                      FieldId::L4Dport};
      const FieldInfo &port = field_info(ports[pick(3)]);
      for (int k = 1 + pick(3); k > 0; --k)
        c_.policy.rules.insert(
            c_.policy.rules.begin() +
                pick(static_cast<int>(c_.policy.rules.size()) + 1),
            range_after_class_rule(k, addr, port));
    }
    for (int i = pick(3); i > 0; --i)
      c_.policy.protects.push_back({"", "protect " + cond(1).text()});
    const char *defaults[] = {"", "pass", "drop"};
    c_.policy.default_action = defaults[pick(3)];
    packets();
    entries();
    return std::move(c_);
  }

private:
  // ------------------------------------------------------------ randomness
  uint64_t rnd() { return rng_(); }
  int pick(int n) { return static_cast<int>(rnd() % static_cast<uint64_t>(n)); }
  bool chance(int percent) { return pick(100) < percent; }
  template <class T>
  const T &one(const std::vector<T> &v) {
    return v[rnd() % v.size()];
  }

  // --------------------------------------------------------- constants
  uint64_t int_value(const FieldInfo &f) {
    uint64_t max = field_max(f);
    auto &pool = ints_[f.id];
    if (!pool.empty() && chance(40))
      return std::min(one(pool), max);
    switch (pick(6)) {
    case 0:
      return pick(2) ? 0 : max;
    case 1:
      return std::min<uint64_t>(1 + pick(3), max);
    case 2: {
      static const std::vector<uint64_t> common = {
          22,   53,   64,     80,     128,    255, 443,
          1024, 1500, 0x0800, 0x86dd, 0x0806, 8080};
      return std::min(one(common), max);
    }
    case 3:
      return max - std::min<uint64_t>(max, pick(3));
    default:
      return rnd() % (max + 1);
    }
  }

  void target_int(FieldId f, uint64_t v) {
    uint64_t max = field_max(field_info(f));
    auto &pool = ints_[f];
    pool.push_back(v);
    if (v > 0)
      pool.push_back(v - 1);
    if (v < max)
      pool.push_back(v + 1);
  }

  std::string spell_int(const FieldInfo &f, uint64_t v) {
    if (f.type == TypeKind::Proto) {
      for (const auto &n : proto_names())
        if (n.number == v && chance(60))
          return n.name;
      if (chance(50))
        return "proto(" + std::to_string(v) + ")";
    }
    if (f.type == TypeKind::IcmpType || f.type == TypeKind::Icmp6Type) {
      const auto &names =
          f.type == TypeKind::IcmpType ? icmp_type_names() : icmp6_type_names();
      for (const auto &n : names)
        if (n.number == v && chance(70))
          return n.name;
    }
    if (chance(f.id == FieldId::EthType ? 70 : 15)) {
      char buf[24];
      std::snprintf(buf, sizeof buf, "0x%llx",
                    static_cast<unsigned long long>(v));
      return buf;
    }
    return std::to_string(v);
  }

  IpAddr ip_value(int family) {
    IpAddr a;
    a.family = static_cast<uint8_t>(family);
    auto &pool = family == 4 ? ips4_ : ips6_;
    if (!pool.empty() && chance(40))
      return one(pool);
    if (family == 4) {
      static const std::vector<std::array<uint8_t, 4>> bases = {
          {10, 0, 0, 1},     {10, 1, 2, 3}, {192, 0, 2, 1},
          {198, 51, 100, 7}, {0, 0, 0, 0},  {255, 255, 255, 255}};
      auto b = one(bases);
      std::copy(b.begin(), b.end(), a.bytes.begin());
      if (chance(50))
        for (size_t i = 0; i < 4; ++i)
          a.bytes[i] = static_cast<uint8_t>(rnd());
    } else {
      static const std::vector<std::string> bases = {
          "2001:db8::1", "2001:db8::ff:1", "fe80::1", "::ffff:10.1.2.3",
          "::",          "ff02::1"};
      a = *parse_ip(one(bases));
      if (chance(50))
        for (size_t i = 8; i < 16; ++i)
          a.bytes[i] = static_cast<uint8_t>(rnd());
    }
    return a;
  }

  void target_ip(const IpAddr &a) {
    auto &pool = a.family == 4 ? ips4_ : ips6_;
    pool.push_back(a);
  }

  // A prefix, and its edges as targets: first, last, and just outside.
  std::string cidr() {
    int family = pick(2) ? 4 : 6;
    unsigned width = family == 4 ? 32 : 128;
    static const std::vector<unsigned> lens4 = {0, 1, 8, 16, 24, 31, 32};
    static const std::vector<unsigned> lens6 = {0,  1,  16,  32,  48,
                                                64, 96, 120, 127, 128};
    unsigned len =
        chance(30) ? static_cast<unsigned>(pick(static_cast<int>(width) + 1))
                   : one(family == 4 ? lens4 : lens6);
    IpAddr first = masked(ip_value(family), len), last = last_of(first, len);
    target_ip(first);
    target_ip(last);
    IpAddr before = first, after = last;
    if (step(before, -1))
      target_ip(before);
    if (step(after, +1))
      target_ip(after);
    return ip_to_string(first) + "/" + std::to_string(len);
  }

  std::string address() {
    IpAddr a = ip_value(pick(2) ? 4 : 6);
    target_ip(a);
    IpAddr b = a;
    if (step(b, +1))
      target_ip(b);
    return ip_to_string(a);
  }

  std::string mac() {
    MacAddr m;
    static const std::vector<std::array<uint8_t, 6>> bases = {
        {2, 0, 0, 0, 0, 1},
        {2, 0, 0, 0, 0, 2},
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    if (!macs_.empty() && chance(40))
      m = one(macs_);
    else if (chance(50))
      m.bytes = one(bases);
    else
      for (auto &b : m.bytes)
        b = static_cast<uint8_t>(rnd());
    macs_.push_back(m);
    MacAddr near = m;
    near.bytes[5] ^= 1;
    macs_.push_back(near);
    return mac_text(m);
  }

  // `const cN = text`; returns cN. Constants may name earlier constants.
  std::string hoist(const std::string &text) {
    std::string name = "c" + std::to_string(c_.policy.consts.size());
    c_.policy.consts.push_back({name, "const " + name + " = " + text});
    return name;
  }

  // A dynamic set of `elem` used with field `f`.
  std::string dynset(const std::string &elem, FieldId f) {
    for (auto &s : sets_)
      if (s.elem == elem && chance(60)) {
        s.fields.push_back(f);
        return s.name;
      }
    SetInfo s;
    s.name = "s" + std::to_string(sets_.size());
    s.elem = elem;
    s.fields.push_back(f);
    s.capacity = chance(50) ? 0 : static_cast<uint32_t>(1 + pick(16));
    std::vector<std::string> opts;
    if (chance(50))
      opts.push_back("ttl " + std::to_string(1 + pick(59)) +
                     (pick(2) ? "s" : "m"));
    if (s.capacity)
      opts.push_back("capacity " + std::to_string(s.capacity));
    if (opts.size() == 2 && pick(2))
      std::swap(opts[0], opts[1]);
    std::string text = "set " + s.name + " : " + elem + " dynamic";
    for (auto &o : opts)
      text += " " + o;
    c_.policy.sets.push_back({s.name, text});
    sets_.push_back(s);
    return s.name;
  }

  // ------------------------------------------------------------- atoms
  std::string set_element(const FieldInfo &f) {
    if (ordered(f.type) && chance(30)) {
      uint64_t a = int_value(f), b = int_value(f);
      if (a > b)
        std::swap(a, b);
      target_int(f.id, a);
      target_int(f.id, b);
      return spell_int(f, a) + ".." + spell_int(f, b);
    }
    uint64_t v = int_value(f);
    target_int(f.id, v);
    std::string s = spell_int(f, v);
    return chance(15) ? hoist(s) : s;
  }

  std::string int_set(const FieldInfo &f) {
    std::string s = "{ ";
    for (int i = 0, n = 1 + pick(4); i < n; ++i)
      s += (i ? ", " : "") + set_element(f);
    return s + (chance(10) ? ", }" : " }");
  }

  std::string ip_set() {
    std::string s = "{ ";
    for (int i = 0, n = 1 + pick(4); i < n; ++i) {
      std::string e = pick(2) ? cidr() : address();
      s += (i ? ", " : "") + (chance(15) ? hoist(e) : e);
    }
    return s + " }";
  }

  std::string in_op() { return chance(70) ? " in " : " not in "; }

  std::string cmp_op(TypeKind t) {
    static const std::vector<std::string> all = {"==", "!=", "<",
                                                 "<=", ">",  ">="};
    return ordered(t) ? all[static_cast<size_t>(pick(6))]
                      : all[static_cast<size_t>(pick(2))];
  }

  std::string field_atom(const FieldInfo &f) {
    std::string name = f.name;
    if (f.type == TypeKind::Bool) {
      switch (pick(4)) {
      case 0:
      case 1:
        return name;
      case 2:
        return name + " == " + (pick(2) ? "true" : "false");
      default:
        return name + " != " + (pick(2) ? "true" : "false");
      }
    }
    if (f.type == TypeKind::Mac) {
      switch (pick(4)) {
      case 0:
        return name + " " + cmp_op(f.type) + " " + mac();
      case 1:
        return mac() + " " + cmp_op(f.type) + " " + name;
      case 2: {
        std::string s = "{ " + mac();
        for (int i = pick(3); i > 0; --i)
          s += ", " + mac();
        s += " }";
        return name + in_op() + (chance(25) ? hoist(s) : s);
      }
      default:
        return name + in_op() + dynset("mac", f.id);
      }
    }
    if (f.type == TypeKind::Ip) {
      switch (pick(6)) {
      case 0: {
        std::string a = address();
        return pick(2) ? name + " " + cmp_op(f.type) + " " + a
                       : a + " " + cmp_op(f.type) + " " + name;
      }
      case 1:
      case 2:
        return name + in_op() + (chance(20) ? hoist(cidr()) : cidr());
      case 3:
      case 4: {
        std::string s = ip_set();
        if (chance(25)) {
          // A set built from another constant set: { c1, 192.0.2.9 }.
          std::string inner = hoist(s);
          s = hoist("{ " + inner + ", " + address() + " }");
        }
        return name + in_op() + s;
      }
      default:
        return name + in_op() + dynset("ip", f.id);
      }
    }
    // int-like
    switch (pick(ordered(f.type) ? 7 : 5)) {
    case 0:
    case 1: {
      uint64_t v = int_value(f);
      target_int(f.id, v);
      std::string c = spell_int(f, v);
      if (chance(15))
        c = hoist(c);
      std::string op = cmp_op(f.type);
      return pick(3) ? name + " " + op + " " + c : c + " " + op + " " + name;
    }
    case 2:
    case 3: {
      std::string s = int_set(f);
      return name + in_op() + (chance(20) ? hoist(s) : s);
    }
    case 4: {
      if (f.type == TypeKind::IcmpType || f.type == TypeKind::Icmp6Type)
        return name + in_op() + int_set(f);
      std::string elem = f.type == TypeKind::Port    ? "port"
                         : f.type == TypeKind::Proto ? "proto"
                                                     : "int";
      return name + in_op() + dynset(elem, f.id);
    }
    default: {
      uint64_t a = int_value(f), b = int_value(f);
      if (a > b)
        std::swap(a, b);
      target_int(f.id, a);
      target_int(f.id, b);
      std::string r = spell_int(f, a) + ".." + spell_int(f, b);
      return name + in_op() + (chance(15) ? hoist(r) : r);
    }
    }
  }

  std::string field_pair_atom() {
    const auto &fields = all_fields();
    for (;;) {
      const FieldInfo &a = one(fields), &b = one(fields);
      if (&a == &b || a.type != b.type)
        continue;
      // Ints of different widths compare all the same.
      return std::string(a.name) + " " + cmp_op(a.type) + " " + b.name;
    }
  }

  std::string rate_atom() {
    const auto &fields = all_fields();
    std::vector<const FieldInfo *> keys;
    for (int i = pick(4); i > 0; --i) {
      const FieldInfo *f = &one(fields);
      if (std::find(keys.begin(), keys.end(), f) == keys.end())
        keys.push_back(f);
    }
    const bool bits = chance(25);
    std::string s = "rate(";
    for (size_t i = 0; i < keys.size(); ++i)
      s += (i ? ", " : "") + std::string(keys[i]->name);
    if (chance(40)) {
      uint64_t burst = bits ? 1000 + rnd() % 200000 : 1 + rnd() % 8;
      s += std::string(keys.empty() ? "" : ", ") + "burst " +
           std::to_string(burst);
    }
    s += ") ";
    s += pick(2) ? ">" : ">=";
    if (bits) {
      static const std::vector<std::string> rates = {
          "64kbit/s", "1Mbit/s", "100kbit/s", "8000bit/s", "1Gbit/s"};
      return s + " " + one(rates);
    }
    static const std::vector<std::string> rates = {
        "1/s", "2/s", "3/s", "5/s", "10/s", "100/s", "1k/s"};
    return s + " " + one(rates);
  }

  CondNode atom() {
    CondNode n;
    int r = pick(100);
    if (r < 8)
      n.atom = field_pair_atom();
    else if (r < 16)
      n.atom = rate_atom();
    else if (r < 18)
      n.atom = pick(2) ? "true" : "false";
    else
      n.atom = field_atom(chance(60) ? *one(focus_) : one(all_fields()));
    return n;
  }

  CondNode cond(int depth) {
    CondNode n;
    if (depth == 0 || chance(35)) {
      n = atom();
    } else {
      n.kind = pick(2) ? CondNode::Kind::And : CondNode::Kind::Or;
      n.kids.push_back(cond(depth - 1));
      n.kids.push_back(cond(depth - 1));
    }
    // `not`, now and then twice.
    for (int i = 0; i < 2 && chance(i == 0 ? 15 : 20); ++i) {
      CondNode neg;
      neg.kind = CondNode::Kind::Not;
      neg.kids.push_back(std::move(n));
      n = std::move(neg);
    }
    return n;
  }

  // `A and rate(...)` with A a conjunction of field tests: the shape the
  // lowering keeps in rate groups (when several such rules share fields,
  // their keys list several rules).
  CondNode rate_rule_cond() {
    CondNode conj;
    conj.atom = field_atom(chance(70) ? *one(focus_) : one(all_fields()));
    for (int i = pick(3); i > 0; --i) {
      CondNode both;
      both.kind = CondNode::Kind::And;
      both.kids.push_back(std::move(conj));
      CondNode next;
      next.atom = field_atom(chance(70) ? *one(focus_) : one(all_fields()));
      both.kids.push_back(std::move(next));
      conj = std::move(both);
    }
    CondNode rate;
    rate.atom = rate_atom();
    CondNode n;
    n.kind = CondNode::Kind::And;
    n.kids.push_back(std::move(conj));
    n.kids.push_back(std::move(rate));
    return n;
  }

  // `ADDR in PREFIX and PORT in A..B`: the range's ends and their
  // neighbours are packet targets, as the prefix's are.
  RuleSpec range_after_class_rule(int k, const char *addr,
                                  const FieldInfo &port) {
    uint64_t a = int_value(port), b = int_value(port);
    if (a > b)
      std::swap(a, b);
    target_int(port.id, a);
    target_int(port.id, b);
    RuleSpec r;
    r.name = "range" + std::to_string(k);
    CondNode prefix, range;
    prefix.atom = std::string(addr) + " in " + cidr();
    range.atom = std::string(port.name) + " in " + spell_int(port, a) + ".." +
                 spell_int(port, b);
    r.cond.kind = CondNode::Kind::And;
    r.cond.kids = {std::move(prefix), std::move(range)};
    r.action = pick(2) ? "pass" : "drop";
    return r;
  }

  // `ip.src in { ... }` (or ip.dst) of 1 to 12 addresses and prefixes.
  RuleSpec address_list_rule(int k) {
    RuleSpec r;
    r.name = "list" + std::to_string(k);
    const char *field = pick(2) ? "ip.src" : "ip.dst";
    std::string items;
    const int n = 1 + pick(12);
    for (int i = 0; i < n; ++i)
      items += (i ? ", " : "") + (pick(2) ? cidr() : address());
    r.cond.atom = n == 1 && !pick(3)
                      ? std::string(field) + " == " + address()
                      : std::string(field) + " in { " + items + " }";
    r.action = pick(2) ? "pass" : "drop";
    return r;
  }

  RuleSpec rule(int i) {
    RuleSpec r;
    r.name = "r" + std::to_string(i);
    if (chance(15)) {
      r.cond = rate_rule_cond();
      r.action = pick(2) ? "pass" : "drop";
      return r;
    }
    r.cond = cond(pick(o_.max_depth + 1));
    int a = pick(100);
    r.action = a < 35    ? "pass"
               : a < 70  ? "drop"
               : a < 85  ? "count"
               : pick(2) ? "pass"
                         : "drop";
    r.shadow = a >= 85;
    if (chance(15))
      r.ttl = std::to_string(1 + pick(30)) + (pick(2) ? "m" : "h");
    r.modifiers_swapped = chance(50);
    return r;
  }

  // ----------------------------------------------------------- packets
  std::optional<uint64_t> want_int(FieldId f, int percent = 60) {
    auto it = ints_.find(f);
    if (it == ints_.end() || it->second.empty() || !chance(percent))
      return std::nullopt;
    return one(it->second);
  }

  uint16_t port(FieldId a, FieldId b) {
    if (auto v = want_int(a))
      return static_cast<uint16_t>(*v);
    if (auto v = want_int(b))
      return static_cast<uint16_t>(*v);
    static const std::vector<uint16_t> common = {0,    22,   53,    80,   443,
                                                 1023, 1024, 40000, 65535};
    return chance(70) ? one(common) : static_cast<uint16_t>(rnd());
  }

  std::array<uint8_t, 16> addr(int family) {
    const auto &pool = family == 4 ? ips4_ : ips6_;
    IpAddr a = !pool.empty() && chance(70) ? one(pool) : ip_value(family);
    return a.bytes;
  }

  MacAddr pick_mac() {
    if (!macs_.empty() && chance(60))
      return one(macs_);
    MacAddr m;
    for (auto &b : m.bytes)
      b = static_cast<uint8_t>(rnd());
    return m;
  }

  Ip6ExtHeader ext_header(uint8_t type) {
    Ip6ExtHeader e;
    e.type = type;
    e.len_units = static_cast<uint8_t>(chance(80) ? 0 : pick(4));
    if (type == 51) // AH: an odd length byte is malformed on IPv6
      e.len_units =
          static_cast<uint8_t>(chance(80) ? 2 * pick(3) : 1 + 2 * pick(2));
    if (type == 43)
      e.rh_type = static_cast<uint8_t>(
          want_int(FieldId::Ip6RhType, 70).value_or(pick(5)));
    if (type == 44) {
      e.frag_off = static_cast<uint16_t>(
          want_int(FieldId::IpFragOff, 50)
              .value_or(chance(60) ? 0 : 8 * (1 + pick(200))));
      e.more = pick(2);
    }
    return e;
  }

  Frame frame() {
    Frame f;
    f.eth_dst = pick_mac().bytes;
    f.eth_src = chance(10) ? f.eth_dst : pick_mac().bytes;
    // VLAN tags: 0..3 of either TPID; the third is one too many.
    int tags = chance(70) ? 0 : chance(80) ? 1 : 2 + pick(2);
    for (int i = 0; i < tags; ++i) {
      uint16_t vid = static_cast<uint16_t>(
          want_int(FieldId::VlanId).value_or(rnd() & 0xfff));
      uint16_t tci = static_cast<uint16_t>((rnd() & 0xf000) | (vid & 0x0fff));
      f.vlans.emplace_back(pick(3) ? 0x8100 : 0x88a8, tci);
    }
    // Family from a wanted version or address, else at random.
    int family = pick(100) < 50 ? 4 : pick(100) < 80 ? 6 : 0;
    if (auto v = want_int(FieldId::IpVersion, 40); v && (*v == 4 || *v == 6))
      family = static_cast<int>(*v);
    if (auto t = want_int(FieldId::EthType, 30)) {
      family = *t == 0x0800 ? 4 : *t == 0x86dd ? 6 : 0;
      f.eth_type = static_cast<uint16_t>(*t);
    }
    if (family == 0) {
      if (f.eth_type == 0x0800 || f.eth_type == 0x86dd)
        f.eth_type = pick(2) ? 0x0806 : static_cast<uint16_t>(rnd());
      f.payload = static_cast<size_t>(pick(60));
      return f;
    }
    f.eth_type = family == 4 ? 0x0800 : 0x86dd;
    f.src = addr(family);
    f.dst = chance(10) ? f.src : addr(family);
    f.ttl = static_cast<uint8_t>(
        want_int(FieldId::IpTtl).value_or(pick(2) ? 64 : rnd()));
    f.tos = static_cast<uint8_t>(
        want_int(FieldId::IpTos).value_or(pick(2) ? 0 : rnd()));
    static const std::vector<uint8_t> protos = {6,  6,  17, 17,  1,  58,
                                                47, 50, 51, 132, 253};
    f.proto =
        static_cast<uint8_t>(want_int(FieldId::IpProto).value_or(one(protos)));
    // Transport fields ask for their protocol.
    if (auto wanted_icmp = family == 4 ? FieldId::IcmpType : FieldId::Icmp6Type;
        ints_.count(wanted_icmp) && chance(20))
      f.proto = family == 4 ? 1 : 58;

    if (family == 4) {
      f.df = chance(30);
      if (auto v = want_int(FieldId::IpFragOff, 40))
        f.frag_off = static_cast<uint16_t>(*v);
      else if (chance(10))
        f.frag_off = static_cast<uint16_t>(8 * pick(400));
      f.mf = want_int(FieldId::IpFrag, 40).value_or(chance(10) ? 1 : 0) != 0;
      if (chance(10))
        f.ihl = static_cast<uint8_t>(6 + pick(10));
    } else {
      // Extension chain: a wanted count, hop-by-hop, routing header.
      int n = static_cast<int>(want_int(FieldId::Ip6ExtCount, 50)
                                   .value_or(chance(70) ? 0 : pick(4)));
      n = std::min(n, 10);
      static const std::vector<uint8_t> kinds = {60, 43, 44, 51, 60, 0};
      for (int i = 0; i < n; ++i)
        f.ext.push_back(ext_header(one(kinds)));
      if (want_int(FieldId::Ip6Hbh, 50).value_or(chance(10)))
        f.ext.insert(f.ext.begin(), ext_header(0));
      if (ints_.count(FieldId::Ip6RhType) && chance(40))
        f.ext.insert(
            f.ext.begin() +
                (f.ext.empty() ? 0 : pick(static_cast<int>(f.ext.size()))),
            ext_header(43));
      if (ints_.count(FieldId::IpFrag) && chance(30))
        f.ext.push_back(ext_header(44));
    }

    f.sport = port(FieldId::TcpSport, FieldId::L4Sport);
    if (f.proto == 17)
      f.sport = port(FieldId::UdpSport, FieldId::L4Sport);
    f.dport = port(FieldId::TcpDport, FieldId::L4Dport);
    if (f.proto == 17)
      f.dport = port(FieldId::UdpDport, FieldId::L4Dport);
    if (chance(8))
      f.dport = f.sport;
    uint8_t flags = static_cast<uint8_t>(
        chance(30) ? rnd()
                   : one(std::vector<uint8_t>{0x02, 0x12, 0x10, 0x11, 0x04,
                                              0x18, 0x00, 0x29}));
    static const std::pair<FieldId, uint8_t> bits[] = {
        {FieldId::TcpFin, 0x01}, {FieldId::TcpSyn, 0x02},
        {FieldId::TcpRst, 0x04}, {FieldId::TcpPsh, 0x08},
        {FieldId::TcpAck, 0x10}, {FieldId::TcpUrg, 0x20}};
    for (auto [field, bit] : bits)
      if (auto v = want_int(field, 30))
        flags = static_cast<uint8_t>(*v ? flags | bit : flags & ~bit);
    f.tcp_flags = flags;
    f.window =
        static_cast<uint16_t>(want_int(FieldId::TcpWindow).value_or(rnd()));
    const bool v4 = family == 4;
    f.icmp_type = static_cast<uint8_t>(
        want_int(v4 ? FieldId::IcmpType : FieldId::Icmp6Type)
            .value_or(v4 ? 8 : 128));
    f.icmp_code = static_cast<uint8_t>(
        want_int(v4 ? FieldId::IcmpCode : FieldId::Icmp6Code)
            .value_or(chance(80) ? 0 : rnd()));
    f.payload = static_cast<size_t>(chance(60) ? pick(32) : pick(600));
    if (auto v = want_int(FieldId::UdpLen, 50); v && f.proto == 17) {
      if (*v >= 8 && *v < 1400)
        f.payload = static_cast<size_t>(*v - 8);
      else
        f.udp_len_delta =
            static_cast<int>(*v) - static_cast<int>(8 + f.payload);
    }
    if (auto v = want_int(FieldId::IpLen, 40)) {
      // Total (IPv4) or payload + 40 (IPv6) = v: grow or shrink the payload
      // when that is possible, else declare a length the frame does not have.
      long fixed = static_cast<long>(build_frame(f).size()) -
                   static_cast<long>(f.payload) - 14 -
                   4 * static_cast<long>(f.vlans.size());
      long want_payload = static_cast<long>(*v) - fixed;
      if (want_payload >= 0 && want_payload < 1400)
        f.payload = static_cast<size_t>(want_payload);
      else
        f.ip_len_delta = static_cast<int>(static_cast<long>(*v) - fixed -
                                          static_cast<long>(f.payload));
    }
    // Deliberately broken headers.
    if (chance(12)) {
      switch (pick(6)) {
      case 0:
        f.tcp_doff = static_cast<uint8_t>(pick(16));
        break;
      case 1:
        f.udp_len_delta =
            pick(2) ? -static_cast<int>(1 + pick(12)) : 1 + pick(40);
        break;
      case 2:
        f.ip_len_delta =
            pick(2) ? -static_cast<int>(1 + pick(30)) : 1 + pick(40);
        break;
      case 3:
        f.ihl = static_cast<uint8_t>(pick(16));
        break;
      case 4:
        f.version_nibble = pick(16);
        break;
      default:
        if (!v4) {
          f.ext.push_back(ext_header(0)); // hop-by-hop not first
          while (f.ext.size() < 9 && pick(2))
            f.ext.push_back(ext_header(60));
        }
        break;
      }
    }
    if (auto v = want_int(FieldId::PktLen, 40); v && *v < 1600)
      f.pad_to = static_cast<size_t>(*v);
    else if (chance(30))
      f.pad_to = 60; // Ethernet minimum
    return f;
  }

  std::vector<uint8_t> damage(std::vector<uint8_t> b) {
    int r = pick(100);
    if (r < 8 && b.size() > 14) {
      b.resize(14 + static_cast<size_t>(pick(static_cast<int>(b.size() - 14))));
    } else if (r < 14 && b.size() > 14) {
      for (int i = 1 + pick(4); i > 0; --i)
        b[14 + static_cast<size_t>(pick(static_cast<int>(b.size() - 14)))] =
            static_cast<uint8_t>(rnd());
    } else if (r < 17) {
      b.resize(14 + static_cast<size_t>(pick(120)));
      for (auto &x : b)
        x = static_cast<uint8_t>(rnd());
    }
    return b;
  }

  void packets() {
    uint64_t t = kStartNs;
    while (static_cast<int>(c_.packets.size()) < o_.packets) {
      std::vector<uint8_t> bytes = damage(build_frame(frame()));
      // Bursts of one frame make rate() buckets run dry.
      int copies = chance(20) ? 2 + pick(12) : 1;
      for (int i = 0;
           i < copies && static_cast<int>(c_.packets.size()) < o_.packets;
           ++i) {
        c_.packets.push_back({t, bytes});
        t += gap();
      }
    }
    end_ns_ = t;
  }

  uint64_t gap() {
    int r = pick(100);
    if (r < 40)
      return 0;
    if (r < 70)
      return 1'000'000ull * (1 + rnd() % 100);
    if (r < 90)
      return 500'000'000ull + rnd() % 2'500'000'000ull;
    return rnd() % 1'000'000ull;
  }

  // Entries of the dynamic sets: values the packets carry (and their
  // neighbours), some permanent, some expiring during the run, some
  // expired before it starts.
  void entries() {
    for (const SetInfo &s : sets_) {
      size_t n = static_cast<size_t>(pick(6));
      if (s.capacity)
        n = std::min<size_t>(n, s.capacity);
      for (size_t i = 0; i < n; ++i) {
        SetEntry e;
        e.set = s.name;
        e.elem = s.elem;
        FieldId f = one(s.fields);
        if (s.elem == "ip") {
          const auto &pool = pick(2) ? ips4_ : ips6_;
          IpAddr a = pool.empty() ? ip_value(pick(2) ? 4 : 6) : one(pool);
          e.value = ip_to_string(a);
        } else if (s.elem == "mac") {
          e.value = mac_text(pick_mac());
        } else {
          uint64_t v =
              want_int(f, 80).value_or(rnd() % (field_max(field_info(f)) + 1));
          e.value = std::to_string(v);
        }
        int r = pick(100);
        e.expires_ns = r < 50 ? 0
                       : r < 80
                           ? kStartNs + 1 + rnd() % (end_ns_ - kStartNs + 1)
                           : 1 + rnd() % kStartNs;
        c_.entries.push_back(e);
      }
    }
  }

  struct SetInfo {
    std::string name, elem;
    std::vector<FieldId> fields;
    uint32_t capacity = 0;
  };

  std::mt19937_64 rng_;
  GenOptions o_;
  Case c_;
  std::map<FieldId, std::vector<uint64_t>> ints_;
  std::vector<IpAddr> ips4_, ips6_;
  std::vector<MacAddr> macs_;
  std::vector<SetInfo> sets_;
  std::vector<const FieldInfo *> focus_;
  uint64_t end_ns_ = kStartNs;
};

} // namespace

Case generate_case(uint64_t seed, uint64_t number, const GenOptions &options) {
  Case c = Generator(seed, number, options).run();
  // From the case number, not the random stream: the policies and packets
  // of a (seed, case) stay what they were.
  c.split_class_tables = number % 2 == 1;
  c.lowering = c.split_class_tables ? CaseLowering::Maps
                                    : static_cast<CaseLowering>(number / 2 % 4);
  return c;
}

const char *lowering_name(CaseLowering l) {
  switch (l) {
  case CaseLowering::Auto:
    return "auto";
  case CaseLowering::Maps:
    return "maps";
  case CaseLowering::Code:
    return "code";
  case CaseLowering::TightBudgets:
    return "tight-budgets";
  }
  return "?";
}

} // namespace psl::difftest
