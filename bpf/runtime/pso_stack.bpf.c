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
 * turned off (autoload), and says which in its status. Both read kernel
 * memory through BPF_CORE_READ, so one body serves both.
 *
 * Only the traced network namespace counts (pso_netns, the namespace's
 * inode; 0: every namespace): other traffic on the host never shows up.
 *
 * What is counted (struct pso_stack_cnt, pso_abi.h):
 *  - each skb net:netif_receive_skb hands to the stack, by class; the skb
 *    is remembered in pso_inflight until skb:consume_skb (delivered) or
 *    skb:kfree_skb (dropped, by reason) frees it, which gives the
 *    receive-to-free time per class (pso_latency);
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

/* Received skbs not yet freed, by address. LRU: an skb freed without a
 * tracepoint leaves its entry behind until it is evicted or its address
 * is received again. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, __u64);
  __type(value, struct pso_inflight);
} pso_inflight SEC(".maps");

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

static __always_inline __u32 sk_netns(const struct sock *sk) {
  if (!sk)
    return 0;
  return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

static __always_inline __u32 dev_netns(const struct net_device *dev) {
  if (!dev)
    return 0;
  return BPF_CORE_READ(dev, nd_net.net, ns.inum);
}

/* The namespace an skb belongs to: its socket's, else its device's. */
static __always_inline __u32 skb_netns(const struct sk_buff *skb) {
  const struct sock *sk = BPF_CORE_READ(skb, sk);

  if (sk)
    return sk_netns(sk);
  return dev_netns(BPF_CORE_READ(skb, dev));
}

static __always_inline void count_hook(struct pso_stack_cnt *c, __u32 hook) {
  if (hook < PSO_HOOK_COUNT)
    c->hook_events[hook] += 1;
}

/* The identity (pso_abi.h) of the IP packet whose network header is at
 * `l3` (kernel memory) with EtherType `eth_proto`; returns its class. The
 * same fields as pso_xdp_ident() reads at XDP. */
static __always_inline __u32 ident_at(const void *l3, __u16 eth_proto,
                                      struct pso_ident *id) {
  __u8 h[40];
  __u8 l4[8];
  __u32 l4_off;
  int has_ports = 0;

  __builtin_memset(id, 0, sizeof(*id));
  if (eth_proto == PSO_ETH_P_IP) {
    if (bpf_probe_read_kernel(h, 20, l3) || (h[0] >> 4) != 4)
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
  } else if (eth_proto == PSO_ETH_P_IPV6) {
    if (bpf_probe_read_kernel(h, 40, l3) || (h[0] >> 4) != 6)
      return PSO_PROTO_OTHER;
    id->family = 6;
    __builtin_memcpy(id->saddr, h + 8, 16);
    __builtin_memcpy(id->daddr, h + 24, 16);
    id->ip_proto = h[6];
    l4_off = 40;
  } else {
    return PSO_PROTO_OTHER;
  }
  switch (id->ip_proto) {
  case 6:
  case 17:
    has_ports = 1;
    break;
  case 1:
  case 58:
    break;
  default:
    return pso_proto_of(id->family, id->ip_proto);
  }
  if (bpf_probe_read_kernel(l4, 8, (const __u8 *)l3 + (l4_off & 0x3ff)) == 0) {
    if (has_ports) {
      id->sport = (__u16)((l4[0] << 8) | l4[1]);
      id->dport = (__u16)((l4[2] << 8) | l4[3]);
    }
    __builtin_memcpy(&id->l4_disc, l4 + 4, 4);
  }
  return pso_proto_of(id->family, id->ip_proto);
}

/* The class of an skb whose network header is set (after receive, or on
 * output), from its first bytes. */
static __always_inline __u32 skb_class(const struct sk_buff *skb,
                                       struct pso_ident *id) {
  const unsigned char *head = BPF_CORE_READ(skb, head);
  __u16 nh = BPF_CORE_READ(skb, network_header);
  __u16 proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));

  return ident_at(head + nh, proto, id);
}

