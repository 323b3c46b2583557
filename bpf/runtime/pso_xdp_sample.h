/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * pso_xdp_sample.h — the sampled path of the XDP observation: a path event
 * (pso_events) for a packet the sampling takes.
 *
 * pso_xdp_observe() (pso_xdp.h) calls pso_xdp_sample() only while
 * sampling is on (pso_cfg's sample_every is not 0). It builds the packet's
 * identity, hashes it, takes it 1 in sample_every (and only if it matches
 * the filter), spends the per-CPU budget and writes the event: more C than
 * the rest of the observation together, which every policy compile used
 * to pay for. So psc compiles it once, when psc is built, the way it does
 * the packet parser:
 *
 *  - pso_xdp_sample.bpf.c includes this header with PSO_XDP_SAMPLE_LINKAGE
 *    set to noinline: a BPF global function, verified once on its own,
 *    embedded in psc and linked into every policy object
 *    (compiler/backend/prebuilt_objects.h);
 *  - a policy compiled with PSL_PARSE_PREBUILT (psc's in-process build)
 *    sees only the declaration in pso_xdp.h and does not define the maps
 *    below: they come with the linked object, under the same names;
 *  - otherwise (the C `psc build --emit-c` writes, the template probes,
 *    trace_bench's root program) pso_xdp.h includes this header and the
 *    function is inlined, so the file compiles standalone.
 *
 * As a global function its pointer arguments may be NULL as far as the
 * verifier knows (it checks the types' sizes, not where they point), so
 * the body tests them; `p` and `cfg` are read only. It returns 1 when it
 * wrote an event, else 0 (the verifier wants a scalar return).
 */
#ifndef PSO_XDP_SAMPLE_H
#define PSO_XDP_SAMPLE_H

#include <linux/bpf.h> /* before bpf_helpers.h, which uses its types */

#include <bpf/bpf_helpers.h>

#include "../templates/psl_pkt.h"
#include "pso_abi.h"

/* The ring buffer's size when observing; the loader shrinks every pso_*
 * map to its minimum when not (PolicyLoadOptions::observe). */
#define PSO_RING_BYTES (1u << 20)

#ifndef PSO_XDP_SAMPLE_LINKAGE
#define PSO_XDP_SAMPLE_LINKAGE PSO_INLINE
#endif

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct pso_budget);
} pso_budget SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct pso_scratch);
} pso_scratch SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, PSO_RING_BYTES);
} pso_events SEC(".maps");

/* The packet's identity from what the parser decoded and the few bytes it
 * does not keep. */
PSO_INLINE void pso_xdp_ident(struct xdp_md *ctx, const struct psl_pkt *p,
                              struct pso_ident *id) {
  const __u8 *data = (const __u8 *)(long)ctx->data;
  const __u8 *end = (const __u8 *)(long)ctx->data_end;

  __builtin_memset(id, 0, sizeof(*id));
  __builtin_memcpy(id->saddr, p->ip_src, 16);
  __builtin_memcpy(id->daddr, p->ip_dst, 16);
  id->family = p->ip_version;
  id->ip_proto = p->ip_proto;
  if (p->present & PSL_PRESENT_L4) {
    id->sport = p->l4_sport;
    id->dport = p->l4_dport;
  }
  if (p->present & PSL_PRESENT_IPV4) {
    const __u8 *ip = data + (p->l3_off & 0x3ff);

    if (ip + 6 <= end)
      id->ip_id = (__u16)(((__u16)ip[4] << 8) | ip[5]);
  }
  if (p->present & (PSL_PRESENT_TCP | PSL_PRESENT_UDP | PSL_PRESENT_ICMP |
                    PSL_PRESENT_ICMP6)) {
    const __u8 *l4 = data + (p->l4_off & 0x3ff);

    if (l4 + 8 <= end)
      __builtin_memcpy(&id->l4_disc, l4 + 4, 4);
  }
}

/* The path event of a sampled packet: its verdict and deciding rule.
 * `cfg` is pso_cfg's entry, which the caller found with sampling on. */
PSO_XDP_SAMPLE_LINKAGE int pso_xdp_sample(struct xdp_md *ctx,
                                          const struct psl_pkt *p,
                                          const struct pso_cfg *cfg, __u32 drop,
                                          __u32 rule) {
  __u32 zero = 0;
  struct pso_scratch *scratch;
  struct pso_ident *id;
  struct pso_event *e;
  __u32 h;
  __u64 now;

  if (!p || !cfg || !cfg->sample_every)
    return 0;
  scratch = bpf_map_lookup_elem(&pso_scratch, &zero);
  if (!scratch)
    return 0;
  id = &scratch->id;

  pso_xdp_ident(ctx, p, id);
  h = pso_ident_hash(id);
  if (h % cfg->sample_every != 0 || !pso_cfg_match(cfg, id))
    return 0;
  now = bpf_ktime_get_ns();
  if (!pso_budget_take(&pso_budget, cfg, now))
    return 0;
  e = bpf_ringbuf_reserve(&pso_events, sizeof(*e), 0);
  if (!e) {
    pso_budget_lost(&pso_budget);
    return 0;
  }
  e->ts_ns = now;
  e->id = h;
  e->hook = PSO_HOOK_XDP;
  e->verdict = drop ? PSO_VERDICT_DROP : PSO_VERDICT_PASS;
  /* Sampled packets are IP (pso_xdp_observe() returns before otherwise). */
  e->proto = (__u8)pso_proto_of(p->ip_version, p->ip_proto);
  e->detail = rule;
  e->len = p->pkt_len;
  e->ifindex = ctx->ingress_ifindex;
  e->_pad0 = 0;
  e->_pad1 = 0;
  __builtin_memcpy(&e->ident, id, sizeof(*id));
  bpf_ringbuf_submit(e, 0);
  return 1;
}

#endif /* PSO_XDP_SAMPLE_H */
