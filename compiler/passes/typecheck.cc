// Type checking: Expr::type everywhere, SetDecl::elem, ConstDecl::type, and
// the checks of language.md that need types.
//
// Typing is bidirectional. Packet-dependent expressions (fields, dynamic
// sets, conditions) have a type of their own; constants have a *natural*
// type (`22` is an int, `echo_request` an ICMPv4 type) and, where they
// meet a field, a contextual one: `tcp.dport == 22` makes the 22 a port,
// `icmp6.type == echo_request` makes the name ICMPv6 type 128. A use site
// is re-read from its syntax against the context (through the names of
// constants, whose own definitions keep their natural types and values),
// and its Expr::type and Expr::constant are replaced by the contextual
// ones. Checking against a context is done twice: first without reporting,
// only to learn whether the kinds fit at all (one "mismatched types" for
// the whole operand), then for real, reporting what is wrong with single
// elements (a value too wide for the field, an ICMP name of the wrong
// family) and recording the contextual values.
//
// One diagnostic per root cause: anything typed Error (an unknown name or
// field, a constant that did not fold) was reported by an earlier pass and
// is never reported again.
#include "passes/typecheck.h"

#include "passes/typecheck_constants.h"

#include "psl_rate.h"

#include <map>
#include <unordered_map>

namespace psl {
namespace {

using typecheck::ConstantReader;
using typecheck::Fit;
using typecheck::is_scalar;
using typecheck::quoted;
using typecheck::worse;

// Type names for messages. The value of rate() reads better as what it is.
std::string tname(const Type &t) {
  if (t.kind == TypeKind::RateMeter)
    return "rate meter";
  return type_name(t);
}

// The type a folded constant has on its own.
Type natural_type(const Value &v) {
  struct N {
    Type operator()(std::monostate) const { return Type::of(TypeKind::Error); }
    Type operator()(bool) const { return Type::of(TypeKind::Bool); }
    Type operator()(uint64_t) const { return Type::of(TypeKind::Int); }
    Type operator()(const IpAddr &) const { return Type::of(TypeKind::Ip); }
    Type operator()(const Cidr &) const { return Type::of(TypeKind::Cidr); }
    Type operator()(const MacAddr &) const { return Type::of(TypeKind::Mac); }
    Type operator()(const Duration &) const {
      return Type::of(TypeKind::Duration);
    }
    Type operator()(const RateValue &) const {
      return Type::of(TypeKind::Rate);
    }
    Type operator()(const ProtoValue &) const {
      return Type::of(TypeKind::Proto);
    }
    Type operator()(const IcmpTypeValue &i) const {
      return Type::of(i.v6 ? TypeKind::Icmp6Type : TypeKind::IcmpType);
    }
    Type operator()(const RangeValue &) const {
      return Type{TypeKind::Range, TypeKind::Int, false};
    }
    Type operator()(const SetValue &s) const {
      if (s.elements.empty())
        return Type::set_of(TypeKind::Error); // `{}`: fits any element type
      Type first = std::visit(N{}, s.elements.front().v);
      TypeKind elem = first.kind;
      if (elem == TypeKind::Cidr)
        elem = TypeKind::Ip;
      else if (elem == TypeKind::Range)
        elem = first.elem;
      return Type::set_of(elem);
    }
  };
  return std::visit(N{}, v.v);
}

bool is_constant_expr(const Expr &e) {
  switch (e.kind) {
  case ExprKind::Literal:
  case ExprKind::Set:
  case ExprKind::Range:
    return true;
  case ExprKind::Name:
    return static_cast<const NameExpr &>(e).target != NameExpr::Target::Set;
  default:
    return false;
  }
}

const FieldInfo *field_of(const Expr &e) {
  return e.kind == ExprKind::Field ? static_cast<const FieldExpr &>(e).field
                                   : nullptr;
}

class TypeChecker {
public:
  TypeChecker(Policy &policy, DiagnosticSink &diags)
      : policy_(policy), diags_(diags) {
    for (ConstDecl *c : policy_.consts)
      if (c)
        consts_[c] = c;
  }

