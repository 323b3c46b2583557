/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * pso_abi.h — what the observation programs and runtime/trace share.
 *
 * One header for three readers: the XDP observation compiled into every
 * policy program (pso_xdp.h, against the uapi headers), the stack
 * tracepoints (pso_stack.bpf.c, against the vmlinux.h the build generates)
 * and user space (runtime/trace, C++). Plain C with fixed-width types;
 * every struct is laid out without implicit padding and its size asserted,
 * so the three agree byte for byte.
 *
 * Naming: maps and globals are `pso_*` (packetscope observation). Map names
 * stay under 16 bytes: the kernel keeps 15 characters, and the policy
 * runtime pins the XDP maps under <pin>/maps/ by that name.
 */
#ifndef PSO_ABI_H
#define PSO_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PSO_INLINE static inline __attribute__((always_inline))

/* Traffic classes, in the order of psr::trace::Proto (snapshot.h). */
enum pso_proto {
  PSO_PROTO_OTHER = 0,
  PSO_PROTO_IPV4_TCP,
  PSO_PROTO_IPV4_UDP,
  PSO_PROTO_IPV4_ICMP,
  PSO_PROTO_IPV4_OTHER,
  PSO_PROTO_IPV6_TCP,
  PSO_PROTO_IPV6_UDP,
  PSO_PROTO_IPV6_ICMP,
  PSO_PROTO_IPV6_OTHER,
  PSO_PROTO_COUNT,
};

/* The class of an IP packet: family 4 or 6 (anything else: OTHER) and
 * its upper-layer protocol. */
PSO_INLINE __u32 pso_proto_of(__u32 family, __u32 ip_proto) {
  __u32 base;

  if (family == 4)
    base = PSO_PROTO_IPV4_TCP;
  else if (family == 6)
    base = PSO_PROTO_IPV6_TCP;
  else
    return PSO_PROTO_OTHER;
  if (ip_proto == 6)
    return base;
  if (ip_proto == 17)
    return base + 1;
  if (ip_proto == (family == 4 ? 1u : 58u))
    return base + 2;
  return base + 3;
}

/* Hooks, as path events and hook counters name them (the names are in
 * runtime/trace/hooks.cc). */
enum pso_hook {
  PSO_HOOK_XDP = 0,
  PSO_HOOK_NETIF_RECEIVE_SKB,
  PSO_HOOK_KFREE_SKB,
  PSO_HOOK_CONSUME_SKB,
  PSO_HOOK_INET_SOCK_SET_STATE,
  PSO_HOOK_TCP_RETRANSMIT_SKB,
  PSO_HOOK_TCP_SEND_RESET,
  PSO_HOOK_TCP_RECEIVE_RESET,
  PSO_HOOK_SOCK_RCVQUEUE_FULL,
  PSO_HOOK_UDP_FAIL_QUEUE_RCV_SKB,
  PSO_HOOK_ICMP_SEND,
  PSO_HOOK_NET_DEV_XMIT,
  PSO_HOOK_COUNT,
};

/* What a path event says happened to the packet at its hook. */
enum pso_verdict {
  PSO_VERDICT_NONE = 0,
  PSO_VERDICT_PASS,     /* xdp: the policy passed it */
  PSO_VERDICT_DROP,     /* xdp: the policy dropped it */
  PSO_VERDICT_RECEIVED, /* the stack took it (netif_receive_skb) */
  PSO_VERDICT_CONSUMED, /* freed as consumed (delivered) */
  PSO_VERDICT_DROPPED,  /* freed with a drop reason */
  PSO_VERDICT_SENT,     /* left through a device */
  PSO_VERDICT_REPLIED,  /* the stack answered it (RST, ICMP error) */
};

/* ---- XDP: per protocol (pso_proto, per-CPU array) ---------------------- */
/* Every packet leaves the policy through psl_decide(), so the packets seen
 * at XDP are pass + drop. */
