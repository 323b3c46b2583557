// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * pso_stack.bpf.c — the stack tracepoints of the tracing runtime.
 *
 * Compiled when the project is built, against the vmlinux.h the build
 * generates from the running kernel's BTF, and loaded through its libbpf
 * skeleton by runtime/trace (never through psc). Each hook has two
 * programs with one body: `btf_<hook>` (tp_btf: typed arguments) and
 * `raw_<hook>` (raw_tp: the same arguments as plain words). The loader
 * keeps one of them per hook, or neither when the hook is unavailable or
 * turned off (autoload), and says which in its status. The body reads
 * kernel memory through PSO_RD: plain loads under tp_btf, probe reads
 * under raw_tp.
 *
 * Only the traced network namespace counts (pso_netns, the namespace's
 * inode; 0: every namespace): other traffic on the host never shows up.
 *
 * What is counted (struct pso_stack_cnt, pso_abi.h):
 *  - each skb net:netif_receive_skb hands to the stack, by class, and its
 *    end: skb:consume_skb (delivered) or skb:kfree_skb (dropped, by
 *    reason). The end is told from the freed skb itself: the receiving
 *    interface the stack stamped on it (skb_iif, 0 on an skb this host
 *    built) and its headers; nothing is written per skb but per-CPU
 *    counters. Only some received skbs are followed through pso_inflight
 *    from receive to free: up to pso_timed_per_tick per CPU and clock
 *    tick, whose receive-to-free time goes into pso_latency, and the
 *    sampled ones;
 *  - TCP state changes, resets, retransmits, socket and UDP queue
 *    overflows, ICMP errors sent (by type and code), and what leaves
 *    through net:net_dev_xmit, by class.
 * A sampled packet (pso_cfg, the same decision as at XDP) also writes a
 * path event at every hook it passes.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "pso_abi.h"

#define PSO_ETH_P_IP 0x0800
#define PSO_ETH_P_IPV6 0x86DD
#define PSO_TCP_ESTABLISHED 1
#define PSO_TCP_SYN_SENT 2
#define PSO_TCP_SYN_RECV 3
#define PSO_TCP_CLOSE 7

/* The traced namespace's inode (set by the loader); 0: all. */
const volatile __u32 pso_netns = 0;

/* Received skbs whose time in the stack is measured, at most, per CPU and
 * clock tick (jiffy); the rest are followed without a clock read. 0: every
 * one. Set by the loader (TracerOptions::timed_per_tick). */
const volatile __u32 pso_timed_per_tick = 64;

/* For the overhead benchmark only (TracerOptions::empty_bodies): every
 * program returns at once, so what is left is the cost of the call. */
const volatile __u32 pso_empty_bodies = 0;

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct pso_stack_cnt);
} pso_stack_cnt SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, 4096);
  __type(key, struct pso_drop_key);
  __type(value, __u64);
} pso_drops SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, PSO_ICMP_SLOTS);
  __type(key, __u32);
  __type(value, __u64);
} pso_icmp SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, PSO_PROTO_COUNT);
  __type(key, __u32);
  __type(value, struct pso_latency);
} pso_latency SEC(".maps");

/* The followed received skbs until freed (see the top), direct-mapped by
 * a hash of the skb's address: finding an skb's slot is an array access
 * the kernel inlines, where a hash map costs a helper call on every skb
 * received and on every skb freed (docs/tracing.md has both measured).
 * A slot is shared by all CPUs; an skb followed while its slot holds
 * another live one takes the slot over (the other one's time is lost).
 * Every free reads a slot; only followed skbs write one, so the lines
 * stay clean in every CPU's cache instead of moving between CPUs with
 * each packet. */
#define PSO_INFLIGHT_SLOTS 16384
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, PSO_INFLIGHT_SLOTS);
  __type(key, __u32);
  __type(value, struct pso_inflight);
} pso_inflight SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct pso_stack_cpu);
} pso_cpu SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct pso_cfg);
} pso_cfg SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct pso_budget);
} pso_budget SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1u << 20);
} pso_events SEC(".maps");

static __always_inline struct pso_stack_cnt *counters(void) {
  __u32 zero = 0;

  return bpf_map_lookup_elem(&pso_stack_cnt, &zero);
}

static __always_inline int ns_ok(__u32 inum) {
  return pso_netns == 0 || inum == pso_netns;
}

