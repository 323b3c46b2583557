// Builds a real Ethernet frame from the fields a test packet sets
// (`packet { field = value, ... }`), then decodes it with the kernel's
// parser (psl_parse_buffer) and checks that every field decodes to the
// value asked for: a frame that would not mean what the test says is an
// error shown to the user, never a silent surprise.
//
// What the fields make (the layers follow from the fields' guards):
//
//   Ethernet   src 02:00:00:00:00:01, dst 02:00:00:00:00:02. eth.type picks
//              the EtherType: 0x0800 / 0x86dd (IP), anything else a non-IP
//              frame (0x0806 gets a real ARP request). Without eth.type the
//              frame is IP.
//   802.1Q     one tag (PCP 0) when vlan.id is set.
//   IP family  from ip.version, the addresses given, or the fields that
//              need one (icmp.* → IPv4; icmp6.*, ip6.* → IPv6); IPv4 when
//              nothing says. Defaults: 192.0.2.1 → 192.0.2.2 and
//              2001:db8::1 → 2001:db8::2, ttl (hop limit) 64, tos 0.
//   transport  ip.proto if given, else from the fields: tcp.* → TCP,
//              udp.* → UDP, icmp.* → ICMP, icmp6.* → ICMPv6, l4.* → TCP
//              (UDP when a udp.* field is given). No transport field and no
//              ip.proto: protocol 253 (RFC 3692 experimentation), so no
//              TCP/UDP/ICMP rule sees the packet by accident.
//              TCP: ports 40000 → 80, no flags unless set, window 64240.
//              UDP: ports 40000 → 53, no payload unless a length asks.
//              ICMP/ICMPv6: echo_request, code 0, 8-byte header.
//   fragments  ip.frag / ip.frag_off (bytes, a multiple of 8): IPv4 MF and
//              offset (MF set on a first fragment, clear otherwise); IPv6 a
//              fragment header. A non-first fragment carries no transport
//              header, so transport fields with ip.frag_off > 0 are errors.
//   IPv6 ext.  ip6.hbh → hop-by-hop header (first); ip6.rh_type → routing
//              header of that type (one address, segments left 0);
//              ip6.ext_count → destination-options headers added (before
//              the routing and fragment headers) up to that count.
//   lengths    ip.len grows the payload to that length (IPv6: payload + 40);
//              udp.len sets the UDP length (payload = udp.len - 8); pkt.len
//              pads the frame (and, without ip.len or udp.len, grows the IP
//              payload to fill it). Without pkt.len a frame shorter than
//              the Ethernet minimum is padded to 60 bytes (after the IP
//              datagram, where the decoder ignores it).
//   checksums  IPv4 header, TCP, UDP, ICMP and ICMPv6 checksums are valid
//              (not for fragments), so frames can also be sent for real.
//
// Impossible combinations ("cannot build a packet with ip.len = 10: ...")
// are errors naming the field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ast/ast.h"
#include "ast/fields.h"
#include "ast/value.h"

namespace psl::interp {

// One `field = value` of a test packet. `value` is the checked constant
// (Expr::constant after type checking: a port is a uint64_t, an ICMP type
// an IcmpTypeValue, ...). `spelling` is how the value reads in messages
// (as written in the source if known); `range` points at the assignment.
struct FieldAssign {
  const FieldInfo *field = nullptr;
  Value value;
  std::string spelling;
  SourceRange range;
};

struct BuildError {
  std::string message; // "cannot build a packet with ip.len = 10: ..."
  SourceRange range;   // the field that cannot be had (or the packet)
};

struct BuiltPacket {
  std::vector<uint8_t> frame; // empty when error is set
  std::optional<BuildError> error;
  bool ok() const { return !error; }
};

BuiltPacket build_packet(const std::vector<FieldAssign> &fields);
// The assignments of a checked test packet.
std::vector<FieldAssign> packet_fields(const TestPacket &packet);
BuiltPacket build_packet(const TestPacket &packet);

// Convenience for tests and tools: {"tcp.dport", Value{uint64_t{22}}}, ...
// Field names must exist (InternalError otherwise).
std::vector<FieldAssign>
fields_of(const std::vector<std::pair<std::string, Value>> &assignments);

} // namespace psl::interp
