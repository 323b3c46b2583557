// The kernel's drop reasons by name, read from the running kernel's BTF
// (`enum skb_drop_reason`), never from a table compiled in: the values
// change between kernel versions.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "backend/status.h"

namespace psr::trace {

// The layer a drop reason belongs to, derived from its name (first rule
// that applies; docs/tracing.md):
//   TCP_*                                         -> "tcp"
//   UDP_*                                         -> "udp"
//   ICMP*                                         -> "icmp"
//   NO_SOCKET, SOCKET_*, PROTO_MEM, UNIX_*,
//   PACKET_SOCK_ERROR                             -> "socket"
//   NETFILTER*                                    -> "netfilter"
//   XDP                                           -> "xdp"
//   IP_*, IPV6*, OTHERHOST, PKT_TOO_SMALL,
//   PKT_TOO_BIG, DUP_FRAG, FRAG_*, XFRM_*,
//   UNICAST_IN_L2_MULTICAST                       -> "ip"
//   anything else                                 -> "core"
std::string drop_reason_layer(const std::string &name);

class DropReasons {
public:
  // Reads `enum skb_drop_reason` from the kernel's BTF (or from the BTF
  // file `btf_path`, for tests). Error when the kernel has no BTF or no
  // such enum.
  static psl::backend::Expected<DropReasons>
  load(const std::string &btf_path = {});
  // From known pairs (tests).
  static DropReasons from(std::map<uint32_t, std::string> names);

  // The constant's name without SKB_DROP_REASON_ ("NO_SOCKET"); a value
  // the enum lacks (a subsystem's reason) as "UNKNOWN_<value>".
  std::string name(uint32_t reason) const;
  size_t size() const { return names_.size(); }

private:
  std::map<uint32_t, std::string> names_;
};

} // namespace psr::trace