/*
 * Kernel memory reads. `d` (direct) is a constant: 1 in the tp_btf
 * programs, whose arguments the verifier knows the types of, so a field
 * is one load (a faulting one reads as 0); 0 in the raw_tp ones, whose
 * arguments are plain numbers, so each read is a bpf_probe_read_kernel()
 * call. Inlined, the branch not taken disappears.
 */
#define PSO_RD(d, base, field)                                                 \
  ((d) ? (base)->field : BPF_CORE_READ(base, field))

static __always_inline __u32 sk_netns(const struct sock *sk, int d) {
  const struct net *net;

  if (!sk)
    return 0;
  net = PSO_RD(d, sk, __sk_common.skc_net.net);
  return net ? PSO_RD(d, net, ns.inum) : 0;
}

static __always_inline __u32 dev_netns(const struct net_device *dev, int d) {
  const struct net *net;

  if (!dev)
    return 0;
  net = PSO_RD(d, dev, nd_net.net);
  return net ? PSO_RD(d, net, ns.inum) : 0;
}

/* The namespace an skb belongs to: its socket's, else its device's. */
static __always_inline __u32 skb_netns(const struct sk_buff *skb, int d) {
  const struct sock *sk = PSO_RD(d, skb, sk);

  if (sk)
    return sk_netns(sk, d);
  return dev_netns(PSO_RD(d, skb, dev), d);
}

static __always_inline struct pso_stack_cpu *this_cpu(void) {
  __u32 zero = 0;

  return bpf_map_lookup_elem(&pso_cpu, &zero);
}

/* The pso_inflight slot of an skb, by a hash of its address. The verifier
 * lets a program store a pointer but not compute with it: stored in this
 * CPU's state and loaded back, it is a number. sk_buffs are slab objects
 * 256 bytes apart. */
static __always_inline struct pso_inflight *inflight_slot(const void *skb) {
  struct pso_stack_cpu *cpu = this_cpu();
  __u64 a;
  __u32 i;

  if (!cpu)
    return 0;
  cpu->addr = (__u64)(long)skb;
  a = *(volatile __u64 *)&cpu->addr;
  i = (__u32)((a >> 8) ^ (a >> 24)) & (PSO_INFLIGHT_SLOTS - 1);
  return bpf_map_lookup_elem(&pso_inflight, &i);
}

/* The live slot of a received skb, or 0. */
static __always_inline struct pso_inflight *inflight_find(const void *skb) {
  struct pso_inflight *f = inflight_slot(skb);

  if (!f || f->skb != (__u64)(long)skb || !f->live)
    return 0;
  return f;
}

/* Whether this CPU may time one more received skb in this clock tick
 * (pso_timed_per_tick); bpf_jiffies64() is inlined, no call. */
static __always_inline int lat_budget_take(void) {
  struct pso_stack_cpu *b = this_cpu();
  __u64 tick = bpf_jiffies64();

  if (pso_timed_per_tick == 0)
    return 1;
  if (!b)
    return 0;
  if (b->tick != tick) {
    b->tick = tick;
    b->used = 0;
  }
  if (b->used >= pso_timed_per_tick)
    return 0;
  b->used += 1;
  return 1;
}

static __always_inline void count_hook(struct pso_stack_cnt *c, __u32 hook) {
  if (hook < PSO_HOOK_COUNT)
    c->hook_events[hook] += 1;
}

/* Bytes read at the network header: an IPv4 header without options or
 * the IPv6 one, and the first 16 bytes after it (ports, the words the
 * sample id uses, TCP's flags). Past a short skb's data the read returns
 * the buffer's tail, which nothing below uses. */
#define PSO_HDR_BYTES 56

/* A read-only, fault-safe view of kernel memory (6.2+): the verifier
 * replaces the call with a move, and loads through the result are plain
 * loads that read 0 if they fault, where bpf_probe_read_kernel() is a
 * helper call (5-6 ns on this CPU before it copies a byte). */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* 16 bytes of kernel memory at `p` (any alignment), through a typed view
 * of struct in6_addr, the kernel's 16-byte plain type. */
static __always_inline void copy16(__u8 *to, const __u8 *p) {
  const struct in6_addr *a =
      bpf_rdonly_cast(p, bpf_core_type_id_kernel(struct in6_addr));
  __u32 w0 = a->in6_u.u6_addr32[0], w1 = a->in6_u.u6_addr32[1];
  __u32 w2 = a->in6_u.u6_addr32[2], w3 = a->in6_u.u6_addr32[3];

  __builtin_memcpy(to, &w0, 4);
  __builtin_memcpy(to + 4, &w1, 4);
  __builtin_memcpy(to + 8, &w2, 4);
  __builtin_memcpy(to + 12, &w3, 4);
}

