#include "ast/fields.h"

#include <unordered_map>

#include "diag/diagnostics.h"

namespace psl {

const char *guard_name(Guard g) {
  switch (g) {
  case Guard::None:
    return "any packet";
  case Guard::Vlan:
    return "vlan";
  case Guard::Ip:
    return "ip";
  case Guard::Ip6:
    return "ipv6";
  case Guard::Ip6Rh:
    return "ipv6 with a routing header";
  case Guard::Tcp:
    return "tcp";
  case Guard::Udp:
    return "udp";
  case Guard::L4:
    return "tcp or udp";
  case Guard::Icmp:
    return "icmp";
  case Guard::Icmp6:
    return "icmpv6";
  }
  return "?";
}

const std::vector<FieldInfo> &all_fields() {
  static const std::vector<FieldInfo> fields = {
#define PSL_FIELD(id, name, type, bits, guard, doc)                            \
  FieldInfo{FieldId::id, name, TypeKind::type, bits, Guard::guard, doc},
#include "ast/fields.def"
#undef PSL_FIELD
  };
  return fields;
}

const FieldInfo *find_field(std::string_view name) {
  static const auto index = [] {
    std::unordered_map<std::string_view, const FieldInfo *> m;
    for (const auto &f : all_fields())
      m.emplace(f.name, &f);
    return m;
  }();
  auto it = index.find(name);
  return it == index.end() ? nullptr : it->second;
}

const FieldInfo &field_info(FieldId id) {
  const auto &fields = all_fields();
  auto i = static_cast<size_t>(id);
  if (i >= fields.size())
    throw InternalError("field id out of range");
  return fields[i];
}

const std::vector<NamedNumber> &proto_names() {
  static const std::vector<NamedNumber> t = {
      {"icmp", 1}, {"tcp", 6}, {"udp", 17},    {"gre", 47},
      {"esp", 50}, {"ah", 51}, {"icmpv6", 58}, {"sctp", 132},
  };
  return t;
}

const std::vector<NamedNumber> &icmp_type_names() {
  static const std::vector<NamedNumber> t = {
      {"echo_reply", 0},           {"dest_unreachable", 3},
      {"source_quench", 4},        {"redirect", 5},
      {"echo_request", 8},         {"router_advertisement", 9},
      {"router_solicitation", 10}, {"time_exceeded", 11},
      {"parameter_problem", 12},   {"timestamp_request", 13},
      {"timestamp_reply", 14},
  };
  return t;
}

const std::vector<NamedNumber> &icmp6_type_names() {
  static const std::vector<NamedNumber> t = {
      {"dest_unreachable", 1},
      {"packet_too_big", 2},
      {"time_exceeded", 3},
      {"parameter_problem", 4},
      {"echo_request", 128},
      {"echo_reply", 129},
      {"mld_query", 130},
      {"mld_report", 131},
      {"mld_done", 132},
      {"router_solicitation", 133},
      {"router_advertisement", 134},
      {"neighbor_solicitation", 135},
      {"neighbor_advertisement", 136},
      {"redirect", 137},
      {"mld2_report", 143},
  };
  return t;
}

const NamedNumber *find_named(const std::vector<NamedNumber> &table,
                              std::string_view name) {
  for (const auto &n : table)
    if (name == n.name)
      return &n;
  return nullptr;
}

} // namespace psl
