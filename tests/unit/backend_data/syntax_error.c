// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Does not compile, on purpose: the test checks that the error comes back
 * as a value with the line and column of the marked line.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int broken(struct xdp_md *ctx) {
  int verdict = XDP_PASS;

  verdict = verdict + undeclared_counter; /* EXPECT-ERROR */
  return verdict;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