/* `n` bytes at `from` into `to`: direct loads in the tp_btf programs
 * (d; 16 bytes, or 64 for anything longer), one probe read in raw_tp. */
static __always_inline int read_kernel(__u8 *to, __u32 n, const void *from,
                                       int d) {
  const __u8 *p = from;

  if (!d)
    return bpf_probe_read_kernel(to, n, from);
  copy16(to, p);
  if (n > 16) {
    copy16(to + 16, p + 16);
    copy16(to + 32, p + 32);
    copy16(to + 48, p + 48);
  }
  return 0;
}

/* The identity (pso_abi.h) of the IP packet whose network header is at
 * `l3` (kernel memory) with EtherType `eth_proto`; returns its class and
 * sets *tcp_flags for TCP. The same fields as pso_xdp_ident() reads at
 * XDP. */
static __always_inline __u32 ident_at(const void *l3, __u16 eth_proto,
                                      struct pso_ident *id, __u8 *tcp_flags,
                                      int d) {
  __u8 h[64];
  const __u8 *l4;
  __u32 l4_off;

  __builtin_memset(id, 0, sizeof(*id));
  *tcp_flags = 0;
  if ((eth_proto != PSO_ETH_P_IP && eth_proto != PSO_ETH_P_IPV6) ||
      read_kernel(h, d ? 64 : PSO_HDR_BYTES, l3, d))
    return PSO_PROTO_OTHER;
  if (eth_proto == PSO_ETH_P_IP) {
    if ((h[0] >> 4) != 4)
      return PSO_PROTO_OTHER;
    id->family = 4;
    id->saddr[10] = id->saddr[11] = 0xff;
    id->daddr[10] = id->daddr[11] = 0xff;
    __builtin_memcpy(id->saddr + 12, h + 12, 4);
    __builtin_memcpy(id->daddr + 12, h + 16, 4);
    id->ip_proto = h[9];
    id->ip_id = (__u16)((h[4] << 8) | h[5]);
    if (((h[6] << 8) | h[7]) & 0x1fff) /* not the first fragment */
      return pso_proto_of(4, id->ip_proto);
    l4_off = (h[0] & 0x0f) * 4;
  } else {
    if ((h[0] >> 4) != 6)
      return PSO_PROTO_OTHER;
    id->family = 6;
    __builtin_memcpy(id->saddr, h + 8, 16);
    __builtin_memcpy(id->daddr, h + 24, 16);
    id->ip_proto = h[6];
    l4_off = 40;
  }
  if (id->ip_proto != 6 && id->ip_proto != 17 && id->ip_proto != 1 &&
      id->ip_proto != 58)
    return pso_proto_of(id->family, id->ip_proto);
  if (l4_off == 20 || l4_off == 40) {
    l4 = h + l4_off;
  } else { /* IPv4 options: the L4 bytes are further on */
    if (read_kernel(h, 16, (const __u8 *)l3 + (l4_off & 0x3f), d))
      return pso_proto_of(id->family, id->ip_proto);
    l4 = h;
  }
  if (id->ip_proto == 6 || id->ip_proto == 17) {
    id->sport = (__u16)((l4[0] << 8) | l4[1]);
    id->dport = (__u16)((l4[2] << 8) | l4[3]);
  }
  __builtin_memcpy(&id->l4_disc, l4 + 4, 4);
  if (id->ip_proto == 6)
    *tcp_flags = l4[13];
  return pso_proto_of(id->family, id->ip_proto);
}

/* The class alone of the IP packet at `l3`, and TCP's flags if
 * `want_flags`: what the counters need when no packet is sampled, from the
 * first 16 bytes of the network header (and 16 of the TCP header). */