/* Whether the packet is sampled (pso_cfg), its sample id in *hash. */
static __always_inline int sampled(const struct pso_ident *id, __u32 *hash,
                                   const struct pso_cfg **cfg_out) {
  __u32 zero = 0;
  const struct pso_cfg *cfg = bpf_map_lookup_elem(&pso_cfg, &zero);

  *cfg_out = cfg;
  if (!cfg || !cfg->sample_every || id->family == 0)
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

static __always_inline int on_receive(struct sk_buff *skb) {
  struct pso_stack_cnt *c;
  const struct pso_cfg *cfg;
  struct pso_ident id;
  struct pso_inflight f = {};
  __u64 key = (__u64)(long)skb;
  __u32 proto, hash = 0;
  const struct net_device *dev = BPF_CORE_READ(skb, dev);

  if (!ns_ok(dev_netns(dev)) || !(c = counters()))
    return 0;
  /* Before the stack's own processing: data points at the network
   * header, the network header offset is not set yet. */
  proto = ident_at(BPF_CORE_READ(skb, data),
                   bpf_ntohs(BPF_CORE_READ(skb, protocol)), &id);
  count_hook(c, PSO_HOOK_NETIF_RECEIVE_SKB);
  if (proto < PSO_PROTO_COUNT)
    c->rx[proto] += 1;
  f.rx_ns = bpf_ktime_get_ns();
  f.proto = (__u8)proto;
  if (sampled(&id, &hash, &cfg)) {
    f.sampled = 1;
    f.id = hash;
    emit(PSO_HOOK_NETIF_RECEIVE_SKB, PSO_VERDICT_RECEIVED, hash, proto, 0,
         BPF_CORE_READ(skb, len), BPF_CORE_READ(dev, ifindex), &id, f.rx_ns);
  }
  if (bpf_map_update_elem(&pso_inflight, &key, &f, BPF_NOEXIST) != 0) {
    /* The address is back: the skb it held was freed without a
     * tracepoint. */
    struct pso_inflight *old = bpf_map_lookup_elem(&pso_inflight, &key);

    if (old && old->proto < PSO_PROTO_COUNT)
      c->untracked[old->proto] += 1;
    bpf_map_update_elem(&pso_inflight, &key, &f, BPF_ANY);
  }
  return 0;
}

/* The end of a received skb: delivered or dropped. Returns 1 if it was
 * one of ours (then *proto_out is its class). */
static __always_inline int on_free(struct sk_buff *skb, __u32 hook,
                                   __u32 verdict, __u32 reason,
                                   __u32 *proto_out) {
  __u64 key = (__u64)(long)skb;
  struct pso_inflight *f = bpf_map_lookup_elem(&pso_inflight, &key);
  struct pso_inflight copy;
  struct pso_stack_cnt *c;
  __u64 now;

  if (!f)
    return 0;
  copy = *f;
  bpf_map_delete_elem(&pso_inflight, &key);
  c = counters();
  if (!c || copy.proto >= PSO_PROTO_COUNT)
    return 0;
  *proto_out = copy.proto;
  count_hook(c, hook);
  if (verdict == PSO_VERDICT_CONSUMED)
    c->delivered[copy.proto] += 1;
  else
    c->dropped[copy.proto] += 1;
  now = bpf_ktime_get_ns();
  add_latency(copy.proto, now - copy.rx_ns);
  if (copy.sampled)
    emit(hook, verdict, copy.id, copy.proto, reason, BPF_CORE_READ(skb, len), 0,
         0, now);
  return 1;
}

static __always_inline int on_kfree(struct sk_buff *skb, __u32 reason) {
  struct pso_drop_key k = {.reason = reason};
  __u32 proto = PSO_PROTO_OTHER;
  __u64 one = 1, *v;

  if (!on_free(skb, PSO_HOOK_KFREE_SKB, PSO_VERDICT_DROPPED, reason, &proto)) {
    /* Not a received one (sent, or received before tracing began): still
     * a drop of this namespace. */
    struct pso_stack_cnt *c;
    struct pso_ident id;

    if (!ns_ok(skb_netns(skb)) || !(c = counters()))
      return 0;
    count_hook(c, PSO_HOOK_KFREE_SKB);
    proto = skb_class(skb, &id);
  }
  k.proto = proto;
  v = bpf_map_lookup_elem(&pso_drops, &k);
  if (v)
    *v += 1;
  else
    bpf_map_update_elem(&pso_drops, &k, &one, BPF_NOEXIST);
  return 0;
}

static __always_inline int on_consume(struct sk_buff *skb) {
  __u32 proto;

  on_free(skb, PSO_HOOK_CONSUME_SKB, PSO_VERDICT_CONSUMED, 0, &proto);
  return 0;
}

static __always_inline int on_set_state(const struct sock *sk, int oldstate,
                                        int newstate) {
  struct pso_stack_cnt *c;

  if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP || !ns_ok(sk_netns(sk)) ||
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
#define PSO_SOCK_COUNT(sk, hook, field)                                        \
  do {                                                                         \
    struct pso_stack_cnt *c;                                                   \
    if (!ns_ok(sk_netns(sk)) || !(c = counters()))                             \
      return 0;                                                                \
    count_hook(c, hook);                                                       \
    c->field += 1;                                                             \
  } while (0)

/* A reply the stack made to a received skb (a reset, an ICMP error):
 * counted when the skb or the socket is of the traced namespace; the
 * received skb's path gets the step. */
static __always_inline struct pso_stack_cnt *reply_to(const struct sock *sk,
                                                      const struct sk_buff *skb,
                                                      __u32 hook,
                                                      __u32 detail) {
  struct pso_inflight *f = 0;
  struct pso_stack_cnt *c;
  __u64 key = (__u64)(long)skb;

  if (skb)
    f = bpf_map_lookup_elem(&pso_inflight, &key);
  if (!f && !ns_ok(sk ? sk_netns(sk) : skb ? skb_netns(skb) : 0))
    return 0;
  c = counters();
  if (!c)
    return 0;
  count_hook(c, hook);
  if (f && f->sampled)
    emit(hook, PSO_VERDICT_REPLIED, f->id, f->proto, detail,
         BPF_CORE_READ(skb, len), 0, 0, bpf_ktime_get_ns());
  return c;
}

static __always_inline int on_send_reset(const struct sock *sk,
                                         const struct sk_buff *skb) {
  struct pso_stack_cnt *c = reply_to(sk, skb, PSO_HOOK_TCP_SEND_RESET, 0);

  if (c)
    c->tcp_resets_sent += 1;
  return 0;
}

static __always_inline int on_icmp_send(const struct sk_buff *skb, int type,
                                        int code) {
  struct pso_stack_cnt *c = reply_to(0, skb, PSO_HOOK_ICMP_SEND,
                                     ((__u32)type << 8) | ((__u32)code & 0xff));
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
                                   const struct net_device *dev) {
  struct pso_stack_cnt *c;
  const struct pso_cfg *cfg;
  struct pso_ident id;
  __u32 proto, hash = 0;

  if (rc != 0 || !ns_ok(dev_netns(dev)) || !(c = counters()))
    return 0;
  count_hook(c, PSO_HOOK_NET_DEV_XMIT);
  proto = skb_class(skb, &id);
  if (proto < PSO_PROTO_COUNT)
    c->sent[proto] += 1;
  if (id.ip_proto == 6 &&
      (proto == PSO_PROTO_IPV4_TCP || proto == PSO_PROTO_IPV6_TCP)) {
    const unsigned char *head = BPF_CORE_READ(skb, head);
    __u16 th = BPF_CORE_READ(skb, transport_header);
    __u8 flags = 0;

    bpf_probe_read_kernel(&flags, 1, head + th + 13);
    if ((flags & 0x12) == 0x12) /* SYN and ACK */
      c->tcp_synack_sent += 1;
  }
  if (sampled(&id, &hash, &cfg))
    emit(PSO_HOOK_NET_DEV_XMIT, PSO_VERDICT_SENT, hash, proto, 0,
         BPF_CORE_READ(skb, len), BPF_CORE_READ(dev, ifindex), &id,
         bpf_ktime_get_ns());
  return 0;
}

/* ---- the programs: tp_btf and raw_tp for each hook ---------------------- */

#define PSO_PROGS(tp, call, ...)                                               \
  SEC("tp_btf/" #tp)                                                           \
  int BPF_PROG(btf_##tp, __VA_ARGS__) { return call; }                         \
  SEC("raw_tp/" #tp)                                                           \
  int BPF_PROG(raw_##tp, __VA_ARGS__) { return call; }

PSO_PROGS(netif_receive_skb, on_receive(skb), struct sk_buff *skb)
PSO_PROGS(kfree_skb, on_kfree(skb, (__u32)reason), struct sk_buff *skb,
          void *location, enum skb_drop_reason reason)
PSO_PROGS(consume_skb, on_consume(skb), struct sk_buff *skb)
PSO_PROGS(inet_sock_set_state, on_set_state(sk, oldstate, newstate),
          const struct sock *sk, int oldstate, int newstate)
PSO_PROGS(tcp_send_reset, on_send_reset(sk, skb), const struct sock *sk,
          const struct sk_buff *skb)
PSO_PROGS(icmp_send, on_icmp_send(skb, type, code), const struct sk_buff *skb,
          int type, int code)
PSO_PROGS(net_dev_xmit, on_xmit(skb, rc, dev), struct sk_buff *skb, int rc,
          struct net_device *dev)

static __always_inline int on_retransmit(const struct sock *sk) {
  PSO_SOCK_COUNT(sk, PSO_HOOK_TCP_RETRANSMIT_SKB, tcp_retransmits);
  return 0;
}
static __always_inline int on_receive_reset(const struct sock *sk) {
  PSO_SOCK_COUNT(sk, PSO_HOOK_TCP_RECEIVE_RESET, tcp_resets_received);
  return 0;
}
static __always_inline int on_rcvqueue_full(const struct sock *sk) {
  PSO_SOCK_COUNT(sk, PSO_HOOK_SOCK_RCVQUEUE_FULL, sock_rcvqueue_full);
  return 0;
}
static __always_inline int on_udp_fail(const struct sock *sk) {
  PSO_SOCK_COUNT(sk, PSO_HOOK_UDP_FAIL_QUEUE_RCV_SKB, udp_rcvbuf_errors);
  return 0;
}

PSO_PROGS(tcp_retransmit_skb, on_retransmit(sk), const struct sock *sk)
PSO_PROGS(tcp_receive_reset, on_receive_reset(sk), const struct sock *sk)
PSO_PROGS(sock_rcvqueue_full, on_rcvqueue_full(sk), const struct sock *sk)
PSO_PROGS(udp_fail_queue_rcv_skb, on_udp_fail(sk), int rc,
          const struct sock *sk)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
