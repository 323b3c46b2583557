#include "interp/interpreter.h"

#include <cstring>

#include "diag/diagnostics.h"
#include "psl_parse.h"

namespace psl::interp {

// ------------------------------------------------------------ field values

bool FieldValue::operator==(const FieldValue &o) const {
  if (kind != o.kind)
    return false;
  switch (kind) {
  case Kind::Int:
    return num == o.num;
  case Kind::Ip:
    return ip == o.ip;
  case Kind::Mac:
    return mac == o.mac;
  }
  return false;
}

namespace {

FieldValue int_value(uint64_t n) {
  FieldValue v;
  v.kind = FieldValue::Kind::Int;
  v.num = n;
  return v;
}

FieldValue mac_value(const __u8 *bytes) {
  FieldValue v;
  v.kind = FieldValue::Kind::Mac;
  std::memcpy(v.mac.bytes.data(), bytes, 6);
  return v;
}

// psl_pkt keeps IPv4 addresses mapped (::ffff:a.b.c.d); PSL constants keep
// them in bytes[0..3]. ip_version says which family the packet has.
FieldValue ip_value(const psl_pkt &p, const __u8 *addr) {
  FieldValue v;
  v.kind = FieldValue::Kind::Ip;
  if (p.ip_version == 4) {
    v.ip.family = 4;
    std::memcpy(v.ip.bytes.data(), addr + 12, 4);
  } else {
    v.ip.family = 6;
    std::memcpy(v.ip.bytes.data(), addr, 16);
  }
  return v;
}

IpAddr normalized(IpAddr a) {
  if (a.family == 4)
    for (size_t i = 4; i < a.bytes.size(); ++i)
      a.bytes[i] = 0;
  return a;
}

bool prefix_match(const IpAddr &a, const Cidr &c) {
  if (a.family != c.addr.family)
    return false;
  unsigned bits = c.prefix_len;
  size_t full = bits / 8;
  for (size_t i = 0; i < full && i < 16; ++i)
    if (a.bytes[i] != c.addr.bytes[i])
      return false;
  unsigned rest = bits % 8;
  if (rest == 0 || full >= 16)
    return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (c.addr.bytes[full] & mask);
}

std::string hex16(uint64_t n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%04llx",
                static_cast<unsigned long long>(n));
  return buf;
}

} // namespace

bool guard_holds(Guard g, const psl_pkt &p) {
  switch (g) {
  case Guard::None:
    return true;
  case Guard::Vlan:
    return p.present & PSL_PRESENT_VLAN;
  case Guard::Ip:
    return p.present & PSL_PRESENT_IP;
  case Guard::Ip6:
    return p.present & PSL_PRESENT_IPV6;
  case Guard::Ip6Rh:
    return p.present & PSL_PRESENT_IP6_RH;
  case Guard::Tcp:
    return p.present & PSL_PRESENT_TCP;
  case Guard::Udp:
    return p.present & PSL_PRESENT_UDP;
  case Guard::L4:
    return p.present & PSL_PRESENT_L4;
  case Guard::Icmp:
    return p.present & PSL_PRESENT_ICMP;
  case Guard::Icmp6:
    return p.present & PSL_PRESENT_ICMP6;
  }
  return false;
}