  void run() {
    for (SetDecl *s : policy_.sets)
      if (s)
        check_set_decl(*s);
    // Types of constants come from their folded values, so a constant may
    // be used above its definition.
    for (ConstDecl *c : policy_.consts)
      if (c)
        c->type =
            c->folded ? natural_type(*c->folded) : Type::of(TypeKind::Error);
    for (auto &dp : policy_.decls) {
      if (!dp)
        continue;
      switch (dp->kind) {
      case DeclKind::Const: {
        auto &c = static_cast<ConstDecl &>(*dp);
        if (c.value)
          infer_constant(*c.value);
        break;
      }
      case DeclKind::Set:
        break;
      case DeclKind::Protect:
        check_condition(static_cast<ProtectDecl &>(*dp).cond.get());
        break;
      case DeclKind::Rule:
        check_rule(static_cast<RuleDecl &>(*dp));
        break;
      case DeclKind::Default: {
        auto &d = static_cast<DefaultDecl &>(*dp);
        if (d.action ==
            Action::Count) // the grammar rejects it; kept for built trees
          diags_.report(DiagCode::E0311, d.range,
                        "default must be 'pass' or 'drop', not 'count'");
        break;
      }
      case DeclKind::Test:
        for (auto &p : static_cast<TestDecl &>(*dp).packets)
          if (p)
            check_packet(*p);
        break;
      }
    }
  }

private:
  // ----------------------------------------------------------- declarations

  void check_set_decl(SetDecl &s) {
    static const std::map<std::string, TypeKind> kinds = {
        {"ip", TypeKind::Ip},       {"port", TypeKind::Port},
        {"int", TypeKind::Int},     {"mac", TypeKind::Mac},
        {"proto", TypeKind::Proto},
    };
    s.elem = TypeKind::Error;
    if (auto it = kinds.find(s.elem_type_name); it != kinds.end()) {
      s.elem = it->second;
    } else if (!s.elem_type_name.empty()) {
      auto &d =
          diags_.report(DiagCode::E0313, s.elem_range,
                        "unknown set element type " + quoted(s.elem_type_name) +
                            "; expected ip, port, int, mac or proto");
      if (s.elem_type_name == "cidr") {
        d.notes.push_back(
            {"a dynamic set holds single addresses: use 'ip'", d.range});
      } else if (s.elem_type_name.compare(0, 2, "ip") == 0) { // ipv4, ip6, ...
        d.notes.push_back(
            {"did you mean 'ip'? (one type for both families)", d.range});
      } else {
        std::vector<std::string> names;
        for (auto &[name, kind] : kinds)
          names.push_back(name);
        if (auto m = closest_match(s.elem_type_name, names); !m.empty())
          d.notes.push_back({"did you mean " + quoted(m) + "?", d.range});
      }
    }
    if (s.capacity && *s.capacity == 0)
      diags_.report(DiagCode::E0313, s.capacity_range,
                    "set capacity must be at least 1");
    else if (s.capacity && *s.capacity > kMaxSetCapacity) {
      auto &d = diags_.report(DiagCode::E0313, s.capacity_range,
                              "set capacity " + std::to_string(*s.capacity) +
                                  " is more than the kernel allows (" +
                                  std::to_string(kMaxSetCapacity) + ")");
      d.notes.push_back({"a dynamic set is a BPF hash map, whose kernel "
                         "limit is 2^27 entries",
                         SourceRange{}});
    }
    if (s.ttl && s.ttl->value.ns == 0)
      diags_.report(DiagCode::E0313, s.ttl->range,
                    "set ttl must be greater than 0");
  }

  void check_rule(RuleDecl &r) {
    check_condition(r.cond.get());
    if (r.ttl && r.ttl->value.ns == 0)
      diags_.report(DiagCode::E0311, r.ttl->range,
                    "ttl must be greater than 0");
    // A count rule never changes a verdict, so `shadow` would change
    // nothing: almost certainly `drop shadow` or `pass shadow` was meant.
    if (r.shadow && r.action == Action::Count) {
      auto &d = diags_.report(DiagCode::E0311, r.shadow_range,
                              "'shadow' has no effect on a count rule");
      d.notes.push_back(
          {"count never changes a verdict; 'shadow' is for 'pass' and 'drop'",
           d.range});
    }
  }

  void check_condition(Expr *cond) {
    if (cond)
      check_bool(*cond);
  }

  // ----------------------------------------------------------- test packets

