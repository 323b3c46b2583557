// Windows built by hand for the detector's tests: a summary of one second
// with talkers whose counters the test sets, and `talkers.all` kept equal
// to what every source sent (the top talkers and the rest).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyze/detector/context.h"
#include "analyze/proposal.h"
#include "summary/summary.h"

namespace psr::analyze::testing {

inline constexpr uint64_t kSecondNs = 1'000'000'000;
inline constexpr int64_t kStartUnixMs = 1'760'000'000'000;

// What one source sent in the window, per second (the window is 1 s, so
// counts and rates are equal): Sent().syn(3000).dports(2).
struct Sent {
  uint64_t packets_ = 0;
  uint64_t syn_ = 0, echo_ = 0, udp_ = 0, dropped_ = 0;
  uint64_t from_53_ = 0, from_123_ = 0;
  uint32_t dports_ = 1, daddrs_ = 1;
  // The drops of each class; unset: `dropped` spread over the classes in
  // proportion to what each sent.
  std::optional<uint64_t> syn_dropped_, echo_dropped_, udp_dropped_;

  // All packets; by default the sum of the kinds below.
  Sent &packets(uint64_t n) { return packets_ = n, *this; }
  Sent &syn(uint64_t n) { return syn_ = n, *this; }
  Sent &echo(uint64_t n) { return echo_ = n, *this; }
  Sent &udp(uint64_t n) { return udp_ = n, *this; } // not from 53 or 123
  Sent &dropped(uint64_t n) { return dropped_ = n, *this; }
  Sent &syn_dropped(uint64_t n) { return syn_dropped_ = n, *this; }
  Sent &echo_dropped(uint64_t n) { return echo_dropped_ = n, *this; }
  Sent &udp_dropped(uint64_t n) { return udp_dropped_ = n, *this; }

  uint64_t all() const {
    return packets_ ? packets_ : syn_ + echo_ + udp_ + from_53_ + from_123_;
  }
  uint64_t all_udp() const { return udp_ + from_53_ + from_123_; }
  // What the policy dropped of a class that sent `n`.
  uint64_t dropped_of(const std::optional<uint64_t> &set, uint64_t n) const {
    if (set)
      return *set;
    uint64_t packets = all();
    return packets ? n * std::min(dropped_, packets) / packets : 0;
  }
  uint64_t syn_drops() const { return dropped_of(syn_dropped_, syn_); }
  uint64_t echo_drops() const { return dropped_of(echo_dropped_, echo_); }
  uint64_t udp_drops() const { return dropped_of(udp_dropped_, all_udp()); }
  Sent &from_53(uint64_t n) { return from_53_ = n, *this; }
  Sent &from_123(uint64_t n) { return from_123_ = n, *this; }
  Sent &dports(uint32_t n) { return dports_ = n, *this; }
  Sent &daddrs(uint32_t n) { return daddrs_ = n, *this; }
};

class WindowBuilder {
public:
  // Window `seq` covers [seq-1, seq] seconds after the start.
  explicit WindowBuilder(uint64_t seq) {
    s_.seq = seq;
    s_.window.start_ns = (seq + 10) * kSecondNs;
    s_.window.end_ns = (seq + 11) * kSecondNs;
    s_.window.start_unix_ms = kStartUnixMs + seq * 1000;
    s_.window.end_unix_ms = kStartUnixMs + (seq + 1) * 1000;
    s_.window.duration_s = 1.0;
    s_.totals.proto = "all";
  }