static __always_inline __u32 class_at(const void *l3, __u16 eth_proto,
                                      __u8 *tcp_flags, int want_flags, int d) {
  __u8 h[16];
  __u32 family, proto, l4_off;

  *tcp_flags = 0;
  if ((eth_proto != PSO_ETH_P_IP && eth_proto != PSO_ETH_P_IPV6) ||
      read_kernel(h, 16, l3, d))
    return PSO_PROTO_OTHER;
  if (eth_proto == PSO_ETH_P_IP) {
    if ((h[0] >> 4) != 4)
      return PSO_PROTO_OTHER;
    family = 4;
    proto = h[9];
    if (((h[6] << 8) | h[7]) & 0x1fff) /* not the first fragment */
      return pso_proto_of(family, proto);
    l4_off = (h[0] & 0x0f) * 4;
  } else {
    if ((h[0] >> 4) != 6)
      return PSO_PROTO_OTHER;
    family = 6;
    proto = h[6];
    l4_off = 40;
  }
  if (want_flags && proto == 6 &&
      read_kernel(h, 16, (const __u8 *)l3 + (l4_off & 0x3f), d) == 0)
    *tcp_flags = h[13];
  return pso_proto_of(family, proto);
}

/* The sampling configuration when sampling is on, else 0. */
static __always_inline const struct pso_cfg *sampling(void) {
  __u32 zero = 0;
  const struct pso_cfg *cfg = bpf_map_lookup_elem(&pso_cfg, &zero);

  return cfg && cfg->sample_every ? cfg : 0;
}

/* The class of an skb whose network header is set (after receive, or on
 * output), and TCP's flags; its identity too when sampling (`cfg`). */
static __always_inline __u32 skb_class(const struct sk_buff *skb,
                                       const struct pso_cfg *cfg,
                                       struct pso_ident *id, __u8 *tcp_flags,
                                       int d) {
  const unsigned char *head = PSO_RD(d, skb, head);
  __u16 nh = PSO_RD(d, skb, network_header);
  __u16 proto = bpf_ntohs(PSO_RD(d, skb, protocol));

  if (cfg)
    return ident_at(head + nh, proto, id, tcp_flags, d);
  return class_at(head + nh, proto, tcp_flags, 1, d);
}

/* Whether the packet is sampled (`cfg`: sampling()), its sample id in
 * *hash. */
static __always_inline int sampled(const struct pso_cfg *cfg,
                                   const struct pso_ident *id, __u32 *hash) {
  if (!cfg || id->family == 0)
    return 0;
  *hash = pso_ident_hash(id);
  return *hash % cfg->sample_every == 0 && pso_cfg_match(cfg, id);
}

static __always_inline void emit(__u32 hook, __u32 verdict, __u32 hash,
                                 __u32 proto, __u32 detail, __u32 len,
                                 __u32 ifindex, const struct pso_ident *id,
                                 __u64 now) {
  __u32 zero = 0;
  const struct pso_cfg *cfg = bpf_map_lookup_elem(&pso_cfg, &zero);
  struct pso_event *e;

  if (!cfg || !pso_budget_take(&pso_budget, cfg, now))
    return;
  e = bpf_ringbuf_reserve(&pso_events, sizeof(*e), 0);
  if (!e) {
    pso_budget_lost(&pso_budget);
    return;
  }
  e->ts_ns = now;
  e->id = hash;
  e->hook = (__u16)hook;
  e->verdict = (__u8)verdict;
  e->proto = (__u8)proto;
  e->detail = detail;
  e->len = len;
  e->ifindex = ifindex;
  e->_pad0 = 0;
  e->_pad1 = 0;
  if (id)
    __builtin_memcpy(&e->ident, id, sizeof(*id));
  else
    __builtin_memset(&e->ident, 0, sizeof(e->ident));
  bpf_ringbuf_submit(e, 0);
}

static __always_inline __u32 log2_u64(__u64 v) {
  __u32 r = 0;

  if (v >> 32) {
    v >>= 32;
    r += 32;
  }
  if (v >> 16) {
    v >>= 16;
    r += 16;
  }
  if (v >> 8) {
    v >>= 8;
    r += 8;
  }
  if (v >> 4) {
    v >>= 4;
    r += 4;
  }
  if (v >> 2) {
    v >>= 2;
    r += 2;
  }
  if (v >> 1)
    r += 1;
  return r;
}

static __always_inline void add_latency(__u32 proto, __u64 ns) {
  struct pso_latency *l = bpf_map_lookup_elem(&pso_latency, &proto);
  __u32 b = log2_u64(ns);

  if (!l)
    return;
  if (b >= PSO_LAT_BUCKETS)
    b = PSO_LAT_BUCKETS - 1;
  l->buckets[b] += 1;
  l->count += 1;
  l->sum_ns += ns;
}

