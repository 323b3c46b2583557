#include "govern/protected_addresses.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <sstream>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include "driver.h"
#include "frontend/literals.h"
#include "policy/files.h"

namespace psr::govern {

namespace {

std::string ntop(int family, const void *addr) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (::inet_ntop(family, addr, buf, sizeof buf) == nullptr)
    return {};
  return buf;
}

bool hex_bytes(const std::string &hex, uint8_t *out, size_t n) {
  if (hex.size() != 2 * n)
    return false;
  for (size_t i = 0; i < n; ++i) {
    char pair[3] = {hex[2 * i], hex[2 * i + 1], 0};
    char *end = nullptr;
    const unsigned long v = std::strtoul(pair, &end, 16);
    if (end != pair + 2)
      return false;
    out[i] = static_cast<uint8_t>(v);
  }
  return true;
}

} // namespace

std::vector<std::string> ipv4_default_gateways(const std::string &route) {
  // Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT;
  // addresses are the in_addr's 32 bits as a host-order number in hex.
  constexpr unsigned long kRtfUp = 0x1, kRtfGateway = 0x2;
  std::vector<std::string> out;
  std::istringstream in(route);
  std::string line;
  std::getline(in, line); // the header
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string ifname, dest, gw, flags, refcnt, use, metric, mask;
    if (!(f >> ifname >> dest >> gw >> flags >> refcnt >> use >> metric >>
          mask))
      continue;
    const unsigned long fl = std::strtoul(flags.c_str(), nullptr, 16);
    if (std::strtoul(dest.c_str(), nullptr, 16) != 0 ||
        std::strtoul(mask.c_str(), nullptr, 16) != 0 || !(fl & kRtfUp) ||
        !(fl & kRtfGateway))
      continue;
    in_addr a{};
    a.s_addr = static_cast<uint32_t>(std::strtoul(gw.c_str(), nullptr, 16));
    if (a.s_addr != 0)
      out.push_back(ntop(AF_INET, &a));
  }
  return out;
}

std::vector<std::string> ipv6_default_gateways(const std::string &ipv6_route) {
  // dest plen src plen nexthop metric refcnt use flags iface, in hex.
  std::vector<std::string> out;
  std::istringstream in(ipv6_route);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string dest, dplen, src, splen, hop;
    if (!(f >> dest >> dplen >> src >> splen >> hop))
      continue;
    if (dplen != "00" || dest != std::string(32, '0'))
      continue;
    in6_addr a{};
    if (!hex_bytes(hop, a.s6_addr, 16) || IN6_IS_ADDR_UNSPECIFIED(&a))
      continue;
    out.push_back(ntop(AF_INET6, &a));
  }
  return out;
}

be::Expected<HostAddresses> NetnsAddressSource::discover() {
  HostAddresses h;
  ifaddrs *list = nullptr;
  if (::getifaddrs(&list) != 0)
    return be::errno_error("cannot list the interfaces' addresses", errno);
  for (ifaddrs *i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr)
      continue;
    if (i->ifa_addr->sa_family == AF_INET)
      h.addresses.push_back(ntop(
          AF_INET, &reinterpret_cast<sockaddr_in *>(i->ifa_addr)->sin_addr));
    else if (i->ifa_addr->sa_family == AF_INET6)
      h.addresses.push_back(ntop(
          AF_INET6, &reinterpret_cast<sockaddr_in6 *>(i->ifa_addr)->sin6_addr));
  }
  ::freeifaddrs(list);
  // The thread's namespace (setns is per thread; /proc/net is the
  // process's).
  if (auto route = policy::read_file("/proc/thread-self/net/route"))
    h.gateways = ipv4_default_gateways(*route);
  if (auto route6 = policy::read_file("/proc/thread-self/net/ipv6_route"))
    for (std::string &g : ipv6_default_gateways(*route6))
      h.gateways.push_back(std::move(g));
  return h;
}

be::Status check_management(const std::vector<std::string> &entries) {
  for (const std::string &e : entries) {
    psl::frontend::LiteralResult r = psl::frontend::parse_ip_literal(e);
    if (!r.ok())
      return be::Error("management address '" + e + "': " + r.error);
    // One literal: the checker has the last word (a prefix's host bits).
    psl::CheckedModule m = psl::check_source(
        "management",
        "policy management {\n  protect ip.src in { " + e + " }\n}\n");
    for (const psl::Diagnostic &d : m.diags.diagnostics())
      if (d.severity == psl::Severity::Error)
        return be::Error("management address '" + e + "': " + d.message);
  }
  return be::Status::success();
}

std::string protect_declarations(const ProtectedAddresses &p) {
  std::string out;
  auto add = [&](const char *what, const std::vector<std::string> &list) {
    std::set<std::string> unique;
    for (const std::string &a : list)
      if (!a.empty())
        unique.insert(a);
    if (unique.empty())
      return;
    std::string set;
    for (const std::string &a : unique)
      set += (set.empty() ? "" : ", ") + a;
    out += std::string("  # governor: ") + what + "\n  protect ip.src in { " +
           set + " }\n";
  };
  add("management addresses", p.management);
  add("the default gateways", p.host.gateways);
  add("this host's own addresses", p.host.addresses);
  return out;
}

} // namespace psr::govern
