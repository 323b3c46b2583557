#include "analyze/detector/detector.h"

#include <cmath>
#include <map>
#include <random>
#include <set>
#include <utility>

#include "analyze/detector/proposal_text.h"

namespace psr::analyze {

namespace {

// Per-source findings become one action per source; a source found for
// several reasons is handled by the first group here (a fast scanner also
// sends SYNs at a flood's rate: it goes into the scanners' set).
enum class Group : uint8_t { Scan, Syn, Icmp, Udp };
constexpr Group kGroups[] = {Group::Scan, Group::Syn, Group::Icmp, Group::Udp};

Group group_of(Detection d) {
  switch (d) {
  case Detection::VerticalScan:
  case Detection::HorizontalScan:
    return Group::Scan;
  case Detection::SynSourceFlood:
    return Group::Syn;
  case Detection::IcmpSourceFlood:
    return Group::Icmp;
  default:
    return Group::Udp;
  }
}

const char *group_name(Group g) {
  switch (g) {
  case Group::Scan:
    return "scan";
  case Group::Syn:
    return "syn";
  case Group::Icmp:
    return "icmp";
  case Group::Udp:
    return "udp";
  }
  return "udp";
}

// "9512" for rates and counts alike: whole numbers read best.
std::string number(double v) {
  return std::to_string(static_cast<long long>(std::llround(v)));
}

// The proposal's `analysis` stays short whatever the number of sources.
constexpr size_t kMaxAnalysis = 2000;
void clip(std::string &s) {
  if (s.size() > kMaxAnalysis)
    s = s.substr(0, kMaxAnalysis - 3) + "...";
}

// One source and the findings that make it one.
struct Source {
  std::string addr; // canonical
  int family = 4;
  std::vector<const RipeFinding *> why;
};

} // namespace

EmbeddedDetector::EmbeddedDetector(DetectorOptions options)
    : options_(std::move(options)), tracker_(options_.hold_ticks) {
  // Several detectors (one per policy context) may propose in the same
  // millisecond: each has its own tag in the ids.
  static constexpr char kHex[] = "0123456789abcdef";
  uint32_t r = std::random_device{}();
  for (int i = 0; i < 4; ++i, r >>= 4)
    instance_ += kHex[r & 15];
}

// One call of analyze(): what the context says, and the proposals made.
class EmbeddedDetector::Tick {
public:
  Tick(EmbeddedDetector &d, const summary::Summary &w,
       const DetectorContext &ctx)
      : d_(d), o_(d.options_), w_(w), ctx_(ctx) {
    flood_set_ = pick_flood_set();
    scan_set_ = flood_set_;
    for (const BlockSet &b : ctx.block_sets)
      if (!o_.scan_set.empty() && b.name == o_.scan_set)
        scan_set_ = &b;
  }

  std::vector<Proposal> run(const std::vector<RipeFinding> &ripe) {
    sources(ripe);
    for (const RipeFinding &r : ripe)
      if (!is_per_source(r.finding.detection))
        many_sources(r);
    return std::move(out_);
  }

private:
  const BlockSet *pick_flood_set() const {
    for (const BlockSet &b : ctx_.block_sets)
      if (o_.block_set.empty() || b.name == o_.block_set)
        return &b;
    return nullptr;
  }

  // The context's lists as sets, made when first needed: most windows
  // have no ripe finding, and a block set may hold many entries.
  bool blocked(const std::string &addr) {
    if (!blocked_ready_) {
      d_.blocked_cache_.refresh(ctx_.blocked);
      blocked_ready_ = true;
    }
    return d_.blocked_cache_.contains(addr);
  }
  std::set<std::string> &names() {
    if (!names_ready_) {
      names_.insert(ctx_.rules_in_force.begin(), ctx_.rules_in_force.end());
      names_ready_ = true;
    }
    return names_;
  }

  uint64_t repropose_ns() const {
    return static_cast<uint64_t>(o_.repropose_after.count()) * 1'000'000;
  }
  bool recently(const std::string &action) const {
    return d_.tracker_.proposed_within(action, ctx_.now_ns, repropose_ns());
  }

