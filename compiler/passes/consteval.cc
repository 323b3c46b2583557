// Constant evaluation: every constant expression (literals, names of
// constants, protocol and ICMP names, set literals, ranges) gets its value
// in Expr::constant, and every ConstDecl its ConstDecl::folded, constants
// folded on demand so dependency order needs no sorting (resolve already
// broke cycles).
//
// Values here are *natural*: `22` is an Int, `echo_request` an ICMPv4 type
// (the family it has in ICMPv4 if it has one). The type checker later
// re-reads use sites against their context (a port field, icmp6.type) and
// replaces Expr::constant there; a ConstDecl keeps its natural value.
//
// Failing to fold is silent unless the reason is found here (E0302, E0303,
// E0304, E0305, E0309): names that did not resolve and non-constant
// expressions inside constants were reported by resolve.
#include "passes/consteval.h"

#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace psl {
namespace {

constexpr uint32_t bit(TypeKind k) { return 1u << static_cast<unsigned>(k); }

// The kinds an element could take once the set's type is known: an int
// literal can still become a port, a protocol number or an ICMP type; a
// range only an int or port range; an ICMP name either family it exists in.
constexpr uint32_t kIntLike = bit(TypeKind::Int) | bit(TypeKind::Port) |
                              bit(TypeKind::Proto) | bit(TypeKind::IcmpType) |
                              bit(TypeKind::Icmp6Type);
constexpr uint32_t kRangeLike = bit(TypeKind::Int) | bit(TypeKind::Port);

// When several kinds remain, the natural one: ints stay ints, ICMP names
// prefer ICMPv4.
constexpr TypeKind kPreference[] = {
    TypeKind::Int,       TypeKind::Ip,   TypeKind::Mac,   TypeKind::Bool,
    TypeKind::Duration,  TypeKind::Rate, TypeKind::Proto, TypeKind::IcmpType,
    TypeKind::Icmp6Type, TypeKind::Port,
};

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string natural_kind_name(const Value &v) {
  struct N {
    std::string operator()(std::monostate) const { return "<error>"; }
    std::string operator()(bool) const { return "bool"; }
    std::string operator()(uint64_t) const { return "int"; }
    std::string operator()(const IpAddr &) const { return "ip"; }
    std::string operator()(const Cidr &) const { return "cidr"; }
    std::string operator()(const MacAddr &) const { return "mac"; }
    std::string operator()(const Duration &) const { return "duration"; }
    std::string operator()(const RateValue &) const { return "rate"; }
    std::string operator()(const ProtoValue &) const { return "proto"; }
    std::string operator()(const IcmpTypeValue &i) const {
      return i.v6 ? "icmp6 type" : "icmp type";
    }
    std::string operator()(const RangeValue &) const { return "range of int"; }
    std::string operator()(const SetValue &) const { return "set"; }
  };
  return std::visit(N{}, v.v);
}

// How a constant expression reads in a message: literals as written,
// names quoted.
std::string describe(const Expr &e) {
  switch (e.kind) {
  case ExprKind::Literal: {
    auto &l = static_cast<const LiteralExpr &>(e);
    return l.spelling.empty()
               ? value_to_string(l.value, Type::of(l.literal_kind))
               : l.spelling;
  }
  case ExprKind::Name:
    return quoted(static_cast<const NameExpr &>(e).name);
  case ExprKind::Range: {
    auto &r = static_cast<const RangeExpr &>(e);
    if (r.lo && r.hi)
      return describe(*r.lo) + ".." + describe(*r.hi);
    return "the range";
  }
  case ExprKind::Set:
    return "the set";
  default:
    return "the expression";
  }
}

// Zeroes the host bits of a prefix; true if any were set.
bool clear_host_bits(Cidr &c) {
  const unsigned width = c.addr.family == 4 ? 32 : 128;
  bool changed = false;
  for (unsigned bit_index = c.prefix_len; bit_index < width; ++bit_index) {
    uint8_t &byte = c.addr.bytes[bit_index / 8];
    const uint8_t mask = static_cast<uint8_t>(0x80u >> (bit_index % 8));
    if (byte & mask) {
      byte &= static_cast<uint8_t>(~mask);
      changed = true;
    }
  }
  return changed;
}

class ConstEvaluator final : public Visitor {
public:
  ConstEvaluator(Policy &policy, DiagnosticSink &diags)
      : policy_(policy), diags_(diags) {
    for (ConstDecl *c : policy_.consts)
      if (c)
        consts_[c] = c;
  }

  void run() {
    for (ConstDecl *c : policy_.consts)
      if (c)
        fold_const(c);
    visit_policy(policy_);
  }

  // The walk folds the outermost constant expression it meets; fold()
  // takes care of what is inside.
  void visit(LiteralExpr &e) override { fold(e); }
  void visit(NameExpr &e) override { fold(e); }
  void visit(SetExpr &e) override { fold(e); }
  void visit(RangeExpr &e) override { fold(e); }

private:
  struct Leaf {
    const Expr
        *expr; // literal, name or range (maybe inside a constant's value)
    const Expr *origin; // the element of the set literal being folded
    Value natural;
    uint32_t kinds; // bit set of the kinds it may take
  };

