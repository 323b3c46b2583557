// Loads the BPF template probes into the kernel and checks them with
// BPF_PROG_TEST_RUN: the parser on crafted frames (against hand-written
// expectations and against the host build of the same parser), the token
// bucket on an injected clock (also across CPUs), counters and dynamic sets.
//
// Usage: psl_templates_test [DIR_WITH_BPF_OBJECTS]
// Exit: 0 pass, 1 fail, 77 skip (not root / no BPF). With PSC_REQUIRE_BPF=1
// a skip is a failure, so CI on a BPF-capable runner cannot pass silently.

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "psl_counters.h"
#include "psl_dynset.h"
#include "psl_parse.h"
#include "psl_pkt.h"
#include "psl_rate.h"

#ifndef PSC_BPF_TEST_OBJ_DIR
#define PSC_BPF_TEST_OBJ_DIR "."
#endif

namespace {

constexpr int kExitSkip = 77;
int g_failures = 0;
std::string g_libbpf_log; // libbpf messages of the current load, for failures

#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      ++g_failures;                                                            \
      std::fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);     \
      std::fprintf(stderr, __VA_ARGS__);                                       \
      std::fputc('\n', stderr);                                                \
    }                                                                          \
  } while (0)

#define CHECK_EQ(a, b, what)                                                   \
  CHECK((a) == (b), "%s: got %llu, want %llu", what,                           \
        static_cast<unsigned long long>(a),                                    \
        static_cast<unsigned long long>(b))

[[noreturn]] void skip_or_fail(const std::string &why) {
  const char *req = std::getenv("PSC_REQUIRE_BPF");
  if (req && std::string(req) == "1") {
    std::fprintf(stderr, "FAIL: BPF required (PSC_REQUIRE_BPF=1) but %s\n",
                 why.c_str());
    std::exit(1);
  }
  std::printf("SKIP: %s\n", why.c_str());
  std::exit(kExitSkip);
}

int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap) {
  if (level == LIBBPF_DEBUG)
    return 0;
  char buf[4096];
  int n = std::vsnprintf(buf, sizeof(buf), fmt, ap);
  g_libbpf_log += buf;
  return n;
}

// ---- loading ---------------------------------------------------------------

struct ObjectCloser {
  void operator()(bpf_object *o) const { bpf_object__close(o); }
};
using Object = std::unique_ptr<bpf_object, ObjectCloser>;

std::string g_obj_dir = PSC_BPF_TEST_OBJ_DIR;

// Sets a `const volatile` global before load, the way a loader without a
// skeleton does it: find the variable's offset in the .rodata DATASEC and
// write into the map's initial value.
bool set_rodata(bpf_object *obj, const char *var, const void *val,
                size_t size) {
  const btf *b = bpf_object__btf(obj);
  int sec_id = btf__find_by_name_kind(b, ".rodata", BTF_KIND_DATASEC);
  if (sec_id < 0)
    return false;
  const btf_type *sec = btf__type_by_id(b, sec_id);
  const btf_var_secinfo *vs = btf_var_secinfos(sec);
  for (int i = 0; i < btf_vlen(sec); i++, vs++) {
    const btf_type *v = btf__type_by_id(b, vs->type);
    if (std::strcmp(btf__name_by_offset(b, v->name_off), var) != 0)
      continue;
    if (vs->size != size)
      return false;
    bpf_map *m;
    bpf_object__for_each_map(m, obj) {
      std::string name = bpf_map__name(m);
      if (name.size() >= 7 &&
          name.compare(name.size() - 7, 7, ".rodata") == 0) {
        // libbpf 1.1 hands out the initial value read-only; copy, patch,
        // and set it back.
        size_t map_size = 0;
        const auto *cur =
            static_cast<const uint8_t *>(bpf_map__initial_value(m, &map_size));
        if (!cur || vs->offset + size > map_size)
          return false;
        std::vector<uint8_t> data(cur, cur + map_size);
        std::memcpy(data.data() + vs->offset, val, size);
        return bpf_map__set_initial_value(m, data.data(), data.size()) == 0;
      }
    }
  }
  return false;
}

Object
open_and_load(const char *file,
              const std::function<bool(bpf_object *)> &before_load = nullptr) {
  std::string path = g_obj_dir + "/" + file;
  g_libbpf_log.clear();
  bpf_object *obj = bpf_object__open_file(path.c_str(), nullptr);
  if (!obj) {
    std::fprintf(stderr, "FAIL: cannot open %s: %s\n%s", path.c_str(),
                 std::strerror(errno), g_libbpf_log.c_str());
    std::exit(1);
  }
  Object o(obj);
  if (before_load && !before_load(obj)) {
    std::fprintf(stderr, "FAIL: cannot set .rodata of %s\n", path.c_str());
    std::exit(1);
  }
  int err = bpf_object__load(obj);
  if (err) {
    // The object compiled, so a failed load is a verifier rejection or a
    // kernel feature gap: both are failures, shown with the verifier log.
    std::fprintf(stderr, "FAIL: loading %s: %s\n%s\n", path.c_str(),
                 std::strerror(-err), g_libbpf_log.c_str());
    std::exit(1);
  }
  return o;
}

int prog_fd(bpf_object *obj, const char *name) {
  bpf_program *p = bpf_object__find_program_by_name(obj, name);
  if (!p) {
    std::fprintf(stderr, "FAIL: program %s not found\n", name);
    std::exit(1);
  }
  return bpf_program__fd(p);
}

int map_fd(bpf_object *obj, const char *name) {
  int fd = bpf_object__find_map_fd_by_name(obj, name);
  if (fd < 0) {
    std::fprintf(stderr, "FAIL: map %s not found\n", name);
    std::exit(1);
  }
  return fd;
}

using Bytes = std::vector<uint8_t>;

// Runs the program once (or `repeat` times) on `pkt`. Returns the kernel's
// error (0 on success) and the XDP verdict in *retval.
int run(int fd, const Bytes &pkt, uint32_t *retval, uint32_t repeat = 1) {
  bpf_test_run_opts opts{};
  opts.sz = sizeof(opts);
  opts.data_in = pkt.data();
  opts.data_size_in = static_cast<uint32_t>(pkt.size());
  opts.repeat = repeat;
  int err = bpf_prog_test_run_opts(fd, &opts);
  *retval = opts.retval;
  return err ? -errno : 0;
}

