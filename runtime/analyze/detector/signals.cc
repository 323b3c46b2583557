#include "analyze/detector/signals.h"

#include <algorithm>
#include <initializer_list>
#include <set>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace psr::analyze {

namespace {

using summary::ReflectionRate;
using summary::Summary;
using summary::Talker;

// What of a traffic class the policy let through, per second: a source
// the policy drops already is handled, and one it rate-limits counts only
// with what still passes. The tracer counts each source's drops by class,
// so a source whose other traffic is dropped (a blocked scanner whose
// SSH still passes) is not read as passing SYNs it did not send.
double passed_per_s(const summary::Count &all, const summary::Count &dropped) {
  return std::max(0.0, all.per_s - dropped.per_s);
}

// The share of a source's UDP the policy dropped (its reflection
// datagrams are UDP too, and not counted apart).
double udp_drop_share(const Talker &t) {
  if (t.udp.count == 0)
    return 0;
  return static_cast<double>(std::min(t.udp_drop.count, t.udp.count)) /
         static_cast<double>(t.udp.count);
}

double reflection_per_s(const std::vector<ReflectionRate> &rates,
                        uint16_t port) {
  for (const ReflectionRate &r : rates)
    if (r.port == port)
      return r.packets.per_s;
  return 0;
}
double reflection_per_s(const Talker &t) {
  double n = 0;
  for (const ReflectionRate &r : t.udp_reflection)
    n += r.packets.per_s;
  return n;
}
uint64_t reflection_count(const Talker &t) {
  uint64_t n = 0;
  for (const ReflectionRate &r : t.udp_reflection)
    n += r.packets.count;
  return n;
}

// Packets seen at XDP and passed, over some traffic classes.
struct ClassShare {
  uint64_t nic = 0, pass = 0;
  double share() const {
    return nic ? static_cast<double>(pass) / static_cast<double>(nic) : 1;
  }
};
ClassShare class_share(const Summary &s,
                       std::initializer_list<std::string_view> labels) {
  ClassShare c;
  for (const summary::ProtocolRates &p : s.protocols)
    for (std::string_view l : labels)
      if (p.proto == l) {
        c.nic += p.nic.packets;
        c.pass += p.xdp_pass.packets;
      }
  return c;
}

// A talker's member by its name in the summary's JSON: "traffic.pps",
// "distinct_dports", or a count's "tcp_syn.per_s", "udp_drop.count".
double talker_value(const Talker &t, std::string_view member) {
  if (member == "traffic.pps")
    return t.traffic.pps;
  if (member == "traffic.packets")
    return static_cast<double>(t.traffic.packets);
  if (member == "distinct_dports")
    return t.distinct_dports;
  if (member == "distinct_daddrs")
    return t.distinct_daddrs;
  const size_t dot = member.rfind('.');
  if (dot == std::string_view::npos)
    return 0;
  const std::string_view base = member.substr(0, dot);
  const bool count = member.substr(dot + 1) == "count";
  const std::pair<std::string_view, const summary::Count *> counts[] = {
      {"tcp_syn", &t.tcp_syn},
      {"tcp_syn_drop", &t.tcp_syn_drop},
      {"icmp_echo", &t.icmp_echo},
      {"icmp_echo_drop", &t.icmp_echo_drop},
      {"udp", &t.udp},
      {"udp_drop", &t.udp_drop},
      {"xdp_drop", &t.xdp_drop}};
  for (const auto &[name, c] : counts)
    if (name == base)
      return count ? static_cast<double>(c->count) : c->per_s;
  return 0;
}

std::string place(const char *list, const Talker &t) {
  return std::string("talkers.") + list + "[" + t.addr + "]";
}

std::string port_text(uint16_t port) { return std::to_string(port); }

// Reads one window. Per-source findings first: the detections of many
// sources leave out what the flagged sources send.
class Reader {
public:
  Reader(const Summary &s, const DetectorOptions &o) : s_(s), o_(o) {}