  std::optional<Value> fold(Expr &e) {
    if (!done_.insert(&e).second)
      return e.constant;
    std::optional<Value> v;
    switch (e.kind) {
    case ExprKind::Literal:
      v = fold_literal(static_cast<LiteralExpr &>(e));
      break;
    case ExprKind::Name:
      v = fold_name(static_cast<NameExpr &>(e));
      break;
    case ExprKind::Set:
      v = fold_set(static_cast<SetExpr &>(e));
      break;
    case ExprKind::Range:
      v = fold_range(static_cast<RangeExpr &>(e));
      break;
    default:
      // Packet-dependent: not a constant. Its constant parts are folded
      // by the walk.
      return std::nullopt;
    }
    e.constant = v;
    return v;
  }

  std::optional<Value> fold_const(const Decl *d) {
    auto it = consts_.find(d);
    if (it == consts_.end())
      return std::nullopt;
    ConstDecl &c = *it->second;
    int &state = const_state_[&c];
    if (state == 1) // a cycle resolve did not see; never loop
      return std::nullopt;
    if (state == 0) {
      state = 1;
      if (c.value)
        c.folded = fold(*c.value);
      const_state_[&c] = 2;
    }
    return c.folded;
  }

  std::optional<Value> fold_literal(LiteralExpr &l) {
    if (l.literal_kind == TypeKind::Error ||
        std::holds_alternative<std::monostate>(l.value.v))
      return std::nullopt; // the frontend reported the bad literal
    Value v = l.value;
    if (auto *c = std::get_if<Cidr>(&v.v)) {
      if (clear_host_bits(*c)) {
        std::string fixed = value_to_string(v, Type::of(TypeKind::Cidr));
        diags_.report(DiagCode::E0305, l.range,
                      "prefix " + describe(l) +
                          " has host bits set; did you mean " + fixed + "?");
        // Folded without the host bits: one diagnostic, not one per use.
      }
    }
    return v;
  }

  std::optional<Value> fold_name(NameExpr &n) {
    switch (n.target) {
    case NameExpr::Target::Const:
      return fold_const(n.decl);
    case NameExpr::Target::Proto:
      if (auto *p = find_named(proto_names(), n.name))
        return Value{ProtoValue{p->number}};
      return std::nullopt;
    case NameExpr::Target::IcmpName:
      if (auto *p = find_named(icmp_type_names(), n.name))
        return Value{IcmpTypeValue{false, p->number}};
      if (auto *p = find_named(icmp6_type_names(), n.name))
        return Value{IcmpTypeValue{true, p->number}};
      return std::nullopt;
    case NameExpr::Target::Set:        // a dynamic set has no constant value
    case NameExpr::Target::Unresolved: // reported by resolve
      return std::nullopt;
    }
    return std::nullopt;
  }

  std::optional<Value> fold_range(RangeExpr &r) {
    if (!r.lo || !r.hi)
      return std::nullopt;
    auto lo = fold(*r.lo);
    auto hi = fold(*r.hi);
    if (!lo || !hi)
      return std::nullopt;
    for (auto [bound, value] :
         {std::pair{r.lo.get(), &*lo}, std::pair{r.hi.get(), &*hi}}) {
      if (!std::holds_alternative<uint64_t>(value->v)) {
        diags_.report(DiagCode::E0302, bound->range,
                      "range bounds must be integers; " + describe(*bound) +
                          " is " + natural_kind_name(*value));
        return std::nullopt;
      }
    }
    uint64_t l = std::get<uint64_t>(lo->v), h = std::get<uint64_t>(hi->v);
    if (l > h) {
      diags_.report(DiagCode::E0309, r.range,
                    "empty range " + describe(r) + ": " + std::to_string(l) +
                        " is greater than " + std::to_string(h));
      return std::nullopt;
    }
    return Value{RangeValue{l, h}};
  }