// ---- frames
// ------------------------------------------------------------------

void put16(Bytes &b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void append(Bytes &b, const Bytes &more) {
  b.insert(b.end(), more.begin(), more.end());
}

const Bytes kMacDst = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
const Bytes kMacSrc = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
const Bytes kV4Src = {198, 51, 100, 7};
const Bytes kV4Dst = {203, 0, 113, 9};
const Bytes kV6Src = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                      0,    0,    0,    0,    0, 0, 0, 1};
const Bytes kV6Dst = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                      0,    0,    0,    0,    0, 0, 0, 2};

struct Tag {
  uint16_t tpid;
  uint16_t vid;
};

Bytes eth(uint16_t type, const Bytes &l3, std::vector<Tag> tags = {}) {
  Bytes b = kMacDst;
  append(b, kMacSrc);
  for (const Tag &t : tags) {
    put16(b, t.tpid);
    // PCP 1 and DEI set: vlan.id must mask both off.
    put16(b, static_cast<uint16_t>(0x3000 | t.vid));
  }
  put16(b, type);
  append(b, l3);
  return b;
}

struct V4 {
  uint8_t proto = 17;
  uint8_t ihl = 5;
  uint8_t ttl = 64;
  uint8_t tos = 0;
  uint16_t frag = 0; // flags + offset field as on the wire
  int tot_override = -1;
  uint8_t version = 4;
  Bytes src = kV4Src;
  Bytes dst = kV4Dst;
};

Bytes ipv4(const V4 &v, const Bytes &payload) {
  Bytes b;
  b.push_back(static_cast<uint8_t>(v.version << 4 | v.ihl));
  b.push_back(v.tos);
  size_t hlen = v.ihl >= 5 ? v.ihl * 4u : 20u;
  put16(b, static_cast<uint16_t>(
               v.tot_override >= 0 ? v.tot_override
                                   : static_cast<int>(hlen + payload.size())));
  put16(b, 0x1234); // id
  put16(b, v.frag);
  b.push_back(v.ttl);
  b.push_back(v.proto);
  put16(b, 0); // checksum: the parser does not look at it
  append(b, v.src);
  append(b, v.dst);
  while (b.size() < hlen)
    b.push_back(1); // NOP options
  append(b, payload);
  return b;
}

Bytes ipv6(uint8_t nh, const Bytes &payload, uint8_t tclass = 0,
           uint8_t hop = 64, const Bytes &src = kV6Src) {
  Bytes b;
  b.push_back(static_cast<uint8_t>(0x60 | tclass >> 4));
  b.push_back(static_cast<uint8_t>((tclass & 0x0f) << 4));
  put16(b, 0xbeef & 0x0fff); // flow label low bits
  put16(b, static_cast<uint16_t>(payload.size()));
  b.push_back(nh);
  b.push_back(hop);
  append(b, src);
  append(b, kV6Dst);
  append(b, payload);
  return b;
}

// An options-style extension header (hop-by-hop, destination options) of
// (units + 1) * 8 bytes, filled with PadN.
Bytes opts_ext(uint8_t nh, uint8_t units = 0) {
  Bytes b = {nh, units, 1, static_cast<uint8_t>((units + 1) * 8 - 4)};
  b.resize((units + 1) * 8u, 0);
  return b;
}
Bytes routing_ext(uint8_t nh, uint8_t type, uint8_t units) {
  Bytes b = {nh, units, type, 0};
  b.resize((units + 1) * 8u, 0);
  return b;
}
Bytes frag_ext(uint8_t nh, uint16_t offset_bytes, bool more) {
  Bytes b = {nh, 0};
  put16(b, static_cast<uint16_t>(offset_bytes | (more ? 1 : 0)));
  b.insert(b.end(), {0xca, 0xfe, 0xf0, 0x0d}); // identification
  return b;
}
Bytes ah_ext(uint8_t nh, uint8_t len_field) {
  Bytes b = {nh, len_field, 0, 0};
  b.resize((len_field + 2) * 4u, 0xa5);
  return b;
}

Bytes tcp(uint16_t sport, uint16_t dport, uint8_t flags, uint16_t window,
          uint8_t doff_words = 5) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  b.insert(b.end(), {0, 0, 0, 1, 0, 0, 0, 0}); // seq, ack
  b.push_back(static_cast<uint8_t>(doff_words << 4));
  b.push_back(flags);
  put16(b, window);
  put16(b, 0); // checksum
  put16(b, 0); // urgent
  while (b.size() < doff_words * 4u)
    b.push_back(1); // NOP options
  return b;
}
Bytes udp(uint16_t sport, uint16_t dport, const Bytes &payload,
          int len_override = -1) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put16(b, static_cast<uint16_t>(len_override >= 0
                                     ? len_override
                                     : static_cast<int>(8 + payload.size())));
  put16(b, 0);
  append(b, payload);
  return b;
}
Bytes icmp(uint8_t type, uint8_t code) {
  return {type, code, 0, 0, 0x12, 0x34, 0x00, 0x01}; // id 0x1234, seq 1
}

// ---- expectations --------------------------------------------------------