struct pso_verdict_cnt {
  __u64 pass_packets;
  __u64 pass_bytes;
  __u64 drop_packets;
  __u64 drop_bytes;
  __u64 tcp_syn; /* SYN without ACK (TCP classes only) */
  /* The destination port most SYNs go to, by a majority vote over this
   * CPU's SYNs of the class (pso_syn_port_vote): a port that takes more
   * than half of them ends up as syn_port. What a SYN flood toward one
   * service is rate-limited by (docs/detector.md). */
  __u64 syn_port_votes; /* the vote's counter; 0: no candidate */
  __u64 syn_port_hits;  /* SYNs to syn_port since it became the candidate */
  __u16 syn_port;
  __u16 _pad0[3];
};

/* One SYN toward `port` in the majority vote (Boyer-Moore): the same port
 * adds a vote, another takes one away, and at 0 the next port becomes the
 * candidate with its hits counted from 0. Plain stores into the entry the
 * class counters already hold: no lookup, no call. */
PSO_INLINE void pso_syn_port_vote(struct pso_verdict_cnt *c, __u16 port) {
  if (c->syn_port_votes == 0) {
    c->syn_port = port;
    c->syn_port_hits = 0;
  }
  if (c->syn_port == port) {
    c->syn_port_votes += 1;
    c->syn_port_hits += 1;
  } else {
    c->syn_port_votes -= 1;
  }
}

/* ---- XDP: per source (pso_src, per-CPU array of slots) ------------------ */
/* A direct-mapped table: a source's slot is a hash of its address
 * (pso_src_index), the same on every CPU; a packet from another source
 * whose address hashes to an occupied slot takes it over (an LRU of one
 * way: the most recent source stays). Array lookups are inlined by the
 * kernel, where an LRU hash lookup is a helper call: docs/tracing.md has
 * the measurements behind this choice. */
#define PSO_SRC_SLOTS_LOG2 14
#define PSO_SRC_SLOTS (1u << PSO_SRC_SLOTS_LOG2)

/* The estimates' bitmaps: linear counting (docs/tracing.md). */
#define PSO_DPORT_WORDS 2 /* 128 bits */
#define PSO_DADDR_WORDS 1 /* 64 bits */
#define PSO_REFLECTION_PORTS 5

/* One CPU's share; user space adds the counters, ORs the bitmaps and
 * takes the earliest first_seen and latest last_seen over the CPUs. The
 * times are jiffies (bpf_jiffies64, which the kernel inlines; a clock
 * helper would cost more than the rest of the observation): user space
 * turns them into CLOCK_MONOTONIC nanoseconds. */
struct pso_src_val {
  __u64 first_seen; /* jiffies; 0 on a CPU that never saw the source */
  __u64 last_seen;  /* jiffies */
  __u64 packets;
  __u64 bytes;
  __u64 tcp_syn;   /* SYN without ACK */
  __u64 icmp_echo; /* ICMP / ICMPv6 echo requests */
  __u64 udp;
  __u64 xdp_drop;
  /* Of tcp_syn, icmp_echo and udp, what the policy dropped: what still
   * passes of a class is its count less these (the detector reads a
   * source's drops by class, not as a share of all it sent). */
  __u64 tcp_syn_drop;
  __u64 icmp_echo_drop;
  __u64 udp_drop;
  __u64 udp_reflection[PSO_REFLECTION_PORTS]; /* 53 123 11211 1900 19 */
  __u64 dport_bits[PSO_DPORT_WORDS];
  __u64 daddr_bits[PSO_DADDR_WORDS];
};

/* A slot: whose statistics it holds (the layout of struct psl_ip_key:
 * addr as psl_pkt.ip_src, family 4 or 6; family 0: empty) and them. */
struct pso_src_slot {
  __u8 addr[16];
  __u8 family;
  __u8 _pad[7];
  struct pso_src_val v;
};

