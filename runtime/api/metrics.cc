#include "api/metrics.h"

#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "api/governance_metrics.h"
#include "api/prometheus_text.h"
#include "summary/labels.h"
#include "summary/latency.h"

namespace psr::api {

namespace {

using Labels = MetricLabels;
using Writer = PrometheusText;

const char *proto_of(size_t i) {
  return summary::proto_label(static_cast<trace::Proto>(i));
}

void traffic(Writer &w, const trace::Snapshot &s) {
  w.family("packetscope_nic_packets_total", "counter",
           "Packets seen at XDP before the policy decided.");
  for (size_t i = 0; i < trace::kProtoCount; ++i)
    w.sample("packetscope_nic_packets_total", {{"protocol", proto_of(i)}},
             s.funnel[i].nic.packets);
  w.family("packetscope_nic_bytes_total", "counter",
           "Bytes seen at XDP before the policy decided.");
  for (size_t i = 0; i < trace::kProtoCount; ++i)
    w.sample("packetscope_nic_bytes_total", {{"protocol", proto_of(i)}},
             s.funnel[i].nic.bytes);
  w.family("packetscope_xdp_packets_total", "counter",
           "Packets by the policy's XDP verdict.");
  for (size_t i = 0; i < trace::kProtoCount; ++i) {
    w.sample("packetscope_xdp_packets_total",
             {{"protocol", proto_of(i)}, {"verdict", "pass"}},
             s.funnel[i].xdp_pass.packets);
    w.sample("packetscope_xdp_packets_total",
             {{"protocol", proto_of(i)}, {"verdict", "drop"}},
             s.funnel[i].xdp_drop.packets);
  }
  w.family("packetscope_xdp_bytes_total", "counter",
           "Bytes by the policy's XDP verdict.");
  for (size_t i = 0; i < trace::kProtoCount; ++i) {
    w.sample("packetscope_xdp_bytes_total",
             {{"protocol", proto_of(i)}, {"verdict", "pass"}},
             s.funnel[i].xdp_pass.bytes);
    w.sample("packetscope_xdp_bytes_total",
             {{"protocol", proto_of(i)}, {"verdict", "drop"}},
             s.funnel[i].xdp_drop.bytes);
  }
  w.family("packetscope_stack_packets_total", "counter",
           "Received packets at each stage of the kernel stack: received "
           "(netif_receive_skb), delivered (consumed), dropped (freed with a "
           "drop reason), untracked (no end a tracepoint reported: freed "
           "without one, or still in the stack).");
  for (size_t i = 0; i < trace::kProtoCount; ++i) {
    const trace::Funnel &f = s.funnel[i];
    w.sample("packetscope_stack_packets_total",
             {{"protocol", proto_of(i)}, {"stage", "received"}}, f.stack_rx);
    w.sample("packetscope_stack_packets_total",
             {{"protocol", proto_of(i)}, {"stage", "delivered"}}, f.delivered);
    w.sample("packetscope_stack_packets_total",
             {{"protocol", proto_of(i)}, {"stage", "dropped"}}, f.dropped);
    w.sample("packetscope_stack_packets_total",
             {{"protocol", proto_of(i)}, {"stage", "untracked"}}, f.untracked);
  }
  w.family("packetscope_sent_packets_total", "counter",
           "Packets sent by the host (net_dev_xmit).");
  for (size_t i = 0; i < trace::kProtoCount; ++i)
    w.sample("packetscope_sent_packets_total", {{"protocol", proto_of(i)}},
             s.funnel[i].sent);

  w.family("packetscope_drop_reason_packets_total", "counter",
           "Packets the kernel stack dropped, by the kernel's drop reason and "
           "the layer it belongs to.");
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t> drops;
  for (const trace::DropCount &d : s.drops)
    drops[{d.layer, d.name, summary::proto_label(d.proto)}] += d.packets;
  for (const auto &[key, n] : drops)
    w.sample("packetscope_drop_reason_packets_total",
             {{"layer", std::get<0>(key)},
              {"reason", std::get<1>(key)},
              {"protocol", std::get<2>(key)}},
             n);

  const trace::TcpHealth &t = s.tcp;
  w.family("packetscope_tcp_events_total", "counter",
           "TCP connection events in the traced network namespace.");
  const std::pair<const char *, uint64_t> tcp[] = {
      {"syn_received", t.syn_received},
      {"synack_sent", t.synack_sent},
      {"syn_recv", t.syn_recv},
      {"established", t.established},
      {"passive_open", t.passive_opens},
      {"active_open", t.active_opens},
      {"closed", t.closed},
      {"reset_sent", t.resets_sent},
      {"reset_received", t.resets_received},
      {"retransmit", t.retransmits},
  };
  for (const auto &[event, n] : tcp)
    w.sample("packetscope_tcp_events_total", {{"event", event}}, n);
  w.family("packetscope_udp_rcvbuf_errors_total", "counter",
           "UDP datagrams dropped because a socket's receive buffer was full.");
  w.sample("packetscope_udp_rcvbuf_errors_total", {}, s.udp.rcvbuf_errors);
  w.family("packetscope_socket_rcvqueue_full_total", "counter",
           "Packets dropped because a socket's receive queue was full.");
  w.sample("packetscope_socket_rcvqueue_full_total", {},
           s.socket.rcvqueue_full);
  w.family("packetscope_icmp_errors_sent_total", "counter",
           "ICMP errors the stack sent, by type and code.");
  std::map<std::pair<int, int>, uint64_t> icmp;
  for (const trace::IcmpSent &e : s.icmp_sent)
    icmp[{e.type, e.code}] += e.count;
  for (const auto &[key, n] : icmp)
    w.sample("packetscope_icmp_errors_sent_total",
             {{"type", std::to_string(key.first)},
              {"code", std::to_string(key.second)}},
             n);

  w.family("packetscope_stack_latency_seconds", "histogram",
           "Time from netif_receive_skb to the packet's consume or drop.");
  for (size_t i = 0; i < trace::kProtoCount; ++i) {
    const trace::StackLatency &h = s.latency[i];
    uint64_t cumulative = 0;
    for (uint64_t b : h.buckets)
      cumulative += b;
    if (cumulative == 0)
      continue;
    cumulative = 0;
    for (size_t b = 0; b < trace::kLatencyBuckets; ++b) {
      cumulative += h.buckets[b];
      char le[32];
      std::snprintf(le, sizeof le, "%.9g",
                    static_cast<double>(summary::latency_bucket_hi(b)) / 1e9);
      w.sample("packetscope_stack_latency_seconds_bucket",
               {{"protocol", proto_of(i)}, {"le", le}}, cumulative);
    }
    w.sample("packetscope_stack_latency_seconds_bucket",
             {{"protocol", proto_of(i)}, {"le", "+Inf"}}, cumulative);
    w.sample_double("packetscope_stack_latency_seconds_sum",
                    {{"protocol", proto_of(i)}},
                    static_cast<double>(h.sum_ns) / 1e9);
    w.sample("packetscope_stack_latency_seconds_count",
             {{"protocol", proto_of(i)}}, cumulative);
  }

  w.family("packetscope_sources_tracked", "gauge",
           "Source addresses in the tracer's per-source table.");
  w.sample("packetscope_sources_tracked", {}, s.sources.size());
  w.family("packetscope_trace_events_lost_total", "counter",
           "Packet path events the ring buffer had no room for.");
  w.sample("packetscope_trace_events_lost_total", {}, s.ring_lost);
  w.family("packetscope_hook_attached", "gauge",
           "1 if the tracing hook is attached (attach tells how), 0 if not.");
  for (const trace::HookStatus &h : s.hooks)
    w.sample("packetscope_hook_attached",
             {{"hook", h.name}, {"attach", h.attach}},
             uint64_t{h.missing.empty() && !h.attach.empty() ? 1u : 0u});
}

void policies(Writer &w, const std::vector<summary::PolicyView> &views,
              uint64_t now_ns, const MetricsOptions &o) {
  w.family("packetscope_policy_attached", "gauge",
           "1 if a policy is in force on the interface.");
  for (const summary::PolicyView &p : views)
    w.sample("packetscope_policy_attached",
             {{"interface", p.iface}, {"policy", p.policy}},
             uint64_t{p.attached ? 1u : 0u});
  w.family("packetscope_rules", "gauge", "Rules of the policy in force.");
  for (const summary::PolicyView &p : views)
    w.sample("packetscope_rules", {{"interface", p.iface}}, p.rules.size());
  w.family("packetscope_rules_omitted", "gauge",
           "Rules without their own series (past metrics.max_rules).");
  for (const summary::PolicyView &p : views)
    w.sample("packetscope_rules_omitted", {{"interface", p.iface}},
             p.rules.size() > o.max_rules ? p.rules.size() - o.max_rules : 0);

  auto each_rule = [&](auto fn) {
    for (const summary::PolicyView &p : views) {
      size_t n = 0;
      for (const summary::RuleView &r : p.rules)
        if (n++ < o.max_rules)
          fn(p, r);
      fn(p, p.default_rule);
    }
  };
  auto labels = [](const summary::PolicyView &p, const summary::RuleView &r) {
    return Labels{{"interface", p.iface},
                  {"rule", r.name},
                  {"action", r.action},
                  {"origin", r.origin},
                  {"mode", r.shadow ? "shadow" : "enforced"}};
  };
  w.family("packetscope_rule_packets_total", "counter",
           "Packets each rule matched (the default verdict is rule "
           "\"default\").");
  each_rule([&](const summary::PolicyView &p, const summary::RuleView &r) {
    w.sample("packetscope_rule_packets_total", labels(p, r), r.packets);
  });
  w.family("packetscope_rule_bytes_total", "counter",
           "Bytes each rule matched.");
  each_rule([&](const summary::PolicyView &p, const summary::RuleView &r) {
    w.sample("packetscope_rule_bytes_total", labels(p, r), r.bytes);
  });
  w.family("packetscope_rule_shadow_packets_total", "counter",
           "Packets a shadow rule would have decided.");
  each_rule([&](const summary::PolicyView &p, const summary::RuleView &r) {
    if (r.shadow)
      w.sample("packetscope_rule_shadow_packets_total",
               {{"interface", p.iface}, {"rule", r.name}}, r.shadow_packets);
  });
  w.family("packetscope_rule_ttl_seconds", "gauge",
           "Time left until a rule with a ttl expires.");
  each_rule([&](const summary::PolicyView &p, const summary::RuleView &r) {
    if (r.expires_ns)
      w.sample_double(
          "packetscope_rule_ttl_seconds",
          {{"interface", p.iface}, {"rule", r.name}},
          static_cast<double>(summary::ttl_left_ms(*r.expires_ns, now_ns)) /
              1000);
  });
  w.family("packetscope_dynamic_set_entries", "gauge",
           "Entries of a dynamic set.");
  for (const summary::PolicyView &p : views)
    for (const summary::SetView &s : p.sets)
      w.sample("packetscope_dynamic_set_entries",
               {{"interface", p.iface}, {"set", s.name}}, s.entries);
  w.family("packetscope_dynamic_set_capacity", "gauge",
           "Capacity of a dynamic set.");
  for (const summary::PolicyView &p : views)
    for (const summary::SetView &s : p.sets)
      w.sample("packetscope_dynamic_set_capacity",
               {{"interface", p.iface}, {"set", s.name}}, s.capacity);
}

void daemon(Writer &w, const DaemonMetrics &d) {
  w.family("packetscope_build_info", "gauge", "psd's version.");
  w.sample("packetscope_build_info", {{"version", d.version}}, 1);
  w.family("packetscope_window_seconds", "gauge",
           "The length of a window (one summary each).");
  w.sample_double("packetscope_window_seconds", {}, d.window_seconds);
  w.family("packetscope_windows_total", "counter",
           "Windows completed (summaries made).");
  w.sample("packetscope_windows_total", {}, d.windows);
  w.family("packetscope_reading_failures_total", "counter",
           "Readings of the tracer that failed (no window ended).");
  w.sample("packetscope_reading_failures_total", {}, d.failed_readings);
  w.family("packetscope_windows_kept", "gauge",
           "Summaries kept in memory (the ring).");
  w.sample("packetscope_windows_kept", {}, d.ring_summaries);
  w.family("packetscope_windows_kept_bytes", "gauge",
           "JSON bytes of the summaries kept in memory.");
  w.sample("packetscope_windows_kept_bytes", {}, d.ring_bytes);
  w.family("packetscope_trace_paths_kept", "gauge",
           "Sampled packet paths kept for /api/v1/trace.");
  w.sample("packetscope_trace_paths_kept", {}, d.paths_kept);
  w.family("packetscope_trace_paths_total", "counter",
           "Sampled packet paths received from the tracer.");
  w.sample("packetscope_trace_paths_total", {}, d.paths_total);
  w.family("packetscope_events_clients", "gauge",
           "Clients of the event stream.");
  w.sample("packetscope_events_clients", {}, d.event_clients);
  w.family("packetscope_events_published_total", "counter",
           "Events published on the event stream.");
  w.sample("packetscope_events_published_total", {}, d.events_published);
  w.family("packetscope_events_lost_total", "counter",
           "Events dropped from slow clients' queues.");
  w.sample("packetscope_events_lost_total", {}, d.events_lost);
  w.family("packetscope_api_requests_total", "counter",
           "API requests by route and status code.");
  for (const RequestCount &r : d.requests)
    w.sample("packetscope_api_requests_total",
             {{"route", r.route}, {"code", std::to_string(r.code)}}, r.count);
  w.family("packetscope_policy_load_failures_total", "counter",
           "Policies that failed to load; the policy in force stayed.");
  for (const auto &[iface, n] : d.policy_failures)
    w.sample("packetscope_policy_load_failures_total", {{"interface", iface}},
             n);
  if (d.object_cache) {
    w.family("packetscope_policy_object_cache_lookups_total", "counter",
             "Policy builds that found their compiled object in the object "
             "cache (hit: Clang not run) or not (miss).");
    w.sample("packetscope_policy_object_cache_lookups_total",
             {{"result", "hit"}}, d.object_cache_hits);
    w.sample("packetscope_policy_object_cache_lookups_total",
             {{"result", "miss"}}, d.object_cache_misses);
    w.family("packetscope_policy_object_cache_rejected_total", "counter",
             "Object cache entries found damaged or not psd's own, removed "
             "(each also counts as a miss).");
    w.sample("packetscope_policy_object_cache_rejected_total", {},
             d.object_cache_rejected);
    w.family("packetscope_policy_object_cache_store_failures_total", "counter",
             "Compiled objects that could not be stored in the object cache "
             "(its directory gone or full); the policies were built.");
    w.sample("packetscope_policy_object_cache_store_failures_total", {},
             d.object_cache_store_failures);
  }
  w.family("packetscope_process_cpu_seconds_total", "counter",
           "CPU time psd used, user and system.");
  w.sample_double("packetscope_process_cpu_seconds_total", {},
                  d.process.cpu_seconds);
  w.family("packetscope_process_resident_memory_bytes", "gauge",
           "psd's resident memory.");
  w.sample("packetscope_process_resident_memory_bytes", {},
           d.process.resident_bytes);
  w.family("packetscope_process_max_resident_memory_bytes", "gauge",
           "psd's peak resident memory.");
  w.sample("packetscope_process_max_resident_memory_bytes", {},
           d.process.max_resident_bytes);
  w.family("packetscope_process_start_time_seconds", "gauge",
           "When psd started, in seconds since the epoch.");
  w.sample_double("packetscope_process_start_time_seconds", {},
                  d.process.start_time_seconds);
  render_governance(w, d.governance);
  render_llm(w, d.llm);
}

uint64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<uint64_t>(ts.tv_nsec);
}

} // namespace

