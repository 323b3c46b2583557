// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Counts every packet in `seen` and returns `verdict`, a load-time
 * parameter (XDP_PASS unless the loader sets it). The attach tests load it
 * several times and swap between the copies while traffic flows.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 verdict = XDP_PASS;

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} seen SEC(".maps");

SEC("xdp")
int xdp_count(struct xdp_md *ctx) {
  __u32 slot = 0;
  __u64 *n = bpf_map_lookup_elem(&seen, &slot);

  if (n)
    __sync_fetch_and_add(n, 1);
  return verdict;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