  // A source in the top talkers.
  WindowBuilder &top(const std::string &addr, const Sent &x) {
    s_.talkers.top.push_back(talker(addr, x));
    account(x);
    return *this;
  }
  // A source in the fan-out lists (by ports and/or by addresses) and,
  // when `in_top`, in the top talkers too.
  WindowBuilder &fanout(const std::string &addr, const Sent &x,
                        bool in_top = false) {
    summary::Talker t = talker(addr, x);
    if (x.dports_ >= 2)
      s_.talkers.fanout.push_back(t);
    if (x.daddrs_ >= 2)
      s_.talkers.fanout_addrs.push_back(t);
    if (in_top)
      s_.talkers.top.push_back(t);
    account(x);
    return *this;
  }
  // `n` sources outside every list, each sending `x`.
  WindowBuilder &others(uint64_t n, const Sent &x) {
    for (uint64_t i = 0; i < n; ++i)
      account(x);
    s_.talkers.others.packets += n * x.packets_;
    s_.talkers.others.pps += static_cast<double>(n * x.packets_);
    return *this;
  }
  // The TCP handshake counters (per second).
  WindowBuilder &tcp(uint64_t syn_received, uint64_t synack_sent,
                     uint64_t passive_opens) {
    s_.tcp.syn_received = count(syn_received);
    s_.tcp.synack_sent = count(synack_sent);
    s_.tcp.passive_opens = count(passive_opens);
    s_.tcp.established = count(passive_opens);
    return *this;
  }
  WindowBuilder &syn_port(uint16_t port, uint64_t per_s) {
    s_.tcp.syn_ports.push_back({port, count(per_s)});
    return *this;
  }
  // A traffic class's packets at XDP in the window and how many passed.
  WindowBuilder &proto(const std::string &label, uint64_t nic,
                       uint64_t passed) {
    summary::ProtocolRates p;
    p.proto = label;
    p.nic = {nic, nic * 100, static_cast<double>(nic),
             static_cast<double>(nic) * 800};
    p.xdp_pass = {passed, passed * 100, static_cast<double>(passed),
                  static_cast<double>(passed) * 800};
    p.xdp_drop = {nic - passed, (nic - passed) * 100,
                  static_cast<double>(nic - passed),
                  static_cast<double>(nic - passed) * 800};
    s_.protocols.push_back(p);
    return *this;
  }

  summary::Summary build() const {
    summary::Summary s = s_;
    s.talkers.all.tcp_syn = count(syn_);
    s.talkers.all.icmp_echo = count(echo_);
    s.talkers.all.udp = count(udp_);
    s.talkers.all.xdp_drop = count(dropped_);
    s.talkers.all.tcp_syn_drop = count(syn_dropped_);
    s.talkers.all.icmp_echo_drop = count(echo_dropped_);
    s.talkers.all.udp_drop = count(udp_dropped_);
    if (from_53_)
      s.talkers.all.udp_reflection.push_back({53, count(from_53_)});
    if (from_123_)
      s.talkers.all.udp_reflection.push_back({123, count(from_123_)});
    return s;
  }

  static summary::Count count(uint64_t n) {
    return summary::Count{n, static_cast<double>(n)};
  }

private:
  static summary::Talker talker(const std::string &addr, const Sent &x) {
    summary::Talker t;
    t.addr = addr;
    t.family = addr.find(':') == std::string::npos ? 4 : 6;
    uint64_t packets = x.all();
    t.traffic = {packets, packets * 100, static_cast<double>(packets),
                 static_cast<double>(packets) * 800};
    t.tcp_syn = count(x.syn_);
    t.icmp_echo = count(x.echo_);
    t.udp = count(x.all_udp());
    t.xdp_drop = count(x.dropped_);
    t.tcp_syn_drop = count(x.syn_drops());
    t.icmp_echo_drop = count(x.echo_drops());
    t.udp_drop = count(x.udp_drops());
    if (x.from_53_)
      t.udp_reflection.push_back({53, count(x.from_53_)});
    if (x.from_123_)
      t.udp_reflection.push_back({123, count(x.from_123_)});
    t.distinct_dports = x.dports_;
    t.distinct_daddrs = x.daddrs_;
    t.tracked_s = 30;
    return t;
  }
  void account(const Sent &x) {
    s_.talkers.active_sources += 1;
    s_.talkers.tracked_sources += 1;
    syn_ += x.syn_;
    echo_ += x.echo_;
    udp_ += x.udp_ + x.from_53_ + x.from_123_;
    dropped_ += x.dropped_;
    syn_dropped_ += x.syn_drops();
    echo_dropped_ += x.echo_drops();
    udp_dropped_ += x.udp_drops();
    from_53_ += x.from_53_;
    from_123_ += x.from_123_;
  }

  summary::Summary s_;
  uint64_t syn_ = 0, echo_ = 0, udp_ = 0, dropped_ = 0, from_53_ = 0,
           from_123_ = 0;
  uint64_t syn_dropped_ = 0, echo_dropped_ = 0, udp_dropped_ = 0;
};

// psd's default policy's two block sets, and a clock at window `seq`'s end.
inline DetectorContext default_context(uint64_t seq) {
  DetectorContext c;
  c.block_sets = {
      {"blocked", "drop_blocked", {"management", "arp", "neighbor_discovery"}},
      {"scanners",
       "drop_scanners",
       {"management", "arp", "neighbor_discovery"}}};
  c.rules_in_force = {"management", "arp", "neighbor_discovery", "drop_blocked",
                      "drop_scanners"};
  c.now_ns = (seq + 11) * kSecondNs;
  c.now_unix_ms = kStartUnixMs + (seq + 1) * 1000;
  return c;
}

} // namespace psr::analyze::testing
