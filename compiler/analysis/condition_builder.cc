#include "analysis/condition_builder.h"

#include "analysis/literal_points.h"
#include "analysis/nnf.h"
#include "analysis/normalize.h"
#include <algorithm>

namespace psl::analysis {

namespace {

struct Alt {
  Box guard;
  DimId dim;
  int family; // 0: not an address; 4 or 6
};

Box layer_box(Guard g) {
  Box b;
  switch (g) {
  case Guard::None:
  case Guard::L4: // callers expand l4 into tcp and udp
    break;
  case Guard::Vlan:
    b.restrict(kLayerVlan, one());
    break;
  case Guard::Ip:
    b.restrict(kLayerIp, one());
    break;
  case Guard::Ip6:
    b.restrict(kLayerIp, one());
    b.restrict(kDimIpVersion, IntervalSet::point(6));
    break;
  case Guard::Ip6Rh:
    b.restrict(kLayerIp6Rh, one());
    break;
  case Guard::Tcp:
    b.restrict(kLayerTcp, one());
    break;
  case Guard::Udp:
    b.restrict(kLayerUdp, one());
    break;
  case Guard::Icmp:
    b.restrict(kLayerIcmp, one());
    break;
  case Guard::Icmp6:
    b.restrict(kLayerIcmp6, one());
    break;
  }
  normalize(b);
  return b;
}

const std::vector<Alt> &alternatives(const FieldInfo &f) {
  static const auto table = [] {
    std::vector<std::vector<Alt>> t(all_fields().size());
    for (const auto &fi : all_fields()) {
      auto &alts = t[static_cast<size_t>(fi.id)];
      std::string name = fi.name;
      if (fi.guard == Guard::L4) {
        std::string suffix = name.substr(name.find('.'));
        for (const char *proto : {"tcp", "udp"}) {
          const FieldInfo *real = find_field(std::string(proto) + suffix);
          if (!real)
            continue;
          alts.push_back(Alt{layer_box(real->guard), field_dim(real->id), 0});
        }
      } else if (fi.type == TypeKind::Ip) {
        DimId v6 = fi.id == FieldId::IpSrc ? kIpSrc6 : kIpDst6;
        for (int fam : {4, 6}) {
          Box g = layer_box(fi.guard);
          g.restrict(kDimIpVersion, IntervalSet::point(fam));
          normalize(g);
          alts.push_back(
              Alt{std::move(g), fam == 4 ? field_dim(fi.id) : v6, fam});
        }
      } else {
        alts.push_back(Alt{layer_box(fi.guard), field_dim(fi.id), 0});
      }
    }
    return t;
  }();
  return table[static_cast<size_t>(f.id)];
}

const NamedNumber *icmp_name(const FieldInfo *f, const std::string &name) {
  if (f && f->type == TypeKind::Icmp6Type)
    return find_named(icmp6_type_names(), name);
  return find_named(icmp_type_names(), name);
}

// The constant an operand denotes, read through folded constants and
// declarations (consteval fills Expr::constant; the rest is a fallback).
std::optional<Value> constant_of(const Expr &e, const FieldInfo *field);

// The folded constant of an operand without copying it when it is stored
// (the usual case); else computed into `scratch`.
const Value *constant_ref(const Expr &e, const FieldInfo *field,
                          std::optional<Value> &scratch) {
  if (e.constant && !std::holds_alternative<std::monostate>(e.constant->v))
    return &*e.constant;
  if (e.kind == ExprKind::Name) {
    const auto &n = static_cast<const NameExpr &>(e);
    if (n.target == NameExpr::Target::Const && n.decl &&
        n.decl->kind == DeclKind::Const) {
      const auto &c = static_cast<const ConstDecl &>(*n.decl);
      if (c.folded && !std::holds_alternative<std::monostate>(c.folded->v))
        return &*c.folded;
    }
  }
  scratch = constant_of(e, field);
  return scratch ? &*scratch : nullptr;
}

std::optional<Value> constant_of(const Expr &e, const FieldInfo *field) {
  if (e.constant && !std::holds_alternative<std::monostate>(e.constant->v))
    return e.constant;
  switch (e.kind) {
  case ExprKind::Literal: {
    const auto &l = static_cast<const LiteralExpr &>(e);
    if (std::holds_alternative<std::monostate>(l.value.v))
      return std::nullopt;
    return l.value;
  }
  case ExprKind::Name: {
    const auto &n = static_cast<const NameExpr &>(e);
    switch (n.target) {
    case NameExpr::Target::Const:
      if (n.decl && n.decl->kind == DeclKind::Const) {
        const auto &c = static_cast<const ConstDecl &>(*n.decl);
        if (c.folded)
          return c.folded;
        if (c.value)
          return constant_of(*c.value, field);
      }
      return std::nullopt;
    case NameExpr::Target::Proto:
      if (const auto *p = find_named(proto_names(), n.name))
        return Value{ProtoValue{p->number}};
      return std::nullopt;
    case NameExpr::Target::IcmpName:
      if (const auto *i = icmp_name(field, n.name))
        return Value{IcmpTypeValue{field && field->type == TypeKind::Icmp6Type,
                                   i->number}};
      return std::nullopt;
    default:
      return std::nullopt;
    }
  }
  case ExprKind::Set: {
    SetValue s;
    for (const auto &el : static_cast<const SetExpr &>(e).elements) {
      auto v = constant_of(*el, field);
      if (!v)
        return std::nullopt;
      // A const naming a whole set inside a set literal: splice it in.
      if (auto *inner = std::get_if<SetValue>(&v->v))
        s.elements.insert(s.elements.end(), inner->elements.begin(),
                          inner->elements.end());
      else
        s.elements.push_back(std::move(*v));
    }
    return Value{std::move(s)};
  }
  case ExprKind::Range: {
    const auto &r = static_cast<const RangeExpr &>(e);
    if (!r.lo || !r.hi)
      return std::nullopt;
    auto lo = constant_of(*r.lo, field);
    auto hi = constant_of(*r.hi, field);
    if (!lo || !hi)
      return std::nullopt;
    auto l = literal_uint(*lo), h = literal_uint(*hi);
    if (!l || !h)
      return std::nullopt;
    return Value{RangeValue{*l, *h}};
  }
  default:
    return std::nullopt;
  }
}

// guard ∧ dim ∈ s, per alternative.
Dnf alt_dnf(const std::vector<Alt> &alts,
            const std::vector<std::optional<IntervalSet>> &sets) {
  Dnf out;
  for (size_t i = 0; i < alts.size(); ++i) {
    if (!sets[i] || sets[i]->empty())
      continue;
    // Room for the field's own constraint: the lint keeps these boxes for
    // every rule, so no more (normalizing a special dimension that adds
    // another grows the box then).
    Box b = alts[i].guard.with_room(1);
    if (sets[i]->is_full(dim_max(alts[i].dim)))
      out.push_back(std::move(b));
    else if (b.restrict(alts[i].dim, *sets[i]) &&
             (!normalized_dim(alts[i].dim) || normalize(b)))
      out.push_back(std::move(b));
  }
  return out;
}

const FieldInfo *field_of(const Expr &e) {
  if (e.kind != ExprKind::Field)
    return nullptr;
  const auto &f = static_cast<const FieldExpr &>(e);
  return f.field ? f.field : find_field(f.path);
}

std::string rate_key(const RateExpr &r, CompareOp op, const Value &rate) {
  std::string key = "rate(";
  for (size_t i = 0; i < r.keys.size(); ++i) {
    if (i)
      key += ", ";
    key += r.keys[i]->path;
  }
  if (r.burst) {
    if (!r.keys.empty())
      key += ", ";
    key += "burst " + std::to_string(*r.burst);
  }
  key += ") ";
  key += compare_op_spelling(op);
  key += " ";
  key += value_to_string(rate, Type::of(TypeKind::Rate));
  return key;
}

Dnf opaque_dnf(DimId d, bool value) {
  Box b;
  b.restrict(d, value ? one() : zero());
  return Dnf{std::move(b)};
}

} // namespace

Dnf guard_dnf(const FieldInfo &f) {
  if (f.guard != Guard::L4)
    return Dnf{layer_box(f.guard)}; // (not per address family)
  Dnf out;
  for (const auto &a : alternatives(f))
    out.push_back(a.guard);
  return out;
}

// The reader of read_nnf (nnf.h): constants, joins through dnf.h, atoms
// by NotSemantics.
struct ConditionBuilder::Reader {
  ConditionBuilder &b;

