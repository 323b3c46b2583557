#include "trace/snapshot.h"

#include "pso_abi.h"

namespace psr::trace {

static_assert(kProtoCount == PSO_PROTO_COUNT,
              "Proto and enum pso_proto must list the same classes");
static_assert(kLatencyBuckets == PSO_LAT_BUCKETS,
              "StackLatency and struct pso_latency must agree");
static_assert(static_cast<int>(Proto::Ipv6Icmp) == PSO_PROTO_IPV6_ICMP,
              "Proto and enum pso_proto must agree");

const char *proto_name(Proto p) {
  switch (p) {
  case Proto::Other:
    return "other";
  case Proto::Ipv4Tcp:
    return "ipv4/tcp";
  case Proto::Ipv4Udp:
    return "ipv4/udp";
  case Proto::Ipv4Icmp:
    return "ipv4/icmp";
  case Proto::Ipv4Other:
    return "ipv4/other";
  case Proto::Ipv6Tcp:
    return "ipv6/tcp";
  case Proto::Ipv6Udp:
    return "ipv6/udp";
  case Proto::Ipv6Icmp:
    return "ipv6/icmp";
  case Proto::Ipv6Other:
    return "ipv6/other";
  }
  return "other";
}

} // namespace psr::trace
