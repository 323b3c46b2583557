#include "trace/observation.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <mutex>
#include <vector>

#include "psl_parse.h"
#include "pso_abi.h"
#include "trace/source_totals.h"

namespace psr::trace {

using psl::backend::Error;
using psl::backend::Expected;
using psl::backend::Status;
using psl::backend::UniqueFd;

namespace {

int possible_cpus() {
  const int n = libbpf_num_possible_cpus();
  return n > 0 ? n : 1;
}

Expected<UniqueFd> open_map(const std::string &dir, const char *name) {
  const std::string path = dir + "/" + name;
  UniqueFd fd(bpf_obj_get(path.c_str()));
  if (!fd)
    return Error("cannot open the XDP observation map " + path + ": " +
                     std::strerror(errno) +
                     " (was the policy loaded with the observation on?)",
                 errno);
  return fd;
}

Expected<UniqueFd> dup_map(const psl::backend::BpfObject &obj,
                           const char *name) {
  const int fd = obj.map_fd(name);
  if (fd < 0)
    return Error(std::string("the policy object has no map ") + name +
                 " (built without the XDP observation?)");
  UniqueFd copy(fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!copy)
    return Error(std::string("cannot duplicate map ") + name, errno);
  return copy;
}

} // namespace

Status parse_address(const std::string &text, std::array<uint8_t, 16> &addr,
                     uint8_t &family) {
  addr.fill(0);
  in_addr v4;
  in6_addr v6;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    addr[10] = addr[11] = 0xff;
    std::memcpy(addr.data() + 12, &v4, 4);
    family = 4;
    return Status::success();
  }
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    std::memcpy(addr.data(), &v6, 16);
    family = 6;
    return Status::success();
  }
  return Error("'" + text + "' is not an IPv4 or IPv6 address");
}

Status write_sampling(int cfg_map_fd, const Sampling &s) {
  pso_cfg cfg;
  std::memset(&cfg, 0, sizeof cfg);
  cfg.sample_every = s.every;
  cfg.max_events_per_sec = s.max_events_per_sec;
  cfg.filter_port = s.port;
  if (!s.address.empty()) {
    std::array<uint8_t, 16> a;
    uint8_t family = 0;
    if (Status st = parse_address(s.address, a, family); !st.ok())
      return st;
    std::memcpy(cfg.filter_addr, a.data(), 16);
    cfg.filter_family = family;
  }
  const uint32_t zero = 0;
  if (bpf_map_update_elem(cfg_map_fd, &zero, &cfg, BPF_ANY) != 0)
    return Error(std::string("cannot write the sampling configuration: ") +
                     std::strerror(errno),
                 errno);
  return Status::success();
}

struct XdpObservation::Sources {
  std::mutex mu;
  SourceTotals totals;
};

XdpObservation::XdpObservation() : sources_(std::make_unique<Sources>()) {}
XdpObservation::~XdpObservation() = default;
XdpObservation::XdpObservation(XdpObservation &&) noexcept = default;
XdpObservation &XdpObservation::operator=(XdpObservation &&) noexcept = default;

Expected<XdpObservation> XdpObservation::open_pinned(const std::string &dir) {
  XdpObservation o;
  struct Slot {
    const char *name;
    UniqueFd *fd;
  };
  for (Slot s : {Slot{"pso_proto", &o.proto_}, Slot{"pso_src", &o.src_},
                 Slot{"pso_cfg", &o.cfg_}, Slot{"pso_budget", &o.budget_},
                 Slot{"pso_events", &o.events_}}) {
    auto fd = open_map(dir, s.name);
    if (!fd.ok())
      return fd.error();
    *s.fd = std::move(*fd);
  }
  return o;
}

Expected<XdpObservation>
XdpObservation::from_object(const psl::backend::BpfObject &obj) {
  XdpObservation o;
  struct Slot {
    const char *name;
    UniqueFd *fd;
  };
  for (Slot s : {Slot{"pso_proto", &o.proto_}, Slot{"pso_src", &o.src_},
                 Slot{"pso_cfg", &o.cfg_}, Slot{"pso_budget", &o.budget_},
                 Slot{"pso_events", &o.events_}}) {
    auto fd = dup_map(obj, s.name);
    if (!fd.ok())
      return fd.error();
    *s.fd = std::move(*fd);
  }
  return o;
}

uint32_t linear_count(uint32_t bits, uint32_t zeros) {
  if (bits == 0)
    return 0;
  const double m = bits;
  const double z = zeros == 0 ? 1.0 : zeros;
  return static_cast<uint32_t>(std::lround(-m * std::log(z / m)));
}