  // "detector_icmp_flood_3": the first number that no rule in force and
  // no rule of this window has.
  std::string fresh_name(const std::string &base) {
    for (;;) {
      std::string name = base + "_" + std::to_string(d_.next_rule_++);
      if (names().insert(name).second)
        return name;
    }
  }
  bool in_force(const std::string &prefix) {
    auto it = names().lower_bound(prefix);
    return it != names_.end() && it->compare(0, prefix.size(), prefix) == 0;
  }

  Proposal start(Proposal::Kind kind,
                 const std::vector<const RipeFinding *> &why) {
    Proposal p;
    p.id = "detector-" + std::to_string(ctx_.now_unix_ms) + "-" + d_.instance_ +
           "-" + std::to_string(d_.next_id_++);
    p.origin = Origin::Detector;
    p.kind = kind;
    p.created_unix_ms = ctx_.now_unix_ms;
    p.evidence.cited = true;
    std::map<uint64_t, EvidenceWindow> windows;
    for (const RipeFinding *r : why) {
      for (const EvidenceWindow &w : r->windows())
        windows.emplace(w.seq, w);
      std::vector<EvidenceCounter> counters = r->counters();
      p.evidence.counters.insert(p.evidence.counters.end(), counters.begin(),
                                 counters.end());
    }
    for (const auto &[seq, w] : windows)
      p.evidence.windows.push_back(w);
    return p;
  }

  void add_policy(Proposal p, const std::vector<GeneratedRule> &rules) {
    p.policy_name = rules.front().name;
    p.psl = generated_policy(p.policy_name, rules, o_.ttl);
    for (const GeneratedRule &r : rules)
      p.rules.push_back(
          {r.name, "drop", static_cast<uint64_t>(o_.ttl.count()), false});
    clip(p.analysis);
    out_.push_back(std::move(p));
  }

  static std::string describe(const RipeFinding &r) {
    const Finding &f = r.finding;
    std::string s = f.subject.empty() ? "" : f.subject + ": ";
    return s + number(f.level) + " " + f.unit + " (" +
           detection_name(f.detection) + ", threshold " + number(f.threshold) +
           (f.hard ? ", over the hard threshold" : "") + ")";
  }

  // ---- per-source findings: a set insert, or a rule

  void sources(const std::vector<RipeFinding> &ripe) {
    std::map<std::string, Source> by_addr;
    std::vector<std::string> order;
    for (const RipeFinding &r : ripe) {
      if (!is_per_source(r.finding.detection))
        continue;
      auto addr = canonical_address(r.finding.subject);
      if (!addr)
        continue; // never put what is not an address into a policy
      auto [it, fresh] = by_addr.try_emplace(*addr);
      if (fresh) {
        it->second.addr = *addr;
        it->second.family = r.finding.family == 6 ? 6 : 4;
        order.push_back(*addr);
      }
      it->second.why.push_back(&r);
    }
    std::map<Group, std::vector<const Source *>> groups;
    for (const std::string &a : order) {
      const Source &s = by_addr.at(a);
      Group g = Group::Udp;
      for (Group c : kGroups) {
        bool has = false;
        for (const RipeFinding *r : s.why)
          has = has || group_of(r->finding.detection) == c;
        if (has) {
          g = c;
          break;
        }
      }
      groups[g].push_back(&s);
    }
    for (Group g : kGroups)
      if (auto it = groups.find(g); it != groups.end())
        group(g, it->second);
  }

  void group(Group g, const std::vector<const Source *> &members) {
    const BlockSet *set = g == Group::Scan ? scan_set_ : flood_set_;
    std::vector<const Source *> inserts, rules;
    for (const Source *s : members) {
      bool in_set = set != nullptr && blocked(s->addr);
      std::string insert_action =
          set == nullptr ? "" : "insert|" + set->name + "|" + s->addr;
      if (set != nullptr && !in_set) {
        if (!recently(insert_action) && inserts.size() < o_.max_sources) {
          inserts.push_back(s);
          d_.tracker_.proposed(insert_action, ctx_.now_ns);
        }
        continue;
      }
      // In the set and still passing: only a window that began after our
      // insert shows that (the ones before hold the traffic before it).
      uint64_t inserted = set ? d_.tracker_.proposed_at(insert_action) : 0;
      if (inserted != 0 && w_.window.start_ns <= inserted)
        continue;
      std::string action =
          std::string("block|") + group_name(g) + "|" + s->addr;
      if (!recently(action) && rules.size() < o_.max_sources) {
        rules.push_back(s);
        d_.tracker_.proposed(action, ctx_.now_ns);
      }
    }
    if (!inserts.empty())
      insert(*set, inserts);
    if (!rules.empty())
      block_rules(g, set, rules);
  }

