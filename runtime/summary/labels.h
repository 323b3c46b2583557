// How summaries, metrics and the API spell protocols and addresses.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "trace/snapshot.h"

namespace psr::summary {

// "other", "ipv4/tcp", "ipv4/udp", "ipv4/icmp", "ipv4/other", "ipv6/tcp",
// ... as trace::proto_name documents them.
const char *proto_label(trace::Proto proto);
// The inverse of proto_label; none for an unknown label.
std::optional<trace::Proto> proto_from_label(std::string_view label);

// A 16-byte address as the tracer stores it. IPv4 (family 4) is
// ::ffff:a.b.c.d as struct psl_ip_key keeps it; a family-4 address held
// in its first four bytes is accepted too.
using Address = std::array<uint8_t, 16>;

// The canonical 16-byte form: IPv4 as ::ffff:a.b.c.d.
Address normalize_address(const Address &addr, uint8_t family);
// "198.51.100.7" or "2001:db8::1" (inet_ntop).
std::string format_address(const Address &addr, uint8_t family);
// Parses IPv4 or IPv6 text into the canonical form; none if it is neither.
std::optional<Address> parse_address(std::string_view text,
                                     uint8_t *family = nullptr);

} // namespace psr::summary