  // What the fields of a test packet set so far say about it: its
  // transport protocol (6, 17, 1, 58; -1 for "tcp or udp") or its IP
  // family (4, 6), and the field that said so.
  struct Claim {
    int value = 0;
    const FieldExpr *by = nullptr;
  };

  void check_packet(TestPacket &p) {
    std::map<FieldId, const FieldExpr *> seen;
    Claim l4, family;
    bool conflict_reported = false;

    for (auto &a : p.fields) {
      if (a.field)
        infer(*a.field);
      Type vt = a.value ? infer_constant(*a.value) : Type::of(TypeKind::Error);
      if (!a.field || !a.field->field || !a.value)
        continue;
      const FieldInfo &f = *a.field->field;
      if (auto [it, fresh] = seen.emplace(f.id, a.field.get()); !fresh) {
        auto &d =
            diags_.report(DiagCode::E0312, a.field->range,
                          "field " + quoted(f.name) + " is assigned twice");
        d.notes.push_back({"first assigned here", it->second->range});
        continue;
      }
      if (vt.is_error())
        continue;
      Fit fit = fit_scalar(*a.value, f.type, &f);
      if (fit == Fit::Mismatch)
        diags_.report(DiagCode::E0312, a.value->range,
                      "cannot assign " + describe(*a.value) + " (" + tname(vt) +
                          ") to " + quoted(f.name) + " (" +
                          type_kind_name(f.type) + ")");
      if (fit != Fit::Ok || conflict_reported)
        continue;

      auto [want_l4, want_family] = packet_claims(f, *a.value);
      conflict_reported = claim(l4, want_l4, *a.field, true) ||
                          claim(family, want_family, *a.field, false);
    }

    if (p.repeat && *p.repeat == 0)
      diags_.report(
          DiagCode::E0312, p.repeat_range,
          "'x 0' sends no packet; the repeat count must be at least 1");
    if (p.expect ==
        Action::Count) // the grammar rejects it; kept for built trees
      diags_.report(DiagCode::E0312, p.expect_range,
                    "a test packet expects 'pass' or 'drop', not 'count'");
    if (p.count_op && p.count && !(p.repeat && *p.repeat == 0)) {
      const uint64_t sent = p.repeat.value_or(1), n = *p.count;
      bool impossible = false;
      switch (*p.count_op) {
      case CompareOp::Gt:
        impossible = n >= sent;
        break;
      case CompareOp::Ge:
      case CompareOp::Eq:
        impossible = n > sent;
        break;
      case CompareOp::Lt:
        impossible = n == 0;
        break;
      default:
        break;
      }
      if (impossible) {
        // The count has no range of its own: from the verdict to the end
        // of the packet clause.
        SourceRange r{p.expect_range.begin, p.range.end};
        if (!r.valid() || !p.range.valid())
          r = p.expect_range;
        diags_.report(DiagCode::E0312, r,
                      quoted(std::string(action_name(p.expect)) + " " +
                             compare_op_spelling(*p.count_op) + " " +
                             std::to_string(n)) +
                          " can never hold: the packet is sent " +
                          (sent == 1 ? std::string("once")
                                     : std::to_string(sent) + " times"));
      }
    }
  }

  // The transport protocol and IP family a field assignment implies (0:
  // none).
  static std::pair<int, int> packet_claims(const FieldInfo &f,
                                           const Expr &value) {
    int l4 = 0, family = 0;
    switch (f.guard) {
    case Guard::Tcp:
      l4 = 6;
      break;
    case Guard::Udp:
      l4 = 17;
      break;
    case Guard::L4:
      l4 = -1;
      break;
    case Guard::Icmp:
      l4 = 1;
      family = 4;
      break;
    case Guard::Icmp6:
      l4 = 58;
      family = 6;
      break;
    case Guard::Ip6:
    case Guard::Ip6Rh:
      family = 6;
      break;
    default:
      break;
    }
    if (value.constant) {
      const Value &v = *value.constant;
      if (f.id == FieldId::IpProto)
        if (auto *p = std::get_if<ProtoValue>(&v.v))
          l4 = p->number;
      if (f.id == FieldId::IpSrc || f.id == FieldId::IpDst)
        if (auto *a = std::get_if<IpAddr>(&v.v))
          family = a->family;
      if (f.id == FieldId::IpVersion)
        if (auto *n = std::get_if<uint64_t>(&v.v); n && (*n == 4 || *n == 6))
          family = static_cast<int>(*n);
    }
    return {l4, family};
  }