/* ---- hook bodies --------------------------------------------------------- */

static __always_inline int on_receive(struct sk_buff *skb, int d) {
  struct pso_stack_cnt *c;
  struct pso_inflight *f;
  const struct pso_cfg *cfg;
  struct pso_ident id;
  __u32 proto, hash = 0;
  __u64 now = 0;
  __u8 flags, sample = 0;
  const struct net_device *dev = PSO_RD(d, skb, dev);

  if (!ns_ok(dev_netns(dev, d)) || !(c = counters()))
    return 0;
  /* Before the stack's own processing: data points at the network
   * header, the network header offset is not set yet. */
  const void *l3 = PSO_RD(d, skb, data);
  const __u16 eth_proto = bpf_ntohs(PSO_RD(d, skb, protocol));

  /* Zeroed on both paths: the compiler must not see an undefined value. */
  __builtin_memset(&id, 0, sizeof(id));
  cfg = sampling();
  if (cfg)
    proto = ident_at(l3, eth_proto, &id, &flags, d);
  else
    proto = class_at(l3, eth_proto, &flags, 0, d);
  count_hook(c, PSO_HOOK_NETIF_RECEIVE_SKB);
  if (proto < PSO_PROTO_COUNT)
    c->rx[proto] += 1;
  if (cfg && sampled(cfg, &id, &hash)) {
    sample = 1;
    now = bpf_ktime_get_ns();
    emit(PSO_HOOK_NETIF_RECEIVE_SKB, PSO_VERDICT_RECEIVED, hash, proto, 0,
         PSO_RD(d, skb, len), PSO_RD(d, dev, ifindex), &id, now);
  } else if (lat_budget_take()) {
    now = bpf_ktime_get_ns();
  } else {
    return 0; /* not followed: its end is told from the skb itself */
  }
  f = inflight_slot(skb);
  if (!f)
    return 0;
  f->skb = (__u64)(long)skb;
  f->rx_ns = now;
  f->id = hash;
  f->proto = (__u8)proto;
  f->sampled = sample;
  f->live = 1;
  return 0;
}

/* The end of a received skb: delivered or dropped. Returns 1 if it was
 * one of ours (then *proto_out is its class). */
static __always_inline int on_free(struct sk_buff *skb, __u32 hook,
                                   __u32 verdict, __u32 reason,
                                   __u32 *proto_out, int d) {
  struct pso_inflight *f;
  struct pso_stack_cnt *c;
  struct pso_ident id;
  __u64 rx_ns = 0, now = 0;
  __u32 proto, sample_id = 0;
  __u8 flags, sample = 0;
  __u32 ns;

  /* Every skb of the machine comes here. One the stack did not receive
   * (built on this host: skb_iif 0) leaves after one load, before its
   * socket or device is looked at. */
  if (PSO_RD(d, skb, skb_iif) == 0)
    return 0;
  /* The namespace is its socket's, else its device's, and reads as 0
   * when it has neither (or a device field UDP reused for its own state,
   * which faults as a pointer). */
  ns = pso_netns ? skb_netns(skb, d) : 0;
  if (ns != 0 && ns != pso_netns)
    return 0; /* another namespace's */
  f = inflight_find(skb);
  if (f) {
    rx_ns = f->rx_ns;
    proto = f->proto;
    sample_id = f->id;
    sample = f->sampled;
    f->live = 0; /* ended; the slot waits for the next followed skb */
  } else if (ns == 0 && pso_netns) {
    return 0; /* cannot be placed in the traced namespace (see above) */
  } else {
    proto = skb_class(skb, 0, &id, &flags, d);
  }
  c = counters();
  if (!c || proto >= PSO_PROTO_COUNT)
    return 0;
  *proto_out = proto;
  count_hook(c, hook);
  if (verdict == PSO_VERDICT_CONSUMED)
    c->delivered[proto] += 1;
  else
    c->dropped[proto] += 1;
  if (rx_ns || sample)
    now = bpf_ktime_get_ns();
  if (rx_ns)
    add_latency(proto, now - rx_ns);
  if (sample)
    emit(hook, verdict, sample_id, proto, reason, PSO_RD(d, skb, len), 0, 0,
         now);
  return 1;
}