std::optional<FieldValue> read_field(const psl_pkt &p, const FieldInfo &f) {
  if (!guard_holds(f.guard, p))
    return std::nullopt;
  switch (f.id) {
  case FieldId::EthSrc:
    return mac_value(p.eth_src);
  case FieldId::EthDst:
    return mac_value(p.eth_dst);
  case FieldId::EthType:
    return int_value(p.eth_type);
  case FieldId::VlanId:
    return int_value(p.vlan_id);
  case FieldId::PktLen:
    return int_value(p.pkt_len);
  case FieldId::IpVersion:
    return int_value(p.ip_version);
  case FieldId::IpSrc:
    return ip_value(p, p.ip_src);
  case FieldId::IpDst:
    return ip_value(p, p.ip_dst);
  case FieldId::IpProto:
    return int_value(p.ip_proto);
  case FieldId::IpTtl:
    return int_value(p.ip_ttl);
  case FieldId::IpLen:
    return int_value(p.ip_len);
  case FieldId::IpTos:
    return int_value(p.ip_tos);
  case FieldId::IpFrag:
    return int_value(p.ip_frag);
  case FieldId::IpFragOff:
    return int_value(p.ip_frag_off);
  case FieldId::Ip6ExtCount:
    return int_value(p.ip6_ext_count);
  case FieldId::Ip6Hbh:
    return int_value(p.ip6_hbh);
  case FieldId::Ip6RhType:
    return int_value(p.ip6_rh_type);
  case FieldId::TcpSport:
    return int_value(p.tcp_sport);
  case FieldId::TcpDport:
    return int_value(p.tcp_dport);
  case FieldId::TcpSyn:
    return int_value(p.tcp_syn);
  case FieldId::TcpAck:
    return int_value(p.tcp_ack);
  case FieldId::TcpFin:
    return int_value(p.tcp_fin);
  case FieldId::TcpRst:
    return int_value(p.tcp_rst);
  case FieldId::TcpPsh:
    return int_value(p.tcp_psh);
  case FieldId::TcpUrg:
    return int_value(p.tcp_urg);
  case FieldId::TcpWindow:
    return int_value(p.tcp_window);
  case FieldId::UdpSport:
    return int_value(p.udp_sport);
  case FieldId::UdpDport:
    return int_value(p.udp_dport);
  case FieldId::UdpLen:
    return int_value(p.udp_len);
  case FieldId::L4Sport:
    return int_value(p.l4_sport);
  case FieldId::L4Dport:
    return int_value(p.l4_dport);
  case FieldId::IcmpType:
    return int_value(p.icmp_type);
  case FieldId::IcmpCode:
    return int_value(p.icmp_code);
  case FieldId::Icmp6Type:
    return int_value(p.icmp6_type);
  case FieldId::Icmp6Code:
    return int_value(p.icmp6_code);
  }
  throw InternalError("read_field: unknown field");
}

std::optional<FieldValue> scalar_of(const Value &v) {
  if (auto *b = std::get_if<bool>(&v.v))
    return int_value(*b ? 1 : 0);
  if (auto *n = std::get_if<uint64_t>(&v.v))
    return int_value(*n);
  if (auto *p = std::get_if<ProtoValue>(&v.v))
    return int_value(p->number);
  if (auto *i = std::get_if<IcmpTypeValue>(&v.v))
    return int_value(i->number);
  if (auto *a = std::get_if<IpAddr>(&v.v)) {
    FieldValue out;
    out.kind = FieldValue::Kind::Ip;
    out.ip = normalized(*a);
    return out;
  }
  if (auto *m = std::get_if<MacAddr>(&v.v)) {
    FieldValue out;
    out.kind = FieldValue::Kind::Mac;
    out.mac = *m;
    return out;
  }
  return std::nullopt;
}

std::string field_value_to_string(const FieldValue &v, const FieldInfo &f) {
  switch (v.kind) {
  case FieldValue::Kind::Ip:
    return ip_to_string(v.ip);
  case FieldValue::Kind::Mac:
    return value_to_string(Value{v.mac}, Type::of(TypeKind::Mac));
  case FieldValue::Kind::Int:
    break;
  }
  switch (f.type) {
  case TypeKind::Bool:
    return v.num ? "true" : "false";
  case TypeKind::Proto:
    return value_to_string(Value{ProtoValue{static_cast<uint8_t>(v.num)}},
                           Type::of(TypeKind::Proto));
  case TypeKind::IcmpType:
  case TypeKind::Icmp6Type:
    return value_to_string(Value{IcmpTypeValue{f.type == TypeKind::Icmp6Type,
                                               static_cast<uint8_t>(v.num)}},
                           Type::of(f.type));
  default:
    break;
  }
  if (f.id == FieldId::EthType)
    return hex16(v.num);
  return std::to_string(v.num);
}