  // Records what a field implies; reports (and returns true) when it
  // contradicts an earlier field of the same packet.
  bool claim(Claim &c, int want, const FieldExpr &by, bool transport) {
    if (want == 0)
      return false;
    if (c.value == 0 || c.value == want) {
      c = {want, &by};
      return false;
    }
    auto tcp_or_udp = [](int v) { return v == 6 || v == 17; };
    if (transport && c.value == -1 && tcp_or_udp(want)) {
      c = {want, &by};
      return false;
    }
    if (transport && want == -1 && tcp_or_udp(c.value))
      return false;
    if (!transport) {
      // Two IP families: say so, and which field wants which.
      auto family = [](int v) { return std::string(v == 6 ? "IPv6" : "IPv4"); };
      auto &d = diags_.report(DiagCode::E0312, by.range,
                              "the IP families differ: " + quoted(by.path) +
                                  " needs an " + family(want) + " packet, " +
                                  quoted(c.by->path) + " an " +
                                  family(c.value) + " one");
      d.notes.push_back({quoted(c.by->path) + " is set here", c.by->range});
      auto guard = [](const FieldExpr &f) {
        return f.field ? f.field->guard : Guard::None;
      };
      if (guard(by) == Guard::Icmp || guard(*c.by) == Guard::Icmp)
        d.notes.push_back(
            {"icmp.* is ICMP over IPv4; over IPv6 use icmp6.*", SourceRange{}});
      else if (guard(by) == Guard::Icmp6 || guard(*c.by) == Guard::Icmp6)
        d.notes.push_back(
            {"icmp6.* is ICMP over IPv6; over IPv4 use icmp.*", SourceRange{}});
      else
        d.notes.push_back({"a packet has one IP family: use addresses of one "
                           "family, or one packet line per family",
                           SourceRange{}});
      return true;
    }
    auto &d =
        diags_.report(DiagCode::E0312, by.range,
                      quoted(by.path) + " cannot be set on a packet that has " +
                          quoted(c.by->path));
    d.notes.push_back({quoted(c.by->path) + " is set here", c.by->range});
    return true;
  }

  // ------------------------------------------------------------- inference

  Type infer(Expr &e) {
    Type t = Type::of(TypeKind::Error);
    switch (e.kind) {
    case ExprKind::Literal: {
      auto &l = static_cast<LiteralExpr &>(e);
      if (e.constant)
        t = Type::of(l.literal_kind);
      break;
    }
    case ExprKind::Name:
      t = infer_name(static_cast<NameExpr &>(e));
      break;
    case ExprKind::Field:
      if (auto *f = static_cast<FieldExpr &>(e).field)
        t = Type::of(f->type);
      break;
    case ExprKind::Set:
      for (auto &el : static_cast<SetExpr &>(e).elements)
        if (el)
          infer_constant(*el);
      if (e.constant)
        t = natural_type(*e.constant);
      break;
    case ExprKind::Range: {
      auto &r = static_cast<RangeExpr &>(e);
      if (r.lo)
        infer_constant(*r.lo);
      if (r.hi)
        infer_constant(*r.hi);
      if (e.constant)
        t = natural_type(*e.constant);
      break;
    }
    case ExprKind::Not:
      if (auto &op = static_cast<NotExpr &>(e).operand)
        check_bool(*op);
      t = Type::of(TypeKind::Bool);
      break;
    case ExprKind::Binary: {
      auto &b = static_cast<BinaryExpr &>(e);
      if (b.lhs)
        check_bool(*b.lhs);
      if (b.rhs)
        check_bool(*b.rhs);
      t = Type::of(TypeKind::Bool);
      break;
    }
    case ExprKind::Compare:
      check_compare(static_cast<CompareExpr &>(e));
      t = Type::of(TypeKind::Bool);
      break;
    case ExprKind::Rate: {
      auto &r = static_cast<RateExpr &>(e);
      for (auto &k : r.keys)
        if (k)
          infer(*k);
      if (r.burst && *r.burst == 0)
        diags_.report(DiagCode::E0310,
                      r.burst_range.valid() ? r.burst_range : r.range,
                      "burst must be greater than 0");
      t = Type::of(TypeKind::RateMeter);
      break;
    }
    }
    e.type = t;
    return t;
  }

