// What the tracing runtime reads out of the kernel at one instant: every
// counter since the programs were loaded (monotonic, never reset), plus the
// per-source table. The summary builder (runtime/summary/) turns two
// snapshots into one window's rates; nothing downstream reads BPF maps.
//
// This is the contract between runtime/trace (which fills it) and
// runtime/summary, the analyzers, the API and the web view (which read
// summaries built from it). Extend it by adding members; keep the meaning
// of the existing ones.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace psr::trace {

// Traffic classes: the funnel, rates and histograms are kept per class.
// IPv4 and IPv6 apart, then the transport. ICMPv6 counts as Icmp6.
enum class Proto : uint8_t {
  Other = 0, // not IP (ARP, LLDP, ...) or unparsable
  Ipv4Tcp,
  Ipv4Udp,
  Ipv4Icmp,
  Ipv4Other,
  Ipv6Tcp,
  Ipv6Udp,
  Ipv6Icmp,
  Ipv6Other,
};
inline constexpr size_t kProtoCount = 9;
// "other", "ipv4/tcp", ... as the summaries, metrics and API spell them.
const char *proto_name(Proto p);

struct PacketBytes {
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

// One protocol's path through the stack, counted at each hook.
struct Funnel {
  PacketBytes nic;        // seen at XDP, before the policy decides
  PacketBytes xdp_pass;   // the policy's verdict
  PacketBytes xdp_drop;   //
  uint64_t stack_rx = 0;  // net:netif_receive_skb
  uint64_t delivered = 0; // received skbs consumed (skb:consume_skb)
  uint64_t dropped = 0;   // received skbs freed with a drop reason
  uint64_t sent = 0;      // net:net_dev_xmit (replies and our own traffic)
  // Received skbs whose end no tracepoint reported (the kernel freed them
  // with __kfree_skb, as TCP does with pure ACKs, or merged them into
  // another skb) or that are still in the stack: the highest
  // stack_rx - delivered - dropped seen since tracing began.
  uint64_t untracked = 0;
};

// Drops by the kernel's own reason, read from skb:kfree_skb. The name is
// the enum skb_drop_reason constant without its SKB_DROP_REASON_ prefix,
// as the running kernel's BTF spells it ("NO_SOCKET", "TCP_CSUM").
// `layer` is derived from the name (docs/tracing.md, runtime/trace/
// drop_reasons.h): "ip", "tcp", "udp",
// "icmp", "socket", "netfilter", "xdp", "core".
struct DropCount {
  uint32_t reason = 0;
  std::string name;
  std::string layer;
  Proto proto = Proto::Other;
  uint64_t packets = 0;
};

// The destination port most SYNs (without ACK) seen at XDP go to. Each CPU
// keeps, per TCP class, a majority vote over the destination ports of its
// SYNs (bpf/runtime/pso_abi.h, pso_syn_port_vote): a port that gets more
// than half of them ends up as that vote's candidate. One entry per vote
// that has a candidate; `syns` counts the SYNs to the candidate since it
// became the candidate, so it starts again from 0 when the candidate
// changes. `vote` tells the votes apart (the pso_proto map's id, the CPU
// and the class), so that two readings compare the same vote.
struct SynPort {
  uint16_t port = 0;
  uint64_t syns = 0;
  uint64_t vote = 0;
};

// TCP connection health, from sock:inet_sock_set_state and the tcp:*
// tracepoints, in the traced network namespace only.
struct TcpHealth {
  uint64_t syn_received = 0; // SYN without ACK seen at XDP
  uint64_t synack_sent = 0;  // SYN+ACK leaving (net:net_dev_xmit)
  uint64_t syn_recv = 0;     // -> TCP_SYN_RECV (a child socket made)
  // Handshakes we answered and that did not complete (yet): synack_sent -
  // passive_opens, at least 0. An estimate: a retransmitted SYN+ACK
  // counts twice, and a SYN cookie answer is never completed.
  uint64_t half_open = 0;
  uint64_t established = 0;     // -> TCP_ESTABLISHED (either side)
  uint64_t passive_opens = 0;   // SYN_RECV -> ESTABLISHED (we accepted)
  uint64_t active_opens = 0;    // SYN_SENT -> ESTABLISHED (we connected)
  uint64_t closed = 0;          // -> TCP_CLOSE
  uint64_t resets_sent = 0;     // tcp:tcp_send_reset
  uint64_t resets_received = 0; // tcp:tcp_receive_reset
  uint64_t retransmits = 0;     // tcp:tcp_retransmit_skb
  // The SYN port votes' candidates (XDP).
  std::vector<SynPort> syn_ports;
};

struct UdpHealth {
  uint64_t rcvbuf_errors = 0; // udp:udp_fail_queue_rcv_skb
};

struct SocketHealth {
  uint64_t rcvqueue_full = 0; // sock:sock_rcvqueue_full
};

// icmp:icmp_send: ICMP errors the stack sent, by type and code (port
// unreachable is type 3 code 3).
struct IcmpSent {
  uint8_t type = 0;
  uint8_t code = 0;
  uint64_t count = 0;
};

// Time from net:netif_receive_skb to the skb's consume or free, per
// protocol, in power-of-two buckets: bucket i counts times in
// [2^i, 2^(i+1)) ns (bucket 0 also holds 0 and 1 ns).
inline constexpr size_t kLatencyBuckets = 32;
struct StackLatency {
  std::array<uint64_t, kLatencyBuckets> buckets{};
  uint64_t count = 0;
  uint64_t sum_ns = 0;
};

// Per-source statistics kept at XDP in a table of 16384 slots per CPU, in
// which a new source takes over the slot its address hashes to
// (docs/tracing.md). Counters since the entry was created; an entry
// evicted and created again starts at 0, and `first_seen_ns` tells (tick
// resolution: the kernel's jiffies). Address in network order, IPv4 as
// ::ffff:a.b.c.d with family 4, as struct psl_ip_key.
struct SourceStats {
  std::array<uint8_t, 16> addr{};
  uint8_t family = 0;         // 4 or 6
  uint64_t first_seen_ns = 0; // CLOCK_MONOTONIC
  uint64_t last_seen_ns = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t tcp_syn = 0;   // SYN without ACK
  uint64_t icmp_echo = 0; // ICMP / ICMPv6 echo requests
  uint64_t udp = 0;       // UDP datagrams
  uint64_t xdp_drop = 0;  // packets the policy dropped
  // Of tcp_syn, icmp_echo and udp, those the policy dropped.
  uint64_t tcp_syn_drop = 0;
  uint64_t icmp_echo_drop = 0;
  uint64_t udp_drop = 0;
  // UDP from the well-known reflection source ports, in this order:
  // 53 (DNS), 123 (NTP), 11211 (memcached), 1900 (SSDP), 19 (chargen).
  std::array<uint64_t, 5> udp_reflection{};
  // Estimates (linear counting over a small bitmap, docs/psd.md) of the
  // distinct destination ports and addresses this source sent to.
  uint32_t distinct_dports = 0;
  uint32_t distinct_daddrs = 0;
};
inline constexpr uint16_t kReflectionPorts[5] = {53, 123, 11211, 1900, 19};

// One tracing hook and how it is attached (or why it is not).
struct HookStatus {
  std::string name;     // "skb:kfree_skb", "xdp", ...
  std::string attach;   // "tp_btf", "raw_tp", "xdp", or "" if missing
  std::string missing;  // why it is not attached; empty when it is
  std::string fallback; // why not tp_btf, when raw_tp (or nothing) is used
};

struct Snapshot {
  uint64_t taken_ns = 0;      // CLOCK_MONOTONIC
  uint64_t taken_unix_ms = 0; // wall clock, for humans
  std::array<Funnel, kProtoCount> funnel{};
  std::vector<DropCount> drops; // nonzero only
  TcpHealth tcp;
  UdpHealth udp;
  SocketHealth socket;
  std::vector<IcmpSent> icmp_sent; // nonzero only
  std::array<StackLatency, kProtoCount> latency{};
  std::vector<SourceStats> sources; // every source the table holds
  std::vector<HookStatus> hooks;
  uint64_t ring_lost = 0; // path events the ring buffer had no room for
};

// One hook a sampled packet passed (pwru-style), in time order.
struct PathStep {
  uint64_t ts_ns = 0;  // CLOCK_MONOTONIC
  std::string hook;    // "xdp", "net:netif_receive_skb", ...
  std::string verdict; // "pass", "drop", "consumed", "dropped", "sent"
  std::string rule;    // the policy rule that decided (xdp), if any
  std::string reason;  // the drop reason's kernel name, if dropped
};

// A sampled packet and every hook it passed.
struct PacketPath {
  uint64_t id = 0; // the sample's id (the same packet at every hook)
  Proto proto = Proto::Other;
  std::array<uint8_t, 16> saddr{}, daddr{};
  uint8_t family = 0;
  uint16_t sport = 0, dport = 0; // 0 when the protocol has none
  uint32_t len = 0;
  std::vector<PathStep> steps;
  // "dropped at xdp by rule 'x'", "dropped in the stack: NO_SOCKET",
  // "delivered", "sent" — the path's outcome in one phrase.
  std::string outcome;
};

} // namespace psr::trace