void want_eth(psl_pkt &e, uint16_t type, uint32_t pkt_len) {
  std::memcpy(e.eth_dst, kMacDst.data(), 6);
  std::memcpy(e.eth_src, kMacSrc.data(), 6);
  e.eth_type = type;
  e.pkt_len = pkt_len;
  e.present |= PSL_PRESENT_ETH;
}
void want_v4(psl_pkt &e, uint16_t l3_off, uint8_t proto, uint32_t len,
             uint8_t ttl = 64, uint8_t tos = 0) {
  e.present |= PSL_PRESENT_IPV4;
  e.ip_version = 4;
  e.l3_off = l3_off;
  e.ip_proto = proto;
  e.ip_len = len;
  e.ip_ttl = ttl;
  e.ip_tos = tos;
  e.ip_src[10] = e.ip_src[11] = 0xff;
  e.ip_dst[10] = e.ip_dst[11] = 0xff;
  std::memcpy(e.ip_src + 12, kV4Src.data(), 4);
  std::memcpy(e.ip_dst + 12, kV4Dst.data(), 4);
}
void want_v6(psl_pkt &e, uint16_t l3_off, uint8_t proto, uint32_t len,
             uint8_t hop = 64, uint8_t tclass = 0) {
  e.present |= PSL_PRESENT_IPV6;
  e.ip_version = 6;
  e.l3_off = l3_off;
  e.ip_proto = proto;
  e.ip_len = len;
  e.ip_ttl = hop;
  e.ip_tos = tclass;
  std::memcpy(e.ip_src, kV6Src.data(), 16);
  std::memcpy(e.ip_dst, kV6Dst.data(), 16);
}
void want_tcp(psl_pkt &e, uint16_t l4_off, uint16_t sport, uint16_t dport,
              uint8_t flags, uint16_t window) {
  e.present |= PSL_PRESENT_TCP | PSL_PRESENT_L4;
  e.l4_off = l4_off;
  e.tcp_sport = e.l4_sport = sport;
  e.tcp_dport = e.l4_dport = dport;
  e.tcp_window = window;
  e.tcp_flags = flags;
  e.tcp_fin = !!(flags & PSL_TCP_FIN);
  e.tcp_syn = !!(flags & PSL_TCP_SYN);
  e.tcp_rst = !!(flags & PSL_TCP_RST);
  e.tcp_psh = !!(flags & PSL_TCP_PSH);
  e.tcp_ack = !!(flags & PSL_TCP_ACK);
  e.tcp_urg = !!(flags & PSL_TCP_URG);
}
void want_udp(psl_pkt &e, uint16_t l4_off, uint16_t sport, uint16_t dport,
              uint16_t len) {
  e.present |= PSL_PRESENT_UDP | PSL_PRESENT_L4;
  e.l4_off = l4_off;
  e.udp_sport = e.l4_sport = sport;
  e.udp_dport = e.l4_dport = dport;
  e.udp_len = len;
}