static __always_inline int on_kfree(struct sk_buff *skb, __u32 reason, int d) {
  struct pso_drop_key k = {.reason = reason};
  __u32 proto = PSO_PROTO_OTHER;
  __u64 one = 1, *v;

  if (!on_free(skb, PSO_HOOK_KFREE_SKB, PSO_VERDICT_DROPPED, reason, &proto,
               d)) {
    /* Not a received one (sent, or received before tracing began): still
     * a drop of this namespace. */
    struct pso_stack_cnt *c;
    struct pso_ident id;
    __u8 flags;

    if (!ns_ok(skb_netns(skb, d)) || !(c = counters()))
      return 0;
    count_hook(c, PSO_HOOK_KFREE_SKB);
    proto = skb_class(skb, 0, &id, &flags, d);
  }
  k.proto = proto;
  v = bpf_map_lookup_elem(&pso_drops, &k);
  if (v)
    *v += 1;
  else
    bpf_map_update_elem(&pso_drops, &k, &one, BPF_NOEXIST);
  return 0;
}

static __always_inline int on_consume(struct sk_buff *skb, int d) {
  __u32 proto;

  on_free(skb, PSO_HOOK_CONSUME_SKB, PSO_VERDICT_CONSUMED, 0, &proto, d);
  return 0;
}

static __always_inline int on_set_state(const struct sock *sk, int oldstate,
                                        int newstate, int d) {
  struct pso_stack_cnt *c;

  if (PSO_RD(d, sk, sk_protocol) != IPPROTO_TCP || !ns_ok(sk_netns(sk, d)) ||
      !(c = counters()))
    return 0;
  count_hook(c, PSO_HOOK_INET_SOCK_SET_STATE);
  if (newstate == PSO_TCP_SYN_RECV)
    c->tcp_syn_recv += 1;
  if (newstate == PSO_TCP_ESTABLISHED) {
    c->tcp_established += 1;
    if (oldstate == PSO_TCP_SYN_RECV)
      c->tcp_passive_open += 1;
    if (oldstate == PSO_TCP_SYN_SENT)
      c->tcp_active_open += 1;
  }
  if (newstate == PSO_TCP_CLOSE)
    c->tcp_closed += 1;
  return 0;
}

/* A counter of sock-level hooks: `field` of pso_stack_cnt, bumped when the
 * socket is in the traced namespace. */
#define PSO_SOCK_COUNT(sk, d, hook, field)                                     \
  do {                                                                         \
    struct pso_stack_cnt *c;                                                   \
    if (!ns_ok(sk_netns(sk, d)) || !(c = counters()))                          \
      return 0;                                                                \
    count_hook(c, hook);                                                       \
    c->field += 1;                                                             \
  } while (0)

/* A reply the stack made to a received skb (a reset, an ICMP error):
 * counted when the skb or the socket is of the traced namespace; the
 * received skb's path gets the step. */
static __always_inline struct pso_stack_cnt *reply_to(const struct sock *sk,
                                                      const struct sk_buff *skb,
                                                      __u32 hook, __u32 detail,
                                                      int d) {
  struct pso_inflight *f = 0;
  struct pso_stack_cnt *c;

  if (skb)
    f = inflight_find(skb);
  if (!f && !ns_ok(sk ? sk_netns(sk, d) : skb ? skb_netns(skb, d) : 0))
    return 0;
  c = counters();
  if (!c)
    return 0;
  count_hook(c, hook);
  if (f && f->sampled)
    emit(hook, PSO_VERDICT_REPLIED, f->id, f->proto, detail,
         PSO_RD(d, skb, len), 0, 0, bpf_ktime_get_ns());
  return c;
}

static __always_inline int on_send_reset(const struct sock *sk,
                                         const struct sk_buff *skb, int d) {
  struct pso_stack_cnt *c = reply_to(sk, skb, PSO_HOOK_TCP_SEND_RESET, 0, d);

  if (c)
    c->tcp_resets_sent += 1;
  return 0;
}

static __always_inline int on_icmp_send(const struct sk_buff *skb, int type,
                                        int code, int d) {
  struct pso_stack_cnt *c = reply_to(
      0, skb, PSO_HOOK_ICMP_SEND, ((__u32)type << 8) | ((__u32)code & 0xff), d);
  __u32 slot;
  __u64 *v;

  if (!c || type < 0 || type > 255 || code < 0 ||
      code >= (1 << PSO_ICMP_CODE_BITS))
    return 0;
  slot = ((__u32)type << PSO_ICMP_CODE_BITS) | (__u32)code;
  v = bpf_map_lookup_elem(&pso_icmp, &slot);
  if (v)
    *v += 1;
  return 0;
}

