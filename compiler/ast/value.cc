#include "ast/value.h"

#include <arpa/inet.h>
#include <cctype>
#include <cstdio>
#include <cstring>

#include "ast/fields.h"

namespace psl {

std::string type_kind_name(TypeKind k) {
  switch (k) {
  case TypeKind::Error:
    return "<error>";
  case TypeKind::Bool:
    return "bool";
  case TypeKind::Int:
    return "int";
  case TypeKind::Ip:
    return "ip";
  case TypeKind::Cidr:
    return "cidr";
  case TypeKind::Mac:
    return "mac";
  case TypeKind::Port:
    return "port";
  case TypeKind::Proto:
    return "proto";
  case TypeKind::IcmpType:
    return "icmp type";
  case TypeKind::Icmp6Type:
    return "icmp6 type";
  case TypeKind::Duration:
    return "duration";
  case TypeKind::Rate:
    return "rate";
  case TypeKind::RateMeter:
    return "rate()";
  case TypeKind::Range:
    return "range";
  case TypeKind::Set:
    return "set";
  }
  return "?";
}

std::string type_name(const Type &t) {
  if (t.kind == TypeKind::Set)
    return std::string(t.dynamic ? "dynamic set of " : "set of ") +
           type_kind_name(t.elem);
  if (t.kind == TypeKind::Range)
    return "range of " + type_kind_name(t.elem);
  return type_kind_name(t.kind);
}

std::optional<IpAddr> parse_ip(const std::string &text) {
  IpAddr a;
  if (text.find(':') == std::string::npos) {
    in_addr v4{};
    if (inet_pton(AF_INET, text.c_str(), &v4) != 1)
      return std::nullopt;
    a.family = 4;
    std::memcpy(a.bytes.data(), &v4, 4);
    return a;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) != 1)
    return std::nullopt;
  a.family = 6;
  std::memcpy(a.bytes.data(), &v6, 16);
  return a;
}

std::string ip_to_string(const IpAddr &a) {
  char buf[INET6_ADDRSTRLEN] = {0};
  inet_ntop(a.family == 4 ? AF_INET : AF_INET6, a.bytes.data(), buf,
            sizeof buf);
  return buf;
}

std::optional<MacAddr> parse_mac(const std::string &text) {
  // Exactly six groups of two hex digits separated by ':'.
  if (text.size() != 17)
    return std::nullopt;
  MacAddr m;
  for (int i = 0; i < 6; ++i) {
    const char *p = text.c_str() + i * 3;
    if (!std::isxdigit(static_cast<unsigned char>(p[0])) ||
        !std::isxdigit(static_cast<unsigned char>(p[1])) ||
        (i < 5 && p[2] != ':'))
      return std::nullopt;
    m.bytes[i] =
        static_cast<uint8_t>(std::stoul(std::string(p, 2), nullptr, 16));
  }
  return m;
}

std::string duration_text(uint64_t ns) {
  struct Unit {
    uint64_t ns;
    const char *suffix;
  };
  static const Unit units[] = {{3600000000000ull, "h"},
                               {60000000000ull, "m"},
                               {1000000000ull, "s"},
                               {1000000ull, "ms"}};
  for (const auto &u : units)
    if (ns != 0 && ns % u.ns == 0)
      return std::to_string(ns / u.ns) + u.suffix;
  if (ns == 0)
    return "0s";
  return std::to_string(ns / 1000000ull) + "ms";
}

static std::string rate_to_string(const RateValue &r) {
  struct Unit {
    uint64_t scale;
    const char *suffix;
  };
  static const Unit units[] = {
      {1000000000ull, "G"}, {1000000ull, "M"}, {1000ull, "k"}};
  std::string num = std::to_string(r.per_second), prefix;
  for (const auto &u : units) {
    if (r.per_second != 0 && r.per_second % u.scale == 0) {
      num = std::to_string(r.per_second / u.scale);
      prefix = u.suffix;
      break;
    }
  }
  return num + prefix + (r.unit == RateValue::Unit::Bits ? "bit/s" : "/s");
}

static std::string named_or_number(const std::vector<NamedNumber> &table,
                                   uint8_t n) {
  for (const auto &e : table)
    if (e.number == n)
      return e.name;
  return std::to_string(n);
}

std::string value_to_string(const Value &v, const Type &t) {
  struct Printer {
    const Type &t;
    std::string operator()(std::monostate) const { return "<none>"; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(uint64_t n) const { return std::to_string(n); }
    std::string operator()(const IpAddr &a) const { return ip_to_string(a); }
    std::string operator()(const Cidr &c) const {
      return ip_to_string(c.addr) + "/" + std::to_string(c.prefix_len);
    }
    std::string operator()(const MacAddr &m) const {
      char buf[18];
      std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x",
                    m.bytes[0], m.bytes[1], m.bytes[2], m.bytes[3], m.bytes[4],
                    m.bytes[5]);
      return buf;
    }
    std::string operator()(const Duration &d) const {
      return duration_text(d.ns);
    }
    std::string operator()(const RateValue &r) const {
      return rate_to_string(r);
    }
    std::string operator()(const ProtoValue &p) const {
      for (const auto &e : proto_names())
        if (e.number == p.number)
          return e.name;
      return "proto(" + std::to_string(p.number) + ")";
    }
    std::string operator()(const IcmpTypeValue &i) const {
      return named_or_number(i.v6 ? icmp6_type_names() : icmp_type_names(),
                             i.number);
    }
    std::string operator()(const RangeValue &r) const {
      return std::to_string(r.lo) + ".." + std::to_string(r.hi);
    }
    std::string operator()(const SetValue &s) const {
      std::string out = "{ ";
      Type elem = Type::of(t.elem);
      for (size_t i = 0; i < s.elements.size(); ++i) {
        if (i)
          out += ", ";
        out += value_to_string(s.elements[i], elem);
      }
      return out + (s.elements.empty() ? "}" : " }");
    }
  };
  return std::visit(Printer{t}, v.v);
}

} // namespace psl