// Every member, so a mismatch names the field rather than a byte offset.
struct Member {
  const char *name;
  size_t off;
  size_t size;
};
#define PSL_M(m)                                                               \
  { #m, offsetof(psl_pkt, m), sizeof(psl_pkt::m) }
const Member kMembers[] = {
    PSL_M(present),     PSL_M(pkt_len),       PSL_M(status),
    PSL_M(vlan_count),  PSL_M(l3_off),        PSL_M(l4_off),
    PSL_M(eth_type),    PSL_M(eth_dst),       PSL_M(eth_src),
    PSL_M(vlan_id),     PSL_M(ip_version),    PSL_M(ip_proto),
    PSL_M(ip_src),      PSL_M(ip_dst),        PSL_M(ip_len),
    PSL_M(ip_frag_off), PSL_M(ip_ttl),        PSL_M(ip_tos),
    PSL_M(ip_frag),     PSL_M(ip6_ext_count), PSL_M(ip6_hbh),
    PSL_M(ip6_rh_type), PSL_M(l4_sport),      PSL_M(l4_dport),
    PSL_M(tcp_sport),   PSL_M(tcp_dport),     PSL_M(tcp_window),
    PSL_M(tcp_flags),   PSL_M(tcp_syn),       PSL_M(tcp_ack),
    PSL_M(tcp_fin),     PSL_M(tcp_rst),       PSL_M(tcp_psh),
    PSL_M(tcp_urg),     PSL_M(icmp_type),     PSL_M(icmp_code),
    PSL_M(icmp6_type),  PSL_M(icmp6_code),    PSL_M(_pad0),
    PSL_M(udp_sport),   PSL_M(udp_dport),     PSL_M(udp_len),
};
#undef PSL_M

std::string hex(const uint8_t *p, size_t n) {
  std::string s;
  char buf[4];
  for (size_t i = 0; i < n; i++) {
    std::snprintf(buf, sizeof(buf), "%02x", p[i]);
    s += buf;
  }
  return s;
}

uint64_t as_uint(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  std::memcpy(&v, p, n); // host order, little or big: same as the struct
  return v;
}

void compare(const char *test, const char *who, const psl_pkt &got,
             const psl_pkt &want) {
  size_t covered = 0;
  for (const Member &m : kMembers)
    covered += m.size;
  CHECK_EQ(covered, sizeof(psl_pkt), "kMembers covers psl_pkt");
  const auto *g = reinterpret_cast<const uint8_t *>(&got);
  const auto *w = reinterpret_cast<const uint8_t *>(&want);
  for (const Member &m : kMembers) {
    if (std::memcmp(g + m.off, w + m.off, m.size) == 0)
      continue;
    ++g_failures;
    if (m.size <= 4)
      std::fprintf(stderr,
                   "FAIL %s (%s): %s = %llu (0x%llx), want %llu (0x%llx)\n",
                   test, who, m.name,
                   static_cast<unsigned long long>(as_uint(g + m.off, m.size)),
                   static_cast<unsigned long long>(as_uint(g + m.off, m.size)),
                   static_cast<unsigned long long>(as_uint(w + m.off, m.size)),
                   static_cast<unsigned long long>(as_uint(w + m.off, m.size)));
    else
      std::fprintf(stderr, "FAIL %s (%s): %s = %s, want %s\n", test, who,
                   m.name, hex(g + m.off, m.size).c_str(),
                   hex(w + m.off, m.size).c_str());
  }
}

// ---- parser cases ----------------------------------------------------------

struct ParseCase {
  const char *name;
  Bytes frame;
  psl_pkt want;
  // XDP never sees frames under ETH_HLEN: BPF_PROG_TEST_RUN refuses them
  // with EINVAL and bpf_xdp_adjust_tail/head cannot shrink below 14
  // bytes. Such cases run only through the host build of the parser.
  bool host_only = false;
};

psl_pkt blank() {
  psl_pkt p;
  std::memset(&p, 0, sizeof(p));
  return p;
}

std::vector<ParseCase> parse_cases() {
  std::vector<ParseCase> cs;
  const Bytes payload4 = {'p', 's', 'l', '!'};

  { // IPv4 / TCP SYN
    Bytes seg = tcp(40000, 443, PSL_TCP_SYN, 64240);
    V4 v;
    v.proto = 6;
    v.tos = 0x10;
    Bytes f = eth(0x0800, ipv4(v, seg));
    psl_pkt e = blank();
    want_eth(e, 0x0800, static_cast<uint32_t>(f.size()));
    want_v4(e, 14, 6, 40, 64, 0x10);
    want_tcp(e, 34, 40000, 443, PSL_TCP_SYN, 64240);
    cs.push_back({"ipv4 tcp syn", f, e});
  }
  { // IPv4 with options (IHL 7) / UDP; Ethernet padding after the datagram
    V4 v;
    v.ihl = 7;
    v.ttl = 1;
    Bytes f = eth(0x0800, ipv4(v, udp(5353, 53, payload4)));
    f.resize(f.size() + 10, 0); // trailer the IP length excludes
    psl_pkt e = blank();
    want_eth(e, 0x0800, static_cast<uint32_t>(f.size()));
    want_v4(e, 14, 17, 28 + 12, 1);
    want_udp(e, 42, 5353, 53, 12);
    cs.push_back({"ipv4 options udp", f, e});
  }
  { // 802.1Q
    V4 v;
    Bytes f = eth(0x0800, ipv4(v, udp(1000, 2000, payload4)), {{0x8100, 100}});
    psl_pkt e = blank();
    want_eth(e, 0x0800, static_cast<uint32_t>(f.size()));
    e.present |= PSL_PRESENT_VLAN;
    e.vlan_id = 100;
    e.vlan_count = 1;
    want_v4(e, 18, 17, 32);
    want_udp(e, 38, 1000, 2000, 12);
    cs.push_back({"802.1q ipv4 udp", f, e});
  }
  { // QinQ: 802.1ad outer, 802.1Q inner; vlan.id is the outer one
    V4 v;
    v.proto = 6;
    Bytes f =
        eth(0x0800, ipv4(v, tcp(1234, 22, PSL_TCP_ACK | PSL_TCP_PSH, 512)),
            {{0x88a8, 300}, {0x8100, 42}});
    psl_pkt e = blank();
    want_eth(e, 0x0800, static_cast<uint32_t>(f.size()));
    e.present |= PSL_PRESENT_VLAN;
    e.vlan_id = 300;
    e.vlan_count = 2;
    want_v4(e, 22, 6, 40);
    want_tcp(e, 42, 1234, 22, PSL_TCP_ACK | PSL_TCP_PSH, 512);
    cs.push_back({"qinq ipv4 tcp", f, e});
  }
  { // three tags: more than PSL_VLAN_MAX
    V4 v;
    Bytes f = eth(0x0800, ipv4(v, udp(1, 2, payload4)),
                  {{0x88a8, 1}, {0x8100, 2}, {0x8100, 3}});
    psl_pkt e = blank();
    want_eth(e, 0x8100, static_cast<uint32_t>(f.size()));
    e.present |= PSL_PRESENT_VLAN;
    e.vlan_id = 1;
    e.vlan_count = 2;
    e.status = PSL_STATUS_MALFORMED;
    cs.push_back({"three vlan tags", f, e});
  }
  { // IPv6: hop-by-hop, routing (SRH type 4), fragment (first, M=1), UDP
    Bytes dgram = udp(546, 547, payload4);
    Bytes chain = opts_ext(43 /* routing */);
    append(chain, routing_ext(44 /* fragment */, 4, 2));
    append(chain, frag_ext(17, 0, true));
    append(chain, dgram);
    Bytes f = eth(0x86dd, ipv6(0 /* hop-by-hop */, chain, 0xb8, 255));
    psl_pkt e = blank();
    want_eth(e, 0x86dd, static_cast<uint32_t>(f.size()));
    want_v6(e, 14, 17, static_cast<uint32_t>(40 + chain.size()), 255, 0xb8);
    e.ip6_ext_count = 3;
    e.ip6_hbh = 1;
    e.ip6_rh_type = 4;
    e.present |= PSL_PRESENT_IP6_RH;
    e.ip_frag = 1;
    e.ip_frag_off = 0;
    want_udp(e, 14 + 40 + 8 + 24 + 8, 546, 547, 12);
    cs.push_back({"ipv6 hbh+rh+frag udp", f, e});
  }
  { // IPv6 non-first fragment: the bytes after it are payload, not UDP
    Bytes chain = frag_ext(17, 1232, false);
    append(chain, udp(9999, 53, payload4)); // looks like UDP, must not parse
    Bytes f = eth(0x86dd, ipv6(44, chain));
    psl_pkt e = blank();
    want_eth(e, 0x86dd, static_cast<uint32_t>(f.size()));
    want_v6(e, 14, 17, static_cast<uint32_t>(40 + chain.size()));
    e.ip6_ext_count = 1;
    e.ip_frag = 1;
    e.ip_frag_off = 1232;
    cs.push_back({"ipv6 non-first fragment", f, e});
  }
  {                             // IPv6 AH then TCP
    Bytes chain = ah_ext(6, 4); // (4 + 2) * 4 = 24 bytes
    append(chain, tcp(50000, 80, PSL_TCP_FIN | PSL_TCP_ACK, 1024));
    Bytes f = eth(0x86dd, ipv6(51, chain));
    psl_pkt e = blank();
    want_eth(e, 0x86dd, static_cast<uint32_t>(f.size()));
    want_v6(e, 14, 6, static_cast<uint32_t>(40 + chain.size()));
    e.ip6_ext_count = 1;
    want_tcp(e, 14 + 40 + 24, 50000, 80, PSL_TCP_FIN | PSL_TCP_ACK, 1024);
    cs.push_back({"ipv6 ah tcp", f, e});
  }
  { // AH of 12 bytes: legal on IPv4, not on IPv6 (multiple of 8 required)
    Bytes chain = ah_ext(17, 1);
    append(chain, udp(1, 2, payload4));
    Bytes f = eth(0x86dd, ipv6(51, chain));
    psl_pkt e = blank();
    want_eth(e, 0x86dd, static_cast<uint32_t>(f.size()));
    want_v6(e, 14, 51, static_cast<uint32_t>(40 + chain.size()));
    e.status = PSL_STATUS_MALFORMED;
    cs.push_back({"ipv6 ah odd length", f, e});
  }
  { // nine destination-options headers: one more than PSL_IP6_MAX_EXT
    Bytes chain;
    for (int i = 0; i < 9; i++)
      append(chain, opts_ext(i == 8 ? 17 : 60));
    append(chain, udp(1, 2, payload4));
    Bytes f = eth(0x86dd, ipv6(60, chain));
    psl_pkt e = blank();
    want_eth(e, 0x86dd, static_cast<uint32_t>(f.size()));
    want_v6(e, 14, 60, static_cast<uint32_t>(40 + chain.size()));
    e.ip6_ext_count = 8;
    e.status = PSL_STATUS_MALFORMED;
    cs.push_back({"ipv6 nine ext headers", f, e});
  }
  { // hop-by-hop after another extension header (RFC 8200 4.1)
    Bytes chain = opts_ext(0);
    append(chain, opts_ext(17));
    append(chain, udp(1, 2, payload4));
    Bytes f = eth(0x86dd, ipv6(60, chain));
    psl_pkt e = blank();
    want_eth(e, 0x86dd, static_cast<uint32_t>(f.size()));
    want_v6(e, 14, 0, static_cast<uint32_t>(40 + chain.size()));
    e.ip6_ext_count = 1;
    e.status = PSL_STATUS_MALFORMED;
    cs.push_back({"ipv6 late hop-by-hop", f, e});
  }
  { // ICMP echo request
    V4 v;
    v.proto = 1;
    Bytes f = eth(0x0800, ipv4(v, icmp(8, 0)));
    psl_pkt e = blank();
    want_eth(e, 0x0800, static_cast<uint32_t>(f.size()));
    want_v4(e, 14, 1, 28);
    e.present |= PSL_PRESENT_ICMP;
    e.icmp_type = 8;
    e.l4_off = 34;
    cs.push_back({"icmp echo", f, e});
  }
  { // ICMPv6 echo request
    Bytes f = eth(0x86dd, ipv6(58, icmp(128, 0)));
    psl_pkt e = blank();
    want_eth(e, 0x86dd, static_cast<uint32_t>(f.size()));
    want_v6(e, 14, 58, 48);
    e.present |= PSL_PRESENT_ICMP6;
    e.icmp6_type = 128;
    e.l4_off = 54;
    cs.push_back({"icmpv6 echo", f, e});
  }
  { // Ethernet cut to 10 bytes
    Bytes f = eth(0x0800, {});
    f.resize(10);
    psl_pkt e = blank();
    e.pkt_len = 10;
    e.status = PSL_STATUS_TRUNCATED;
    cs.push_back({"truncated ethernet", f, e, true});
  }
  { // Ethernet fine, VLAN tag cut short (the kernel-visible truncation)
    Bytes f = eth(0x8100, {});
    psl_pkt e = blank();
    want_eth(e, 0x8100, 14);
    e.status = PSL_STATUS_TRUNCATED;
    cs.push_back({"truncated vlan tag", f, e});
  }
  { // IPv4 header cut at 12 bytes
    V4 v;
    Bytes f = eth(0x0800, ipv4(v, udp(1, 2, payload4)));
    f.resize(14 + 12);
    psl_pkt e = blank();
    want_eth(e, 0x0800, 26);
    e.status = PSL_STATUS_TRUNCATED;
    cs.push_back({"truncated ipv4 header", f, e});
  }
  { // IHL 3
    V4 v;
    v.ihl = 3;
    Bytes f = eth(0x0800, ipv4(v, udp(1, 2, payload4)));
    psl_pkt e = blank();
    want_eth(e, 0x0800, static_cast<uint32_t>(f.size()));
    e.status = PSL_STATUS_MALFORMED;
    cs.push_back({"ipv4 ihl 3", f, e});
  }
  { // version nibble 6 behind EtherType IPv4
    V4 v;
    v.version = 6;
    Bytes f = eth(0x0800, ipv4(v, udp(1, 2, payload4)));
    psl_pkt e = blank();
    want_eth(e, 0x0800, static_cast<uint32_t>(f.size()));
    e.status = PSL_STATUS_MALFORMED;
    cs.push_back({"ipv4 wrong version", f, e});
  }
  { // TCP data offset 4
    V4 v;
    v.proto = 6;
    Bytes seg = tcp(1, 2, PSL_TCP_SYN, 100);
    seg[12] = 4 << 4;
    Bytes f = eth(0x0800, ipv4(v, seg));
    psl_pkt e = blank();
    want_eth(e, 0x0800, static_cast<uint32_t>(f.size()));
    want_v4(e, 14, 6, 40);
    e.status = PSL_STATUS_MALFORMED;
    cs.push_back({"tcp doff 4", f, e});
  }
  { // TCP data offset 15 with only 20 header bytes in the datagram
    V4 v;
    v.proto = 6;
    Bytes seg = tcp(1, 2, PSL_TCP_SYN, 100);
    seg[12] = 15 << 4;
    Bytes f = eth(0x0800, ipv4(v, seg));
    psl_pkt e = blank();
    want_eth(e, 0x0800, static_cast<uint32_t>(f.size()));
    want_v4(e, 14, 6, 40);
    e.status = PSL_STATUS_TRUNCATED;
    cs.push_back({"tcp options past datagram", f, e});
  }
  { // total length claims more than the frame holds
    V4 v;
    v.tot_override = 1500;
    Bytes f = eth(0x0800, ipv4(v, udp(1, 2, payload4)));
    psl_pkt e = blank();
    want_eth(e, 0x0800, static_cast<uint32_t>(f.size()));
    want_v4(e, 14, 17, 1500);
    e.status = PSL_STATUS_TRUNCATED;
    cs.push_back({"ipv4 length past frame", f, e});
  }
  { // IPv4 non-first fragment: no ports even though UDP-looking bytes follow
    V4 v;
    v.frag = 0x2000 | (1480 / 8); // MF, offset 1480
    Bytes f = eth(0x0800, ipv4(v, udp(7, 53, payload4)));
    psl_pkt e = blank();
    want_eth(e, 0x0800, static_cast<uint32_t>(f.size()));
    want_v4(e, 14, 17, 32);
    e.ip_frag = 1;
    e.ip_frag_off = 1480;
    cs.push_back({"ipv4 non-first fragment", f, e});
  }
  { // IPv4 first fragment (MF set, offset 0): L4 is there and parsed
    V4 v;
    v.frag = 0x2000;
    Bytes f = eth(0x0800, ipv4(v, udp(7, 53, payload4)));
    psl_pkt e = blank();
    want_eth(e, 0x0800, static_cast<uint32_t>(f.size()));
    want_v4(e, 14, 17, 32);
    e.ip_frag = 1;
    want_udp(e, 34, 7, 53, 12);
    cs.push_back({"ipv4 first fragment", f, e});
  }
  { // UDP length beyond the datagram
    V4 v;
    Bytes f = eth(0x0800, ipv4(v, udp(7, 53, payload4, 400)));
    psl_pkt e = blank();
    want_eth(e, 0x0800, static_cast<uint32_t>(f.size()));
    want_v4(e, 14, 17, 32);
    e.status = PSL_STATUS_MALFORMED;
    cs.push_back({"udp length past datagram", f, e});
  }
  { // ARP: not IP, nothing above Ethernet, status OK
    Bytes f = eth(0x0806, Bytes(28, 0));
    psl_pkt e = blank();
    want_eth(e, 0x0806, static_cast<uint32_t>(f.size()));
    cs.push_back({"arp", f, e});
  }
  return cs;
}

void test_parser() {
  Object obj = open_and_load("parse_probe.bpf.o");
  int prog = prog_fd(obj.get(), "parse_probe");
  int out = map_fd(obj.get(), "probe_out");

  for (const ParseCase &c : parse_cases()) {
    psl_pkt host;
    int host_status = psl_parse_buffer(
        c.frame.data(), static_cast<__u32>(c.frame.size()), &host);
    CHECK_EQ(host_status, c.want.status, c.name);
    compare(c.name, "host", host, c.want);

    uint32_t retval = 0;
    int err = run(prog, c.frame, &retval);
    if (c.host_only) {
      int before = g_failures;
      CHECK(err == -EINVAL, "%s: kernel accepted a %zu-byte frame (err %d)",
            c.name, c.frame.size(), err);
      if (g_failures == before)
        std::printf("ok   parse %-28s host only: the kernel refuses "
                    "frames < 14 bytes (EINVAL)\n",
                    c.name);
      continue;
    }
    CHECK(err == 0, "%s: test run failed: %s", c.name, std::strerror(-err));
    CHECK_EQ(retval, XDP_PASS + 10u * c.want.status, c.name);
    psl_pkt kern;
    uint32_t slot = 0;
    std::memset(&kern, 0xee, sizeof(kern));
    CHECK(bpf_map_lookup_elem(out, &slot, &kern) == 0, "%s: read probe_out",
          c.name);
    int before = g_failures;
    compare(c.name, "kernel", kern, c.want);
    CHECK(std::memcmp(&kern, &host, sizeof(kern)) == 0,
          "%s: kernel and host decode differ", c.name);
    if (g_failures == before)
      std::printf("ok   parse %-28s present=0x%03x status=%u\n", c.name,
                  kern.present, kern.status);
  }
}

// ---- stateful templates ----------------------------------------------------

struct StateProbe {
  Object obj;
  int clock_fd, rate_fd, ips_fd, ports_fd, cnt_fd, shadow_cnt_fd;
  int pps, bps, dynset;

  void set_clock(uint64_t ns) const {
    uint32_t slot = 0;
    CHECK(bpf_map_update_elem(clock_fd, &slot, &ns, BPF_ANY) == 0,
          "write psl_clock");
  }
};

StateProbe load_state_probe(const psl_rate_cfg &pps_cfg,
                            const psl_rate_cfg &bps_cfg) {
  uint8_t from_map = 1;
  Object obj = open_and_load("state_probe.bpf.o", [&](bpf_object *o) {
    return set_rodata(o, "probe_pps_cfg", &pps_cfg, sizeof(pps_cfg)) &&
           set_rodata(o, "probe_bps_cfg", &bps_cfg, sizeof(bps_cfg)) &&
           set_rodata(o, "psl_clock_from_map", &from_map, sizeof(from_map));
  });
  StateProbe s{};
  s.clock_fd = map_fd(obj.get(), "psl_clock");
  s.rate_fd = map_fd(obj.get(), "probe_rate");
  s.ips_fd = map_fd(obj.get(), "probe_ips");
  s.ports_fd = map_fd(obj.get(), "probe_ports");
  s.cnt_fd = map_fd(obj.get(), "psl_rule_cnt");
  s.shadow_cnt_fd = map_fd(obj.get(), "psl_shadow_cnt");
  s.pps = prog_fd(obj.get(), "rate_pps_probe");
  s.bps = prog_fd(obj.get(), "rate_bps_probe");
  s.dynset = prog_fd(obj.get(), "dynset_probe");
  s.obj = std::move(obj);
  return s;
}

// Sum of one per-CPU counter slot over all possible CPUs.
psl_counter read_counter(int fd, uint32_t id) {
  int ncpu = libbpf_num_possible_cpus();
  std::vector<psl_counter> per_cpu(ncpu > 0 ? ncpu : 1);
  psl_counter sum{};
  CHECK(bpf_map_lookup_elem(fd, &id, per_cpu.data()) == 0, "read counter %u",
        id);
  for (const psl_counter &c : per_cpu) {
    sum.packets += c.packets;
    sum.bytes += c.bytes;
  }
  return sum;
}

// IPv4/UDP from 198.51.100.<last_src_byte>, `frame_len` bytes in all; the
// UDP payload grows (not a trailer) so pkt.len, ip.len and udp.len agree.
Bytes udp_from(uint8_t last_src_byte, uint16_t dport, size_t frame_len) {
  const size_t headers = 14 + 20 + 8;
  V4 v;
  v.src[3] = last_src_byte;
  size_t payload = frame_len > headers ? frame_len - headers : 0;
  return eth(0x0800, ipv4(v, udp(4242, dport, Bytes(payload, 0x5a))));
}

// Sends `n` packets, returns how many passed; also steps the host model
// psl_rate_over_seq() and checks it agrees packet by packet.
int send_rate(int prog, const Bytes &pkt, int n, psl_rate_state *model,
              bool *model_fresh, const psl_rate_cfg &cfg, uint64_t now,
              uint64_t cost, const char *what) {
  int passed = 0;
  for (int i = 0; i < n; i++) {
    uint32_t ret = 0;
    CHECK(run(prog, pkt, &ret) == 0, "%s: test run", what);
    bool over_kernel = ret == XDP_DROP;
    bool over_model =
        psl_rate_over_seq(model, *model_fresh, &cfg, now, cost) != 0;
    if (cost <= cfg.burst_tokens)
      *model_fresh = false; // the first affordable packet creates the state
    CHECK(over_kernel == over_model,
          "%s: packet %d kernel over=%d model over=%d", what, i, over_kernel,
          over_model);
    passed += !over_kernel;
  }
  return passed;
}

void test_rate() {
  psl_rate_cfg pps{}, bps{};
  CHECK(psl_rate_cfg_make(5, 5, &pps) == 0, "cfg 5/s burst 5");
  CHECK(psl_rate_cfg_make(8000, 8000, &bps) == 0, "cfg 8000 bit/s");
  StateProbe s = load_state_probe(pps, bps);

  const uint64_t t0 = 1000 * PSL_NSEC_PER_SEC;
  Bytes a = udp_from(7, 53, 60);
  psl_rate_state model{};
  bool fresh = true;

  s.set_clock(t0);
  int passed = send_rate(s.pps, a, 10, &model, &fresh, pps, t0, 1, "pps t0");
  CHECK_EQ(passed, 5, "5/s burst 5: 10 packets at one instant pass");
  std::printf("ok   rate 5/s burst 5: 10 packets at t0 -> %d under, %d over\n",
              passed, 10 - passed);

  s.set_clock(t0 + PSL_NSEC_PER_SEC);
  passed = send_rate(s.pps, a, 10, &model, &fresh, pps, t0 + PSL_NSEC_PER_SEC,
                     1, "pps t0+1s");
  CHECK_EQ(passed, 5, "after 1 s, 5 more pass");
  std::printf("ok   rate after +1s: %d under, %d over\n", passed, 10 - passed);

  s.set_clock(t0 + PSL_NSEC_PER_SEC + 200 * 1000 * 1000);
  passed =
      send_rate(s.pps, a, 3, &model, &fresh, pps,
                t0 + PSL_NSEC_PER_SEC + 200 * 1000 * 1000, 1, "pps t0+1.2s");
  CHECK_EQ(passed, 1, "after 200 ms, exactly one token");
  std::printf("ok   rate after +200ms: %d under\n", passed);

  // Another source has its own bucket.
  psl_rate_state model_b{};
  bool fresh_b = true;
  passed =
      send_rate(s.pps, udp_from(8, 53, 60), 6, &model_b, &fresh_b, pps,
                t0 + PSL_NSEC_PER_SEC + 200 * 1000 * 1000, 1, "pps other key");
  CHECK_EQ(passed, 5, "a second key gets its own burst");

  // Bits: 100-byte frames cost 800 bits; 8000 bit burst = 10 frames.
  Bytes big = udp_from(9, 53, 100);
  CHECK_EQ(big.size(), 100u, "bps frame size");
  psl_rate_state model_c{};
  bool fresh_c = true;
  uint64_t t1 = t0 + 5 * PSL_NSEC_PER_SEC;
  s.set_clock(t1);
  passed =
      send_rate(s.bps, big, 12, &model_c, &fresh_c, bps, t1, 800, "bps t1");
  CHECK_EQ(passed, 10, "8000 bit/s burst 8000: ten 800-bit frames");
  s.set_clock(t1 + 100 * 1000 * 1000);
  int more = send_rate(s.bps, big, 2, &model_c, &fresh_c, bps,
                       t1 + 100 * 1000 * 1000, 800, "bps t1+100ms");
  CHECK_EQ(more, 1, "100 ms refills 800 bits: one frame");
  std::printf("ok   rate 8000 bit/s: %d of 12 frames under, +100ms -> %d\n",
              passed, more);

  psl_counter under = read_counter(s.cnt_fd, 10);
  psl_counter over = read_counter(s.cnt_fd, 11);
  CHECK_EQ(under.packets, 5u + 5 + 1 + 5, "pps under counter packets");
  CHECK_EQ(under.bytes, (5u + 5 + 1 + 5) * 60, "pps under counter bytes");
  CHECK_EQ(over.packets, 5u + 5 + 2 + 1, "pps over counter packets");
  psl_counter bunder = read_counter(s.cnt_fd, 12);
  CHECK_EQ(bunder.packets, 11u, "bps under counter packets");
  CHECK_EQ(bunder.bytes, 1100u, "bps under counter bytes");
  std::printf("ok   counters: under %llu pkts / %llu bytes, over %llu pkts\n",
              static_cast<unsigned long long>(under.packets),
              static_cast<unsigned long long>(under.bytes),
              static_cast<unsigned long long>(over.packets));
}

// Several CPUs hammer one key at a fixed instant: the bucket must admit
// exactly `burst` packets in total, whatever the interleaving.
void test_rate_concurrent() {
  const uint64_t burst = 60000;
  const uint32_t per_thread = 50000;
  psl_rate_cfg pps{}, bps{};
  CHECK(psl_rate_cfg_make(1, burst, &pps) == 0, "cfg 1/s burst 60000");
  CHECK(psl_rate_cfg_make(8000, 8000, &bps) == 0, "cfg bps");
  StateProbe s = load_state_probe(pps, bps);
  s.set_clock(77 * PSL_NSEC_PER_SEC);

  cpu_set_t online;
  CPU_ZERO(&online);
  sched_getaffinity(0, sizeof(online), &online);
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE && cpus.size() < 4; c++)
    if (CPU_ISSET(c, &online))
      cpus.push_back(c);
  if (cpus.size() < 2)
    cpus.push_back(cpus.empty() ? 0 : cpus[0]); // still two racing threads

  Bytes pkt = udp_from(33, 53, 64);
  std::vector<std::thread> threads;
  std::vector<int> errs(cpus.size(), 0);
  std::atomic<size_t> ready{0};
  for (size_t i = 0; i < cpus.size(); i++) {
    threads.emplace_back([&, i] {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpus[i], &one);
      sched_setaffinity(0, sizeof(one), &one);
      // Start together so the runs really overlap.
      ready.fetch_add(1);
      while (ready.load() < cpus.size())
        ;
      uint32_t ret = 0;
      errs[i] = run(s.pps, pkt, &ret, per_thread);
    });
  }
  for (auto &t : threads)
    t.join();
  for (size_t i = 0; i < errs.size(); i++)
    CHECK(errs[i] == 0, "thread %zu test run: %s", i, std::strerror(-errs[i]));

  psl_counter under = read_counter(s.cnt_fd, 10);
  psl_counter over = read_counter(s.cnt_fd, 11);
  uint64_t total = static_cast<uint64_t>(per_thread) * cpus.size();
  int before = g_failures;
  CHECK_EQ(under.packets + over.packets, total, "all runs counted");
  CHECK_EQ(under.packets, burst, "exactly burst packets admitted across CPUs");
  if (g_failures == before)
    std::printf("ok   rate across %zu CPUs: %llu runs at one instant -> %llu "
                "under (burst %llu)\n",
                cpus.size(), static_cast<unsigned long long>(total),
                static_cast<unsigned long long>(under.packets),
                static_cast<unsigned long long>(burst));
}