  // The leaves of one set element: itself, or everything a nested set
  // literal or a constant holding a set contains (flattened).
  bool collect(Expr &e, const Expr *origin, std::vector<Leaf> &out) {
    switch (e.kind) {
    case ExprKind::Set: {
      if (!fold(e))
        return false;
      bool ok = true;
      for (auto &sub : static_cast<SetExpr &>(e).elements)
        ok = sub && collect(*sub, origin, out) && ok;
      return ok;
    }
    case ExprKind::Name: {
      auto &n = static_cast<NameExpr &>(e);
      if (n.target == NameExpr::Target::Const) {
        auto it = consts_.find(n.decl);
        if (it == consts_.end() || !fold(e) || !it->second->value)
          return false;
        return collect(*it->second->value, origin, out);
      }
      auto v = fold(e);
      if (!v)
        return false;
      uint32_t kinds = 0;
      if (n.target == NameExpr::Target::Proto) {
        kinds = bit(TypeKind::Proto);
      } else if (n.target == NameExpr::Target::IcmpName) {
        if (find_named(icmp_type_names(), n.name))
          kinds |= bit(TypeKind::IcmpType);
        if (find_named(icmp6_type_names(), n.name))
          kinds |= bit(TypeKind::Icmp6Type);
      }
      out.push_back({&e, origin, *v, kinds});
      return true;
    }
    case ExprKind::Literal: {
      auto v = fold(e);
      if (!v)
        return false;
      auto k = static_cast<LiteralExpr &>(e).literal_kind;
      uint32_t kinds = k == TypeKind::Int ? kIntLike
                       : k == TypeKind::Cidr || k == TypeKind::Ip
                           ? bit(TypeKind::Ip)
                           : bit(k);
      out.push_back({&e, origin, *v, kinds});
      return true;
    }
    case ExprKind::Range: {
      auto v = fold(e);
      if (!v)
        return false;
      out.push_back({&e, origin, *v, kRangeLike});
      return true;
    }
    default:
      return false; // not a constant: resolve reported it
    }
  }

  std::optional<Value> fold_set(SetExpr &s) {
    std::vector<Leaf> leaves;
    bool ok = true;
    for (auto &el : s.elements)
      ok = el && collect(*el, el.get(), leaves) && ok;
    if (!ok)
      return std::nullopt;

    uint32_t kinds = ~0u;
    const Leaf *narrowing = nullptr; // the element that fixed the type so far
    for (const Leaf &leaf : leaves) {
      if (leaf.kinds == 0)
        return std::nullopt;
      uint32_t both = kinds & leaf.kinds;
      if (both == 0) {
        diags_.report(DiagCode::E0303, leaf.origin->range,
                      "set element " + element_text(leaf) +
                          " does not match earlier element " +
                          element_text(*narrowing));
        return std::nullopt;
      }
      if (both != kinds) {
        kinds = both;
        narrowing = &leaf;
      }
    }
    SetValue out;
    if (leaves.empty())
      return Value{out};
    TypeKind kind = TypeKind::Error;
    for (TypeKind k : kPreference)
      if (kinds & bit(k)) {
        kind = k;
        break;
      }
    for (const Leaf &leaf : leaves) {
      auto v = convert(leaf, kind);
      if (!v)
        return std::nullopt;
      out.elements.push_back(std::move(*v));
    }
    return Value{std::move(out)};
  }

  // "80 (int)", "'trusted' (cidr)": the element as written in this set,
  // with the type of the leaf behind it.
  static std::string element_text(const Leaf &leaf) {
    return describe(*leaf.origin) + " (" + natural_kind_name(leaf.natural) +
           ")";
  }

  // A leaf's natural value in the representation of the set's kind.
  std::optional<Value> convert(const Leaf &leaf, TypeKind kind) {
    if (auto *n = std::get_if<uint64_t>(&leaf.natural.v)) {
      const bool icmp =
          kind == TypeKind::IcmpType || kind == TypeKind::Icmp6Type;
      if (kind == TypeKind::Proto || icmp) {
        if (*n > 0xff) {
          diags_.report(
              DiagCode::E0304, leaf.origin->range,
              std::string(icmp ? "an ICMP type" : "a protocol number") +
                  " is 8 bits wide; " + describe(*leaf.expr) + " does not fit");
          return std::nullopt;
        }
        auto b = static_cast<uint8_t>(*n);
        if (icmp)
          return Value{IcmpTypeValue{kind == TypeKind::Icmp6Type, b}};
        return Value{ProtoValue{b}};
      }
      return leaf.natural;
    }
    if (auto *i = std::get_if<IcmpTypeValue>(&leaf.natural.v)) {
      const bool v6 = kind == TypeKind::Icmp6Type;
      if (i->v6 == v6 || leaf.expr->kind != ExprKind::Name)
        return leaf.natural;
      // A name in both families, in a set the other family decided.
      auto &name = static_cast<const NameExpr &>(*leaf.expr).name;
      if (auto *p =
              find_named(v6 ? icmp6_type_names() : icmp_type_names(), name))
        return Value{IcmpTypeValue{v6, p->number}};
      return std::nullopt;
    }
    return leaf.natural;
  }

  Policy &policy_;
  DiagnosticSink &diags_;
  std::unordered_map<const Decl *, ConstDecl *> consts_;
  std::unordered_map<const ConstDecl *, int>
      const_state_;                       // 0 new, 1 folding, 2 done
  std::unordered_set<const Expr *> done_; // folded or failed
};

class ConstEvalPass final : public Pass {
public:
  const char *name() const override { return "consteval"; }
  void run(Policy &policy, PassContext &ctx) override {
    ConstEvaluator(policy, ctx.diags).run();
  }
};

} // namespace

std::unique_ptr<Pass> create_consteval_pass() {
  return std::make_unique<ConstEvalPass>();
}

} // namespace psl