  static std::vector<const RipeFinding *>
  reasons(const std::vector<const Source *> &sources) {
    std::vector<const RipeFinding *> why;
    for (const Source *s : sources)
      why.insert(why.end(), s->why.begin(), s->why.end());
    return why;
  }

  static std::string list_reasons(const std::vector<const Source *> &sources) {
    std::string s;
    for (const Source *src : sources)
      for (const RipeFinding *r : src->why)
        s += (s.empty() ? "" : "; ") + describe(*r);
    return s;
  }

  void insert(const BlockSet &set, const std::vector<const Source *> &sources) {
    Proposal p = start(Proposal::Kind::SetInsert, reasons(sources));
    p.insert.set = set.name;
    p.insert.ttl_ms = static_cast<uint64_t>(o_.ttl.count());
    for (const Source *s : sources)
      p.insert.values.push_back(s->addr);
    p.analysis = std::to_string(sources.size()) + " source" +
                 (sources.size() == 1 ? "" : "s") +
                 " over threshold: " + list_reasons(sources) +
                 ". Proposed: add to set '" + set.name +
                 "' (dropped by rule '" + set.rule + "') for " +
                 psl_duration(o_.ttl) + ".";
    clip(p.analysis);
    out_.push_back(std::move(p));
  }

  // The SYN port of the window, when one takes syn_port_percent of the
  // SYNs (0: none).
  uint16_t syn_port() const {
    const auto &ports = w_.tcp.syn_ports;
    if (ports.empty() || w_.tcp.syn_received.per_s <= 0)
      return 0;
    return ports.front().syns.per_s * 100 >=
                   w_.tcp.syn_received.per_s *
                       static_cast<double>(o_.syn_port_percent)
               ? ports.front().port
               : 0;
  }

  // Block rules, narrowed to what the sources were found sending (a
  // generated drop must not touch protected traffic, so the less it
  // matches the likelier it is accepted): echo requests, SYNs (toward the
  // window's SYN port when one dominates), UDP; scanners whole.
  void block_rules(Group g, const BlockSet *set,
                   const std::vector<const Source *> &sources) {
    Proposal p = start(Proposal::Kind::Policy, reasons(sources));
    std::vector<std::string> v4, v6, all;
    for (const Source *s : sources) {
      (s->family == 6 ? v6 : v4).push_back(s->addr);
      all.push_back(s->addr);
    }
    std::string base = std::string("detector_") + group_name(g) + "_block";
    std::vector<GeneratedRule> rules;
    switch (g) {
    case Group::Icmp:
      if (!v4.empty())
        rules.push_back(
            {fresh_name(base),
             "ip.src in " + ip_set(v4) + " and icmp.type == echo_request"});
      if (!v6.empty())
        rules.push_back(
            {fresh_name(base),
             "ip.src in " + ip_set(v6) + " and icmp6.type == echo_request"});
      break;
    case Group::Syn: {
      std::string cond =
          "ip.src in " + ip_set(all) + " and tcp.syn and not tcp.ack";
      if (uint16_t port = syn_port())
        cond += " and tcp.dport == " + std::to_string(port);
      rules.push_back({fresh_name(base), cond});
      break;
    }
    case Group::Udp:
      rules.push_back({fresh_name(base),
                       "ip.src in " + ip_set(all) + " and ip.proto == udp"});
      break;
    case Group::Scan:
      rules.push_back({fresh_name(base), "ip.src in " + ip_set(all)});
      break;
    }
    std::string why =
        set == nullptr
            ? "the policy has no dynamic set that blocks sources"
            : "they are in set '" + set->name +
                  "' already, but their traffic still passes (a rule before '" +
                  set->rule + "' passes it; generated rules come first)";
    p.analysis = std::to_string(sources.size()) + " source" +
                 (sources.size() == 1 ? "" : "s") +
                 " over threshold: " + list_reasons(sources) + ". " + why +
                 ". Proposed: drop it by a rule for " + psl_duration(o_.ttl) +
                 ".";
    add_policy(std::move(p), rules);
  }