ProcessStats read_process_stats() {
  ProcessStats p;
  long ticks = ::sysconf(_SC_CLK_TCK);
  long page = ::sysconf(_SC_PAGESIZE);
  std::ifstream stat("/proc/self/stat");
  std::string line;
  if (ticks > 0 && std::getline(stat, line)) {
    // The command name (field 2) may hold spaces: skip past its ')'.
    size_t close = line.rfind(')');
    std::istringstream in(close == std::string::npos ? ""
                                                     : line.substr(close + 2));
    std::string field;
    std::vector<std::string> f;
    while (in >> field)
      f.push_back(field);
    // f[0] is field 3 (state); utime is 14, stime 15, starttime 22, rss 24.
    if (f.size() > 21) {
      p.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
      double start_after_boot = std::stod(f[19]) / ticks;
      std::ifstream up("/proc/uptime");
      double uptime = 0;
      if (up >> uptime) {
        timespec now{};
        ::clock_gettime(CLOCK_REALTIME, &now);
        p.start_time_seconds =
            static_cast<double>(now.tv_sec) - uptime + start_after_boot;
      }
      p.resident_bytes = std::stoull(f[21]) * static_cast<uint64_t>(page);
    }
  }
  std::ifstream status("/proc/self/status");
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0)
      p.max_resident_bytes = std::stoull(line.substr(6)) * 1024;
  return p;
}

std::string render_metrics(const summary::Observation *latest,
                           const DaemonMetrics &daemon_metrics,
                           const MetricsOptions &options) {
  Writer w;
  if (latest != nullptr) {
    traffic(w, latest->snapshot);
    policies(w, latest->policies, monotonic_ns(), options);
  }
  daemon(w, daemon_metrics);
  return w.take();
}

} // namespace psr::api