  std::vector<Finding> run() {
    for (const Talker &t : s_.talkers.top)
      source_floods(t);
    scans();
    icmp_flood();
    syn_flood();
    reflection();
    return std::move(out_);
  }

private:
  Finding &add(Detection d, std::string subject, double level, double threshold,
               double hard, const char *unit) {
    Finding f;
    f.detection = d;
    f.subject = std::move(subject);
    f.level = level;
    f.threshold = threshold;
    f.hard = level >= hard;
    f.unit = unit;
    out_.push_back(std::move(f));
    return out_.back();
  }

  void read_talker(Finding &f, const Talker &t, const char *list,
                   std::initializer_list<const char *> members) {
    f.family = t.family;
    std::string at = place(list, t);
    for (const char *m : members)
      f.counters.push_back({at + "." + m, talker_value(t, m)});
  }

  void source_floods(const Talker &t) {
    double icmp = passed_per_s(t.icmp_echo, t.icmp_echo_drop);
    if (icmp >= static_cast<double>(o_.icmp_source_pps)) {
      Finding &f =
          add(Detection::IcmpSourceFlood, t.addr, icmp,
              static_cast<double>(o_.icmp_source_pps),
              static_cast<double>(o_.icmp_source_hard_pps), "echo requests/s");
      read_talker(f, t, "top",
                  {"icmp_echo.per_s", "icmp_echo_drop.per_s", "traffic.pps"});
      flagged_icmp_.insert(t.addr);
      flagged_icmp_level_ += icmp;
    }
    double syn = passed_per_s(t.tcp_syn, t.tcp_syn_drop);
    if (syn >= static_cast<double>(o_.syn_source_pps)) {
      Finding &f = add(Detection::SynSourceFlood, t.addr, syn,
                       static_cast<double>(o_.syn_source_pps),
                       static_cast<double>(o_.syn_source_hard_pps), "SYNs/s");
      read_talker(f, t, "top",
                  {"tcp_syn.per_s", "tcp_syn_drop.per_s", "traffic.pps"});
      flagged_syn_.insert(t.addr);
      flagged_syn_level_ += syn;
    }
    double udp = std::max(0.0, t.udp.per_s - reflection_per_s(t)) *
                 (1 - udp_drop_share(t));
    if (udp >= static_cast<double>(o_.udp_source_pps)) {
      Finding &f =
          add(Detection::UdpSourceFlood, t.addr, udp,
              static_cast<double>(o_.udp_source_pps),
              static_cast<double>(o_.udp_source_hard_pps), "datagrams/s");
      read_talker(f, t, "top", {"udp.per_s", "udp_drop.per_s", "traffic.pps"});
    }
  }

  // A source that probes: most of its packets in the window are SYNs,
  // echo requests or UDP not from a reflection port (answers from a
  // server we are a client of are ACKs, or come from port 53 or 123), and
  // the policy does not drop most of them already.
  void scans() {
    std::unordered_set<std::string_view> seen;
    auto consider = [&](const Talker &t, const char *list) {
      if (!seen.insert(t.addr).second || t.traffic.packets == 0)
        return;
      uint64_t udp = t.udp.count - std::min(t.udp.count, reflection_count(t));
      uint64_t probes = t.tcp_syn.count + t.icmp_echo.count + udp;
      if (probes < o_.scan_min_probes ||
          probes * 100 < uint64_t{o_.scan_probe_percent} * t.traffic.packets)
        return;
      // Probes the policy drops already: SYNs and echo requests by their
      // own counts, UDP by its share.
      double dropped =
          static_cast<double>(
              std::min(t.tcp_syn_drop.count, t.tcp_syn.count) +
              std::min(t.icmp_echo_drop.count, t.icmp_echo.count)) +
          static_cast<double>(udp) * udp_drop_share(t);
      if (dropped * 2 >= static_cast<double>(probes))
        return;
      const std::initializer_list<const char *> members = {
          "distinct_dports",      "distinct_daddrs",    "traffic.packets",
          "tcp_syn.count",        "tcp_syn_drop.count", "icmp_echo.count",
          "icmp_echo_drop.count", "udp.count",          "udp_drop.count"};
      if (t.distinct_dports >= o_.scan_ports) {
        Finding &f =
            add(Detection::VerticalScan, t.addr, t.distinct_dports,
                o_.scan_ports, o_.scan_hard_ports, "destination ports");
        read_talker(f, t, list, members);
      }
      if (t.distinct_daddrs >= o_.scan_addrs) {
        Finding &f =
            add(Detection::HorizontalScan, t.addr, t.distinct_daddrs,
                o_.scan_addrs, o_.scan_hard_addrs, "destination addresses");
        read_talker(f, t, list, members);
      }
    };
    for (const Talker &t : s_.talkers.fanout)
      consider(t, "fanout");
    for (const Talker &t : s_.talkers.fanout_addrs)
      consider(t, "fanout_addrs");
    for (const Talker &t : s_.talkers.top)
      consider(t, "top");
  }

