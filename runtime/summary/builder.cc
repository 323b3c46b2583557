#include "summary/builder.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>

#include "summary/counter_delta.h"
#include "summary/labels.h"
#include "summary/latency.h"
#include "summary/talkers.h"

namespace psr::summary {

namespace {

// Counts and rates over one window; remembers whether any counter went
// down.
class WindowMath {
public:
  explicit WindowMath(double duration_s) : duration_s_(duration_s) {}

  uint64_t delta(uint64_t prev, uint64_t cur) {
    return counter_delta(prev, cur, &reset_);
  }
  double per_s(uint64_t n) const {
    return duration_s_ > 0 ? static_cast<double>(n) / duration_s_ : 0;
  }
  Count count(uint64_t prev, uint64_t cur) {
    uint64_t n = delta(prev, cur);
    return Count{n, per_s(n)};
  }
  Count count(uint64_t n) const { return Count{n, per_s(n)}; }
  Volume volume(const trace::PacketBytes &prev, const trace::PacketBytes &cur) {
    Volume v;
    v.packets = delta(prev.packets, cur.packets);
    v.bytes = delta(prev.bytes, cur.bytes);
    v.pps = per_s(v.packets);
    v.bps = per_s(v.bytes) * 8;
    return v;
  }
  bool reset() const { return reset_; }
  bool *reset_flag() { return &reset_; }
  double duration_s() const { return duration_s_; }

private:
  double duration_s_;
  bool reset_ = false;
};

void add(Volume &to, const Volume &v) {
  to.packets += v.packets;
  to.bytes += v.bytes;
  to.pps += v.pps;
  to.bps += v.bps;
}
void add(Count &to, const Count &c) {
  to.count += c.count;
  to.per_s += c.per_s;
}

bool any_traffic(const ProtocolRates &p) {
  return p.nic.packets || p.xdp_pass.packets || p.xdp_drop.packets ||
         p.stack_rx.count || p.delivered.count || p.dropped.count ||
         p.sent.count || p.untracked.count;
}

void build_protocols(const trace::Snapshot &a, const trace::Snapshot &b,
                     WindowMath &m, Summary &s) {
  s.totals.proto = "all";
  for (size_t i = 0; i < trace::kProtoCount; ++i) {
    const trace::Funnel &p = a.funnel[i];
    const trace::Funnel &c = b.funnel[i];
    ProtocolRates r;
    r.proto = proto_label(static_cast<trace::Proto>(i));
    r.nic = m.volume(p.nic, c.nic);
    r.xdp_pass = m.volume(p.xdp_pass, c.xdp_pass);
    r.xdp_drop = m.volume(p.xdp_drop, c.xdp_drop);
    r.stack_rx = m.count(p.stack_rx, c.stack_rx);
    r.delivered = m.count(p.delivered, c.delivered);
    r.dropped = m.count(p.dropped, c.dropped);
    r.sent = m.count(p.sent, c.sent);
    r.untracked = m.count(p.untracked, c.untracked);
    add(s.totals.nic, r.nic);
    add(s.totals.xdp_pass, r.xdp_pass);
    add(s.totals.xdp_drop, r.xdp_drop);
    add(s.totals.stack_rx, r.stack_rx);
    add(s.totals.delivered, r.delivered);
    add(s.totals.dropped, r.dropped);
    add(s.totals.sent, r.sent);
    add(s.totals.untracked, r.untracked);
    if (any_traffic(r))
      s.protocols.push_back(std::move(r));
  }
}

void build_drops(const trace::Snapshot &a, const trace::Snapshot &b,
                 WindowMath &m, const SummaryOptions &o, Summary &s) {
  using Key = std::tuple<std::string, std::string, uint8_t>;
  std::map<Key, uint64_t> before;
  for (const trace::DropCount &d : a.drops)
    before[{d.name, d.layer, static_cast<uint8_t>(d.proto)}] += d.packets;
  std::map<Key, uint64_t> after;
  for (const trace::DropCount &d : b.drops)
    after[{d.name, d.layer, static_cast<uint8_t>(d.proto)}] += d.packets;

  std::map<std::string, uint64_t> layers;
  for (const auto &[key, cur] : after) {
    auto it = before.find(key);
    uint64_t n = m.delta(it == before.end() ? 0 : it->second, cur);
    if (n == 0)
      continue;
    DropRate d;
    d.reason = std::get<0>(key);
    d.layer = std::get<1>(key);
    d.proto = proto_label(static_cast<trace::Proto>(std::get<2>(key)));
    d.packets = m.count(n);
    layers[d.layer] += n;
    s.drops.push_back(std::move(d));
  }
  // A reason that vanished from the table went down to 0: a restart.
  for (const auto &[key, prev] : before)
    if (prev != 0 && after.find(key) == after.end())
      *m.reset_flag() = true;
  std::stable_sort(s.drops.begin(), s.drops.end(),
                   [](const DropRate &x, const DropRate &y) {
                     return x.packets.count > y.packets.count;
                   });
  if (s.drops.size() > o.max_drops)
    s.drops.resize(o.max_drops);
  for (const auto &[layer, n] : layers)
    s.drop_layers.push_back({layer, m.count(n)});
  std::stable_sort(s.drop_layers.begin(), s.drop_layers.end(),
                   [](const LayerDrops &x, const LayerDrops &y) {
                     return x.packets.count > y.packets.count;
                   });
}

void build_tcp(const trace::Snapshot &a, const trace::Snapshot &b,
               WindowMath &m, Summary &s) {
  const trace::TcpHealth &p = a.tcp;
  const trace::TcpHealth &c = b.tcp;
  TcpSummary &t = s.tcp;
  t.syn_received = m.count(p.syn_received, c.syn_received);
  t.synack_sent = m.count(p.synack_sent, c.synack_sent);
  t.syn_recv = m.count(p.syn_recv, c.syn_recv);
  t.established = m.count(p.established, c.established);
  t.passive_opens = m.count(p.passive_opens, c.passive_opens);
  t.active_opens = m.count(p.active_opens, c.active_opens);
  t.closed = m.count(p.closed, c.closed);
  t.resets_sent = m.count(p.resets_sent, c.resets_sent);
  t.resets_received = m.count(p.resets_received, c.resets_received);
  t.retransmits = m.count(p.retransmits, c.retransmits);
  t.half_open_estimate = t.synack_sent.count > t.passive_opens.count
                             ? t.synack_sent.count - t.passive_opens.count
                             : 0;
  s.udp_rcvbuf_errors = m.count(a.udp.rcvbuf_errors, b.udp.rcvbuf_errors);
  s.socket_rcvqueue_full =
      m.count(a.socket.rcvqueue_full, b.socket.rcvqueue_full);
}

// The SYNs of the window by destination port. A vote whose candidate is
// the same port as at the last reading counts the difference; a vote that
// is new, changed its candidate or went down (the candidate changed and
// came back) counts what its candidate got since it became it. Never a
// reset: a vote's count going down is how it works.
void build_syn_ports(const trace::Snapshot &a, const trace::Snapshot &b,
                     const WindowMath &m, Summary &s) {
  std::unordered_map<uint64_t, const trace::SynPort *> before;
  for (const trace::SynPort &p : a.tcp.syn_ports)
    before.emplace(p.vote, &p);
  std::map<uint16_t, uint64_t> by_port;
  for (const trace::SynPort &p : b.tcp.syn_ports) {
    auto it = before.find(p.vote);
    bool same = it != before.end() && it->second->port == p.port &&
                it->second->syns <= p.syns;
    uint64_t n = same ? p.syns - it->second->syns : p.syns;
    if (n != 0)
      by_port[p.port] += n;
  }
  for (const auto &[port, n] : by_port)
    s.tcp.syn_ports.push_back({port, m.count(n)});
  std::stable_sort(s.tcp.syn_ports.begin(), s.tcp.syn_ports.end(),
                   [](const SynPortRate &x, const SynPortRate &y) {
                     return x.syns.count > y.syns.count;
                   });
}

void build_icmp(const trace::Snapshot &a, const trace::Snapshot &b,
                WindowMath &m, Summary &s) {
  std::map<std::pair<uint8_t, uint8_t>, uint64_t> before;
  for (const trace::IcmpSent &i : a.icmp_sent)
    before[{i.type, i.code}] += i.count;
  std::map<std::pair<uint8_t, uint8_t>, uint64_t> after;
  for (const trace::IcmpSent &i : b.icmp_sent)
    after[{i.type, i.code}] += i.count;
  for (const auto &[key, cur] : after) {
    auto it = before.find(key);
    uint64_t n = m.delta(it == before.end() ? 0 : it->second, cur);
    if (n != 0)
      s.icmp_errors.push_back({key.first, key.second, m.count(n)});
  }
  std::stable_sort(s.icmp_errors.begin(), s.icmp_errors.end(),
                   [](const IcmpError &x, const IcmpError &y) {
                     return x.sent.count > y.sent.count;
                   });
}

void build_latency(const trace::Snapshot &a, const trace::Snapshot &b,
                   WindowMath &m, Summary &s) {
  for (size_t i = 0; i < trace::kProtoCount; ++i) {
    trace::StackLatency w =
        latency_delta(a.latency[i], b.latency[i], m.reset_flag());
    if (w.count == 0)
      continue;
    s.latency.push_back(
        summarize_latency(proto_label(static_cast<trace::Proto>(i)), w));
  }
}

RuleSummary summarize_rule(const RuleView *prev, const RuleView &cur,
                           uint64_t now_ns, WindowMath &m) {
  RuleSummary r;
  r.name = cur.name;
  r.action = cur.action;
  r.origin = cur.origin;
  r.shadow = cur.shadow;
  r.hits = m.count(prev ? prev->packets : 0, cur.packets);
  r.bytes = m.delta(prev ? prev->bytes : 0, cur.bytes);
  r.total_packets = cur.packets;
  r.total_bytes = cur.bytes;
  r.shadow_hits = m.count(prev ? prev->shadow_packets : 0, cur.shadow_packets);
  r.shadow_total = cur.shadow_packets;
  if (cur.expires_ns)
    r.ttl_left_ms = ttl_left_ms(*cur.expires_ns, now_ns);
  return r;
}

InterfaceSummary summarize_interface(const PolicyView *prev,
                                     const PolicyView &cur, uint64_t now_ns,
                                     WindowMath &m, const SummaryOptions &o) {
  InterfaceSummary out;
  out.name = cur.iface;
  out.policy = cur.policy;
  out.attached = cur.attached;
  out.program_id = cur.program_id;
  out.mode = cur.mode;
  out.rules_total = cur.rules.size();
  std::vector<RuleSummary> rules =
      rule_windows(prev, cur, now_ns, m.duration_s(), m.reset_flag());
  out.default_rule = std::move(rules.back());
  rules.pop_back();
  // Most hits first (shadow hits count: they are what the rule would do),
  // then rules that expire (generated rules), then policy order.
  std::stable_sort(rules.begin(), rules.end(),
                   [](const RuleSummary &x, const RuleSummary &y) {
                     uint64_t hx = x.hits.count + x.shadow_hits.count;
                     uint64_t hy = y.hits.count + y.shadow_hits.count;
                     if (hx != hy)
                       return hx > hy;
                     return x.ttl_left_ms.has_value() &&
                            !y.ttl_left_ms.has_value();
                   });
  if (rules.size() > o.max_rules)
    rules.resize(o.max_rules);
  out.rules = std::move(rules);
  for (const SetView &set : cur.sets)
    out.sets.push_back(
        {set.name, set.elem, set.entries, set.capacity, set.ttl_ms});
  return out;
}

} // namespace

std::vector<RuleSummary> rule_windows(const PolicyView *prev,
                                      const PolicyView &cur, uint64_t now_ns,
                                      double duration_s, bool *reset) {
  WindowMath m(duration_s);
  // A policy replaced by another of a different name starts its counters
  // again: compare only within the same policy.
  bool same_policy = prev != nullptr && prev->policy == cur.policy;
  std::unordered_map<std::string, const RuleView *> before;
  if (same_policy)
    for (const RuleView &r : prev->rules)
      before.emplace(r.name, &r);
  std::vector<RuleSummary> rules;
  rules.reserve(cur.rules.size() + 1);
  for (const RuleView &r : cur.rules) {
    auto it = before.find(r.name);
    rules.push_back(summarize_rule(it == before.end() ? nullptr : it->second, r,
                                   now_ns, m));
  }
  rules.push_back(summarize_rule(same_policy ? &prev->default_rule : nullptr,
                                 cur.default_rule, now_ns, m));
  if (m.reset() && reset)
    *reset = true;
  return rules;
}

uint64_t ttl_left_ms(uint64_t expires_ns, uint64_t now_ns) {
  if (expires_ns <= now_ns)
    return 0;
  return (expires_ns - now_ns + 999'999) / 1'000'000;
}

Summary build_summary(const Observation &prev, const Observation &cur,
                      uint64_t seq, const SummaryOptions &options) {
  const trace::Snapshot &a = prev.snapshot;
  const trace::Snapshot &b = cur.snapshot;
  Summary s;
  s.seq = seq;
  s.window.start_ns = a.taken_ns;
  s.window.end_ns = b.taken_ns;
  s.window.start_unix_ms = a.taken_unix_ms;
  s.window.end_unix_ms = b.taken_unix_ms;
  double duration_s = b.taken_ns > a.taken_ns
                          ? static_cast<double>(b.taken_ns - a.taken_ns) / 1e9
                          : 0;
  s.window.duration_s = duration_s;
  if (duration_s <= 0)
    s.notes.push_back("the window has no duration: no rates");

  WindowMath m(duration_s);
  build_protocols(a, b, m, s);
  build_drops(a, b, m, options, s);
  build_tcp(a, b, m, s);
  build_syn_ports(a, b, m, s);
  build_icmp(a, b, m, s);
  build_latency(a, b, m, s);
  s.ring_lost = m.count(a.ring_lost, b.ring_lost);
  bool traffic_reset = m.reset();

  TalkerInput t;
  t.prev = &a.sources;
  t.cur = &b.sources;
  t.now_ns = b.taken_ns;
  t.prev_ns = a.taken_ns;
  t.duration_s = duration_s;
  t.top = options.top_talkers;
  t.fanout = options.top_fanout;
  bool sources_reset = false;
  s.talkers = rank_talkers(t, &sources_reset);

  WindowMath rules_math(duration_s);
  for (const PolicyView &p : cur.policies) {
    const PolicyView *before = nullptr;
    for (const PolicyView &q : prev.policies)
      if (q.iface == p.iface)
        before = &q;
    s.interfaces.push_back(
        summarize_interface(before, p, b.taken_ns, rules_math, options));
  }
  s.hooks = b.hooks;

  if (traffic_reset)
    s.notes.push_back("tracer counters went down (the tracer restarted): "
                      "this window counts from the restart");
  if (sources_reset)
    s.notes.push_back("per-source counters went down: those sources count "
                      "from the restart");
  if (rules_math.reset())
    s.notes.push_back("rule counters went down (the policy's counters "
                      "restarted): those rules count from the restart");
  s.counters_reset = traffic_reset || sources_reset || rules_math.reset();
  for (const std::string &n : cur.notes)
    s.notes.push_back(n);
  return s;
}

} // namespace psr::summary
