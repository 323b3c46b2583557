// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Runs psl_parse() on the test packet and publishes the decoded struct in
 * slot 0 of `probe_out` for templates_test to compare field by field. The
 * struct lives on the stack first, as in generated programs, so the probe
 * verifies the same code shape the policies use.
 */
#include <linux/bpf.h> /* before bpf_helpers.h, which uses its types */

#include <bpf/bpf_helpers.h>

#include "psl_parse.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct psl_pkt);
} probe_out SEC(".maps");

SEC("xdp")
int parse_probe(struct xdp_md *ctx) {
  struct psl_pkt pkt;
  __u32 slot = 0;
  int status = psl_parse(ctx, &pkt);

  bpf_map_update_elem(&probe_out, &slot, &pkt, BPF_ANY);
  /* The status also travels as the return value so a mismatch between
   * the return and p->status is caught too. */
  return XDP_PASS + 10 * status;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
