// The one converter from literal values to points of the condition space
// (space.h): what a constant stands for when a field is compared with it.
// The lint's condition builder and the lowering both read constants
// through it, so `10.0.0.0/8`, `1024..65535` or `{ echo_request, 8 }`
// mean the same set of points to both.
#pragma once

#include "analysis/interval_set.h"
#include "ast/value.h"

namespace psl::analysis {

// An IPv4 address as a 32-bit point, an IPv6 address as a 128-bit one.
Point ip_point(const IpAddr &a);

// A number, protocol, ICMP type or bool as an unsigned value.
std::optional<uint64_t> literal_uint(const Value &v);

// The points of a literal: its addresses and prefixes by family (IPv4 in
// 32 bits, IPv6 in 128 bits), and everything else (numbers, names, bools,
// MAC addresses, ranges) in `other`, clipped to [0, max] (a value past a
// field's width matches nothing). A set contributes each of its elements.
struct LiteralPoints {
  IntervalSet v4, v6, other;
  bool addresses = false; // the literal had an address or prefix
  bool scalars = false;   // ... and something else (numbers, MACs, ...)
};

// False when the value, or an element of a set, has no points (a string,
// a rate, a duration).
bool literal_points(const Value &v, Point max, LiteralPoints &out);

} // namespace psl::analysis
