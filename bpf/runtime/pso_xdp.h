/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * pso_xdp.h — the XDP observation, compiled into every policy program.
 *
 * psl_decide() (psl_classify.h), the one exit of every generated program,
 * calls pso_xdp_observe() with the packet the policy already parsed, its
 * verdict and the deciding rule's counter id. It counts the packet by
 * class and verdict (pso_proto), updates its source's statistics (pso_src)
 * and, when sampling is on and the packet is sampled, writes a path event
 * (pso_events; pso_xdp_sample.h, out of line in psc's builds). Why here
 * and not in a root program that tail-calls the policy: docs/tracing.md,
 * with the measurements.
 *
 * Off by default: `pso_observe` is a `const volatile` in .rodata, so the
 * verifier knows it and removes the call when it is 0 — `psc test`, `psc
 * run`, difftest and the policy benchmarks pay nothing, and their loader
 * creates these maps with one entry (PolicyLoadOptions::observe,
 * compiler/codegen/policy_build.h). psc load and psd set it to 1; the
 * policy runtime pins the maps with the policy's and reuses them on every
 * swap, so a swap never resets them.
 *
 * Cost when on, per packet: array lookups for the class counters, the
 * source's slot and the sampling configuration, and bpf_jiffies64(), all
 * of which the kernel inlines: no call at all.
 * The sample hash, a clock read and the ring buffer cost only while
 * sampling is on, and in psc's builds so does a BPF-to-BPF call into the
 * prebuilt pso_xdp_sample() (docs/tracing.md has the numbers).
 *
 * Contract: `p` is what psl_parse() decoded from ctx; the packet bytes
 * the sampled path reads (the IPv4 id, 4 bytes of the L4 header) are
 * bound-checked again, since the verifier does not know what psl_parse()
 * proved.
 */
#ifndef PSO_XDP_H
#define PSO_XDP_H

#include <linux/bpf.h> /* before bpf_helpers.h, which uses its types */

#include <bpf/bpf_helpers.h>

#include "../templates/psl_pkt.h"
#include "pso_abi.h"

/* Set to 1 by the loader to observe (.rodata: the verifier sees it). */
const volatile __u8 pso_observe = 0;

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, PSO_PROTO_COUNT);
  __type(key, __u32);
  __type(value, struct pso_verdict_cnt);
} pso_proto SEC(".maps");

/* Per CPU: each CPU updates its own copy of a slot with plain adds. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, PSO_SRC_SLOTS);
  __type(key, __u32);
  __type(value, struct pso_src_slot);
} pso_src SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct pso_cfg);
} pso_cfg SEC(".maps");

/* The sampled path (pso_xdp_sample.h says why it is apart): with
 * PSL_PARSE_PREBUILT a global function linked in from the prebuilt object,
 * which defines pso_budget, pso_scratch and pso_events; else inlined from
 * the header, which defines them here. */
#ifdef PSL_PARSE_PREBUILT
int pso_xdp_sample(struct xdp_md *ctx, const struct psl_pkt *p,
                   const struct pso_cfg *cfg, __u32 drop, __u32 rule);
#else
#include "pso_xdp_sample.h"
#endif

/* Adds the packet to one CPU's share of its source's statistics. */
PSO_INLINE void pso_src_add(struct pso_src_val *v, const struct psl_pkt *p,
                            int drop, __u64 now) {
  __u64 dropped = drop != 0;

  if (!v->first_seen) /* this CPU's first packet of this source */
    v->first_seen = now;
  v->last_seen = now;
  v->packets += 1;
  v->bytes += p->pkt_len;
  v->xdp_drop += dropped;
  if ((p->present & PSL_PRESENT_TCP) &&
      (p->tcp_flags & (PSL_TCP_SYN | PSL_TCP_ACK)) == PSL_TCP_SYN) {
    v->tcp_syn += 1;
    v->tcp_syn_drop += dropped;
  }
  if (((p->present & PSL_PRESENT_ICMP) && p->icmp_type == 8) ||
      ((p->present & PSL_PRESENT_ICMP6) && p->icmp6_type == 128)) {
    v->icmp_echo += 1;
    v->icmp_echo_drop += dropped;
  }
  if (p->present & PSL_PRESENT_UDP) {
    int r = pso_reflection_index(p->udp_sport);

    v->udp += 1;
    v->udp_drop += dropped;
    if (r >= 0 && r < PSO_REFLECTION_PORTS)
      v->udp_reflection[r] += 1;
  }
  if (p->present & PSL_PRESENT_L4) {
    __u32 bit = pso_lc_bit(p->l4_dport, 7);

    v->dport_bits[(bit >> 6) & (PSO_DPORT_WORDS - 1)] |= 1ull << (bit & 63);
  }
  {
    /* Word 2 is ::ffff: on IPv4 and rarely tells IPv6 hosts apart. */
    __u32 a = pso_word(p->ip_dst, 3) ^ pso_word(p->ip_dst, 1) ^
              pso_word(p->ip_dst, 0);

    v->daddr_bits[0] |= 1ull << pso_lc_bit(a, 6);
  }
}

PSO_INLINE void pso_xdp_source(const struct psl_pkt *p, int drop) {
  __u32 i = pso_src_index(p->ip_src, p->ip_version);
  struct pso_src_slot *s = bpf_map_lookup_elem(&pso_src, &i);
  __u64 now = bpf_jiffies64();

  if (!s)
    return;
  if (pso_word(s->addr, 0) != pso_word(p->ip_src, 0) ||
      pso_word(s->addr, 1) != pso_word(p->ip_src, 1) ||
      pso_word(s->addr, 2) != pso_word(p->ip_src, 2) ||
      pso_word(s->addr, 3) != pso_word(p->ip_src, 3) ||
      s->family != p->ip_version) {
    /* Empty, or another source's: this one takes the slot over. */
    __builtin_memset(s, 0, sizeof(*s));
    __builtin_memcpy(s->addr, p->ip_src, 16);
    s->family = p->ip_version;
  }
  pso_src_add(&s->v, p, drop, now);
}

/* Called by psl_decide() when pso_observe is set. */
PSO_INLINE void pso_xdp_observe(struct xdp_md *ctx, const struct psl_pkt *p,
                                int drop, __u32 rule) {
  __u32 proto = PSO_PROTO_OTHER, zero = 0;
  struct pso_verdict_cnt *c;
  const struct pso_cfg *cfg;

  if (p->present & PSL_PRESENT_IP)
    proto = pso_proto_of(p->ip_version, p->ip_proto);
  c = bpf_map_lookup_elem(&pso_proto, &proto);
  if (c) {
    if (drop) {
      c->drop_packets += 1;
      c->drop_bytes += p->pkt_len;
    } else {
      c->pass_packets += 1;
      c->pass_bytes += p->pkt_len;
    }
    if ((p->present & PSL_PRESENT_TCP) &&
        (p->tcp_flags & (PSL_TCP_SYN | PSL_TCP_ACK)) == PSL_TCP_SYN) {
      c->tcp_syn += 1;
      pso_syn_port_vote(c, p->tcp_dport);
    }
  }
  if (!(p->present & PSL_PRESENT_IP))
    return;
  pso_xdp_source(p, drop);
  cfg = bpf_map_lookup_elem(&pso_cfg, &zero);
  if (cfg && cfg->sample_every)
    pso_xdp_sample(ctx, p, cfg, (__u32)drop, rule);
}

#endif /* PSO_XDP_H */
