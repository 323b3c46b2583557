#include "lower/normalize.h"

#include "analysis/literal_points.h"
#include "analysis/nnf.h"

#include "lower/field_values.h"

extern "C" {
#include "psl_rate.h"
}

namespace psl::lower {

namespace {

Cond make(Cond::Kind k) {
  Cond c;
  c.kind = k;
  return c;
}

Cond field_atom(FieldId f, uint8_t family, IntervalSet values,
                const SourceRange &r) {
  Cond c = make(Cond::Kind::Field);
  c.atom.field = f;
  c.atom.family = family;
  c.atom.values = std::move(values);
  c.range = r;
  return c;
}

const FieldExpr *as_field(const Expr &e) {
  return e.kind == ExprKind::Field ? static_cast<const FieldExpr *>(&e)
                                   : nullptr;
}

class Normalizer {
public:
  Normalizer(uint32_t rule, Classifier &c, std::string *error)
      : rule_(rule), c_(c), error_(error) {}

  // The reader of analysis::read_nnf (analysis/nnf.h), which pushes `not`
  // to the atoms.
  using Value = Cond;
  std::optional<Cond> constant(bool value) {
    return make(value ? Cond::Kind::True : Cond::Kind::False);
  }
  // Every operand is read, even after a false one: each rate() is
  // registered (RateSpec) in source order.
  bool settles(const Cond &, bool) { return false; }
  bool atomic_not(const NotExpr &) { return false; }
  std::optional<Cond> join(bool is_and, Cond l, Cond r) {
    Cond c = make(is_and ? Cond::Kind::And : Cond::Kind::Or);
    // `a and b and c` arrives as ((a and b) and c): the left side's
    // children are taken over whole, not moved one by one each time.
    if (l.kind == c.kind)
      c.children = std::move(l.children);
    else
      c.children.push_back(std::move(l));
    if (r.kind == c.kind)
      for (auto &ch : r.children)
        c.children.push_back(std::move(ch));
    else
      c.children.push_back(std::move(r));
    return c;
  }
  std::optional<Cond> atom(const Expr &e, bool neg) {
    switch (e.kind) {
    case ExprKind::Field: {
      // A bare bool field: `tcp.syn`.
      auto &f = static_cast<const FieldExpr &>(e);
      if (!f.field || f.field->type != TypeKind::Bool)
        return fail(e, "a non-bool field used as a condition");
      return field_atom(f.field->id, 0, IntervalSet::point(neg ? 0 : 1),
                        e.range);
    }
    case ExprKind::Compare:
      return compare(static_cast<const CompareExpr &>(e), neg);
    default:
      return fail(e, "an expression that is not a condition");
    }
  }

private:
  std::optional<Cond> fail(const Expr &, const std::string &what) {
    if (error_ && error_->empty())
      *error_ = "unsupported in code generation: " + what;
    return std::nullopt;
  }

  std::optional<Cond> compare(const CompareExpr &c, bool neg) {
    CompareOp op = neg ? negate_op(c.op) : c.op;
    if (c.lhs->kind == ExprKind::Rate)
      return rate(static_cast<const RateExpr &>(*c.lhs), *c.rhs, neg, c.range);
    const FieldExpr *lf = as_field(*c.lhs), *rf = as_field(*c.rhs);
    if (lf && rf) {
      if (!lf->field || !rf->field)
        return fail(c, "an unresolved field");
      Cond x = make(Cond::Kind::FieldCmp);
      x.lhs = lf->field->id;
      x.rhs = rf->field->id;
      x.op = op;
      x.range = c.range;
      return x;
    }
    if (!lf && rf) {
      if (op == CompareOp::In || op == CompareOp::NotIn)
        return fail(c, "a field on the right of 'in'");
      lf = rf;
      op = mirror_op(op); // the field stands on the right
      return value_compare(*lf, op, *c.lhs, c.range);
    }
    if (!lf)
      return fail(c, "a comparison without a field");
    // Dynamic set?
    if (c.rhs->kind == ExprKind::Name) {
      auto &n = static_cast<const NameExpr &>(*c.rhs);
      if (n.target == NameExpr::Target::Set && n.decl) {
        Cond x = make(Cond::Kind::DynSet);
        x.lhs = lf->field->id;
        x.negated = op == CompareOp::NotIn;
        x.range = c.range;
        const auto &sd = static_cast<const SetDecl &>(*n.decl);
        for (uint32_t i = 0; i < c_.dynsets.size(); ++i)
          if (c_.dynsets[i].name == sd.name)
            x.dynset = i;
        return x;
      }
    }
    return value_compare(*lf, op, *c.rhs, c.range);
  }