SourceStats merge_source(const uint8_t *addr, uint8_t family,
                         const std::vector<const pso_src_val *> &shares) {
  SourceStats s;
  std::memcpy(s.addr.data(), addr, 16);
  s.family = family;
  uint64_t dports[PSO_DPORT_WORDS] = {};
  uint64_t daddrs[PSO_DADDR_WORDS] = {};
  for (const pso_src_val *v : shares) {
    const pso_src_val &x = *v;
    if (x.first_seen != 0 &&
        (s.first_seen_ns == 0 || x.first_seen < s.first_seen_ns))
      s.first_seen_ns = x.first_seen;
    if (x.last_seen > s.last_seen_ns)
      s.last_seen_ns = x.last_seen;
    s.packets += x.packets;
    s.bytes += x.bytes;
    s.tcp_syn += x.tcp_syn;
    s.icmp_echo += x.icmp_echo;
    s.udp += x.udp;
    s.xdp_drop += x.xdp_drop;
    s.tcp_syn_drop += x.tcp_syn_drop;
    s.icmp_echo_drop += x.icmp_echo_drop;
    s.udp_drop += x.udp_drop;
    for (int i = 0; i < PSO_REFLECTION_PORTS; ++i)
      s.udp_reflection[i] += x.udp_reflection[i];
    for (int i = 0; i < PSO_DPORT_WORDS; ++i)
      dports[i] |= x.dport_bits[i];
    for (int i = 0; i < PSO_DADDR_WORDS; ++i)
      daddrs[i] |= x.daddr_bits[i];
  }
  uint32_t zeros = 0;
  for (uint64_t w : dports)
    zeros += 64 - __builtin_popcountll(w);
  // A source without TCP/UDP has no ports.
  s.distinct_dports = zeros == 64 * PSO_DPORT_WORDS
                          ? 0
                          : linear_count(64 * PSO_DPORT_WORDS, zeros);
  zeros = 0;
  for (uint64_t w : daddrs)
    zeros += 64 - __builtin_popcountll(w);
  s.distinct_daddrs = linear_count(64 * PSO_DADDR_WORDS, zeros);
  return s;
}

namespace {

struct TimerList {
  uint64_t now_ns = 0, jiffies = 0;
};

Expected<TimerList> read_timer_list() {
  std::ifstream in("/proc/timer_list");
  TimerList t;
  std::string line;
  bool now = false, jiffies = false;
  while (std::getline(in, line) && !(now && jiffies)) {
    unsigned long long v = 0;
    if (!now && std::sscanf(line.c_str(), "now at %llu nsecs", &v) == 1) {
      t.now_ns = v;
      now = true;
    } else if (!jiffies &&
               std::sscanf(line.c_str(), "jiffies: %llu", &v) == 1) {
      t.jiffies = v;
      jiffies = true;
    }
  }
  if (!now || !jiffies)
    return Error("cannot read the kernel's clock from /proc/timer_list: the "
                 "sources' first and last seen times need it");
  return t;
}

// The tick rate the kernel may have, nearest to `estimate`.
uint32_t snap_hz(double estimate) {
  uint32_t best = 250;
  for (uint32_t hz : {100u, 250u, 300u, 1000u})
    if (std::fabs(hz - estimate) < std::fabs(best - estimate))
      best = hz;
  return best;
}

} // namespace

Expected<JiffiesClock> JiffiesClock::read() {
  auto t = read_timer_list();
  if (!t)
    return t.error();
  // jiffies started at 2^32 - 300 * HZ when the kernel booted (its
  // INITIAL_JIFFIES), and CLOCK_MONOTONIC at about 0.
  const double uptime = static_cast<double>(t->now_ns) / 1e9;
  double hz = 0;
  if (uptime > 600) {
    hz = (static_cast<double>(t->jiffies) - 4294967296.0) / (uptime - 300);
  } else { // too early for that to tell 250 from 300: measure
    timespec pause{0, 200000000};
    nanosleep(&pause, nullptr);
    auto u = read_timer_list();
    if (!u)
      return u.error();
    hz = static_cast<double>(u->jiffies - t->jiffies) * 1e9 /
         static_cast<double>(u->now_ns - t->now_ns);
    t = u;
  }
  return from(t->now_ns, t->jiffies, snap_hz(hz));
}

uint64_t JiffiesClock::to_ns(uint64_t j) const {
  if (j == 0)
    return 0;
  const int64_t delta = static_cast<int64_t>(jiffies_ - j);
  const int64_t ns = static_cast<int64_t>(now_ns_) -
                     delta * static_cast<int64_t>(1000000000 / hz_);
  return ns > 0 ? static_cast<uint64_t>(ns) : 0;
}

