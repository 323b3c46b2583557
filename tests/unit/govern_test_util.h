// What the governor's unit tests share: an operator policy like psd's
// default, and generated rules made by hand.
#pragma once

#include <string>

#include "govern/generated_rule.h"

namespace govern_test {

// An operator policy like psd's default: protects (the SSH path, from
// anywhere; a trusted network), dynamic sets that drop rules use, a web
// `pass`, a drop of its own.
inline const char *const kOperator = R"(# the operator's policy
policy edge {
  const mgmt_ports = { 22 }
  const web = { 80, 443 }
  const trusted = { 198.51.100.240/28 }
  protect tcp.dport in mgmt_ports
  protect ip.src in trusted

  set blocked : ip dynamic ttl 10m capacity 1024
  set dst_blocked : ip dynamic ttl 10m capacity 1024
  set watch : ip dynamic ttl 10m capacity 1024
  set forever : ip dynamic capacity 1024

  # SSH first.
  rule management: tcp.dport in mgmt_ports => pass
  rule allow_web: tcp.dport in web and tcp.syn and not tcp.ack => pass
  rule drop_blocked: ip.src in blocked => drop
  rule drop_dst: ip.dst in dst_blocked => drop
  rule watch_only: ip.src in watch => drop shadow
  rule drop_forever: ip.src in forever => drop
  rule telnet: tcp.dport == 23 => drop
  default pass
}
)";

inline psr::govern::GeneratedRule
make_rule(const std::string &name, const std::string &cond,
          psr::govern::RuleMode mode = psr::govern::RuleMode::Enforce) {
  psr::govern::GeneratedRule g;
  g.name = name;
  g.origin = psr::analyze::Origin::Detector;
  g.action = "drop";
  g.ttl_ns = 600000000000ull;
  g.condition = cond;
  g.ttl_text = "10m";
  g.mode = mode;
  return g;
}

} // namespace govern_test
