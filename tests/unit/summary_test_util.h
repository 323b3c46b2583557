// Snapshots and policy views built by hand for the summary, API and psd
// tests: a fixed clock and counters that tests advance.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "summary/builder.h"
#include "summary/labels.h"
#include "trace/snapshot.h"

namespace psr::summary::testing {

inline constexpr uint64_t kSecond = 1'000'000'000;

inline trace::Snapshot snapshot_at(uint64_t ns, uint64_t unix_ms) {
  trace::Snapshot s;
  s.taken_ns = ns;
  s.taken_unix_ms = unix_ms;
  return s;
}

inline trace::Funnel &funnel(trace::Snapshot &s, trace::Proto p) {
  return s.funnel[static_cast<size_t>(p)];
}

// By default first seen just after a reading at kSecond: a source that is
// only in a later reading is new since that one.
inline trace::SourceStats source(const std::string &addr, uint64_t packets,
                                 uint64_t first_seen_ns = kSecond + 1) {
  trace::SourceStats s;
  uint8_t family = 0;
  auto a = parse_address(addr, &family);
  if (a)
    s.addr = *a;
  s.family = family;
  s.first_seen_ns = first_seen_ns;
  s.last_seen_ns = first_seen_ns;
  s.packets = packets;
  s.bytes = packets * 100;
  return s;
}

inline RuleView rule(const std::string &name, const std::string &action,
                     uint64_t packets) {
  RuleView r;
  r.name = name;
  r.action = action;
  r.packets = packets;
  r.bytes = packets * 100;
  return r;
}

inline PolicyView policy(const std::string &iface, const std::string &name,
                         std::vector<RuleView> rules) {
  PolicyView p;
  p.iface = iface;
  p.policy = name;
  p.attached = true;
  p.program_id = 42;
  p.mode = "native";
  p.rules = std::move(rules);
  p.default_rule.name = "default";
  p.default_rule.action = "pass";
  return p;
}

// A busy snapshot that exercises every member of the summary.
inline Observation busy_observation(uint64_t ns, uint64_t unix_ms,
                                    uint64_t scale) {
  Observation o;
  trace::Snapshot &s = o.snapshot;
  s = snapshot_at(ns, unix_ms);
  auto &icmp = funnel(s, trace::Proto::Ipv4Icmp);
  icmp.nic = {1000 * scale, 84000 * scale};
  icmp.xdp_pass = {100 * scale, 8400 * scale};
  icmp.xdp_drop = {900 * scale, 75600 * scale};
  icmp.stack_rx = 100 * scale;
  icmp.delivered = 100 * scale;
  icmp.sent = 100 * scale;
  auto &tcp6 = funnel(s, trace::Proto::Ipv6Tcp);
  tcp6.nic = {50 * scale, 5000 * scale};
  tcp6.xdp_pass = tcp6.nic;
  tcp6.stack_rx = 50 * scale;
  tcp6.delivered = 40 * scale;
  tcp6.dropped = 10 * scale;
  tcp6.untracked = 5 * scale;
  s.drops.push_back(
      {2, "NO_SOCKET", "socket", trace::Proto::Ipv6Tcp, 10 * scale});
  s.tcp.syn_received = 20 * scale;
  s.tcp.synack_sent = 10 * scale;
  s.tcp.syn_recv = 8 * scale;
  s.tcp.passive_opens = 5 * scale;
  s.tcp.established = 5 * scale;
  s.tcp.resets_sent = 10 * scale;
  s.tcp.retransmits = scale;
  s.icmp_sent.push_back({3, 3, 7 * scale});
  auto &lat = s.latency[static_cast<size_t>(trace::Proto::Ipv4Icmp)];
  lat.buckets[10] = 90 * scale; // [1024, 2048) ns
  lat.buckets[12] = 10 * scale; // [4096, 8192) ns
  lat.count = 100 * scale;
  lat.sum_ns = 150'000 * scale;
  trace::SourceStats flood = source("198.51.100.7", 1000 * scale);
  flood.icmp_echo = 1000 * scale;
  flood.xdp_drop = 900 * scale;
  flood.distinct_daddrs = 1;
  flood.distinct_dports = 1;
  s.sources.push_back(flood);
  trace::SourceStats scan = source("2001:db8::9", 50 * scale);
  scan.tcp_syn = 50 * scale;
  scan.distinct_dports = 50;
  scan.distinct_daddrs = 1;
  scan.udp_reflection[1] = scale; // NTP
  s.sources.push_back(scan);
  s.hooks.push_back({"xdp", "xdp", "", ""});
  s.hooks.push_back({"skb:kfree_skb", "tp_btf", "", ""});
  s.hooks.push_back(
      {"tcp:tcp_retransmit_skb", "", "not in this kernel", "no BTF for it"});

  RuleView flood_rule = rule("icmp_flood", "drop", 900 * scale);
  flood_rule.origin = "detector";
  flood_rule.expires_ns = ns + 600 * kSecond;
  RuleView shadow = rule("frag", "drop", 0);
  shadow.shadow = true;
  shadow.shadow_packets = 3 * scale;
  o.policies.push_back(policy(
      "eth0", "edge", {rule("mgmt", "pass", 5 * scale), flood_rule, shadow}));
  o.policies.back().default_rule.packets = 145 * scale;
  o.policies.back().sets.push_back({"blocked", "ip", 3, 65536, 600000});
  return o;
}

} // namespace psr::summary::testing
