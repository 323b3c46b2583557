#include "codegen/parse_layers.h"

namespace psl::codegen {

uint32_t parse_layers_of(FieldId f) {
  // The IPv6 extension chain stands between the fixed header and what
  // ip.proto, the fragment fields, ip6.* and every L4 field describe.
  constexpr uint32_t l4 = kParseIp | kParseIp6Ext;
  switch (f) {
  case FieldId::EthSrc:
  case FieldId::EthDst:
    return kParseEthAddr;
  case FieldId::EthType:
  case FieldId::VlanId:
  case FieldId::PktLen:
    return 0; // always decoded
  case FieldId::IpVersion:
  case FieldId::IpSrc:
  case FieldId::IpDst:
  case FieldId::IpTtl:
  case FieldId::IpLen:
  case FieldId::IpTos:
    return kParseIp;
  case FieldId::IpProto:
  case FieldId::IpFrag:
  case FieldId::IpFragOff:
  case FieldId::Ip6ExtCount:
  case FieldId::Ip6Hbh:
  case FieldId::Ip6RhType:
    return kParseIp | kParseIp6Ext;
  case FieldId::TcpSport:
  case FieldId::TcpDport:
  case FieldId::TcpWindow:
    return l4 | kParseTcp;
  case FieldId::TcpSyn:
  case FieldId::TcpAck:
  case FieldId::TcpFin:
  case FieldId::TcpRst:
  case FieldId::TcpPsh:
  case FieldId::TcpUrg:
    return l4 | kParseTcp | kParseTcpFlags;
  case FieldId::UdpSport:
  case FieldId::UdpDport:
  case FieldId::UdpLen:
    return l4 | kParseUdp;
  case FieldId::L4Sport:
  case FieldId::L4Dport:
    return l4 | kParseTcp | kParseUdp;
  case FieldId::IcmpType:
  case FieldId::IcmpCode:
    return kParseIp | kParseIcmp; // IPv4 only: no extension chain
  case FieldId::Icmp6Type:
  case FieldId::Icmp6Code:
    return l4 | kParseIcmp6;
  }
  return kParseAll; // a field added without a case here: decode everything
}

namespace {

uint32_t expr_layers(const Expr *e) {
  if (!e)
    return 0;
  switch (e->kind) {
  case ExprKind::Literal:
  case ExprKind::Name:
    return 0;
  case ExprKind::Field: {
    const auto *f = static_cast<const FieldExpr *>(e);
    // Unresolved (a checked policy has none): decode everything.
    return f->field ? parse_layers_of(f->field->id) : kParseAll;
  }
  case ExprKind::Set: {
    uint32_t m = 0;
    for (const ExprPtr &el : static_cast<const SetExpr *>(e)->elements)
      m |= expr_layers(el.get());
    return m;
  }
  case ExprKind::Range: {
    const auto *r = static_cast<const RangeExpr *>(e);
    return expr_layers(r->lo.get()) | expr_layers(r->hi.get());
  }
  case ExprKind::Not:
    return expr_layers(static_cast<const NotExpr *>(e)->operand.get());
  case ExprKind::Binary: {
    const auto *b = static_cast<const BinaryExpr *>(e);
    return expr_layers(b->lhs.get()) | expr_layers(b->rhs.get());
  }
  case ExprKind::Compare: {
    const auto *c = static_cast<const CompareExpr *>(e);
    return expr_layers(c->lhs.get()) | expr_layers(c->rhs.get());
  }
  case ExprKind::Rate: {
    uint32_t m = 0;
    for (const auto &k : static_cast<const RateExpr *>(e)->keys)
      m |= expr_layers(k.get());
    return m;
  }
  }
  return kParseAll;
}

} // namespace

uint32_t parse_layers(const Policy &policy) {
  uint32_t m = 0;
  for (const RuleDecl *r : policy.rules)
    m |= expr_layers(r->cond.get());
  return m;
}

std::string parse_layers_expr(uint32_t layers) {
  static const struct {
    uint32_t bit;
    const char *name;
  } names[] = {
      {kParseEthAddr, "PSL_PARSE_ETH_ADDR"},   {kParseIp, "PSL_PARSE_IP"},
      {kParseIp6Ext, "PSL_PARSE_IP6_EXT"},     {kParseTcp, "PSL_PARSE_TCP"},
      {kParseTcpFlags, "PSL_PARSE_TCP_FLAGS"}, {kParseUdp, "PSL_PARSE_UDP"},
      {kParseIcmp, "PSL_PARSE_ICMP"},          {kParseIcmp6, "PSL_PARSE_ICMP6"},
  };
  if ((layers & kParseAll) == kParseAll)
    return "PSL_PARSE_ALL";
  std::string out;
  for (const auto &n : names)
    if (layers & n.bit)
      out += (out.empty() ? "" : " | ") + std::string(n.name);
  return out.empty() ? "0" : out;
}

} // namespace psl::codegen
