// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The UDP-port-9 drop written the way generated policies are: the
 * templates decode the packet and count the verdict per rule.
 *
 *   rule discard: udp.dport == 9 => drop
 *   default pass
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "psl_counters.h"
#include "psl_parse.h"

enum {
  RULE_DEFAULT = 0,
  RULE_DISCARD = 1,
};

SEC("xdp")
int psl_policy(struct xdp_md *ctx) {
  struct psl_pkt pkt;

  psl_parse(ctx, &pkt);
  if ((pkt.present & PSL_PRESENT_UDP) && pkt.udp_dport == 9) {
    psl_count(RULE_DISCARD, pkt.pkt_len);
    return XDP_DROP;
  }
  psl_count(RULE_DEFAULT, pkt.pkt_len);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
