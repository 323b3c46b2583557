// The packet fields PSL knows: one table used by name resolution, type
// checking, lint, code generation and the interpreter, so a field is
// defined once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ast/value.h"

namespace psl {

// The protocol a field implies. Using a field implies its guard: the
// condition is false for packets without that layer, and `not` never
// negates the guard.
enum class Guard : uint8_t {
  None,  // always present (eth.*, pkt.len)
  Vlan,  // an 802.1Q/802.1ad tag is present
  Ip,    // IPv4 or IPv6
  Ip6,   // IPv6 only
  Ip6Rh, // IPv6 with a routing header
  Tcp,   // ip.proto == tcp (first fragment or unfragmented)
  Udp,   // ip.proto == udp
  L4,    // TCP or UDP
  Icmp,  // IPv4 and ip.proto == icmp
  Icmp6, // IPv6 and ip.proto == icmpv6
};
const char *guard_name(Guard g); // "tcp", "udp", "tcp or udp", ...

enum class FieldId : uint8_t {
#define PSL_FIELD(id, name, type, bits, guard, doc) id,
#include "ast/fields.def"
#undef PSL_FIELD
};

struct FieldInfo {
  FieldId id;
  const char *name; // "tcp.dport"
  TypeKind type;    // Bool, Int, Ip, Mac, Port, Proto, IcmpType, Icmp6Type
  uint8_t bits;     // width for Int fields (values must fit); 0 otherwise
  Guard guard;
  const char *doc; // one line for docs and --help
};

const std::vector<FieldInfo> &all_fields();
const FieldInfo *find_field(std::string_view name);
const FieldInfo &field_info(FieldId id);
// Largest value a scalar of `type` can hold: Bool, Int of `bits` bits,
// Port, Proto, ICMP types; 0 for addresses. constexpr: the lint builds its
// table of dimension bounds from it at compile time.
constexpr uint64_t scalar_max(TypeKind type, unsigned bits) {
  switch (type) {
  case TypeKind::Bool:
    return 1;
  case TypeKind::Port:
    return 0xffff;
  case TypeKind::Proto:
  case TypeKind::IcmpType:
  case TypeKind::Icmp6Type:
    return 0xff;
  case TypeKind::Int:
    return bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  default:
    return 0;
  }
}
// Largest value an Int/Port/Proto/ICMP-type field can hold.
inline uint64_t field_max(const FieldInfo &f) {
  return scalar_max(f.type, f.bits);
}

// Protocol and ICMP type names.
struct NamedNumber {
  const char *name;
  uint8_t number;
};
const std::vector<NamedNumber> &proto_names();      // tcp=6, udp=17, ...
const std::vector<NamedNumber> &icmp_type_names();  // ICMPv4
const std::vector<NamedNumber> &icmp6_type_names(); // ICMPv6
const NamedNumber *find_named(const std::vector<NamedNumber> &table,
                              std::string_view name);

} // namespace psl