static __always_inline int on_xmit(struct sk_buff *skb, int rc,
                                   const struct net_device *dev, int d) {
  struct pso_stack_cnt *c;
  const struct pso_cfg *cfg;
  struct pso_ident id;
  __u32 proto, hash = 0;
  __u8 flags;

  if (rc != 0 || !ns_ok(dev_netns(dev, d)) || !(c = counters()))
    return 0;
  count_hook(c, PSO_HOOK_NET_DEV_XMIT);
  __builtin_memset(&id, 0, sizeof(id));
  cfg = sampling();
  proto = skb_class(skb, cfg, &id, &flags, d);
  if (proto < PSO_PROTO_COUNT)
    c->sent[proto] += 1;
  if ((flags & 0x12) == 0x12) /* SYN and ACK */
    c->tcp_synack_sent += 1;
  if (cfg && sampled(cfg, &id, &hash))
    emit(PSO_HOOK_NET_DEV_XMIT, PSO_VERDICT_SENT, hash, proto, 0,
         PSO_RD(d, skb, len), PSO_RD(d, dev, ifindex), &id, bpf_ktime_get_ns());
  return 0;
}

static __always_inline int on_retransmit(const struct sock *sk, int d) {
  PSO_SOCK_COUNT(sk, d, PSO_HOOK_TCP_RETRANSMIT_SKB, tcp_retransmits);
  return 0;
}
static __always_inline int on_receive_reset(const struct sock *sk, int d) {
  PSO_SOCK_COUNT(sk, d, PSO_HOOK_TCP_RECEIVE_RESET, tcp_resets_received);
  return 0;
}
static __always_inline int on_rcvqueue_full(const struct sock *sk, int d) {
  PSO_SOCK_COUNT(sk, d, PSO_HOOK_SOCK_RCVQUEUE_FULL, sock_rcvqueue_full);
  return 0;
}
static __always_inline int on_udp_fail(const struct sock *sk, int d) {
  PSO_SOCK_COUNT(sk, d, PSO_HOOK_UDP_FAIL_QUEUE_RCV_SKB, udp_rcvbuf_errors);
  return 0;
}

/* ---- the programs: tp_btf and raw_tp for each hook ---------------------- */

/* `call` uses `d`: 1 (direct reads) in the tp_btf program, 0 in raw_tp. */
#define PSO_PROGS(tp, call, ...)                                               \
  SEC("tp_btf/" #tp)                                                           \
  int BPF_PROG(btf_##tp, __VA_ARGS__) {                                        \
    const int d = 1;                                                           \
    return pso_empty_bodies ? 0 : call;                                        \
  }                                                                            \
  SEC("raw_tp/" #tp)                                                           \
  int BPF_PROG(raw_##tp, __VA_ARGS__) {                                        \
    const int d = 0;                                                           \
    return pso_empty_bodies ? 0 : call;                                        \
  }

PSO_PROGS(netif_receive_skb, on_receive(skb, d), struct sk_buff *skb)
PSO_PROGS(kfree_skb, on_kfree(skb, (__u32)reason, d), struct sk_buff *skb,
          void *location, enum skb_drop_reason reason)
PSO_PROGS(consume_skb, on_consume(skb, d), struct sk_buff *skb)
PSO_PROGS(inet_sock_set_state, on_set_state(sk, oldstate, newstate, d),
          const struct sock *sk, int oldstate, int newstate)
PSO_PROGS(tcp_send_reset, on_send_reset(sk, skb, d), const struct sock *sk,
          const struct sk_buff *skb)
PSO_PROGS(icmp_send, on_icmp_send(skb, type, code, d),
          const struct sk_buff *skb, int type, int code)
PSO_PROGS(net_dev_xmit, on_xmit(skb, rc, dev, d), struct sk_buff *skb, int rc,
          struct net_device *dev)
PSO_PROGS(tcp_retransmit_skb, on_retransmit(sk, d), const struct sock *sk)
PSO_PROGS(tcp_receive_reset, on_receive_reset(sk, d), const struct sock *sk)
PSO_PROGS(sock_rcvqueue_full, on_rcvqueue_full(sk, d), const struct sock *sk)
PSO_PROGS(udp_fail_queue_rcv_skb, on_udp_fail(sk, d), int rc,
          const struct sock *sk)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
