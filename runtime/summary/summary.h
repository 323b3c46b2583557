// One window of traffic in numbers: the versioned contract between the
// tracing runtime (through snapshots), the analyzers, the API, the metrics
// and the web view. docs/summary.schema.json is its JSON form and
// docs/psd.md explains every member; summary_json.h writes it.
//
// Numbers and addresses only: nothing here holds packet bytes. The lists
// are ranked (most packets first) and bounded (SummaryOptions), so a
// summary stays small whatever the traffic.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "trace/snapshot.h"

namespace psr::summary {

// The "version" member of every summary. Bump it when a member changes
// meaning or goes away; adding members keeps it.
inline constexpr int kSchemaVersion = 1;

// How big the ranked lists may grow.
struct SummaryOptions {
  size_t top_talkers = 10; // sources, by packets in the window
  size_t top_fanout = 5;   // sources, by distinct destination ports, and
                           // by distinct destination addresses
  size_t max_rules = 64;   // per interface, most hits first
  size_t max_drops = 32;   // (reason, layer, protocol) rows
};

// A count in the window and its rate.
struct Count {
  uint64_t count = 0;
  double per_s = 0;
};

// Packets and bytes in the window and their rates (bps: bits per second).
struct Volume {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  double pps = 0;
  double bps = 0;
};

struct Window {
  uint64_t start_ns = 0; // CLOCK_MONOTONIC
  uint64_t end_ns = 0;
  uint64_t start_unix_ms = 0;
  uint64_t end_unix_ms = 0;
  double duration_s = 0;
};

// One traffic class along the funnel NIC -> XDP -> stack -> sockets.
struct ProtocolRates {
  std::string proto; // "ipv4/tcp", ... (proto_label), or "all"
  Volume nic, xdp_pass, xdp_drop;
  Count stack_rx, delivered, dropped, sent;
  // Received packets whose end no tracepoint reported (freed without a
  // drop reason or consume, as TCP does with pure ACKs).
  Count untracked;
};

struct DropRate {
  std::string reason; // the kernel's name: "NO_SOCKET"
  std::string layer;  // "ip", "tcp", "udp", "icmp", "socket", ...
  std::string proto;
  Count packets;
};

struct LayerDrops {
  std::string layer;
  Count packets;
};

// A destination port of the window's SYNs: the SYNs counted to it by the
// majority votes it led (trace::SynPort). A port that takes more than half
// of the SYNs shows here with most of them; with no such port the list
// holds whichever ports led the votes, with few SYNs each.
struct SynPortRate {
  uint16_t port = 0;
  Count syns;
};

struct TcpSummary {
  Count syn_received, synack_sent, syn_recv, established, passive_opens,
      active_opens, closed, resets_sent, resets_received, retransmits;
  // SYN-ACKs sent in the window that no accepted connection answered in
  // the window: max(0, synack_sent - passive_opens).
  uint64_t half_open_estimate = 0;
  std::vector<SynPortRate> syn_ports; // most SYNs first; nonzero only
};

struct IcmpError {
  uint8_t type = 0;
  uint8_t code = 0;
  Count sent;
};

// Stack time (netif_receive_skb to consume or free) of one protocol in the
// window. Buckets as in the snapshot: [lo_ns, hi_ns); only nonzero ones.
struct LatencyBucket {
  uint64_t lo_ns = 0;
  uint64_t hi_ns = 0;
  uint64_t count = 0;
};
struct LatencySummary {
  std::string proto;
  uint64_t count = 0;
  uint64_t sum_ns = 0;
  double mean_ns = 0;
  double p50_ns = 0; // estimates, interpolated inside a bucket
  double p99_ns = 0;
  std::vector<LatencyBucket> buckets;
};

struct ReflectionRate {
  uint16_t port = 0; // the UDP source port: 53, 123, 11211, 1900, 19
  Count packets;
};

// One source address and what it sent in the window.
struct Talker {
  std::string addr; // text: "198.51.100.7", "2001:db8::1"
  int family = 4;
  Volume traffic;
  Count tcp_syn, icmp_echo, udp, xdp_drop;
  // Of tcp_syn, icmp_echo and udp, what the policy dropped.
  Count tcp_syn_drop, icmp_echo_drop, udp_drop;
  std::vector<ReflectionRate> udp_reflection; // nonzero only
  // Estimates over the source's life in the table (not the window).
  uint32_t distinct_dports = 0;
  uint32_t distinct_daddrs = 0;
  double tracked_s = 0; // how long the tracer has tracked this source
};

// Every active source of the window together: the per-source counters
// summed over the whole table, not only `top`. A lower bound when the
// table churns (a source whose slot another takes over before a reading
// loses what it sent since the last one), as under a flood of random
// source addresses.
struct SourceTotals {
  Count tcp_syn, icmp_echo, udp, xdp_drop;
  Count tcp_syn_drop, icmp_echo_drop, udp_drop;
  std::vector<ReflectionRate> udp_reflection; // nonzero only
};

struct Talkers {
  uint64_t active_sources = 0; // sources that sent in the window
  uint64_t tracked_sources = 0;
  std::vector<Talker> top;    // by packets in the window
  Volume others;              // every active source not in `top`
  std::vector<Talker> fanout; // by distinct destination ports
  // By distinct destination addresses (at least 2): a horizontal scan
  // sends to one port of many addresses, so it is in neither list above.
  std::vector<Talker> fanout_addrs;
  SourceTotals all;
};

// A rule's hits in the window and in total.
struct RuleSummary {
  std::string name;
  std::string action;
  std::string origin; // "operator", "detector" or "llm"
  bool shadow = false;
  Count hits; // packets that matched
  uint64_t bytes = 0;
  uint64_t total_packets = 0;
  uint64_t total_bytes = 0;
  Count shadow_hits; // what a shadow rule would have decided
  uint64_t shadow_total = 0;
  std::optional<uint64_t> ttl_left_ms; // none: the rule does not expire
};

struct SetSummary {
  std::string name;
  std::string elem;
  uint64_t entries = 0;
  uint64_t capacity = 0;
  uint64_t ttl_ms = 0;
};

struct InterfaceSummary {
  std::string name;
  std::string policy;
  bool attached = false;
  uint32_t program_id = 0;
  std::string mode;
  size_t rules_total = 0; // rules in the policy; `rules` is the top of them
  std::vector<RuleSummary> rules;
  RuleSummary default_rule;
  std::vector<SetSummary> sets;
};

struct Summary {
  int version = kSchemaVersion;
  uint64_t seq = 0; // 1, 2, ... since psd started
  Window window;
  // Something about the window a reader should know: a counter went down
  // (the tracer restarted), the policy status could not be read, ...
  std::vector<std::string> notes;
  bool counters_reset = false;
  ProtocolRates totals;                 // proto "all"
  std::vector<ProtocolRates> protocols; // only protocols seen in the window
  std::vector<DropRate> drops;          // most packets first
  std::vector<LayerDrops> drop_layers;  // most packets first
  TcpSummary tcp;
  Count udp_rcvbuf_errors;
  Count socket_rcvqueue_full;
  std::vector<IcmpError> icmp_errors;
  std::vector<LatencySummary> latency; // only protocols with samples
  Talkers talkers;
  std::vector<InterfaceSummary> interfaces;
  std::vector<trace::HookStatus> hooks;
  Count ring_lost;
};

} // namespace psr::summary