  using Value = Dnf;
  std::optional<Dnf> constant(bool value) { return value ? dnf_true() : Dnf{}; }
  bool settles(const Dnf &l, bool is_and) { return is_and && l.empty(); }
  std::optional<Dnf> join(bool is_and, Dnf l, Dnf r) {
    if (is_and)
      return dnf_and(l, r, b.limits_);
    return dnf_or(std::move(l), std::move(r), b.limits_);
  }
  // Complement: `not tcp.syn` is tcp ∧ ¬syn (a bare field keeps its guard).
  bool atomic_not(const NotExpr &n) {
    const FieldInfo *f = field_of(*n.operand);
    return b.semantics_ == NotSemantics::Complement && f &&
           f->type == TypeKind::Bool;
  }
  std::optional<Dnf> atom(const Expr &e, bool negate) {
    if (e.kind == ExprKind::Not) { // atomic_not
      Dnf d = b.atom(*static_cast<const NotExpr &>(e).operand, true);
      return negate ? b.negated(std::move(d))
                    : std::optional<Dnf>(std::move(d));
    }
    if (b.semantics_ == NotSemantics::GuardKept)
      return b.atom(e, negate);
    if (negate)
      return b.negated(b.atom(e, false));
    return b.atom(e, false);
  }
};

std::optional<Dnf> ConditionBuilder::build(const Expr &cond) {
  Reader reader{*this};
  auto d = read_nnf(cond, false, reader);
  if (d)
    simplify(*d);
  return d;
}

CondState build_condition(Space &space, const Expr *cond,
                          const DnfLimits &limits, Dnf &out) {
  if (!cond)
    return CondState::TooComplex;
  auto d = ConditionBuilder(space, limits).build(*cond);
  if (!d)
    return CondState::TooComplex;
  out = std::move(*d);
  return out.empty() ? CondState::AlwaysFalse : CondState::Ok;
}

std::optional<Dnf> ConditionBuilder::negated(Dnf d) {
  return dnf_not(d, limits_);
}

Dnf ConditionBuilder::guarded_opaque(DimId d, bool value, const FieldInfo *ga,
                                     const FieldInfo *gb) {
  Dnf out = opaque_dnf(d, value);
  for (const FieldInfo *g : {ga, gb})
    if (g)
      out = dnf_and(out, guard_dnf(*g), limits_).value_or(Dnf{});
  return out;
}

Dnf ConditionBuilder::fresh(const Expr &e, bool negate, const FieldInfo *ga,
                            const FieldInfo *gb) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "<expression at %u:%u>", e.range.begin.line,
                e.range.begin.column);
  return guarded_opaque(space_.fresh_opaque(buf), !negate, ga, gb);
}

