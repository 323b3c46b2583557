#include "analysis/describe.h"

#include <cstdio>

namespace psl::analysis {

namespace {

std::string u128_hex(Point v, int width) {
  std::string s;
  for (int i = width - 1; i >= 0; --i)
    s += "0123456789abcdef"[static_cast<unsigned>(v >> (4 * i)) & 0xf];
  return s;
}

IpAddr ip_from(Point v, bool v6) {
  IpAddr a;
  a.family = v6 ? 6 : 4;
  int n = v6 ? 16 : 4;
  for (int i = 0; i < n; ++i)
    a.bytes[i] = static_cast<uint8_t>(v >> (8 * (n - 1 - i)));
  return a;
}

std::string format_value(DimId d, Point v) {
  if (d == kIpSrc6 || d == kIpDst6)
    return ip_to_string(ip_from(v, true));
  const auto &f = field_info(static_cast<FieldId>(d - kNumLayerDims));
  switch (f.type) {
  case TypeKind::Bool:
    return v ? "true" : "false";
  case TypeKind::Ip:
    return ip_to_string(ip_from(v, false));
  case TypeKind::Mac: {
    MacAddr m;
    for (int i = 0; i < 6; ++i)
      m.bytes[i] = static_cast<uint8_t>(v >> (8 * (5 - i)));
    return value_to_string(Value{m}, Type::of(TypeKind::Mac));
  }
  case TypeKind::Proto:
    return value_to_string(Value{ProtoValue{static_cast<uint8_t>(v)}},
                           Type::of(TypeKind::Proto));
  case TypeKind::IcmpType:
    return value_to_string(Value{IcmpTypeValue{false, static_cast<uint8_t>(v)}},
                           Type::of(TypeKind::IcmpType));
  case TypeKind::Icmp6Type:
    return value_to_string(Value{IcmpTypeValue{true, static_cast<uint8_t>(v)}},
                           Type::of(TypeKind::Icmp6Type));
  default:
    if (d == kDimEthType)
      return "0x" + u128_hex(v, 4);
    return std::to_string(static_cast<uint64_t>(v));
  }
}

} // namespace

std::string describe(const Box &region, const Witness &w, const Space &space) {
  auto forced = [&](DimId layer) { return is_one(region.find(layer)); };
  bool l4 = forced(kLayerTcp) || forced(kLayerUdp) || forced(kLayerIcmp) ||
            forced(kLayerIcmp6);
  bool family_known = forced(kLayerIcmp) || forced(kLayerIcmp6) ||
                      forced(kLayerIp6Rh) || region.find(kDimIpSrc4) ||
                      region.find(kDimIpDst4) || region.find(kIpSrc6) ||
                      region.find(kIpDst6);
  std::string out;
  auto add = [&](const std::string &s) {
    if (!out.empty())
      out += ", ";
    out += s;
  };
  for (const auto &c : region.constraints()) {
    DimId d = c.dim;
    if (d < kNumLayerDims || is_opaque(d))
      continue;
    if (d == kDimIpProto && l4)
      continue;
    if (d == kDimIpFragOff && l4 && c.set.is_point() && c.set.min() == 0)
      continue;
    if (d == kDimIpVersion && (family_known || !c.set.is_point()))
      continue;
    if (d == kDimEthType && forced(kLayerIp))
      continue;
    add(space.dim_name(d) + " = " + format_value(d, w.at(d)));
  }
  for (const auto &c : region.constraints()) {
    if (!is_opaque(c.dim))
      continue;
    Point v = w.at(c.dim);
    if (v == kOpaqueUnknown)
      continue;
    const std::string &key = space.opaque_key(c.dim);
    add(v ? key : "not (" + key + ")");
  }
  if (!out.empty())
    return out;
  if (forced(kLayerTcp))
    return "any tcp packet";
  if (forced(kLayerUdp))
    return "any udp packet";
  if (forced(kLayerIcmp))
    return "any icmp packet";
  if (forced(kLayerIcmp6))
    return "any icmpv6 packet";
  if (forced(kLayerIp6Rh))
    return "any ipv6 packet with a routing header";
  if (forced(kLayerIp)) {
    const auto *ver = region.find(kDimIpVersion);
    if (ver && ver->is_point())
      return ver->min() == 4 ? "any ipv4 packet" : "any ipv6 packet";
    return "any ip packet";
  }
  if (forced(kLayerVlan))
    return "any vlan-tagged packet";
  if (is_zero(region.find(kLayerIp)))
    return "any non-ip packet";
  return "any packet";
}

std::string to_string(const Box &b, const Space &space) {
  std::string out = "{";
  bool first = true;
  for (const auto &c : b.constraints()) {
    if (!first)
      out += ", ";
    first = false;
    if (c.dim < kNumLayerDims) {
      out += (c.set.min() ? "" : "!") + space.dim_name(c.dim).substr(6);
      continue;
    }
    if (is_opaque(c.dim)) {
      out += (c.set.min() ? "" : "!") + ("[" + space.opaque_key(c.dim) + "]");
      continue;
    }
    out += space.dim_name(c.dim) + " ";
    bool ip = c.dim == kDimIpSrc4 || c.dim == kDimIpDst4 || c.dim == kIpSrc6 ||
              c.dim == kIpDst6;
    unsigned bits = (c.dim == kIpSrc6 || c.dim == kIpDst6) ? 128 : 32;
    for (size_t i = 0; i < c.set.size(); ++i) {
      if (i)
        out += "|";
      const auto &iv = c.set[i];
      if (iv.lo == iv.hi) {
        out += format_value(c.dim, iv.lo);
        continue;
      }
      if (ip) {
        // A prefix when it is one.
        Point span = iv.hi - iv.lo;
        if ((span & (span + 1)) == 0 && (iv.lo & span) == 0) {
          unsigned host = 0;
          while (host < bits && ((span >> host) & 1))
            ++host;
          out += format_value(c.dim, iv.lo) + "/" + std::to_string(bits - host);
          continue;
        }
      }
      out += format_value(c.dim, iv.lo) + ".." + format_value(c.dim, iv.hi);
    }
  }
  return out + "}";
}

std::string to_string(const std::vector<Box> &d, const Space &space) {
  if (d.empty())
    return "false";
  std::string out;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i)
      out += " | ";
    out += to_string(d[i], space);
  }
  return out;
}

} // namespace psl::analysis
