#include "passes/typecheck_constants.h"

#include "ast/value.h"

namespace psl::typecheck {

// The context a constant is read against.
struct ConstantReader::Target {
  TypeKind kind;
  const FieldInfo *field; // the field on the other side: widths, messages
  bool apply; // report and record; false: only tell whether kinds fit
};

// Where the syntax being read sits: at the use site, or inside the
// definition of a constant named at the use site (`via`). Only the use
// site is annotated; diagnostics about a constant's contents point at the
// name that brought it here.
struct ConstantReader::Site {
  const NameExpr *via = nullptr;
};

// Dry run first (kinds only, one Mismatch for the whole operand), then
// the real run that reports element problems and records the values.
template <typename Attempt>
Fit ConstantReader::fit_twice(Attempt attempt) {
  Fit dry = attempt(false);
  if (dry != Fit::Ok)
    return dry;
  return attempt(true) == Fit::Ok ? Fit::Ok : Fit::Silent;
}

Fit ConstantReader::fit_scalar(Expr &e, TypeKind kind, const FieldInfo *field) {
  return fit_twice([&](bool apply) {
    Value v;
    Type t;
    return read_scalar(e, Target{kind, field, apply}, false, Site{}, v, t);
  });
}

// The right side of `in`: a set, a range or a prefix.
Fit ConstantReader::fit_member(Expr &e, TypeKind kind, const FieldInfo *field) {
  return fit_twice([&](bool apply) -> Fit {
    Target t{kind, field, apply};
    Value v;
    Type vt;
    switch (e.type.kind) {
    case TypeKind::Set: {
      SetValue s;
      return read_set(e, t, Site{}, s);
    }
    case TypeKind::Range:
      return read_range(e, t, Site{}, v, vt);
    case TypeKind::Cidr:
      return read_scalar(e, t, true, Site{}, v, vt);
    default:
      return Fit::Mismatch;
    }
  });
}

// Records a contextual value on a use-site node.
void ConstantReader::record(Expr &e, const Target &t, const Site &site, Fit fit,
                            Value v, Type type) {
  if (t.apply && !site.via && fit == Fit::Ok) {
    e.type = type;
    e.constant = std::move(v);
  }
}

// Reports a problem with `leaf`: at the leaf itself at the use site, or
// at the name that brought a constant's definition here.
Diagnostic &ConstantReader::report_at(DiagCode code, const Expr &leaf,
                                      const Site &site, std::string msg) {
  if (!site.via)
    return diags_.report(code, leaf.range, std::move(msg));
  auto &d = diags_.report(code, site.via->range, std::move(msg));
  d.notes.push_back({describe(leaf) + " is defined here", leaf.range});
  return d;
}

Fit ConstantReader::read_scalar(Expr &e, const Target &t, bool allow_cidr,
                                const Site &site, Value &out, Type &out_type) {
  Fit fit = Fit::Mismatch;
  switch (e.kind) {
  case ExprKind::Literal: {
    auto &l = static_cast<LiteralExpr &>(e);
    if (!e.constant)
      return Fit::Silent;
    if (l.literal_kind == TypeKind::Int) {
      // The value as written: Expr::constant may already be contextual.
      auto *n = std::get_if<uint64_t>(&l.value.v);
      if (!n)
        return Fit::Silent;
      fit = read_int(e, *n, t, site, out, out_type);
    } else if (l.literal_kind == t.kind ||
               (l.literal_kind == TypeKind::Cidr && t.kind == TypeKind::Ip &&
                allow_cidr)) {
      out = *e.constant;
      out_type = Type::of(l.literal_kind);
      fit = Fit::Ok;
    }
    break;
  }
  case ExprKind::Name: {
    auto &n = static_cast<NameExpr &>(e);
    switch (n.target) {
    case NameExpr::Target::Unresolved:
      return Fit::Silent;
    case NameExpr::Target::Set:
      return Fit::Mismatch;
    case NameExpr::Target::Proto:
      if (t.kind == TypeKind::Proto && e.constant) {
        out = *e.constant;
        out_type = Type::of(TypeKind::Proto);
        fit = Fit::Ok;
      }
      break;
    case NameExpr::Target::IcmpName:
      if (t.kind == TypeKind::IcmpType || t.kind == TypeKind::Icmp6Type)
        fit = read_icmp_name(n, t, site, out, out_type);
      break;
    case NameExpr::Target::Const: {
      auto it = consts_.find(n.decl);
      if (it == consts_.end() || !it->second->folded || !it->second->value)
        return Fit::Silent;
      if (!is_scalar(it->second->type.kind) &&
          it->second->type.kind != TypeKind::Cidr)
        return Fit::Mismatch;
      Site inner{site.via ? site.via : &n};
      fit =
          read_scalar(*it->second->value, t, allow_cidr, inner, out, out_type);
      break;
    }
    }
    break;
  }
  default:
    break;
  }
  record(e, t, site, fit, out, out_type);
  return fit;
}

Fit ConstantReader::read_int(const Expr &e, uint64_t n, const Target &t,
                             const Site &site, Value &out, Type &out_type) {
  uint64_t max;
  const char *what; // the width when there is no field to name
  switch (t.kind) {
  case TypeKind::Int:
    max = ~uint64_t{0};
    what = "an int";
    break;
  case TypeKind::Port:
    max = 0xffff;
    what = "a port";
    break;
  case TypeKind::Proto:
    max = 0xff;
    what = "a protocol number";
    break;
  case TypeKind::IcmpType:
  case TypeKind::Icmp6Type:
    max = 0xff;
    what = "an ICMP type";
    break;
  default:
    return Fit::Mismatch;
  }
  if (t.field)
    max = field_max(*t.field);
  if (n > max) {
    if (!t.apply)
      return Fit::Ok; // a width problem, not a kind problem
    unsigned bits =
        t.field && t.field->bits ? t.field->bits : (max == 0xffff ? 16 : 8);
    report_at(DiagCode::E0304, e, site,
              (t.field ? quoted(t.field->name) : std::string(what)) + " is " +
                  std::to_string(bits) + " bits wide; " + describe(e) +
                  " does not fit");
    return Fit::Silent;
  }
  out_type = Type::of(t.kind);
  switch (t.kind) {
  case TypeKind::Proto:
    out = Value{ProtoValue{static_cast<uint8_t>(n)}};
    break;
  case TypeKind::IcmpType:
  case TypeKind::Icmp6Type:
    out = Value{
        IcmpTypeValue{t.kind == TypeKind::Icmp6Type, static_cast<uint8_t>(n)}};
    break;
  default:
    out = Value{n};
    break;
  }
  return Fit::Ok;
}

Fit ConstantReader::read_icmp_name(const NameExpr &n, const Target &t,
                                   const Site &site, Value &out,
                                   Type &out_type) {
  const bool v6 = t.kind == TypeKind::Icmp6Type;
  if (auto *p =
          find_named(v6 ? icmp6_type_names() : icmp_type_names(), n.name)) {
    out = Value{IcmpTypeValue{v6, p->number}};
    out_type = Type::of(t.kind);
    return Fit::Ok;
  }
  if (!t.apply)
    return Fit::Ok; // the family is wrong, not the kind
  const char *family = v6 ? "ICMPv6" : "ICMPv4";
  const char *other = v6 ? "ICMPv4" : "ICMPv6";
  std::string where =
      t.field ? quoted(t.field->name) + " holds " + family + " types"
              : std::string("an ") + family + " type is needed here";
  auto &d =
      report_at(DiagCode::E0308, n, site,
                quoted(n.name) + " is an " + other + " type name; " + where);
  if (t.field &&
      (t.field->id == FieldId::IcmpType || t.field->id == FieldId::Icmp6Type))
    d.notes.push_back({std::string("use ") +
                           (v6 ? "'icmp.type'" : "'icmp6.type'") + " for " +
                           other + " types",
                       d.range});
  return Fit::Silent;
}

Fit ConstantReader::read_range(Expr &e, const Target &t, const Site &site,
                               Value &out, Type &out_type) {
  Fit fit = Fit::Mismatch;
  if (e.kind == ExprKind::Range) {
    auto &r = static_cast<RangeExpr &>(e);
    if (!e.constant || !r.lo || !r.hi)
      return Fit::Silent;
    if (t.kind != TypeKind::Int && t.kind != TypeKind::Port)
      return Fit::Mismatch;
    Value v;
    Type vt;
    fit = worse(read_scalar(*r.lo, t, false, site, v, vt),
                read_scalar(*r.hi, t, false, site, v, vt));
    out = *e.constant;
    out_type = Type{TypeKind::Range, t.kind, false};
  } else if (e.kind == ExprKind::Name &&
             static_cast<NameExpr &>(e).target == NameExpr::Target::Const) {
    auto &n = static_cast<NameExpr &>(e);
    auto it = consts_.find(n.decl);
    if (it == consts_.end() || !it->second->folded || !it->second->value)
      return Fit::Silent;
    if (it->second->type.kind != TypeKind::Range)
      return Fit::Mismatch;
    fit = read_range(*it->second->value, t, Site{site.via ? site.via : &n}, out,
                     out_type);
  }
  record(e, t, site, fit, out, out_type);
  return fit;
}

// A set read as a set of `t.kind`, flattened into `out`.
Fit ConstantReader::read_set(Expr &e, const Target &t, const Site &site,
                             SetValue &out) {
  SetValue mine;
  Fit fit = Fit::Mismatch;
  if (e.kind == ExprKind::Set) {
    if (!e.constant)
      return Fit::Silent;
    fit = Fit::Ok;
    for (auto &el : static_cast<SetExpr &>(e).elements) {
      if (!el)
        return Fit::Silent;
      fit = worse(fit, read_element(*el, t, site, mine));
    }
  } else if (e.kind == ExprKind::Name &&
             static_cast<NameExpr &>(e).target == NameExpr::Target::Const) {
    auto &n = static_cast<NameExpr &>(e);
    auto it = consts_.find(n.decl);
    if (it == consts_.end() || !it->second->folded || !it->second->value)
      return Fit::Silent;
    if (it->second->type.kind != TypeKind::Set)
      return Fit::Mismatch;
    fit = read_set(*it->second->value, t, Site{site.via ? site.via : &n}, mine);
  }
  for (auto &v : mine.elements)
    out.elements.push_back(v);
  record(e, t, site, fit, Value{std::move(mine)}, Type::set_of(t.kind));
  return fit;
}

Fit ConstantReader::read_element(Expr &el, const Target &t, const Site &site,
                                 SetValue &out) {
  TypeKind natural = el.type.kind;
  if (el.kind == ExprKind::Name &&
      static_cast<NameExpr &>(el).target == NameExpr::Target::Const) {
    auto it = consts_.find(static_cast<NameExpr &>(el).decl);
    natural = it == consts_.end() ? TypeKind::Error : it->second->type.kind;
  }
  if (el.kind == ExprKind::Set || natural == TypeKind::Set)
    return read_set(el, t, site, out);
  Value v;
  Type vt;
  Fit fit = el.kind == ExprKind::Range || natural == TypeKind::Range
                ? read_range(el, t, site, v, vt)
                : read_scalar(el, t, t.kind == TypeKind::Ip, site, v, vt);
  if (fit == Fit::Ok)
    out.elements.push_back(std::move(v));
  return fit;
}

std::string ConstantReader::source_text(const Expr &e) const {
  const SourceRange &r = e.range;
  if (!r.valid() || r.end.line != r.begin.line ||
      r.end.column <= r.begin.column)
    return {};
  auto line = diags_.file().line(r.begin.line);
  size_t b = r.begin.column - 1;
  if (b >= line.size())
    return {};
  return std::string(line.substr(b, r.end.column - r.begin.column));
}

// How an operand reads in a message: literals as written, names and
// fields quoted, short compound operands as written.
std::string ConstantReader::describe(const Expr &e) const {
  switch (e.kind) {
  case ExprKind::Literal: {
    auto &l = static_cast<const LiteralExpr &>(e);
    return l.spelling.empty()
               ? value_to_string(l.value, Type::of(l.literal_kind))
               : l.spelling;
  }
  case ExprKind::Name:
    return quoted(static_cast<const NameExpr &>(e).name);
  case ExprKind::Field:
    return quoted(static_cast<const FieldExpr &>(e).path);
  case ExprKind::Range: {
    auto &r = static_cast<const RangeExpr &>(e);
    if (r.lo && r.hi)
      return describe(*r.lo) + ".." + describe(*r.hi);
    break;
  }
  default:
    break;
  }
  std::string text = source_text(e);
  const bool fits = !text.empty() && text.size() <= 40;
  if (e.kind == ExprKind::Set)
    return fits ? text : "{...}";
  return fits ? quoted(text) : "this expression";
}

} // namespace psl::typecheck