Dnf ConditionBuilder::atom(const Expr &e, bool negate) {
  switch (e.kind) {
  case ExprKind::Literal:
  case ExprKind::Name: {
    auto v = constant_of(e, nullptr);
    if (v)
      if (auto *b = std::get_if<bool>(&v->v))
        return (*b != negate) ? dnf_true() : Dnf{};
    return fresh(e, negate, nullptr, nullptr);
  }
  case ExprKind::Field: {
    const FieldInfo *f = field_of(e);
    if (!f || f->type != TypeKind::Bool)
      return fresh(e, negate, f, nullptr);
    std::vector<std::optional<IntervalSet>> sets(alternatives(*f).size(),
                                                 negate ? zero() : one());
    return alt_dnf(alternatives(*f), sets);
  }
  case ExprKind::Compare:
    return compare_atom(static_cast<const CompareExpr &>(e), negate);
  default:
    return fresh(e, negate, nullptr, nullptr);
  }
}

Dnf ConditionBuilder::compare_atom(const CompareExpr &c, bool negate) {
  const Expr *lhs = c.lhs.get();
  const Expr *rhs = c.rhs.get();
  if (!lhs || !rhs)
    return fresh(c, negate, nullptr, nullptr);
  CompareOp op = c.op;

  // rate(...) > RATE (either side): over the rate, for packets that have
  // the key fields.
  if (lhs->kind == ExprKind::Rate || rhs->kind == ExprKind::Rate) {
    const Expr *meter = lhs->kind == ExprKind::Rate ? lhs : rhs;
    const Expr *limit = meter == lhs ? rhs : lhs;
    CompareOp mop = meter == lhs ? op : mirror_op(op);
    auto v = constant_of(*limit, nullptr);
    if (!v || !std::holds_alternative<RateValue>(v->v))
      return fresh(c, negate, nullptr, nullptr);
    const auto &r = static_cast<const RateExpr &>(*meter);
    // `<=` / `<` would be the negation (the type checker rejects them).
    bool value = !negate;
    switch (mop) {
    case CompareOp::Gt:
    case CompareOp::Ge:
      break;
    case CompareOp::Le:
      mop = CompareOp::Gt;
      value = !value;
      break;
    case CompareOp::Lt:
      mop = CompareOp::Ge;
      value = !value;
      break;
    default:
      return fresh(c, negate, nullptr, nullptr);
    }
    Dnf d = opaque_dnf(space_.opaque(rate_key(r, mop, *v)), value);
    for (const auto &k : r.keys)
      if (const FieldInfo *kf = k->field ? k->field : find_field(k->path))
        d = dnf_and(d, guard_dnf(*kf), limits_).value_or(Dnf{});
    return d;
  }

  const FieldInfo *lf = field_of(*lhs);
  const FieldInfo *rf = field_of(*rhs);
  if (lf && rf) {
    // Field against field: an opaque atom under both guards.
    const char *spelling = nullptr;
    bool value = true;
    switch (op) {
    case CompareOp::Eq:
      spelling = "==";
      break;
    case CompareOp::Ne:
      spelling = "==";
      value = false;
      break;
    case CompareOp::Lt:
      spelling = "<";
      break;
    case CompareOp::Ge:
      spelling = "<";
      value = false;
      break;
    case CompareOp::Gt:
      spelling = ">";
      break;
    case CompareOp::Le:
      spelling = ">";
      value = false;
      break;
    default:
      return fresh(c, negate, lf, rf);
    }
    std::string key = std::string(lf->name) + " " + spelling + " " + rf->name;
    return guarded_opaque(space_.opaque(key), value != negate, lf, rf);
  }
  const FieldInfo *f = lf;
  const Expr *other = rhs;
  if (!f && rf) {
    if (op == CompareOp::In || op == CompareOp::NotIn)
      return fresh(c, negate, rf, nullptr);
    f = rf;
    other = lhs;
    op = mirror_op(op);
  }
  if (!f)
    return fresh(c, negate, nullptr, nullptr);

  // Membership in a dynamic set: an opaque atom under the field's guard.
  if (other->kind == ExprKind::Name) {
    const auto &n = static_cast<const NameExpr &>(*other);
    if (n.target == NameExpr::Target::Set) {
      if (op != CompareOp::In && op != CompareOp::NotIn &&
          op != CompareOp::Eq && op != CompareOp::Ne)
        return fresh(c, negate, f, nullptr);
      bool in = op == CompareOp::In || op == CompareOp::Eq;
      std::string key = std::string(f->name) + " in " + n.name;
      return guarded_opaque(space_.opaque(key), in != negate, f, nullptr);
    }
  }

  std::optional<Value> scratch;
  const Value *v = constant_ref(*other, f, scratch);
  if (!v)
    return fresh(c, negate, f, nullptr);
  // The set of the positive comparison, complemented (within the domain,
  // under the guard) for != / not in, and again when negated.
  bool complement = negate;
  switch (op) {
  case CompareOp::Ne:
    op = CompareOp::Eq;
    complement = !complement;
    break;
  case CompareOp::NotIn:
    op = CompareOp::In;
    complement = !complement;
    break;
  default:
    break;
  }
  const auto &alts = alternatives(*f);
  std::vector<std::optional<IntervalSet>> sets(alts.size());
  std::optional<LiteralPoints> points;
  if (op == CompareOp::Eq || op == CompareOp::In) {
    // The alternatives of a field share its domain (an address's differ
    // by family, which the points keep apart).
    points.emplace();
    if (!literal_points(*v, dim_max(alts.front().dim), *points))
      return fresh(c, negate, f, nullptr);
  }
  for (size_t i = 0; i < alts.size(); ++i) {
    Point max = dim_max(alts[i].dim);
    IntervalSet base;
    if (points) {
      // An address compared with a non-address field, or a number with an
      // address field: a value of no kind this algebra reads.
      if (alts[i].family ? points->scalars : points->addresses)
        return fresh(c, negate, f, nullptr);
      base = alts[i].family == 4   ? points->v4
             : alts[i].family == 6 ? points->v6
                                   : points->other;
    } else {
      auto n = literal_uint(*v);
      if (!n || alts[i].family)
        return fresh(c, negate, f, nullptr);
      Point x = *n;
      switch (op) {
      case CompareOp::Lt:
        base = x == 0 ? IntervalSet{}
                      : IntervalSet::range(0, std::min(x - 1, max));
        break;
      case CompareOp::Le:
        base = IntervalSet::range(0, std::min(x, max));
        break;
      case CompareOp::Gt:
        base = x >= max ? IntervalSet{} : IntervalSet::range(x + 1, max);
        break;
      case CompareOp::Ge:
        base = x > max ? IntervalSet{} : IntervalSet::range(x, max);
        break;
      default:
        return fresh(c, negate, f, nullptr);
      }
    }
    sets[i] = complement ? base.complement(max) : std::move(base);
  }
  return alt_dnf(alts, sets);
}

} // namespace psl::analysis