/* Index of a UDP source port among the reflection ports, or -1. */
PSO_INLINE int pso_reflection_index(__u32 port) {
  switch (port) {
  case 53:
    return 0;
  case 123:
    return 1;
  case 11211:
    return 2;
  case 1900:
    return 3;
  case 19:
    return 4;
  }
  return -1;
}

/* Bit of a value in a linear-counting bitmap of `bits` bits (a power of
 * two): Fibonacci hashing, the top bits of the product. */
PSO_INLINE __u32 pso_lc_bit(__u32 v, __u32 log2_bits) {
  return (v * 0x9e3779b1u) >> (32 - log2_bits);
}

/* The slot of a source (addr: 16 bytes as in psl_pkt, family 4 or 6). */
PSO_INLINE __u32 pso_src_index(const __u8 *addr, __u32 family) {
  __u32 x = family, w;
  int i;

#if defined(__clang__)
#pragma unroll
#endif
  for (i = 0; i < 4; i++) {
    __builtin_memcpy(&w, addr + 4 * i, 4);
    x ^= w;
  }
  return (x * 0x9e3779b1u) >> (32 - PSO_SRC_SLOTS_LOG2);
}

/* ---- sampling (pso_cfg, array of 1, written by user space any time) ---- */
struct pso_cfg {
  /* 0: no path events. N: the packets whose identity hash is 0 modulo N
   * (1: every packet), the same decision at every hook. */
  __u32 sample_every;
  /* At most this many path events per second on each CPU; the rest are
   * counted as lost. 0: no events. */
  __u32 max_events_per_sec;
  /* With filter_family 4 or 6, only packets with this address as source
   * or destination (IPv4 as ::ffff:a.b.c.d). */
  __u8 filter_addr[16];
  __u8 filter_family;
  __u8 _pad0;
  /* With filter_port nonzero, only TCP/UDP with this source or destination
   * port. */
  __u16 filter_port;
  __u32 _pad1;
};

/* The per-CPU budget of path events (pso_budget, per-CPU array of 1). */
struct pso_budget {
  __u64 window_ns; /* start of the current one-second window */
  __u64 used;      /* events emitted in it */
  __u64 lost;      /* events refused: over budget or ring buffer full */
};

/* The identity of a packet: what its sample id hashes. The same packet
 * gives the same identity at XDP (psl_pkt + packet bytes) and in the stack
 * (skb headers). `disc` tells apart packets of one flow: the IPv4 id and
 * the TCP sequence number / UDP checksum / ICMP id and sequence. */
struct pso_ident {
  __u8 saddr[16]; /* IPv4 as ::ffff:a.b.c.d */
  __u8 daddr[16];
  __u8 family; /* 4 or 6 */
  __u8 ip_proto;
  __u16 sport; /* TCP/UDP, host order; 0 otherwise */
  __u16 dport;
  __u16 ip_id;   /* IPv4 identification, host order; 0 on IPv6 */
  __u32 l4_disc; /* TCP seq / UDP checksum / ICMP bytes 4..7, as read */
};

/* A 32-bit word of a struct, read without breaking C's aliasing rules
 * (host compilers may otherwise reorder it before the struct's stores);
 * one 4-byte load in BPF, the structs here being 4-byte aligned. */
PSO_INLINE __u32 pso_word(const void *base, int i) {
  __u32 w;

  __builtin_memcpy(&w, (const __u8 *)base + 4 * i, 4);
  return w;
}

PSO_INLINE __u32 pso_hash_word(__u32 h, __u32 w) {
  w *= 0xcc9e2d51u;
  w = (w << 15) | (w >> 17);
  w *= 0x1b873593u;
  h ^= w;
  h = (h << 13) | (h >> 19);
  return h * 5 + 0xe6546b64u;
}