void test_dynset() {
  psl_rate_cfg pps{}, bps{};
  psl_rate_cfg_make(5, 5, &pps);
  psl_rate_cfg_make(8000, 8000, &bps);
  StateProbe s = load_state_probe(pps, bps);
  const uint64_t now = 500 * PSL_NSEC_PER_SEC;
  s.set_clock(now);

  psl_ip_key ip{};
  ip.addr[10] = ip.addr[11] = 0xff;
  std::memcpy(ip.addr + 12, kV4Src.data(), 4);
  ip.family = 4;
  psl_dynset_val until{now + 2 * PSL_NSEC_PER_SEC};
  CHECK(bpf_map_update_elem(s.ips_fd, &ip, &until, BPF_ANY) == 0, "add ip");
  psl_int_key port{8080};
  psl_dynset_val forever{0};
  CHECK(bpf_map_update_elem(s.ports_fd, &port, &forever, BPF_ANY) == 0,
        "add port");

  auto verdict = [&](const Bytes &pkt) {
    uint32_t ret = 0;
    CHECK(run(s.dynset, pkt, &ret) == 0, "dynset test run");
    return ret;
  };
  Bytes banned = udp_from(7, 53, 60); // src 198.51.100.7
  Bytes other = udp_from(8, 53, 60);  // src .8, port not in set
  Bytes to_port = udp_from(8, 8080, 60);
  // The same address as a native IPv6 source ::ffff:198.51.100.7: family 6.
  Bytes mapped_src(16, 0);
  mapped_src[10] = mapped_src[11] = 0xff;
  std::memcpy(mapped_src.data() + 12, kV4Src.data(), 4);
  Bytes v6 = eth(0x86dd, ipv6(17, udp(1, 53, {}), 0, 64, mapped_src));

  CHECK_EQ(verdict(banned), XDP_DROP, "banned ip before expiry");
  CHECK_EQ(verdict(other), XDP_PASS, "other ip");
  CHECK_EQ(verdict(to_port), XDP_DROP, "port set, never expires");
  CHECK_EQ(verdict(v6), XDP_PASS, "native ::ffff:a.b.c.d is not the IPv4 key");

  s.set_clock(now + 2 * PSL_NSEC_PER_SEC); // expires_ns <= now: expired
  CHECK_EQ(verdict(banned), XDP_PASS, "banned ip after expiry");
  CHECK_EQ(verdict(to_port), XDP_DROP, "port set after a long time");
  psl_dynset_val still{};
  CHECK(bpf_map_lookup_elem(s.ips_fd, &ip, &still) == 0,
        "expired entry left for the daemon to sweep");
  CHECK(psl_dynset_expired(&still, now + 2 * PSL_NSEC_PER_SEC),
        "host helper agrees it expired");

  psl_counter seen = read_counter(s.shadow_cnt_fd, 15);
  psl_counter hit = read_counter(s.shadow_cnt_fd, 14);
  CHECK_EQ(seen.packets, 6u, "shadow counter: runs");
  CHECK_EQ(hit.packets, 3u, "shadow counter: hits");
  std::printf("ok   dynset: ip ban expires on the injected clock, port entry "
              "permanent, family kept apart; shadow %llu/%llu\n",
              static_cast<unsigned long long>(hit.packets),
              static_cast<unsigned long long>(seen.packets));
}

