// Addresses no generated rule may drop, besides the operator policy's
// `protect`: the management addresses of the configuration, the default
// gateways and the host's own addresses. The last two are discovered in
// the target's network namespace through a small interface, so the
// governor's tests give fixed ones and psd the real ones.
//
// All three become `protect ip.src in { ... }` declarations, added as text
// to what the frontend checks (governor.h): the compiler's own protect
// check (E0401) then judges generated rules against them. Traffic *from*
// these addresses is what a drop at XDP could cut (the host's own
// addresses as a source: spoofed or looped-back packets, which a rule
// dropping them would hardly mean).
#pragma once

#include <string>
#include <vector>

#include "backend/status.h"

namespace psr::govern {

namespace be = psl::backend;

struct HostAddresses {
  std::vector<std::string> addresses; // of every interface, v4 and v6
  std::vector<std::string> gateways;  // of the default routes, v4 and v6
};

class HostAddressSource {
public:
  virtual ~HostAddressSource() = default;
  virtual be::Expected<HostAddresses> discover() = 0;
};

// The calling thread's network namespace: getifaddrs() (a netlink dump in
// that namespace) and /proc/thread-self/net/route and ipv6_route (the
// thread's namespace, not the process's).
class NetnsAddressSource final : public HostAddressSource {
public:
  be::Expected<HostAddresses> discover() override;
};

// The gateways of the default routes in /proc/net/route's text (IPv4) and
// /proc/net/ipv6_route's (IPv6).
std::vector<std::string> ipv4_default_gateways(const std::string &route);
std::vector<std::string> ipv6_default_gateways(const std::string &ipv6_route);

// Each entry an address or a prefix as PSL writes them ("192.0.2.5",
// "10.0.0.0/8", "2001:db8::/32"); the error names the first that is not.
be::Status check_management(const std::vector<std::string> &entries);

struct ProtectedAddresses {
  std::vector<std::string> management;
  HostAddresses host;
};

// The governor's protect declarations, one per kind that has entries,
// each on its own line after a comment saying where it comes from:
//   # governor: the default gateways
//   protect ip.src in { 192.0.2.254 }
// Entries are sorted and deduplicated, so the text is the same for the
// same addresses.
std::string protect_declarations(const ProtectedAddresses &p);

} // namespace psr::govern