bool value_in(const FieldValue &v, const Value &set) {
  if (auto *s = std::get_if<SetValue>(&set.v)) {
    for (const Value &e : s->elements)
      if (value_in(v, e))
        return true;
    return false;
  }
  if (auto *r = std::get_if<RangeValue>(&set.v))
    return v.kind == FieldValue::Kind::Int && r->lo <= v.num && v.num <= r->hi;
  if (auto *c = std::get_if<Cidr>(&set.v))
    return v.kind == FieldValue::Kind::Ip && prefix_match(v.ip, *c);
  // A set element that is a scalar.
  auto e = scalar_of(set);
  return e && *e == v;
}

std::string dynset_key(const FieldValue &v) {
  std::string key;
  switch (v.kind) {
  case FieldValue::Kind::Int:
    key.push_back('i');
    for (int i = 7; i >= 0; --i)
      key.push_back(static_cast<char>((v.num >> (8 * i)) & 0xff));
    break;
  case FieldValue::Kind::Ip:
    key.push_back('a');
    key.push_back(static_cast<char>(v.ip.family));
    key.append(reinterpret_cast<const char *>(v.ip.bytes.data()),
               v.ip.bytes.size());
    break;
  case FieldValue::Kind::Mac:
    key.push_back('m');
    key.append(reinterpret_cast<const char *>(v.mac.bytes.data()),
               v.mac.bytes.size());
    break;
  }
  return key;
}

// ------------------------------------------------------------- interpreter

namespace {

// Every `rate(...) OP RATE` comparison under `e`.
void collect_rates(const Expr *e, std::vector<const CompareExpr *> &out) {
  if (!e)
    return;
  switch (e->kind) {
  case ExprKind::Binary: {
    auto &b = static_cast<const BinaryExpr &>(*e);
    collect_rates(b.lhs.get(), out);
    collect_rates(b.rhs.get(), out);
    break;
  }
  case ExprKind::Not:
    collect_rates(static_cast<const NotExpr &>(*e).operand.get(), out);
    break;
  case ExprKind::Compare: {
    auto &c = static_cast<const CompareExpr &>(*e);
    if (c.lhs && c.lhs->kind == ExprKind::Rate)
      out.push_back(&c);
    break;
  }
  default:
    break;
  }
}

std::string where(const Node &n) {
  if (!n.range.valid())
    return "";
  return " at line " + std::to_string(n.range.begin.line);
}

} // namespace

Interpreter::Interpreter(const Policy &policy) : policy_(policy) {
  counters_.resize(policy.rules.size());
  for (const RuleDecl *r : policy.rules) {
    if (!r || !r->cond)
      throw InterpError("rule without a condition: the policy was not checked");
    std::vector<const CompareExpr *> rates;
    collect_rates(r->cond.get(), rates);
    for (const CompareExpr *c : rates) {
      const auto &meter = static_cast<const RateExpr &>(*c->lhs);
      const RateValue *rv = nullptr;
      if (c->rhs && c->rhs->constant)
        rv = std::get_if<RateValue>(&c->rhs->constant->v);
      if (!rv || (c->op != CompareOp::Gt && c->op != CompareOp::Ge))
        throw InterpError("rate() comparison" + where(*c) + " of rule '" +
                          r->name + "' was not checked");
      for (const auto &k : meter.keys)
        if (!k || !k->field)
          throw InterpError("rate() key" + where(*c) + " was not resolved");
      RateMeter m;
      m.bits = rv->unit == RateValue::Unit::Bits;
      uint64_t burst = meter.burst.value_or(rv->per_second);
      if (psl_rate_cfg_make(rv->per_second, burst, &m.cfg) != 0)
        throw InterpError("rule '" + r->name + "': rate()" + where(*c) +
                          " cannot be represented as a token bucket (rate " +
                          std::to_string(rv->per_second) + ", burst " +
                          std::to_string(burst) + ")");
      meters_.emplace(&meter, std::move(m));
    }
  }
  for (const SetDecl *s : policy.sets) {
    DynSet d;
    d.decl = s;
    d.capacity = s->capacity;
    sets_.push_back(std::move(d));
  }
}