// The example entry program must load and pass traffic on the real clock.
void test_entry() {
  Object obj = open_and_load("psl_entry.bpf.o");
  int prog = prog_fd(obj.get(), "psl_policy");
  V4 v;
  v.proto = 1;
  Bytes f = eth(0x0800, ipv4(v, icmp(8, 0)));
  uint32_t ret = 0;
  CHECK(run(prog, f, &ret, 3) == 0, "entry test run");
  CHECK_EQ(ret, XDP_PASS, "entry returns XDP_PASS");
  psl_counter def = read_counter(map_fd(obj.get(), "psl_rule_cnt"), 0);
  CHECK_EQ(def.packets, 3u, "entry default counter");
  std::printf("ok   psl_entry loads, passes, counts (%llu packets)\n",
              static_cast<unsigned long long>(def.packets));
}

void test_cfg_make() {
  psl_rate_cfg c{};
  CHECK(psl_rate_cfg_make(0, 1, &c) != 0, "zero rate refused");
  CHECK(psl_rate_cfg_make(1, 0, &c) != 0, "zero burst refused");
  // 100 Gbit/s with a one-second burst stays exact to under 0.01%.
  CHECK(psl_rate_cfg_make(100000000000ull, 100000000000ull, &c) == 0,
        "100 Gbit/s representable");
  double granted = static_cast<double>(PSL_NSEC_PER_SEC << c.shift) /
                   static_cast<double>(c.units_per_token);
  CHECK(granted >= 1e11 && granted < 1e11 * 1.0001, "100G rate error %.6f",
        granted / 1e11);
  CHECK(c.burst_units <= PSL_RATE_MAX_BURST_UNITS, "burst fits");
  // psl_entry.c spells PSL_RATE_CFG_INIT(100, 100, 28) by hand.
  CHECK(psl_rate_cfg_make(100, 100, &c) == 0 && c.shift == 28,
        "100/s burst 100 uses shift 28, got %u", c.shift);
}

} // namespace

int main(int argc, char **argv) {
  if (argc > 1)
    g_obj_dir = argv[1];
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  libbpf_set_print(libbpf_print);

  test_cfg_make(); // pure user space, runs even where BPF is missing

  if (geteuid() != 0)
    skip_or_fail("not running as root (BPF_PROG_TEST_RUN needs CAP_BPF + "
                 "CAP_NET_ADMIN)");
  int probe = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, nullptr);
  if (probe != 1)
    skip_or_fail(probe == 0 ? "kernel has no XDP program type"
                            : std::string("bpf() unavailable: ") +
                                  std::strerror(-probe));

  test_parser();
  test_rate();
  test_rate_concurrent();
  test_dynset();
  test_entry();

  if (g_failures) {
    std::printf("FAILED: %d check(s)\n", g_failures);
    return 1;
  }
  std::printf("PASS\n");
  return 0;
}