  // Where only a constant may stand (a constant's value, a set element, a
  // range bound, a test packet value): anything else was reported by
  // resolve (E0205) and is not checked again.
  Type infer_constant(Expr &e) {
    switch (e.kind) {
    case ExprKind::Literal:
    case ExprKind::Name:
    case ExprKind::Set:
    case ExprKind::Range:
      return infer(e);
    default:
      e.type = Type::of(TypeKind::Error);
      return e.type;
    }
  }

  Type infer_name(const NameExpr &n) {
    switch (n.target) {
    case NameExpr::Target::Const:
      if (auto it = consts_.find(n.decl); it != consts_.end())
        return it->second->type;
      return Type::of(TypeKind::Error);
    case NameExpr::Target::Set: {
      auto *s = static_cast<const SetDecl *>(n.decl);
      if (!s || s->elem == TypeKind::Error) // E0313 said why
        return Type::of(TypeKind::Error);
      return Type::set_of(s->elem, true);
    }
    case NameExpr::Target::Proto:
      return Type::of(TypeKind::Proto);
    case NameExpr::Target::IcmpName:
      return Type::of(find_named(icmp_type_names(), n.name)
                          ? TypeKind::IcmpType
                          : TypeKind::Icmp6Type);
    case NameExpr::Target::Unresolved:
      break;
    }
    return Type::of(TypeKind::Error);
  }

  void check_bool(Expr &e) {
    Type t = infer(e);
    if (t.is_error() || t.kind == TypeKind::Bool)
      return;
    auto &d = diags_.report(DiagCode::E0307, e.range,
                            describe(e) + " (" + tname(t) +
                                ") is not a boolean condition");
    if (t.kind == TypeKind::RateMeter)
      d.notes.push_back({"compare it with a rate: " +
                             quoted(constants_.source_text(e) + " > 100/s"),
                         d.range});
    else if (e.kind == ExprKind::Name &&
             static_cast<const NameExpr &>(e).target == NameExpr::Target::Proto)
      d.notes.push_back(
          {"did you mean " +
               quoted("ip.proto == " + static_cast<const NameExpr &>(e).name) +
               "?",
           d.range});
  }

  // ------------------------------------------------------------ comparisons

  void check_compare(CompareExpr &c) {
    if (!c.lhs || !c.rhs) {
      if (c.lhs)
        infer(*c.lhs);
      if (c.rhs)
        infer(*c.rhs);
      return;
    }
    Type lt = infer(*c.lhs), rt = infer(*c.rhs);
    if (lt.kind == TypeKind::RateMeter || rt.kind == TypeKind::RateMeter)
      return check_rate_compare(c, lt, rt);
    if (lt.is_error() || rt.is_error())
      return;
    if (c.op == CompareOp::In || c.op == CompareOp::NotIn)
      return check_membership(c, lt, rt);
    check_comparison(c, lt, rt);
  }

  SourceRange op_range(const CompareExpr &c) const {
    return c.op_range.valid() ? c.op_range : c.range;
  }

  void check_rate_compare(CompareExpr &c, Type lt, Type rt) {
    if (lt.kind != TypeKind::RateMeter) {
      diags_.report(DiagCode::E0306, c.rhs->range,
                    "rate() must be on the left of '>' or '>='");
      return;
    }
    if (c.op != CompareOp::Gt && c.op != CompareOp::Ge) {
      diags_.report(
          DiagCode::E0306, op_range(c),
          std::string("rate() can only be compared with '>' or '>=', not '") +
              compare_op_spelling(c.op) + "'");
      return;
    }
    if (rt.is_error())
      return;
    if (rt.kind != TypeKind::Rate) {
      auto &d = diags_.report(DiagCode::E0301, c.rhs->range,
                              "cannot compare " + describe(*c.lhs) + " (" +
                                  tname(lt) + ") with " + describe(*c.rhs) +
                                  " (" + tname(rt) + ")");
      d.notes.push_back(
          {"a rate is written like 100/s, 10k/s or 10Mbit/s", d.range});
      return;
    }
    if (c.rhs->constant)
      if (auto *r = std::get_if<RateValue>(&c.rhs->constant->v)) {
        if (r->per_second == 0)
          diags_.report(DiagCode::E0310, c.rhs->range,
                        "rate must be greater than 0");
        else
          check_bucket(static_cast<const RateExpr &>(*c.lhs), *r, *c.rhs);
      }
  }

