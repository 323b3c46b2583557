#include "trace/observation.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <fcntl.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <vector>

#include "psl_dynset.h" // struct psl_ip_key
#include "psl_parse.h"
#include "pso_abi.h"

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

SourceStats merge_source(const void *key, const pso_src_val *v, int ncpus) {
  const auto *k = static_cast<const psl_ip_key *>(key);
  SourceStats s;
  std::memcpy(s.addr.data(), k->addr, 16);
  s.family = k->family;
  uint64_t dports[PSO_DPORT_WORDS] = {};
  uint64_t daddrs[PSO_DADDR_WORDS] = {};
  for (int c = 0; c < ncpus; ++c) {
    const pso_src_val &x = v[c];
    if (x.first_seen_ns != 0 &&
        (s.first_seen_ns == 0 || x.first_seen_ns < s.first_seen_ns))
      s.first_seen_ns = x.first_seen_ns;
    if (x.last_seen_ns > s.last_seen_ns)
      s.last_seen_ns = x.last_seen_ns;
    s.packets += x.packets;
    s.bytes += x.bytes;
    s.tcp_syn += x.tcp_syn;
    s.icmp_echo += x.icmp_echo;
    s.udp += x.udp;
    s.xdp_drop += x.xdp_drop;
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

Status XdpObservation::read(Snapshot &snap) const {
  const int ncpus = possible_cpus();
  std::vector<pso_verdict_cnt> cnt(ncpus);
  for (uint32_t p = 0; p < PSO_PROTO_COUNT && p < kProtoCount; ++p) {
    if (bpf_map_lookup_elem(proto_.get(), &p, cnt.data()) != 0) {
      // An observation that is off has one slot: the others read as zero.
      if (errno == ENOENT)
        continue;
      return Error(
          std::string("cannot read pso_proto: ") + std::strerror(errno), errno);
    }
    Funnel &f = snap.funnel[p];
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
  // Every entry; an entry the LRU evicts between two calls is skipped.
  std::vector<pso_src_val> vals(ncpus);
  psl_ip_key key, next;
  const psl_ip_key *prev = nullptr;
  while (bpf_map_get_next_key(src_.get(), prev, &next) == 0) {
    key = next;
    prev = &key;
    if (bpf_map_lookup_elem(src_.get(), &key, vals.data()) != 0)
      continue;
    snap.sources.push_back(merge_source(&key, vals.data(), ncpus));
  }
  snap.ring_lost += read_lost(budget_.get());
  return Status::success();
}

Status XdpObservation::set_sampling(const Sampling &s) const {
  return write_sampling(cfg_.get(), s);
}

} // namespace psr::trace