  std::optional<Cond> value_compare(const FieldExpr &f, CompareOp op,
                                    const Expr &value,
                                    const SourceRange &range) {
    if (!f.field)
      return fail(f, "an unresolved field");
    if (!value.constant)
      return fail(value, "a comparison with a value that is not constant");
    FieldId id = f.field->id;
    const bool ip = is_ip_field(id);
    analysis::LiteralPoints s;
    if (!analysis::literal_points(*value.constant, domain_max(id), s) ||
        (ip && s.scalars))
      return fail(value,
                  "a constant of an unexpected kind for '" + f.path + "'");
    auto for_op = [&](const IntervalSet &eq, uint8_t fam) -> IntervalSet {
      Point max = domain_max(id, fam);
      switch (op) {
      case CompareOp::Eq:
      case CompareOp::In:
        return eq;
      case CompareOp::Ne:
      case CompareOp::NotIn:
        return eq.complement(max);
      case CompareOp::Lt:
        return eq.empty() || eq.min() == 0
                   ? IntervalSet()
                   : IntervalSet::range(0, eq.min() - 1);
      case CompareOp::Le:
        return eq.empty() ? IntervalSet() : IntervalSet::range(0, eq.min());
      case CompareOp::Gt:
        return eq.empty() || eq.min() >= max
                   ? IntervalSet()
                   : IntervalSet::range(eq.min() + 1, max);
      case CompareOp::Ge:
        return eq.empty() ? IntervalSet() : IntervalSet::range(eq.min(), max);
      }
      return eq;
    };
    if (!ip)
      return field_atom(id, 0, for_op(s.other, 0), range);
    // ip: one atom per family; a family the constant does not mention is
    // all-in for the negative operators and all-out for the positive ones.
    IntervalSet v4 = for_op(s.v4, 4), v6 = for_op(s.v6, 6);
    Cond orc = make(Cond::Kind::Or);
    if (!v4.empty())
      orc.children.push_back(field_atom(id, 4, std::move(v4), range));
    if (!v6.empty())
      orc.children.push_back(field_atom(id, 6, std::move(v6), range));
    if (orc.children.empty())
      return make(Cond::Kind::False);
    if (orc.children.size() == 1)
      return std::move(orc.children[0]);
    return orc;
  }

  std::optional<Cond> rate(const RateExpr &r, const Expr &rhs, bool neg,
                           const SourceRange &range) {
    if (!rhs.constant)
      return fail(rhs, "a rate that is not constant");
    auto *rv = std::get_if<RateValue>(&rhs.constant->v);
    if (!rv || rv->per_second == 0)
      return fail(rhs, "a rate value of an unexpected kind");
    RateSpec spec;
    spec.id = static_cast<uint32_t>(c_.rates.size());
    spec.rule = rule_;
    for (auto &k : r.keys) {
      if (!k->field)
        return fail(*k, "an unresolved rate key");
      spec.keys.push_back(k->field->id);
    }
    spec.bits = rv->unit == RateValue::Unit::Bits;
    spec.per_second = rv->per_second;
    spec.burst = r.burst ? *r.burst : rv->per_second;
    psl_rate_cfg cfg{};
    if (psl_rate_cfg_make(spec.per_second, spec.burst, &cfg) != 0)
      return fail(rhs, "a rate whose bucket cannot be represented");
    spec.shift = cfg.shift;
    c_.rates.push_back(spec);
    Cond x = make(Cond::Kind::Rate);
    x.rate = spec.id;
    x.negated = neg;
    x.range = range;
    return x;
  }

  uint32_t rule_;
  Classifier &c_;
  std::string *error_;
};

} // namespace

void register_dynsets(const Policy &policy, Classifier &c) {
  for (const SetDecl *s : policy.sets) {
    DynSetSpec d;
    d.name = s->name;
    d.elem = s->elem;
    d.capacity = s->capacity ? static_cast<uint32_t>(*s->capacity) : 65536;
    d.ttl_ns = s->ttl ? s->ttl->value.ns : 0;
    c.dynsets.push_back(d);
  }
}

std::optional<Cond> normalize_condition(const Expr &cond, uint32_t rule,
                                        Classifier &c, std::string *error) {
  Normalizer n(rule, c, error);
  return analysis::read_nnf(cond, false, n);
}

} // namespace psl::lower