void Interpreter::reset() {
  for (auto &[expr, m] : meters_)
    m.buckets.clear();
  for (auto &s : sets_)
    s.entries.clear();
  for (auto &c : counters_)
    c = RuleCounter{};
  default_counter_ = RuleCounter{};
}

const RuleCounter &Interpreter::rule_counter(uint32_t index) const {
  if (index >= counters_.size())
    throw InternalError("rule index out of range");
  return counters_[index];
}

Decision Interpreter::evaluate_frame(const uint8_t *data, size_t len,
                                     uint64_t now_ns) {
  psl_pkt p;
  psl_parse_buffer(data, static_cast<__u32>(len), &p);
  return evaluate(p, now_ns);
}

Decision Interpreter::evaluate(const psl_pkt &pkt, uint64_t now_ns) {
  pkt_ = &pkt;
  now_ = now_ns;
  Decision d;
  for (const RuleDecl *r : policy_.rules) {
    if (!cond(*r->cond, false))
      continue;
    RuleCounter &c = counters_[r->index];
    c.packets++;
    c.bytes += pkt.pkt_len;
    if (r->shadow) {
      d.shadow_hits.push_back(r);
      continue;
    }
    if (r->action == Action::Count) {
      d.counted.push_back(r);
      continue;
    }
    d.verdict = r->action;
    d.rule = r;
    pkt_ = nullptr;
    return d;
  }
  d.verdict = policy_.default_action();
  default_counter_.packets++;
  default_counter_.bytes += pkt.pkt_len;
  pkt_ = nullptr;
  return d;
}

bool Interpreter::cond(const Expr &e, bool negate) {
  if (e.constant)
    if (auto *b = std::get_if<bool>(&e.constant->v))
      return *b != negate;
  switch (e.kind) {
  case ExprKind::Binary: {
    auto &b = static_cast<const BinaryExpr &>(e);
    // De Morgan: under negation `and` becomes `or` and vice versa; either
    // way the left side goes first and the right one only if needed.
    const bool conj = (b.op == BinaryOp::And) != negate;
    const bool left = cond(*b.lhs, negate);
    if (conj != left)
      return left; // false ∧ ..., true ∨ ...
    return cond(*b.rhs, negate);
  }
  case ExprKind::Not:
    return cond(*static_cast<const NotExpr &>(e).operand, !negate);
  case ExprKind::Field: {
    // A bool field standing alone: guard ∧ value, negated guard ∧ ¬value.
    auto &f = static_cast<const FieldExpr &>(e);
    if (!f.field || f.field->type != TypeKind::Bool)
      throw InterpError("field '" + f.path + "' used as a condition" +
                        where(e));
    auto v = read_field(*pkt_, *f.field);
    if (!v)
      return false;
    return (v->num != 0) != negate;
  }
  case ExprKind::Compare:
    return compare(static_cast<const CompareExpr &>(e), negate);
  default:
    break;
  }
  throw InterpError("expression" + where(e) + " is not a condition");
}

namespace {

// One side of a comparison.
struct Operand {
  bool absent = false;              // a field whose layer is not there
  std::optional<FieldValue> scalar; // a field's value or a scalar constant
  const Value *constant = nullptr;  // a constant (set, range, prefix, ...)
  const NameExpr *dynset = nullptr; // a dynamic set
};

Operand operand(const Expr &e, const psl_pkt &p) {
  Operand o;
  if (e.kind == ExprKind::Field) {
    auto &f = static_cast<const FieldExpr &>(e);
    if (!f.field)
      throw InterpError("field '" + f.path + "' was not resolved" + where(e));
    o.scalar = read_field(p, *f.field);
    o.absent = !o.scalar;
    return o;
  }
  if (e.kind == ExprKind::Name) {
    auto &n = static_cast<const NameExpr &>(e);
    if (n.target == NameExpr::Target::Set) {
      o.dynset = &n;
      return o;
    }
  }
  if (!e.constant)
    throw InterpError("operand" + where(e) +
                      " has no value: the policy was not checked");
  o.constant = &*e.constant;
  o.scalar = scalar_of(*e.constant);
  return o;
}

} // namespace

