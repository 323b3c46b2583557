#include "summary_fixture.h"

#include <algorithm>

namespace psl::testing {

using nlohmann::json;

namespace {

json count(double per_s, double duration) {
  return {{"count", static_cast<uint64_t>(per_s * duration)}, {"per_s", per_s}};
}

json volume(double pps, double duration) {
  return {{"packets", static_cast<uint64_t>(pps * duration)},
          {"bytes", static_cast<uint64_t>(pps * duration * 100)},
          {"pps", pps},
          {"bps", pps * 800}};
}

json rates(const std::string &proto, const WindowSpec &s) {
  double d = s.duration_s;
  return {
      {"proto", proto},
      {"nic", volume(s.nic_pps, d)},
      {"xdp_pass", volume(s.nic_pps - s.xdp_drop_pps, d)},
      {"xdp_drop", volume(s.xdp_drop_pps, d)},
      {"stack_rx", count(s.nic_pps - s.xdp_drop_pps, d)},
      {"delivered", count(s.nic_pps - s.xdp_drop_pps - s.stack_drop_per_s, d)},
      {"dropped", count(s.stack_drop_per_s, d)},
      {"sent", count(s.nic_pps / 2, d)},
      {"untracked", count(0, d)}};
}

json rule(const std::string &name, const std::string &action) {
  return {{"name", name},
          {"action", action},
          {"origin", "operator"},
          {"mode", "enforced"},
          {"hits", count(0, 1)},
          {"bytes", 0},
          {"total_packets", 0},
          {"total_bytes", 0},
          {"shadow_hits", count(0, 1)},
          {"shadow_total", 0},
          {"ttl_left_ms", nullptr}};
}

} // namespace

json make_summary(const WindowSpec &s) {
  double d = s.duration_s;
  json talkers = json::array();
  for (const Talker &t : s.talkers) {
    json refl = json::array();
    if (t.reflection_per_s > 0)
      refl.push_back({{"port", 53},
                      {"count", static_cast<uint64_t>(t.reflection_per_s * d)},
                      {"per_s", t.reflection_per_s}});
    talkers.push_back(
        {{"addr", t.addr},
         {"family", t.addr.find(':') == std::string::npos ? 4 : 6},
         {"traffic", volume(t.pps, d)},
         {"tcp_syn", count(t.syn_per_s, d)},
         {"icmp_echo", count(t.echo_per_s, d)},
         {"udp", count(t.reflection_per_s, d)},
         {"xdp_drop", count(0, d)},
         {"tcp_syn_drop", count(0, d)},
         {"icmp_echo_drop", count(0, d)},
         {"udp_drop", count(0, d)},
         {"udp_reflection", refl},
         {"distinct_dports", t.distinct_dports},
         {"distinct_daddrs", 1},
         {"tracked_s", 120.5}});
  }
  json fanout = talkers;
  std::sort(fanout.begin(), fanout.end(), [](const json &a, const json &b) {
    return a["distinct_dports"].get<uint64_t>() >
           b["distinct_dports"].get<uint64_t>();
  });
  json drops = json::array();
  if (s.stack_drop_per_s > 0)
    drops.push_back({{"reason", s.drop_reason},
                     {"layer", "transport"},
                     {"proto", "ipv4/tcp"},
                     {"count", static_cast<uint64_t>(s.stack_drop_per_s * d)},
                     {"per_s", s.stack_drop_per_s}});
  int64_t end_ms = s.start_unix_ms + static_cast<int64_t>(d * 1000);
  return {{"version", 1},
          {"seq", s.seq},
          {"window",
           {{"start_ns", 5000000000ull + s.seq * 10000000000ull},
            {"end_ns", 15000000000ull + s.seq * 10000000000ull},
            {"start_unix_ms", s.start_unix_ms},
            {"end_unix_ms", end_ms},
            {"duration_s", d}}},
          {"counters_reset", false},
          {"notes", json::array({"tracer started 120 s ago"})},
          {"totals", rates("all", s)},
          {"protocols", json::array({rates("ipv4/tcp", s)})},
          {"drops", drops},
          {"drop_layers", json::array()},
          {"tcp",
           {{"syn_received", count(10, d)},
            {"synack_sent", count(10, d)},
            {"syn_recv", count(0, d)},
            {"established", count(10, d)},
            {"passive_opens", count(10, d)},
            {"active_opens", count(0, d)},
            {"closed", count(9, d)},
            {"resets_sent", count(0, d)},
            {"resets_received", count(0, d)},
            {"retransmits", count(0, d)},
            {"half_open_estimate", s.half_open}}},
          {"udp_rcvbuf_errors", count(0, d)},
          {"socket_rcvqueue_full", count(0, d)},
          {"icmp_errors", json::array()},
          {"latency",
           json::array({{{"proto", "ipv4/tcp"},
                         {"count", 100},
                         {"sum_ns", 500000},
                         {"mean_ns", 5000.0},
                         {"p50_ns", 4000.0},
                         {"p99_ns", 20000.0},
                         {"buckets", json::array({{{"lo_ns", 4096},
                                                   {"hi_ns", 8192},
                                                   {"count", 100}}})}}})},
          {"talkers",
           {{"active_sources", s.talkers.size()},
            {"tracked_sources", s.talkers.size()},
            {"top", talkers},
            {"others", volume(10, d)},
            {"fanout", fanout}}},
          {"interfaces",
           json::array({{{"name", s.ifname},
                         {"policy", "edge"},
                         {"attached", true},
                         {"program_id", 42},
                         {"mode", "native"},
                         {"rules_total", 1},
                         {"rules", json::array({rule("allow_web", "pass")})},
                         {"default", rule("default", "pass")},
                         {"sets", json::array()}}})},
          {"hooks", json::array({{{"name", "kfree_skb"},
                                  {"attach", "tp_btf"},
                                  {"missing", ""},
                                  {"fallback", ""}}})},
          {"ring_lost", count(0, d)}};
}

} // namespace psl::testing
