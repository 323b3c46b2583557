#include "summary/talkers.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <unordered_map>

#include "summary/counter_delta.h"
#include "summary/labels.h"

namespace psr::summary {

namespace {

std::string key_of(const trace::SourceStats &s) {
  Address a = normalize_address(s.addr, s.family);
  return std::string(reinterpret_cast<const char *>(a.data()), a.size());
}

// One source's counts in the window.
struct SourceWindow {
  const trace::SourceStats *cur = nullptr;
  Address addr{};
  trace::SourceStats delta;
};

// The tracer stamps sources in jiffies and converts them to ns at each
// reading, so the same entry's first_seen_ns moves by up to a tick or two
// between readings. An entry created again after an eviction starts later
// than that.
constexpr uint64_t kFirstSeenJitterNs = 50'000'000;

bool same_entry(const trace::SourceStats &prev, const trace::SourceStats &cur) {
  return cur.first_seen_ns <= prev.first_seen_ns + kFirstSeenJitterNs;
}

Count rate(uint64_t n, double duration_s) {
  return Count{n, duration_s > 0 ? static_cast<double>(n) / duration_s : 0};
}

Talker to_talker(const SourceWindow &w, const TalkerInput &in) {
  const trace::SourceStats &d = w.delta;
  Talker t;
  t.addr = format_address(w.addr, w.cur->family);
  t.family = w.cur->family == 6 ? 6 : 4;
  t.traffic.packets = d.packets;
  t.traffic.bytes = d.bytes;
  if (in.duration_s > 0) {
    t.traffic.pps = static_cast<double>(d.packets) / in.duration_s;
    t.traffic.bps = static_cast<double>(d.bytes) * 8 / in.duration_s;
  }
  t.tcp_syn = rate(d.tcp_syn, in.duration_s);
  t.icmp_echo = rate(d.icmp_echo, in.duration_s);
  t.udp = rate(d.udp, in.duration_s);
  t.xdp_drop = rate(d.xdp_drop, in.duration_s);
  t.tcp_syn_drop = rate(d.tcp_syn_drop, in.duration_s);
  t.icmp_echo_drop = rate(d.icmp_echo_drop, in.duration_s);
  t.udp_drop = rate(d.udp_drop, in.duration_s);
  for (size_t i = 0; i < d.udp_reflection.size(); ++i)
    if (d.udp_reflection[i] != 0)
      t.udp_reflection.push_back({trace::kReflectionPorts[i],
                                  rate(d.udp_reflection[i], in.duration_s)});
  t.distinct_dports = w.cur->distinct_dports;
  t.distinct_daddrs = w.cur->distinct_daddrs;
  if (in.now_ns > w.cur->first_seen_ns && w.cur->first_seen_ns != 0)
    t.tracked_s = static_cast<double>(in.now_ns - w.cur->first_seen_ns) / 1e9;
  return t;
}

bool more_traffic(const SourceWindow &a, const SourceWindow &b) {
  if (a.delta.packets != b.delta.packets)
    return a.delta.packets > b.delta.packets;
  if (a.delta.bytes != b.delta.bytes)
    return a.delta.bytes > b.delta.bytes;
  return a.addr < b.addr;
}

bool more_fanout(const SourceWindow &a, const SourceWindow &b) {
  if (a.cur->distinct_dports != b.cur->distinct_dports)
    return a.cur->distinct_dports > b.cur->distinct_dports;
  if (a.cur->distinct_daddrs != b.cur->distinct_daddrs)
    return a.cur->distinct_daddrs > b.cur->distinct_daddrs;
  return more_traffic(a, b);
}

bool more_fanout_addrs(const SourceWindow &a, const SourceWindow &b) {
  if (a.cur->distinct_daddrs != b.cur->distinct_daddrs)
    return a.cur->distinct_daddrs > b.cur->distinct_daddrs;
  if (a.cur->distinct_dports != b.cur->distinct_dports)
    return a.cur->distinct_dports > b.cur->distinct_dports;
  return more_traffic(a, b);
}

// The per-source counters of every active source, summed.
SourceTotals sum_sources(const std::vector<SourceWindow> &active,
                         double duration_s) {
  trace::SourceStats sum;
  for (const SourceWindow &w : active) {
    sum.tcp_syn += w.delta.tcp_syn;
    sum.icmp_echo += w.delta.icmp_echo;
    sum.udp += w.delta.udp;
    sum.xdp_drop += w.delta.xdp_drop;
    sum.tcp_syn_drop += w.delta.tcp_syn_drop;
    sum.icmp_echo_drop += w.delta.icmp_echo_drop;
    sum.udp_drop += w.delta.udp_drop;
    for (size_t i = 0; i < sum.udp_reflection.size(); ++i)
      sum.udp_reflection[i] += w.delta.udp_reflection[i];
  }
  SourceTotals t;
  t.tcp_syn = rate(sum.tcp_syn, duration_s);
  t.icmp_echo = rate(sum.icmp_echo, duration_s);
  t.udp = rate(sum.udp, duration_s);
  t.xdp_drop = rate(sum.xdp_drop, duration_s);
  t.tcp_syn_drop = rate(sum.tcp_syn_drop, duration_s);
  t.icmp_echo_drop = rate(sum.icmp_echo_drop, duration_s);
  t.udp_drop = rate(sum.udp_drop, duration_s);
  for (size_t i = 0; i < sum.udp_reflection.size(); ++i)
    if (sum.udp_reflection[i] != 0)
      t.udp_reflection.push_back({trace::kReflectionPorts[i],
                                  rate(sum.udp_reflection[i], duration_s)});
  return t;
}

// The `n` sources of `candidates` that come first by `before`.
template <class Before>
std::vector<Talker> rank(std::vector<const SourceWindow *> candidates, size_t n,
                         Before before, const TalkerInput &in) {
  size_t k = std::min(n, candidates.size());
  std::partial_sort(candidates.begin(), candidates.begin() + k,
                    candidates.end(),
                    [&](const SourceWindow *a, const SourceWindow *b) {
                      return before(*a, *b);
                    });
  std::vector<Talker> out;
  for (size_t i = 0; i < k; ++i)
    out.push_back(to_talker(*candidates[i], in));
  return out;
}

} // namespace

Talkers rank_talkers(const TalkerInput &in, bool *reset) {
  Talkers out;
  if (in.cur == nullptr)
    return out;
  std::unordered_map<std::string, const trace::SourceStats *> before;
  if (in.prev != nullptr) {
    before.reserve(in.prev->size());
    for (const trace::SourceStats &s : *in.prev)
      before.emplace(key_of(s), &s);
  }
  out.tracked_sources = in.cur->size();

  std::vector<SourceWindow> active;
  for (const trace::SourceStats &s : *in.cur) {
    SourceWindow w;
    w.cur = &s;
    w.addr = normalize_address(s.addr, s.family);
    auto it = before.find(key_of(s));
    if (it == before.end() && in.prev != nullptr && in.prev_ns != 0 &&
        s.first_seen_ns + kFirstSeenJitterNs < in.prev_ns) {
      continue; // there at the previous reading, which missed it
    }
    if (it == before.end() || !same_entry(*it->second, s)) {
      w.delta = s; // a new entry: everything it counted is new
    } else {
      const trace::SourceStats &p = *it->second;
      bool went_down = false;
      w.delta.packets = counter_delta(p.packets, s.packets, &went_down);
      w.delta.bytes = counter_delta(p.bytes, s.bytes, &went_down);
      w.delta.tcp_syn = counter_delta(p.tcp_syn, s.tcp_syn, &went_down);
      w.delta.icmp_echo = counter_delta(p.icmp_echo, s.icmp_echo, &went_down);
      w.delta.udp = counter_delta(p.udp, s.udp, &went_down);
      w.delta.xdp_drop = counter_delta(p.xdp_drop, s.xdp_drop, &went_down);
      w.delta.tcp_syn_drop =
          counter_delta(p.tcp_syn_drop, s.tcp_syn_drop, &went_down);
      w.delta.icmp_echo_drop =
          counter_delta(p.icmp_echo_drop, s.icmp_echo_drop, &went_down);
      w.delta.udp_drop = counter_delta(p.udp_drop, s.udp_drop, &went_down);
      for (size_t i = 0; i < s.udp_reflection.size(); ++i)
        w.delta.udp_reflection[i] =
            counter_delta(p.udp_reflection[i], s.udp_reflection[i], &went_down);
      if (went_down && reset)
        *reset = true;
    }
    if (w.delta.packets != 0)
      active.push_back(w);
  }
  out.active_sources = active.size();
  out.all = sum_sources(active, in.duration_s);

  size_t top = std::min(in.top, active.size());
  std::partial_sort(active.begin(), active.begin() + top, active.end(),
                    more_traffic);
  for (size_t i = 0; i < active.size(); ++i) {
    if (i < top) {
      out.top.push_back(to_talker(active[i], in));
      continue;
    }
    out.others.packets += active[i].delta.packets;
    out.others.bytes += active[i].delta.bytes;
  }
  if (in.duration_s > 0) {
    out.others.pps = static_cast<double>(out.others.packets) / in.duration_s;
    out.others.bps = static_cast<double>(out.others.bytes) * 8 / in.duration_s;
  }

  // Fan-out: a scanner sends few packets to many ports (vertical) or to
  // many addresses (horizontal), so it may be missing from the top by
  // packets.
  std::vector<const SourceWindow *> ports, addrs;
  for (const SourceWindow &w : active) {
    if (w.cur->distinct_dports >= 2)
      ports.push_back(&w);
    if (w.cur->distinct_daddrs >= 2)
      addrs.push_back(&w);
  }
  out.fanout = rank(std::move(ports), in.fanout, more_fanout, in);
  out.fanout_addrs = rank(std::move(addrs), in.fanout, more_fanout_addrs, in);
  return out;
}

} // namespace psr::summary
