// Values and types of PSL. Shared by the passes, the backend and the
// reference interpreter, so it knows nothing of syntax.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace psl {

enum class TypeKind : uint8_t {
  Error, // a value whose type could not be determined; never reported twice
  Bool,
  Int,
  Ip,   // one type for both families
  Cidr, // a prefix; `ip in cidr`
  Mac,
  Port,
  Proto,
  IcmpType,  // ICMPv4 type names
  Icmp6Type, // ICMPv6 type names (a distinct type)
  Duration,
  Rate,      // a literal rate: 100/s, 10Mbit/s
  RateMeter, // the value of rate(KEY...): only `> RATE` / `>= RATE`
  Range,     // lo..hi of Int/Port
  Set,       // { ... } or a dynamic set
};

struct Type {
  TypeKind kind = TypeKind::Error;
  // For Set and Range: the element type (Ip covers ip and cidr elements).
  TypeKind elem = TypeKind::Error;
  // For a Set: true when it is a dynamic set (filled at run time).
  bool dynamic = false;

  static Type of(TypeKind k) { return Type{k, TypeKind::Error, false}; }
  static Type set_of(TypeKind e, bool dyn = false) {
    return Type{TypeKind::Set, e, dyn};
  }
  bool is_error() const { return kind == TypeKind::Error; }
  bool operator==(const Type &o) const {
    return kind == o.kind && elem == o.elem && dynamic == o.dynamic;
  }
  bool operator!=(const Type &o) const { return !(*this == o); }
};

// "int", "ip", "set of port", ... as users write them in messages.
std::string type_name(const Type &t);
std::string type_kind_name(TypeKind k);

struct IpAddr {
  uint8_t family = 4;              // 4 or 6
  std::array<uint8_t, 16> bytes{}; // network order; IPv4 in bytes[0..3]
  bool operator==(const IpAddr &o) const {
    return family == o.family && bytes == o.bytes;
  }
};
struct Cidr {
  IpAddr addr;
  uint8_t prefix_len = 0; // 0..32 or 0..128
  bool operator==(const Cidr &o) const {
    return addr == o.addr && prefix_len == o.prefix_len;
  }
};
struct MacAddr {
  std::array<uint8_t, 6> bytes{};
  bool operator==(const MacAddr &o) const { return bytes == o.bytes; }
};
struct Duration {
  uint64_t ns = 0;
  bool operator==(const Duration &o) const { return ns == o.ns; }
};
struct RateValue {
  enum class Unit : uint8_t { Packets, Bits } unit = Unit::Packets;
  uint64_t per_second = 0; // packets/s or bits/s
  bool operator==(const RateValue &o) const {
    return unit == o.unit && per_second == o.per_second;
  }
};
struct ProtoValue {
  uint8_t number = 0;
  bool operator==(const ProtoValue &o) const { return number == o.number; }
};
struct IcmpTypeValue {
  bool v6 = false;
  uint8_t number = 0;
  bool operator==(const IcmpTypeValue &o) const {
    return v6 == o.v6 && number == o.number;
  }
};
struct RangeValue {
  uint64_t lo = 0, hi = 0; // inclusive
  bool operator==(const RangeValue &o) const {
    return lo == o.lo && hi == o.hi;
  }
};

struct Value;
struct SetValue {
  // Elements in source order (duplicates kept; consumers normalise).
  // Each element is a scalar Value or a RangeValue.
  std::vector<Value> elements;
  bool operator==(const SetValue &o) const;
};

// A constant. Int-like values (Int, Port, Proto's number, ICMP types) keep
// their natural representation; the Type says how to read them.
struct Value {
  std::variant<std::monostate, bool, uint64_t, IpAddr, Cidr, MacAddr, Duration,
               RateValue, ProtoValue, IcmpTypeValue, RangeValue, SetValue>
      v;
  bool operator==(const Value &o) const { return v == o.v; }
  bool operator!=(const Value &o) const { return !(v == o.v); }
};

inline bool SetValue::operator==(const SetValue &o) const {
  return elements == o.elements;
}

// Canonical text of a value, as fmt would print it ("10.0.0.0/8", "100/s").
std::string value_to_string(const Value &v, const Type &t);

// A duration as PSL writes it, in the largest unit that divides it ("10m",
// "90s", "1500ms"; "0s"); below a millisecond it is cut to whole ms.
std::string duration_text(uint64_t ns);

// Parsing helpers shared by the frontend and the test-packet builder.
std::optional<IpAddr> parse_ip(const std::string &text);
std::optional<MacAddr> parse_mac(const std::string &text);
std::string ip_to_string(const IpAddr &a);

} // namespace psl
