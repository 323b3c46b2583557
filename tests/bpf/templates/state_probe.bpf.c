// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The stateful templates under test: token buckets (packets and bits),
 * counters and dynamic sets, all reading the injected clock. Bucket
 * parameters come from .rodata, set by the test through
 * psl_rate_cfg_make() before load: the same path the compiler's constants
 * take.
 */
#include <linux/bpf.h> /* before bpf_helpers.h, which uses its types */

#include <bpf/bpf_helpers.h>

#include "psl_counters.h"
#include "psl_dynset.h"
#include "psl_parse.h"
#include "psl_rate.h"

/* Counter ids templates_test reads back. */
enum {
  PROBE_PPS_UNDER = 10,
  PROBE_PPS_OVER = 11,
  PROBE_BPS_UNDER = 12,
  PROBE_BPS_OVER = 13,
  PROBE_SET_HIT = 14,
  PROBE_SET_SEEN = 15,
};

const volatile struct psl_rate_cfg probe_pps_cfg = {};
const volatile struct psl_rate_cfg probe_bps_cfg = {};

PSL_RATE_MAP(probe_rate, 1024);
PSL_DYNSET_IP(probe_ips, 64);
PSL_DYNSET_INT(probe_ports, 64);

PSL_INLINE void probe_key(struct psl_rate_key *k, __u32 rule,
                          const struct psl_pkt *p) {
  __builtin_memset(k, 0, sizeof(*k));
  k->rule_id = rule;
  __builtin_memcpy(k->data, p->ip_src, 16);
}

SEC("xdp")
int rate_pps_probe(struct xdp_md *ctx) {
  struct psl_rate_cfg cfg = probe_pps_cfg;
  struct psl_rate_key key;
  struct psl_pkt pkt;

  psl_parse(ctx, &pkt);
  probe_key(&key, 1, &pkt);
  if (psl_rate_over_pps(&probe_rate, &key, &cfg)) {
    psl_count(PROBE_PPS_OVER, pkt.pkt_len);
    return XDP_DROP;
  }
  psl_count(PROBE_PPS_UNDER, pkt.pkt_len);
  return XDP_PASS;
}

SEC("xdp")
int rate_bps_probe(struct xdp_md *ctx) {
  struct psl_rate_cfg cfg = probe_bps_cfg;
  struct psl_rate_key key;
  struct psl_pkt pkt;

  psl_parse(ctx, &pkt);
  probe_key(&key, 2, &pkt);
  if (psl_rate_over_bps(&probe_rate, &key, &cfg, &pkt)) {
    psl_count(PROBE_BPS_OVER, pkt.pkt_len);
    return XDP_DROP;
  }
  psl_count(PROBE_BPS_UNDER, pkt.pkt_len);
  return XDP_PASS;
}

/* ip.src in probe_ips or l4.dport in probe_ports => drop (counted as a
 * shadow hit too, so both counter maps get exercised). */
SEC("xdp")
int dynset_probe(struct xdp_md *ctx) {
  struct psl_pkt pkt;
  int hit = 0;

  psl_parse(ctx, &pkt);
  psl_count_shadow(PROBE_SET_SEEN, pkt.pkt_len);
  if (pkt.present & PSL_PRESENT_IP) {
    struct psl_ip_key k;

    psl_ip_key_from_pkt(&k, &pkt, 1);
    hit = psl_dynset_contains(&probe_ips, &k);
  }
  if (!hit && (pkt.present & PSL_PRESENT_L4)) {
    struct psl_int_key k = {.value = pkt.l4_dport};

    hit = psl_dynset_contains(&probe_ports, &k);
  }
  if (hit) {
    psl_count_shadow(PROBE_SET_HIT, pkt.pkt_len);
    return XDP_DROP;
  }
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