uint32_t sample_id_of_frame(const uint8_t *frame, size_t len) {
  psl_pkt p;
  psl_parse_buffer(frame, static_cast<__u32>(len), &p);
  pso_ident id;
  std::memset(&id, 0, sizeof id);
  std::memcpy(id.saddr, p.ip_src, 16);
  std::memcpy(id.daddr, p.ip_dst, 16);
  id.family = p.ip_version;
  id.ip_proto = p.ip_proto;
  if (p.present & PSL_PRESENT_L4) {
    id.sport = p.l4_sport;
    id.dport = p.l4_dport;
  }
  if ((p.present & PSL_PRESENT_IPV4) && p.l3_off + 6u <= len)
    id.ip_id =
        static_cast<uint16_t>((frame[p.l3_off + 4] << 8) | frame[p.l3_off + 5]);
  if ((p.present & (PSL_PRESENT_TCP | PSL_PRESENT_UDP | PSL_PRESENT_ICMP |
                    PSL_PRESENT_ICMP6)) &&
      p.l4_off + 8u <= len)
    std::memcpy(&id.l4_disc, frame + p.l4_off + 4, 4);
  return pso_ident_hash(&id);
}

uint64_t read_lost(int budget_map_fd) {
  const int ncpus = possible_cpus();
  std::vector<pso_budget> v(ncpus);
  const uint32_t zero = 0;
  if (bpf_map_lookup_elem(budget_map_fd, &zero, v.data()) != 0)
    return 0;
  uint64_t lost = 0;
  for (const auto &b : v)
    lost += b.lost;
  return lost;
}

namespace {

// The id of the map behind `fd` (0 if it cannot be read).
uint32_t map_id(int fd) {
  bpf_map_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
    return 0;
  return info.id;
}

} // namespace

Status XdpObservation::read(Snapshot &snap) const {
  const int ncpus = possible_cpus();
  std::vector<pso_verdict_cnt> cnt(ncpus);
  const uint32_t proto_id = map_id(proto_.get());
  for (uint32_t p = 0; p < PSO_PROTO_COUNT && p < kProtoCount; ++p) {
    if (bpf_map_lookup_elem(proto_.get(), &p, cnt.data()) != 0) {
      // An observation that is off has one slot: the others read as zero.
      if (errno == ENOENT)
        continue;
      return Error(
          std::string("cannot read pso_proto: ") + std::strerror(errno), errno);
    }
    Funnel &f = snap.funnel[p];
    bool tcp = p == PSO_PROTO_IPV4_TCP || p == PSO_PROTO_IPV6_TCP;
    for (int cpu = 0; cpu < ncpus && tcp; ++cpu)
      if (cnt[cpu].syn_port_votes != 0)
        snap.tcp.syn_ports.push_back(
            {cnt[cpu].syn_port, cnt[cpu].syn_port_hits,
             (uint64_t{proto_id} << 32) | (uint64_t(cpu) << 8) | p});
    for (const auto &c : cnt) {
      f.xdp_pass.packets += c.pass_packets;
      f.xdp_pass.bytes += c.pass_bytes;
      f.xdp_drop.packets += c.drop_packets;
      f.xdp_drop.bytes += c.drop_bytes;
      f.nic.packets += c.pass_packets + c.drop_packets;
      f.nic.bytes += c.pass_bytes + c.drop_bytes;
      snap.tcp.syn_received += c.tcp_syn;
    }
  }
  // Every slot of every CPU; the shares of one source are in the same
  // slot (its index is a hash of the address), but a slot may hold
  // another source on another CPU.
  auto clock = JiffiesClock::read();
  if (!clock)
    return clock.error();
  // One batch for the whole table (a syscall per slot takes ~20 ms).
  std::vector<uint32_t> keys(PSO_SRC_SLOTS);
  std::vector<pso_src_slot> all(static_cast<size_t>(PSO_SRC_SLOTS) * ncpus);
  uint32_t count = PSO_SRC_SLOTS, next = 0;
  LIBBPF_OPTS(bpf_map_batch_opts, batch);
  if (bpf_map_lookup_batch(src_.get(), nullptr, &next, keys.data(), all.data(),
                           &count, &batch) != 0 &&
      errno != ENOENT) {
    count = 0; // no batch support: slot by slot
    for (uint32_t i = 0; i < PSO_SRC_SLOTS; ++i, ++count)
      if (bpf_map_lookup_elem(src_.get(), &i, &all[size_t(i) * ncpus]) != 0)
        break; // an observation that is off has one slot
  }
  const size_t before = snap.sources.size();
  {
    std::lock_guard<std::mutex> lock(sources_->mu);
    sources_->totals.update(all.data(), count, ncpus, snap.sources);
  }
  for (size_t k = before; k < snap.sources.size(); ++k) {
    SourceStats &s = snap.sources[k];
    s.first_seen_ns = clock->to_ns(s.first_seen_ns);
    s.last_seen_ns = clock->to_ns(s.last_seen_ns);
  }
  snap.ring_lost += read_lost(budget_.get());
  return Status::success();
}

Status XdpObservation::set_sampling(const Sampling &s) const {
  return write_sampling(cfg_.get(), s);
}

} // namespace psr::trace
