// The parse of the one-if-per-rule baseline (gen_policy.py --naive-c): what
// a straightforward generator, or someone writing XDP C by hand, would do.
// Ethernet, then IPv4 (options skipped by IHL) or IPv6 (no extension
// headers), then the TCP/UDP destination port, TCP flags or ICMP type, into
// host-order fields the rules compare with constants. No VLAN tags; a frame
// that is not IP returns -1 and gets the policy's default.
#ifndef NAIVE_PARSE_H
#define NAIVE_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct naive_pkt {
  __u8 family; // 4, 6
  __u8 proto;  // IPv4 protocol / IPv6 next header
  __u8 tcp_flags;
  __u8 icmp_type;
  __u16 dport; // TCP/UDP only, else 0
  __u32 src4, dst4;
  __u64 src6_hi, src6_lo, dst6_hi, dst6_lo;
};

static __always_inline __u64 naive_load_be64(const __u8 *bytes) {
  __u64 v;
  __builtin_memcpy(&v, bytes, sizeof(v));
  return bpf_be64_to_cpu(v);
}

static __always_inline int naive_parse(struct xdp_md *ctx,
                                       struct naive_pkt *p) {
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  __builtin_memset(p, 0, sizeof(*p));

  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end)
    return -1;
  void *l4;
  if (eth->h_proto == bpf_htons(ETH_P_IP)) {
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > end)
      return -1;
    p->family = 4;
    p->proto = ip->protocol;
    p->src4 = bpf_ntohl(ip->saddr);
    p->dst4 = bpf_ntohl(ip->daddr);
    if (ip->frag_off & bpf_htons(0x1fff))
      return 0; // a later fragment: no L4 header
    l4 = (__u8 *)ip + ip->ihl * 4;
  } else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
    struct ipv6hdr *ip6 = (void *)(eth + 1);
    if ((void *)(ip6 + 1) > end)
      return -1;
    p->family = 6;
    p->proto = ip6->nexthdr;
    p->src6_hi = naive_load_be64(ip6->saddr.in6_u.u6_addr8);
    p->src6_lo = naive_load_be64(ip6->saddr.in6_u.u6_addr8 + 8);
    p->dst6_hi = naive_load_be64(ip6->daddr.in6_u.u6_addr8);
    p->dst6_lo = naive_load_be64(ip6->daddr.in6_u.u6_addr8 + 8);
    l4 = ip6 + 1;
  } else {
    return -1;
  }

  if (p->proto == IPPROTO_TCP) {
    struct tcphdr *tcp = l4;
    if ((void *)(tcp + 1) > end)
      return 0;
    p->dport = bpf_ntohs(tcp->dest);
    p->tcp_flags = ((__u8 *)tcp)[13];
  } else if (p->proto == IPPROTO_UDP) {
    struct udphdr *udp = l4;
    if ((void *)(udp + 1) > end)
      return 0;
    p->dport = bpf_ntohs(udp->dest);
  } else if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) {
    __u8 *icmp = l4;
    if ((void *)(icmp + 1) > end)
      return 0;
    p->icmp_type = icmp[0];
  }
  return 0;
}

#endif // NAIVE_PARSE_H