  // ---- findings of many sources: a rate-limit rule

  void many_sources(const RipeFinding &r) {
    const Finding &f = r.finding;
    std::string base;
    std::vector<std::string> conditions;
    std::string what;
    switch (f.detection) {
    case Detection::IcmpFlood: {
      base = "detector_icmp_flood";
      std::string limit = " and rate(ip.dst) > " + psl_rate(o_.icmp_limit_pps);
      if (f.ipv4)
        conditions.push_back("icmp.type == echo_request" + limit);
      if (f.ipv6)
        conditions.push_back("icmp6.type == echo_request" + limit);
      what = "limit echo requests to " + psl_rate(o_.icmp_limit_pps) +
             " per destination address";
      break;
    }
    case Detection::SynFlood: {
      base = "detector_syn_flood_" + f.subject;
      std::string cond = "tcp.syn and not tcp.ack and rate(ip.dst, "
                         "tcp.dport) > " +
                         psl_rate(o_.syn_limit_pps);
      if (f.port) {
        conditions.push_back("tcp.dport == " + std::to_string(f.port) +
                             " and " + cond);
        what = "limit SYNs toward port " + std::to_string(f.port) + " to " +
               psl_rate(o_.syn_limit_pps) + " per destination address";
      } else {
        conditions.push_back(cond);
        what = "no port takes " + std::to_string(o_.syn_port_percent) +
               "% of the SYNs: limit SYNs to " + psl_rate(o_.syn_limit_pps) +
               " per destination address and port";
      }
      break;
    }
    case Detection::UdpReflection:
      base = "detector_udp_reflection_" + f.subject;
      conditions.push_back("udp.sport == " + std::to_string(f.port) +
                           " and rate(ip.dst) > " +
                           psl_rate(o_.reflection_limit_pps));
      what = "limit datagrams from port " + std::to_string(f.port) + " to " +
             psl_rate(o_.reflection_limit_pps) +
             " per destination address (replies under the limit still pass)";
      break;
    default:
      return;
    }
    if (in_force(base + "_"))
      return;
    std::string action = "rule|" + base;
    if (recently(action))
      return;
    d_.tracker_.proposed(action, ctx_.now_ns);
    std::vector<GeneratedRule> rules;
    for (const std::string &c : conditions)
      rules.push_back({fresh_name(base), c});
    Proposal p = start(Proposal::Kind::Policy, {&r});
    p.analysis = std::string(detection_name(f.detection)) + ": " +
                 number(f.level) + " " + f.unit + " (threshold " +
                 number(f.threshold) +
                 (f.hard ? ", over the hard threshold" : "") + ") from " +
                 std::to_string(w_.talkers.active_sources) +
                 " active sources, beyond what flagged sources and the "
                 "policy's drops explain. Proposed: " +
                 what + " for " + psl_duration(o_.ttl) + ".";
    add_policy(std::move(p), rules);
  }

  EmbeddedDetector &d_;
  const DetectorOptions &o_;
  const summary::Summary &w_;
  const DetectorContext &ctx_;
  std::set<std::string> names_;
  bool blocked_ready_ = false, names_ready_ = false;
  const BlockSet *flood_set_ = nullptr;
  const BlockSet *scan_set_ = nullptr;
  std::vector<Proposal> out_;
};

std::vector<Proposal> EmbeddedDetector::analyze(const summary::Summary &window,
                                                const DetectorContext &ctx) {
  EvidenceWindow w{window.seq,
                   static_cast<int64_t>(window.window.start_unix_ms),
                   static_cast<int64_t>(window.window.end_unix_ms)};
  std::vector<RipeFinding> ripe =
      tracker_.update(find_signals(window, options_), w);
  tracker_.forget_before(
      ctx.now_ns,
      static_cast<uint64_t>(options_.repropose_after.count()) * 1'000'000);
  if (ripe.empty())
    return {};
  return Tick(*this, window, ctx).run(ripe);
}

} // namespace psr::analyze