  // The token bucket of `meter > rate` as the kernel and the interpreter
  // keep it (psl_rate.h): the same function decides here, so a rate that
  // check accepts is one build, load and the interpreter can run.
  void check_bucket(const RateExpr &meter, const RateValue &rate,
                    const Expr &value) {
    const uint64_t burst = meter.burst.value_or(rate.per_second);
    if (burst == 0)
      return; // reported with the burst
    psl_rate_cfg cfg{};
    if (psl_rate_cfg_make(rate.per_second, burst, &cfg) == 0)
      return;
    const char *unit = rate.unit == RateValue::Unit::Bits ? " bit/s" : "/s";
    // Each token costs (1e9 << shift) / rate bucket units, at least one.
    const uint64_t fastest = uint64_t{1000000000} << PSL_RATE_MAX_SHIFT;
    if (rate.per_second > fastest) {
      auto &d = diags_.report(DiagCode::E0314, value.range,
                              "rate " + std::to_string(rate.per_second) + unit +
                                  " is too fast for a token bucket");
      d.notes.push_back({"the fastest rate a bucket can count is " +
                             std::to_string(fastest) + unit,
                         SourceRange{}});
      return;
    }
    const SourceRange where =
        meter.burst_range.valid() ? meter.burst_range : value.range;
    if (burst > PSL_RATE_MAX_BURST_UNITS) {
      auto &d =
          diags_.report(DiagCode::E0314, where,
                        "a burst of " + std::to_string(burst) +
                            " tokens is more than a bucket can hold (" +
                            std::to_string(PSL_RATE_MAX_BURST_UNITS) + ")");
      if (!meter.burst)
        d.notes.push_back({"without 'burst', the burst is one second of the "
                           "rate; give a smaller one",
                           SourceRange{}});
      return;
    }
    auto &d = diags_.report(
        DiagCode::E0314, where,
        "a bucket of " + std::to_string(burst) + " tokens at " +
            std::to_string(rate.per_second) + unit + " cannot be represented");
    d.notes.push_back({"a bucket may take at most about 9 years (2^58 ns) to "
                       "fill from empty: use a smaller burst or a higher "
                       "rate",
                       SourceRange{}});
  }

  // == != < <= > >=
  void check_comparison(CompareExpr &c, Type lt, Type rt) {
    Expr &lhs = *c.lhs, &rhs = *c.rhs;
    const bool lfixed = !is_constant_expr(lhs), rfixed = !is_constant_expr(rhs);
    const bool ordered = c.op != CompareOp::Eq && c.op != CompareOp::Ne;
    // The type that decides: a packet-dependent side, else the side an
    // int literal would adapt to.
    const Type anchor = lfixed                     ? lt
                        : rfixed                   ? rt
                        : lt.kind == TypeKind::Int ? rt
                                                   : lt;
    if (ordered && anchor.kind != TypeKind::Int &&
        anchor.kind != TypeKind::Port) {
      diags_.report(DiagCode::E0302, op_range(c),
                    std::string("operator '") + compare_op_spelling(c.op) +
                        "' is not defined for " + tname(anchor));
      return;
    }

    Fit fit = Fit::Ok;
    Expr *blamed = &rhs;
    if (lfixed && rfixed) {
      if (lt != rt || !is_scalar(lt.kind))
        fit = Fit::Mismatch;
      // Blame the side that cannot be compared at all, else neither alone.
      blamed = !is_scalar(rt.kind)   ? &rhs
               : !is_scalar(lt.kind) ? &lhs
                                     : nullptr;
    } else if (lfixed) {
      fit = is_scalar(lt.kind) ? fit_scalar(rhs, lt.kind, field_of(lhs))
                               : Fit::Mismatch;
    } else if (rfixed) {
      fit = is_scalar(rt.kind) ? fit_scalar(lhs, rt.kind, field_of(rhs))
                               : Fit::Mismatch;
      blamed = &lhs;
    } else if (lt != rt || !is_scalar(lt.kind)) {
      // Two constants: the one that can take the other's type adapts.
      fit = is_scalar(lt.kind) && is_scalar(rt.kind)
                ? fit_scalar(rhs, lt.kind, nullptr)
                : Fit::Mismatch;
      if (fit == Fit::Mismatch && is_scalar(rt.kind))
        fit = fit_scalar(lhs, rt.kind, nullptr);
    }
    if (fit != Fit::Mismatch)
      return;

    auto &d =
        diags_.report(DiagCode::E0301, blamed ? blamed->range : c.range,
                      "cannot compare " + describe(lhs) + " (" + tname(lt) +
                          ") with " + describe(rhs) + " (" + tname(rt) + ")");
    auto collection = [](const Type &t) {
      return t.kind == TypeKind::Set || t.kind == TypeKind::Range ||
             t.kind == TypeKind::Cidr;
    };
    if (!ordered && (collection(lt) || collection(rt)))
      d.notes.push_back({std::string("use '") +
                             (c.op == CompareOp::Ne ? "not in" : "in") +
                             "' to test membership",
                         d.range});
  }

