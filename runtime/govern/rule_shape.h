// The governor's shape rule for generated drops: no rule that drops every
// packet or a whole protocol unless a `rate()` bounds it. Judged on the
// set of packets the condition matches (compiler/analysis/:
// the lint's algebra), never on its text, so `ip.proto == udp`,
// `udp.len > 0`, `not (ip.src == 203.0.113.7)` and `tcp.syn or true` are
// all seen for what they match.
//
// The condition, as a union of boxes, is acceptable when every box
//   - holds a rate() comparison that must be over its rate, or
//   - narrows an address field to at most a /8 (IPv4) or a /32 (IPv6),
//     a MAC address field to at most 2^24 addresses, or a port field to
//     at most 1,024 ports.
// A box that does neither drops every packet (when it does not even fix
// the protocol) or a whole protocol (TCP with SYN, ICMP echo requests,
// UDP longer than 512 bytes: flags, types, lengths and TTLs narrow
// nothing that an attacker cannot vary at will).
#pragma once

#include <string>

#include "ast/ast.h"

namespace psr::govern {

enum class Shape { Narrow, DropsEverything, WholeProtocol, TooComplex };

struct ShapeFinding {
  Shape shape = Shape::Narrow;
  std::string example; // a packet of the offending box ("tcp.syn = 1, ...")
};

// `rule` is typed and folded (checked without errors).
ShapeFinding drop_shape(const psl::RuleDecl &rule);

} // namespace psr::govern
