// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Self-contained XDP program for the backend tests (no templates): drops
 * UDP to port 9 (discard) over IPv4 or IPv6, passes everything else, and
 * counts its verdicts in `verdicts` (slot = XDP action).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, __u64);
} verdicts SEC(".maps");

static __always_inline int verdict(int action) {
  __u32 key = action;
  __u64 *n = bpf_map_lookup_elem(&verdicts, &key);

  if (n)
    __sync_fetch_and_add(n, 1);
  return action;
}

static __always_inline int udp_to_discard(void *l4, void *end) {
  struct udphdr *udp = l4;

  if ((void *)(udp + 1) > end)
    return 0;
  return udp->dest == bpf_htons(9);
}

SEC("xdp")
int udp9_drop(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;

  if ((void *)(eth + 1) > end)
    return verdict(XDP_PASS);

  if (eth->h_proto == bpf_htons(ETH_P_IP)) {
    struct iphdr *ip = (void *)(eth + 1);

    if ((void *)(ip + 1) > end || ip->ihl < 5)
      return verdict(XDP_PASS);
    if (ip->protocol == IPPROTO_UDP &&
        udp_to_discard((void *)ip + ip->ihl * 4, end))
      return verdict(XDP_DROP);
  } else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
    struct ipv6hdr *ip6 = (void *)(eth + 1);

    if ((void *)(ip6 + 1) > end)
      return verdict(XDP_PASS);
    if (ip6->nexthdr == IPPROTO_UDP && udp_to_discard(ip6 + 1, end))
      return verdict(XDP_DROP);
  }
  return verdict(XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