  // What all sources together send that the flagged sources and the
  // policy's drops do not explain, two ways (the smaller counts): `total`
  // (all sources) times its traffic class's share of packets passed,
  // less what the flagged sources pass; and `sources` (the per-source
  // counters summed) less the top talkers' dropped and flagged shares.
  static double unexplained(double total, double class_pass_share,
                            double flagged_level, double sources,
                            double top_excluded) {
    double by_class = total * class_pass_share - flagged_level;
    double by_talkers = sources - top_excluded;
    return std::max(0.0, std::min(by_class, by_talkers));
  }

  void icmp_flood() {
    const double all = s_.talkers.all.icmp_echo.per_s;
    if (all < static_cast<double>(o_.icmp_total_pps))
      return;
    double excluded = 0;
    for (const Talker &t : s_.talkers.top)
      excluded += flagged_icmp_.count(t.addr)
                      ? t.icmp_echo.per_s
                      : std::min(t.icmp_echo_drop.per_s, t.icmp_echo.per_s);
    ClassShare v4 = class_share(s_, {"ipv4/icmp"});
    ClassShare v6 = class_share(s_, {"ipv6/icmp"});
    ClassShare both{v4.nic + v6.nic, v4.pass + v6.pass};
    double level =
        unexplained(all, both.share(), flagged_icmp_level_, all, excluded);
    if (level < static_cast<double>(o_.icmp_total_pps))
      return;
    Finding &f = add(
        Detection::IcmpFlood, "", level, static_cast<double>(o_.icmp_total_pps),
        static_cast<double>(o_.icmp_total_hard_pps), "echo requests/s");
    f.ipv4 = v4.nic > 0 || v6.nic == 0;
    f.ipv6 = v6.nic > 0;
    f.counters = {
        {"talkers.all.icmp_echo.per_s", all},
        {"talkers.active_sources",
         static_cast<double>(s_.talkers.active_sources)},
        {"protocols[ipv4/icmp].nic.packets", static_cast<double>(v4.nic)},
        {"protocols[ipv4/icmp].xdp_pass.packets", static_cast<double>(v4.pass)},
        {"protocols[ipv6/icmp].nic.packets", static_cast<double>(v6.nic)},
        {"protocols[ipv6/icmp].xdp_pass.packets",
         static_cast<double>(v6.pass)}};
  }

