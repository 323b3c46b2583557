// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * observe_root.c — the alternative to the XDP observation inside every
 * policy program, for trace_bench: a root XDP program that parses the
 * packet itself, observes it (bpf/runtime/pso_xdp.h), then tail-calls the
 * policy, loaded apart with its observation off, through a prog array.
 * The verdict is the policy's and no longer reaches the observation (a
 * tail call does not return), so here every packet counts as passed; a
 * real design of this shape would need the policy to count verdicts by
 * class itself as well.
 */
#include <linux/bpf.h> /* before bpf_helpers.h, which uses its types */

#include <bpf/bpf_helpers.h>

#include "../runtime/pso_xdp.h"
#include "psl_parse.h"

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32);
} pso_next SEC(".maps");

SEC("xdp")
int pso_root(struct xdp_md *ctx) {
  struct psl_pkt pkt;

  psl_parse(ctx, &pkt);
  pso_xdp_observe(ctx, &pkt, 0, 0);
  bpf_tail_call(ctx, &pso_next, 0);
  return XDP_PASS; /* no policy in the slot */
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
