#include "summary/summary_json.h"

#include <cmath>

namespace psr::summary {

namespace {

double rounded(double v) {
  if (!std::isfinite(v) || v < 0)
    return 0;
  return std::round(v * 1000) / 1000;
}

Json to_json(const Volume &v) {
  return Json{{"packets", v.packets},
              {"bytes", v.bytes},
              {"pps", rounded(v.pps)},
              {"bps", rounded(v.bps)}};
}

Json to_json(const ProtocolRates &p) {
  return Json{{"proto", p.proto},
              {"nic", to_json(p.nic)},
              {"xdp_pass", to_json(p.xdp_pass)},
              {"xdp_drop", to_json(p.xdp_drop)},
              {"stack_rx", to_json(p.stack_rx)},
              {"delivered", to_json(p.delivered)},
              {"dropped", to_json(p.dropped)},
              {"sent", to_json(p.sent)},
              {"untracked", to_json(p.untracked)}};
}

Json to_json(const std::vector<ReflectionRate> &rates) {
  Json reflection = Json::array();
  for (const ReflectionRate &r : rates)
    reflection.push_back(Json{{"port", r.port},
                              {"count", r.packets.count},
                              {"per_s", rounded(r.packets.per_s)}});
  return reflection;
}

Json to_json(const SourceTotals &t) {
  return Json{{"tcp_syn", to_json(t.tcp_syn)},
              {"icmp_echo", to_json(t.icmp_echo)},
              {"udp", to_json(t.udp)},
              {"xdp_drop", to_json(t.xdp_drop)},
              {"tcp_syn_drop", to_json(t.tcp_syn_drop)},
              {"icmp_echo_drop", to_json(t.icmp_echo_drop)},
              {"udp_drop", to_json(t.udp_drop)},
              {"udp_reflection", to_json(t.udp_reflection)}};
}

Json to_json(const Talker &t) {
  Json reflection = to_json(t.udp_reflection);
  return Json{{"addr", t.addr},
              {"family", t.family},
              {"traffic", to_json(t.traffic)},
              {"tcp_syn", to_json(t.tcp_syn)},
              {"icmp_echo", to_json(t.icmp_echo)},
              {"udp", to_json(t.udp)},
              {"xdp_drop", to_json(t.xdp_drop)},
              {"tcp_syn_drop", to_json(t.tcp_syn_drop)},
              {"icmp_echo_drop", to_json(t.icmp_echo_drop)},
              {"udp_drop", to_json(t.udp_drop)},
              {"udp_reflection", std::move(reflection)},
              {"distinct_dports", t.distinct_dports},
              {"distinct_daddrs", t.distinct_daddrs},
              {"tracked_s", rounded(t.tracked_s)}};
}

Json to_json(const TcpSummary &t) {
  Json ports = Json::array();
  for (const SynPortRate &p : t.syn_ports)
    ports.push_back(Json{{"port", p.port},
                         {"count", p.syns.count},
                         {"per_s", rounded(p.syns.per_s)}});
  return Json{{"syn_received", to_json(t.syn_received)},
              {"synack_sent", to_json(t.synack_sent)},
              {"syn_recv", to_json(t.syn_recv)},
              {"established", to_json(t.established)},
              {"passive_opens", to_json(t.passive_opens)},
              {"active_opens", to_json(t.active_opens)},
              {"closed", to_json(t.closed)},
              {"resets_sent", to_json(t.resets_sent)},
              {"resets_received", to_json(t.resets_received)},
              {"retransmits", to_json(t.retransmits)},
              {"half_open_estimate", t.half_open_estimate},
              {"syn_ports", std::move(ports)}};
}

Json to_json(const LatencySummary &l) {
  Json buckets = Json::array();
  for (const LatencyBucket &b : l.buckets)
    buckets.push_back(
        Json{{"lo_ns", b.lo_ns}, {"hi_ns", b.hi_ns}, {"count", b.count}});
  return Json{{"proto", l.proto},
              {"count", l.count},
              {"sum_ns", l.sum_ns},
              {"mean_ns", rounded(l.mean_ns)},
              {"p50_ns", rounded(l.p50_ns)},
              {"p99_ns", rounded(l.p99_ns)},
              {"buckets", std::move(buckets)}};
}

Json to_json(const InterfaceSummary &i) {
  Json rules = Json::array();
  for (const RuleSummary &r : i.rules)
    rules.push_back(to_json(r));
  Json sets = Json::array();
  for (const SetSummary &s : i.sets)
    sets.push_back(Json{{"name", s.name},
                        {"elem", s.elem},
                        {"entries", s.entries},
                        {"capacity", s.capacity},
                        {"ttl_ms", s.ttl_ms}});
  return Json{{"name", i.name},
              {"policy", i.policy},
              {"attached", i.attached},
              {"program_id", i.program_id},
              {"mode", i.mode},
              {"rules_total", i.rules_total},
              {"rules", std::move(rules)},
              {"default", to_json(i.default_rule)},
              {"sets", std::move(sets)}};
}

} // namespace

Json to_json(const Count &c) {
  return Json{{"count", c.count}, {"per_s", rounded(c.per_s)}};
}

Json to_json(const RuleSummary &r) {
  return Json{{"name", r.name},
              {"action", r.action},
              {"origin", r.origin},
              {"mode", r.shadow ? "shadow" : "enforced"},
              {"hits", to_json(r.hits)},
              {"bytes", r.bytes},
              {"total_packets", r.total_packets},
              {"total_bytes", r.total_bytes},
              {"shadow_hits", to_json(r.shadow_hits)},
              {"shadow_total", r.shadow_total},
              {"ttl_left_ms", r.ttl_left_ms ? Json(*r.ttl_left_ms) : Json()}};
}

Json to_json(const Summary &s) {
  Json protocols = Json::array();
  for (const ProtocolRates &p : s.protocols)
    protocols.push_back(to_json(p));
  Json drops = Json::array();
  for (const DropRate &d : s.drops)
    drops.push_back(Json{{"reason", d.reason},
                         {"layer", d.layer},
                         {"proto", d.proto},
                         {"count", d.packets.count},
                         {"per_s", rounded(d.packets.per_s)}});
  Json layers = Json::array();
  for (const LayerDrops &l : s.drop_layers)
    layers.push_back(Json{{"layer", l.layer},
                          {"count", l.packets.count},
                          {"per_s", rounded(l.packets.per_s)}});
  Json icmp = Json::array();
  for (const IcmpError &e : s.icmp_errors)
    icmp.push_back(Json{{"type", e.type},
                        {"code", e.code},
                        {"count", e.sent.count},
                        {"per_s", rounded(e.sent.per_s)}});
  Json latency = Json::array();
  for (const LatencySummary &l : s.latency)
    latency.push_back(to_json(l));
  Json top = Json::array();
  for (const Talker &t : s.talkers.top)
    top.push_back(to_json(t));
  Json fanout = Json::array();
  for (const Talker &t : s.talkers.fanout)
    fanout.push_back(to_json(t));
  Json fanout_addrs = Json::array();
  for (const Talker &t : s.talkers.fanout_addrs)
    fanout_addrs.push_back(to_json(t));
  Json interfaces = Json::array();
  for (const InterfaceSummary &i : s.interfaces)
    interfaces.push_back(to_json(i));
  Json hooks = Json::array();
  for (const trace::HookStatus &h : s.hooks)
    hooks.push_back(Json{{"name", h.name},
                         {"attach", h.attach},
                         {"missing", h.missing},
                         {"fallback", h.fallback}});

  return Json{
      {"version", s.version},
      {"seq", s.seq},
      {"window", Json{{"start_ns", s.window.start_ns},
                      {"end_ns", s.window.end_ns},
                      {"start_unix_ms", s.window.start_unix_ms},
                      {"end_unix_ms", s.window.end_unix_ms},
                      {"duration_s", rounded(s.window.duration_s)}}},
      {"counters_reset", s.counters_reset},
      {"notes", s.notes},
      {"totals", to_json(s.totals)},
      {"protocols", std::move(protocols)},
      {"drops", std::move(drops)},
      {"drop_layers", std::move(layers)},
      {"tcp", to_json(s.tcp)},
      {"udp_rcvbuf_errors", to_json(s.udp_rcvbuf_errors)},
      {"socket_rcvqueue_full", to_json(s.socket_rcvqueue_full)},
      {"icmp_errors", std::move(icmp)},
      {"latency", std::move(latency)},
      {"talkers", Json{{"active_sources", s.talkers.active_sources},
                       {"tracked_sources", s.talkers.tracked_sources},
                       {"top", std::move(top)},
                       {"others", to_json(s.talkers.others)},
                       {"fanout", std::move(fanout)},
                       {"fanout_addrs", std::move(fanout_addrs)},
                       {"all", to_json(s.talkers.all)}}},
      {"interfaces", std::move(interfaces)},
      {"hooks", std::move(hooks)},
      {"ring_lost", to_json(s.ring_lost)},
  };
}

std::string to_json_text(const Summary &s) {
  // Names come from the kernel (drop reasons, hooks) and from policies:
  // never let one odd byte fail a whole summary.
  return to_json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
}

} // namespace psr::summary