  // in, not in
  void check_membership(CompareExpr &c, Type lt, Type rt) {
    Expr &lhs = *c.lhs, &rhs = *c.rhs;
    const std::string op = compare_op_spelling(c.op);
    if (rt.kind != TypeKind::Set && rt.kind != TypeKind::Range &&
        rt.kind != TypeKind::Cidr) {
      auto &d = diags_.report(
          DiagCode::E0302, rhs.range,
          "'" + op + "' needs a set, a prefix or a range on its right; " +
              describe(rhs) + " is " + tname(rt));
      if (is_scalar(lt.kind) && is_scalar(rt.kind))
        d.notes.push_back({std::string("use '") +
                               (c.op == CompareOp::In ? "==" : "!=") +
                               "' to compare with a single value",
                           d.range});
      return;
    }
    if (!is_scalar(lt.kind)) {
      diags_.report(DiagCode::E0302, lhs.range,
                    "'" + op + "' needs a single value on its left; " +
                        describe(lhs) + " is " + tname(lt));
      return;
    }

    const bool lfixed = !is_constant_expr(lhs);
    Fit fit = Fit::Ok;
    Expr *blamed = &rhs;
    if (rt.kind == TypeKind::Set && rt.dynamic) {
      if (lfixed) {
        if (lt.kind != rt.elem)
          fit = Fit::Mismatch;
      } else {
        fit = fit_scalar(lhs, rt.elem, nullptr);
        blamed = &lhs;
      }
    } else if (lfixed) {
      fit = fit_member(rhs, lt.kind, field_of(lhs));
    } else {
      // A constant looked up in a constant: the int adapts to the other.
      TypeKind elem = rt.kind == TypeKind::Cidr ? TypeKind::Ip : rt.elem;
      TypeKind target =
          lt.kind == TypeKind::Int && elem != TypeKind::Error ? elem : lt.kind;
      fit = fit_scalar(lhs, target, nullptr);
      if (fit == Fit::Ok)
        fit = fit_member(rhs, target, nullptr);
    }
    if (fit != Fit::Mismatch)
      return;
    diags_.report(DiagCode::E0301, blamed->range,
                  "cannot look up " + describe(lhs) + " (" + tname(lt) +
                      ") in " + describe(rhs) + " (" + tname(rt) + ")");
  }

  // ------------------------------------------------- contextual constants
  // (typecheck_constants.h)

  Fit fit_scalar(Expr &e, TypeKind kind, const FieldInfo *field) {
    return constants_.fit_scalar(e, kind, field);
  }
  Fit fit_member(Expr &e, TypeKind kind, const FieldInfo *field) {
    return constants_.fit_member(e, kind, field);
  }
  std::string describe(const Expr &e) const { return constants_.describe(e); }

  Policy &policy_;
  DiagnosticSink &diags_;
  std::unordered_map<const Decl *, ConstDecl *> consts_;
  ConstantReader constants_{diags_, consts_};
};

class TypeCheckPass final : public Pass {
public:
  const char *name() const override { return "typecheck"; }
  void run(Policy &policy, PassContext &ctx) override {
    TypeChecker(policy, ctx.diags).run();
  }
};

} // namespace

std::unique_ptr<Pass> create_typecheck_pass() {
  return std::make_unique<TypeCheckPass>();
}

} // namespace psl