bool Interpreter::compare(const CompareExpr &c, bool negate) {
  if (!c.lhs || !c.rhs)
    throw InterpError("incomplete comparison" + where(c));
  if (c.lhs->kind == ExprKind::Rate) {
    bool guard_ok = false;
    // `>=` is `>`: the bucket was set up from the limit in the constructor.
    bool over = rate_over(static_cast<const RateExpr &>(*c.lhs), guard_ok);
    if (!guard_ok)
      return false;
    return over != negate;
  }

  Operand l = operand(*c.lhs, *pkt_);
  Operand r = operand(*c.rhs, *pkt_);
  // The guards of the fields on either side: never negated.
  if (l.absent || r.absent)
    return false;
  if (!l.scalar)
    throw InterpError("left side of '" +
                      std::string(compare_op_spelling(c.op)) + "'" + where(c) +
                      " is not a single value");

  bool test = false;
  switch (c.op) {
  case CompareOp::In:
  case CompareOp::NotIn: {
    bool member;
    if (r.dynset) {
      const DynSet *s = find_set(r.dynset->name);
      if (!s)
        throw InterpError("unknown dynamic set '" + r.dynset->name + "'");
      auto it = s->entries.find(dynset_key(*l.scalar));
      member = it != s->entries.end() && (it->second == 0 || it->second > now_);
    } else if (r.constant) {
      member = value_in(*l.scalar, *r.constant);
    } else {
      throw InterpError("right side of 'in'" + where(c) + " is not a set");
    }
    test = c.op == CompareOp::In ? member : !member;
    break;
  }
  case CompareOp::Eq:
  case CompareOp::Ne: {
    if (!r.scalar)
      throw InterpError("right side of '" +
                        std::string(compare_op_spelling(c.op)) + "'" +
                        where(c) + " is not a single value");
    bool eq = *l.scalar == *r.scalar;
    test = c.op == CompareOp::Eq ? eq : !eq;
    break;
  }
  case CompareOp::Lt:
  case CompareOp::Le:
  case CompareOp::Gt:
  case CompareOp::Ge: {
    if (!r.scalar || l.scalar->kind != FieldValue::Kind::Int ||
        r.scalar->kind != FieldValue::Kind::Int)
      throw InterpError("ordered comparison" + where(c) +
                        " of values that are not numbers");
    uint64_t a = l.scalar->num, b = r.scalar->num;
    test = c.op == CompareOp::Lt   ? a < b
           : c.op == CompareOp::Le ? a <= b
           : c.op == CompareOp::Gt ? a > b
                                   : a >= b;
    break;
  }
  }
  return test != negate;
}

bool Interpreter::rate_over(const RateExpr &r, bool &guard_ok) {
  std::string key;
  for (const auto &k : r.keys) {
    auto v = read_field(*pkt_, *k->field);
    if (!v) {
      guard_ok = false;
      return false;
    }
    key += dynset_key(*v);
  }
  guard_ok = true;
  auto mit = meters_.find(&r);
  if (mit == meters_.end())
    throw InterpError("rate()" + where(r) + " has no bucket parameters");
  RateMeter &m = mit->second;
  const __u64 cost = m.bits ? static_cast<__u64>(pkt_->pkt_len) * 8 : 1;
  auto it = m.buckets.find(key);
  if (it != m.buckets.end())
    return psl_rate_over_seq(&it->second, 0, &m.cfg, now_, cost) != 0;
  psl_rate_state st{};
  bool over = psl_rate_over_seq(&st, 1, &m.cfg, now_, cost) != 0;
  // A packet that could never fit creates no bucket (psl_rate_over() in
  // the kernel returns before its map update too).
  if (cost <= m.cfg.burst_tokens)
    m.buckets.emplace(std::move(key), st);
  return over;
}