  void syn_flood() {
    const double syn = s_.tcp.syn_received.per_s;
    const double all = s_.talkers.all.tcp_syn.per_s;
    if (syn < static_cast<double>(o_.syn_total_pps) ||
        s_.talkers.active_sources < o_.syn_min_sources)
      return;
    double excluded = 0;
    for (const Talker &t : s_.talkers.top)
      excluded += flagged_syn_.count(t.addr)
                      ? t.tcp_syn.per_s
                      : std::min(t.tcp_syn_drop.per_s, t.tcp_syn.per_s);
    ClassShare tcp = class_share(s_, {"ipv4/tcp", "ipv6/tcp"});
    double level =
        unexplained(syn, tcp.share(), flagged_syn_level_, all, excluded);
    if (level < static_cast<double>(o_.syn_total_pps))
      return;
    double opens = s_.tcp.passive_opens.per_s;
    double incomplete = 1 - std::min(1.0, opens / level);
    if (incomplete * 100 < static_cast<double>(o_.syn_incomplete_percent))
      return;
    uint16_t port = 0;
    double port_rate = 0;
    if (!s_.tcp.syn_ports.empty() &&
        s_.tcp.syn_ports.front().syns.per_s * 100 >=
            syn * static_cast<double>(o_.syn_port_percent)) {
      port = s_.tcp.syn_ports.front().port;
      port_rate = s_.tcp.syn_ports.front().syns.per_s;
    }
    Finding &f = add(Detection::SynFlood, port ? port_text(port) : "any", level,
                     static_cast<double>(o_.syn_total_pps),
                     static_cast<double>(o_.syn_total_hard_pps), "SYNs/s");
    f.port = port;
    f.counters = {{"tcp.syn_received.per_s", syn},
                  {"talkers.all.tcp_syn.per_s", all},
                  {"tcp.passive_opens.per_s", opens},
                  {"tcp.synack_sent.per_s", s_.tcp.synack_sent.per_s},
                  {"talkers.active_sources",
                   static_cast<double>(s_.talkers.active_sources)}};
    if (port)
      f.counters.push_back(
          {"tcp.syn_ports[" + port_text(port) + "].per_s", port_rate});
  }

  void reflection() {
    ClassShare udp = class_share(s_, {"ipv4/udp", "ipv6/udp"});
    for (uint16_t port : trace::kReflectionPorts) {
      const double all = reflection_per_s(s_.talkers.all.udp_reflection, port);
      if (all < static_cast<double>(o_.reflection_pps))
        continue;
      double excluded = 0;
      for (const Talker &t : s_.talkers.top)
        excluded +=
            reflection_per_s(t.udp_reflection, port) * udp_drop_share(t);
      double level = unexplained(all, udp.share(), 0, all, excluded);
      if (level < static_cast<double>(o_.reflection_pps))
        continue;
      Finding &f =
          add(Detection::UdpReflection, port_text(port), level,
              static_cast<double>(o_.reflection_pps),
              static_cast<double>(o_.reflection_hard_pps), "datagrams/s");
      f.port = port;
      f.counters = {
          {"talkers.all.udp_reflection[" + port_text(port) + "].per_s", all},
          {"talkers.active_sources",
           static_cast<double>(s_.talkers.active_sources)},
          {"protocols[udp].nic.packets", static_cast<double>(udp.nic)},
          {"protocols[udp].xdp_pass.packets", static_cast<double>(udp.pass)}};
    }
  }

  const Summary &s_;
  const DetectorOptions &o_;
  std::vector<Finding> out_;
  std::set<std::string> flagged_icmp_, flagged_syn_;
  double flagged_icmp_level_ = 0, flagged_syn_level_ = 0;
};

} // namespace

const char *detection_name(Detection d) {
  switch (d) {
  case Detection::IcmpSourceFlood:
    return "icmp_source_flood";
  case Detection::IcmpFlood:
    return "icmp_flood";
  case Detection::SynSourceFlood:
    return "syn_source_flood";
  case Detection::SynFlood:
    return "syn_flood";
  case Detection::UdpSourceFlood:
    return "udp_source_flood";
  case Detection::UdpReflection:
    return "udp_reflection";
  case Detection::VerticalScan:
    return "vertical_scan";
  case Detection::HorizontalScan:
    return "horizontal_scan";
  }
  return "unknown";
}

bool is_per_source(Detection d) {
  switch (d) {
  case Detection::IcmpSourceFlood:
  case Detection::SynSourceFlood:
  case Detection::UdpSourceFlood:
  case Detection::VerticalScan:
  case Detection::HorizontalScan:
    return true;
  case Detection::IcmpFlood:
  case Detection::SynFlood:
  case Detection::UdpReflection:
    return false;
  }
  return false;
}

std::vector<Finding> find_signals(const summary::Summary &window,
                                  const DetectorOptions &options) {
  if (window.window.duration_s * 1000 <
          static_cast<double>(options.min_window.count()) ||
      window.window.duration_s <= 0)
    return {};
  return Reader(window, options).run();
}

} // namespace psr::analyze