/* The sample id: a 32-bit hash of the identity (murmur3's mixing). */
PSO_INLINE __u32 pso_ident_hash(const struct pso_ident *id) {
  __u32 h = 0x50534f31u; /* "PSO1" */
  int i;

#if defined(__clang__)
#pragma unroll
#endif
  for (i = 0; i < (int)(sizeof(*id) / 4); i++)
    h = pso_hash_word(h, pso_word(id, i));
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

/* Whether the address/port filters of `cfg` let the packet through. */
PSO_INLINE int pso_cfg_match(const struct pso_cfg *cfg,
                             const struct pso_ident *id) {
  if (cfg->filter_family) {
    const __u8 *f = cfg->filter_addr;
    int i, src = 1, dst = 1;

    if (cfg->filter_family != id->family)
      return 0;
#if defined(__clang__)
#pragma unroll
#endif
    for (i = 0; i < 4; i++) {
      src &= pso_word(id->saddr, i) == pso_word(f, i);
      dst &= pso_word(id->daddr, i) == pso_word(f, i);
    }
    if (!src && !dst)
      return 0;
  }
  if (cfg->filter_port && id->sport != cfg->filter_port &&
      id->dport != cfg->filter_port)
    return 0;
  return 1;
}

/* A path event in the ring buffer (pso_events): one hook a sampled packet
 * passed. */
struct pso_event {
  __u64 ts_ns;  /* CLOCK_MONOTONIC */
  __u32 id;     /* the sample id (pso_ident_hash) */
  __u16 hook;   /* enum pso_hook */
  __u8 verdict; /* enum pso_verdict */
  __u8 proto;   /* enum pso_proto */
  /* xdp: the deciding rule's counter id (0: default); kfree_skb: the drop
   * reason; icmp_send: type << 8 | code; tcp_send_reset: 0. */
  __u32 detail;
  __u32 len;     /* frame (xdp) or skb length */
  __u32 ifindex; /* xdp: the receiving device; stack: skb->dev, 0 if none */
  __u32 _pad0;
  struct pso_ident ident;
  __u32 _pad1;
};

/* Per-CPU scratch of the XDP observation (pso_scratch, per-CPU array of
 * one): a policy program may use most of its 512 bytes of stack, so the
 * larger temporaries live here (an inlined lookup, no call). */
struct pso_scratch {
  struct pso_ident id; /* the identity of the packet being sampled */
  __u32 _pad;
};

/* ---- the stack (pso_stack.bpf.c) ---------------------------------------- */
/* Counters of the traced namespace (pso_stack_cnt, per-CPU array of 1). */
struct pso_stack_cnt {
  __u64 rx[PSO_PROTO_COUNT];        /* net:netif_receive_skb */
  __u64 delivered[PSO_PROTO_COUNT]; /* received, then skb:consume_skb */
  __u64 dropped[PSO_PROTO_COUNT];   /* received, then skb:kfree_skb */
  __u64 sent[PSO_PROTO_COUNT];      /* net:net_dev_xmit */
  __u64 tcp_syn_recv;               /* -> TCP_SYN_RECV */
  __u64 tcp_established;            /* -> TCP_ESTABLISHED */
  __u64 tcp_passive_open;           /* TCP_SYN_RECV -> TCP_ESTABLISHED */
  __u64 tcp_active_open;            /* TCP_SYN_SENT -> TCP_ESTABLISHED */
  __u64 tcp_closed;                 /* -> TCP_CLOSE */
  __u64 tcp_synack_sent;            /* SYN+ACK through net:net_dev_xmit */
  __u64 tcp_resets_sent;
  __u64 tcp_resets_received;
  __u64 tcp_retransmits;
  __u64 udp_rcvbuf_errors;
  __u64 sock_rcvqueue_full;
  __u64 hook_events[PSO_HOOK_COUNT]; /* events each hook counted */
};

/* Drops by reason and class (pso_drops, per-CPU hash; value __u64). */
struct pso_drop_key {
  __u32 reason; /* enum skb_drop_reason as the kernel passed it */
  __u32 proto;  /* enum pso_proto */
};

/* ICMP errors sent (pso_icmp, per-CPU array; value __u64), at
 * type << PSO_ICMP_CODE_BITS | code for codes below 1 << PSO_ICMP_CODE_BITS. */
#define PSO_ICMP_CODE_BITS 4
#define PSO_ICMP_SLOTS (256 << PSO_ICMP_CODE_BITS)

/* Receive-to-free time per class (pso_latency, per-CPU array indexed by
 * class): bucket i counts [2^i, 2^(i+1)) ns, bucket 0 also 0 and 1 ns. */
#define PSO_LAT_BUCKETS 32
struct pso_latency {
  __u64 buckets[PSO_LAT_BUCKETS];
  __u64 count;
  __u64 sum_ns;
};

/* A received skb until it is freed: a slot of pso_inflight, a
 * direct-mapped array indexed by a hash of the skb's address (no helper
 * call to find it, docs/tracing.md). `skb` says whose slot it is now. */
struct pso_inflight {
  __u64 skb;    /* the skb's address */
  __u64 rx_ns;  /* receive time; 0: not timed (pso_timed_per_tick) */
  __u32 id;     /* sample id */
  __u8 proto;   /* enum pso_proto */
  __u8 sampled; /* its path is being traced */
  __u8 live;    /* received and not freed yet */
  __u8 _pad;
};

/* Each CPU's working state in the stack programs (pso_cpu). */
struct pso_stack_cpu {
  __u64 tick; /* jiffies of the current tick */
  __u64 used; /* received skbs timed in it (pso_timed_per_tick) */
  __u64 addr; /* an skb's address, stored and loaded back as a number */
};

#ifdef __bpf__
#include <bpf/bpf_helpers.h>

/* Whether this CPU may emit one more path event now (at most
 * cfg->max_events_per_sec a second, per CPU); counts a refusal as lost.
 * `budget_map`: a per-CPU array of one struct pso_budget. */
PSO_INLINE int pso_budget_take(void *budget_map, const struct pso_cfg *cfg,
                               __u64 now) {
  __u32 zero = 0;
  struct pso_budget *b = bpf_map_lookup_elem(budget_map, &zero);

  if (!b)
    return 0;
  if (now - b->window_ns >= 1000000000ull) {
    b->window_ns = now;
    b->used = 0;
  }
  if (b->used >= cfg->max_events_per_sec) {
    b->lost += 1;
    return 0;
  }
  b->used += 1;
  return 1;
}

/* A ring buffer without room counts as lost too. */
PSO_INLINE void pso_budget_lost(void *budget_map) {
  __u32 zero = 0;
  struct pso_budget *b = bpf_map_lookup_elem(budget_map, &zero);

  if (b)
    b->lost += 1;
}
#endif /* __bpf__ */

#ifdef __cplusplus
#define PSO_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define PSO_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif
PSO_STATIC_ASSERT(sizeof(struct pso_verdict_cnt) == 64, "pso_verdict_cnt");
PSO_STATIC_ASSERT(sizeof(struct pso_src_val) == 152, "pso_src_val");
PSO_STATIC_ASSERT(sizeof(struct pso_src_slot) == 176, "pso_src_slot");
PSO_STATIC_ASSERT(sizeof(struct pso_cfg) == 32, "pso_cfg");
PSO_STATIC_ASSERT(sizeof(struct pso_ident) == 44, "pso_ident");
PSO_STATIC_ASSERT(sizeof(struct pso_event) == 80, "pso_event");
PSO_STATIC_ASSERT(sizeof(struct pso_stack_cnt) ==
                      8 * (4 * PSO_PROTO_COUNT + 11 + PSO_HOOK_COUNT),
                  "pso_stack_cnt");
PSO_STATIC_ASSERT(sizeof(struct pso_inflight) == 24, "pso_inflight");
PSO_STATIC_ASSERT(sizeof(struct pso_scratch) == 48, "pso_scratch");

#endif /* PSO_ABI_H */