// ------------------------------------------------------------ dynamic sets

Interpreter::DynSet *Interpreter::find_set(std::string_view name) {
  for (auto &s : sets_)
    if (s.decl->name == name)
      return &s;
  return nullptr;
}

const Interpreter::DynSet *Interpreter::find_set(std::string_view name) const {
  for (const auto &s : sets_)
    if (s.decl->name == name)
      return &s;
  return nullptr;
}

std::optional<std::string> Interpreter::set_key(const DynSet &s,
                                                const Value &v) {
  std::optional<FieldValue> fv;
  switch (s.decl->elem) {
  case TypeKind::Ip:
    if (std::holds_alternative<IpAddr>(v.v)) {
      fv = scalar_of(v);
    } else if (auto *c = std::get_if<Cidr>(&v.v)) {
      // A host prefix is an address; a dynamic set holds single addresses.
      if (c->prefix_len == (c->addr.family == 4 ? 32 : 128))
        fv = scalar_of(Value{c->addr});
    }
    break;
  case TypeKind::Port:
  case TypeKind::Int:
    if (auto *n = std::get_if<uint64_t>(&v.v))
      if (s.decl->elem == TypeKind::Int || *n <= 0xffff)
        fv = scalar_of(v);
    break;
  case TypeKind::Proto:
    if (std::holds_alternative<ProtoValue>(v.v))
      fv = scalar_of(v);
    else if (auto *n = std::get_if<uint64_t>(&v.v); n && *n <= 0xff)
      fv = scalar_of(v);
    break;
  case TypeKind::Mac:
    if (std::holds_alternative<MacAddr>(v.v))
      fv = scalar_of(v);
    break;
  default:
    break;
  }
  if (!fv)
    return std::nullopt;
  return dynset_key(*fv);
}

Interpreter::SetResult Interpreter::set_add(std::string_view set,
                                            const Value &value, uint64_t now_ns,
                                            std::optional<uint64_t> ttl_ns) {
  DynSet *s = find_set(set);
  if (!s)
    return SetResult::UnknownSet;
  auto key = set_key(*s, value);
  if (!key)
    return SetResult::WrongType;
  uint64_t ttl = ttl_ns ? *ttl_ns : (s->decl->ttl ? s->decl->ttl->value.ns : 0);
  uint64_t expires = ttl ? now_ns + ttl : 0;
  auto it = s->entries.find(*key);
  if (it != s->entries.end()) {
    it->second = expires;
    return SetResult::Refreshed;
  }
  if (s->capacity && s->entries.size() >= *s->capacity)
    return SetResult::Full;
  s->entries.emplace(std::move(*key), expires);
  return SetResult::Added;
}

bool Interpreter::set_del(std::string_view set, const Value &value) {
  DynSet *s = find_set(set);
  if (!s)
    return false;
  auto key = set_key(*s, value);
  return key && s->entries.erase(*key) > 0;
}

bool Interpreter::set_contains(std::string_view set, const Value &value,
                               uint64_t now_ns) const {
  const DynSet *s = find_set(set);
  if (!s)
    return false;
  auto key = set_key(*s, value);
  if (!key)
    return false;
  auto it = s->entries.find(*key);
  return it != s->entries.end() && (it->second == 0 || it->second > now_ns);
}

size_t Interpreter::set_sweep(uint64_t now_ns) {
  size_t removed = 0;
  for (auto &s : sets_)
    for (auto it = s.entries.begin(); it != s.entries.end();) {
      if (it->second != 0 && it->second <= now_ns) {
        it = s.entries.erase(it);
        ++removed;
      } else {
        ++it;
      }
    }
  return removed;
}

size_t Interpreter::set_size(std::string_view set) const {
  const DynSet *s = find_set(set);
  return s ? s->entries.size() : 0;
}

} // namespace psl::interp
