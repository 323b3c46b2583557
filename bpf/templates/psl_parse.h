/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * psl_parse.h — decode a frame into struct psl_pkt.
 *
 * Contract (read this before changing anything below):
 *
 *  - Input is a linear byte range [data, end). Every read is preceded by a
 *    check that the bytes lie below `end`, written as `ptr + N > end` on a
 *    pointer derived from `data`, because that is the form the BPF verifier
 *    turns into a known packet range. Offsets are carried as scalars (never
 *    `ptr - data`): a packet offset the verifier could not bound would be
 *    useless for the checks. The one pointer subtraction is the frame
 *    length, end - data (psl_parse() says why it is allowed).
 *  - Loops have constant trip counts (PSL_VLAN_MAX, PSL_IP6_MAX_EXT) and
 *    are unrolled, so the programs also load on kernels without bounded
 *    loop support and the verifier's work stays linear in the bound.
 *  - Where ways through the parser meet with offsets the verifier would
 *    tell apart (after VLAN tags, at the L4 header after IPv6 extension
 *    headers, each extension header's length), psl_verifier_forget()
 *    makes them one state (psl_verifier.h): the code after the join is
 *    verified once, not once per way in. Loading a policy verifies this
 *    parser every time.
 *  - The same code compiles for the host (C or C++), so the reference
 *    interpreter and the BPF program decode bytes identically; only
 *    psl_parse() (the xdp_md entry) is BPF-only, psl_parse_buffer() is its
 *    host twin. Fields are assembled from bytes, so no uapi protocol
 *    headers (and their glibc conflicts) are needed.
 *  - The result: `present` bits for every layer whose header was complete
 *    and consistent, members of absent layers zero, `status` why decoding
 *    stopped early (psl_pkt.h). The return value equals p->status.
 *  - A cut (psl_parse_cut, enum psl_parse_layer) decodes the layers it
 *    names exactly as the whole parser does and leaves the others as if
 *    absent (their `present` bits and members zero); `status` may then
 *    differ, which no PSL field reads.
 *  - Lengths are checked against the frame AND the datagram length the IP
 *    header declares; bytes past the IP length (Ethernet padding) are
 *    ignored, as the kernel's IP input path does.
 *  - L4 is decoded only for the first fragment (offset 0). A non-first
 *    fragment has ip.frag set, ip.proto the fragmented protocol and no
 *    TCP/UDP/ICMP presence, with status OK.
 *  - IPv6: the fixed header sets PSL_PRESENT_IPV6. The extension chain
 *    (hop-by-hop, routing, fragment, destination options, AH) is walked up
 *    to PSL_IP6_MAX_EXT headers; a failure in the chain sets the status
 *    but keeps IPv6 present, and ip.proto is the Next Header value at which
 *    the walk stopped. Hop-by-hop anywhere but first is MALFORMED, as in
 *    RFC 8200 4.1, and so is an AH whose length is not a multiple of 8
 *    bytes (RFC 4302 2.2). ESP, No Next Header and unknown values end the
 *    walk as the upper-layer protocol.
 *  - VLAN: up to PSL_VLAN_MAX tags of TPID 0x8100 or 0x88a8 in any order;
 *    a further tag is MALFORMED (eth.type then holds that TPID) so stacked
 *    tags cannot hide the IP header from the policy unnoticed.
 *  - Kernel: the rate templates need 64-bit atomics (5.12+). Debian 12
 *    ships 6.1.
 */
#ifndef PSL_PARSE_H
#define PSL_PARSE_H

#include "psl_pkt.h"
#include "psl_verifier.h"

#ifdef __bpf__
#include <linux/bpf.h> /* before bpf_helpers.h, which uses its types */

#include <bpf/bpf_helpers.h>
#endif

#if defined(__clang__)
#define PSL_UNROLL _Pragma("unroll")
#else
#define PSL_UNROLL
#endif

/* Protocol numbers, spelled out here to keep this header free of uapi
 * protocol headers (see the contract). */
#define PSL_ETH_HLEN 14
#define PSL_ETH_P_IP 0x0800
#define PSL_ETH_P_IPV6 0x86DD
#define PSL_ETH_P_8021Q 0x8100
#define PSL_ETH_P_8021AD 0x88A8

#define PSL_IPPROTO_HOPOPTS 0
#define PSL_IPPROTO_ICMP 1
#define PSL_IPPROTO_TCP 6
#define PSL_IPPROTO_UDP 17
#define PSL_IPPROTO_ROUTING 43
#define PSL_IPPROTO_FRAGMENT 44
#define PSL_IPPROTO_AH 51
#define PSL_IPPROTO_ICMPV6 58
#define PSL_IPPROTO_DSTOPTS 60

/*
 * The layers the parser decodes, as bits of its `want` argument
 * (psl_parse_cut). psl_parse() and the host twin decode all of them; a
 * policy program decodes only those its rules read, and calls psl_parse()
 * instead when the XDP observation, which reads every layer, is on
 * (compiler/codegen/xdp_generator.cc). A layer left out is decoded as if
 * it were absent: its `present` bit and fields stay zero. The Ethernet header,
 * the EtherType after VLAN tags, vlan.id, pkt.len and the fixed IP headers
 * (whenever PSL_PARSE_IP is wanted) are always decoded: a VLAN tag or IPv6
 * header in front of a field a rule reads must be walked for the field to be
 * found, whatever the rule's family.
 */
enum psl_parse_layer {
  PSL_PARSE_ETH_ADDR = 1u << 0,  /* eth.src, eth.dst */
  PSL_PARSE_IP = 1u << 1,        /* the IPv4 and IPv6 fixed headers: ip.* */
  PSL_PARSE_IP6_EXT = 1u << 2,   /* the IPv6 extension chain: ip.proto,
                                    ip.frag*, ip6.*, and L4 over IPv6 */
  PSL_PARSE_TCP = 1u << 3,       /* tcp.sport, tcp.dport, tcp.window */
  PSL_PARSE_TCP_FLAGS = 1u << 4, /* tcp.syn ... tcp.urg as booleans */
  PSL_PARSE_UDP = 1u << 5,
  PSL_PARSE_ICMP = 1u << 6,
  PSL_PARSE_ICMP6 = 1u << 7,
  PSL_PARSE_ALL = 0xffu,
};

PSL_INLINE __u16 psl_load_be16(const __u8 *b) {
  return (__u16)(((__u16)b[0] << 8) | b[1]);
}

/*
 * Keeps a header pointer (data + offset) in one register from here on.
 * LLVM may otherwise compute data + offset again next to a later load (it
 * sinks address arithmetic towards its uses, e.g. into the block after a
 * branch), and the verifier gives that copy a new identity without the
 * range the bounds check proved: "invalid access to packet" (seen with
 * 16-bit loads after the UDP length test). An empty asm: no instruction.
 */
#ifdef __bpf__
#define PSL_PIN_PKT_PTR(ptr) asm volatile("" : "+r"(ptr))
#else
#define PSL_PIN_PKT_PTR(ptr) ((void)0)
#endif

/*
 * Copies n bytes, n a constant multiple of 4, from the packet into the
 * struct: the addresses and MACs. In BPF with 8- and 4-byte loads: LLVM's
 * BPF backend assumes nothing about the alignment of a `__u8 *` and would
 * copy byte by byte (32 instructions for an IPv6 address instead of 4), on
 * every packet. Packet data is not aligned (the IP header usually sits at
 * offset 14); the verifier accepts unaligned packet loads on architectures
 * with efficient unaligned access (x86-64, arm64 ...) and rejects the
 * program at load time elsewhere, it never misreads. `dst` must be 8-byte
 * aligned while 8 or more bytes remain, 4-byte aligned for a last 4.
 *
 * 16-bit fields stay assembled from bytes (psl_load_be16): a 16-bit load
 * and byte swap saves an instruction per field, but where the parser is
 * inlined into a policy with many code rules (`psc build --emit-c`) it
 * tripled the verifier's work (a 100-rule test policy went past the
 * verifier's 1M-instruction limit).
 */
PSL_INLINE void psl_copy_from_pkt(__u8 *dst, const __u8 *src, int n) {
#ifdef __bpf__
  int i;

  PSL_UNROLL
  for (i = 0; i + 8 <= n; i += 8)
    *(__u64 *)(dst + i) = *(const __u64 *)(src + i);
  if (i + 4 <= n)
    *(__u32 *)(dst + i) = *(const __u32 *)(src + i);
#else
  __builtin_memcpy(dst, src, (unsigned)n);
#endif
}

PSL_INLINE int psl_set_status(struct psl_pkt *p, int status) {
  p->status = (__u8)status;
  return status;
}

PSL_INLINE int psl_is_vlan_tpid(__u16 type) {
  return type == PSL_ETH_P_8021Q || type == PSL_ETH_P_8021AD;
}

/* The IPv6 extension headers we walk. Anything else is the upper layer. */
PSL_INLINE int psl_ip6_is_ext(__u8 nh) {
  return nh == PSL_IPPROTO_HOPOPTS || nh == PSL_IPPROTO_ROUTING ||
         nh == PSL_IPPROTO_FRAGMENT || nh == PSL_IPPROTO_DSTOPTS ||
         nh == PSL_IPPROTO_AH;
}

/*
 * TCP, UDP, ICMP, ICMPv6 at offset `off`, those of them `want` names.
 * `avail` is how many bytes the IP header says the datagram still holds
 * from `off` on.
 */
PSL_INLINE int psl_parse_l4(const __u8 *data, const __u8 *end, __u32 off,
                            __u32 avail, struct psl_pkt *p, __u32 want) {
  const __u8 *h = data + off;

  PSL_PIN_PKT_PTR(h);
  if ((want & PSL_PARSE_TCP) && p->ip_proto == PSL_IPPROTO_TCP) {
    __u32 doff;
    __u8 flags;

    if (avail < 20 || h + 20 > end)
      return psl_set_status(p, PSL_STATUS_TRUNCATED);
    doff = (__u32)(h[12] >> 4) * 4;
    if (doff < 20)
      return psl_set_status(p, PSL_STATUS_MALFORMED);
    /* Options must be there too: a header whose data offset points past
     * the datagram is one the kernel will not accept either. */
    if (doff > avail || h + doff > end)
      return psl_set_status(p, PSL_STATUS_TRUNCATED);
    flags = h[13];
    p->tcp_sport = psl_load_be16(h);
    p->tcp_dport = psl_load_be16(h + 2);
    p->tcp_window = psl_load_be16(h + 14);
    p->tcp_flags = flags;
    if (want & PSL_PARSE_TCP_FLAGS) {
      p->tcp_fin = (flags & PSL_TCP_FIN) != 0;
      p->tcp_syn = (flags & PSL_TCP_SYN) != 0;
      p->tcp_rst = (flags & PSL_TCP_RST) != 0;
      p->tcp_psh = (flags & PSL_TCP_PSH) != 0;
      p->tcp_ack = (flags & PSL_TCP_ACK) != 0;
      p->tcp_urg = (flags & PSL_TCP_URG) != 0;
    }
    p->l4_sport = p->tcp_sport;
    p->l4_dport = p->tcp_dport;
    p->l4_off = (__u16)off;
    p->present |= PSL_PRESENT_TCP | PSL_PRESENT_L4;
    return PSL_STATUS_OK;
  }

  if ((want & PSL_PARSE_UDP) && p->ip_proto == PSL_IPPROTO_UDP) {
    __u16 ulen;

    if (avail < 8 || h + 8 > end)
      return psl_set_status(p, PSL_STATUS_TRUNCATED);
    ulen = psl_load_be16(h + 4);
    /* A first fragment carries the length of the whole datagram, which is
     * more than this fragment holds: only unfragmented datagrams must fit. */
    if (ulen < 8 || (ulen > avail && !p->ip_frag))
      return psl_set_status(p, PSL_STATUS_MALFORMED);
    p->udp_sport = psl_load_be16(h);
    p->udp_dport = psl_load_be16(h + 2);
    p->udp_len = ulen;
    p->l4_sport = p->udp_sport;
    p->l4_dport = p->udp_dport;
    p->l4_off = (__u16)off;
    p->present |= PSL_PRESENT_UDP | PSL_PRESENT_L4;
    return PSL_STATUS_OK;
  }

  /* ICMP headers are 8 bytes for every message type (type, code, checksum,
   * 4 bytes of rest-of-header); the kernel pulls 8 before looking at them. */
  if ((want & PSL_PARSE_ICMP) && p->ip_proto == PSL_IPPROTO_ICMP &&
      p->ip_version == 4) {
    if (avail < 8 || h + 8 > end)
      return psl_set_status(p, PSL_STATUS_TRUNCATED);
    p->icmp_type = h[0];
    p->icmp_code = h[1];
    p->l4_off = (__u16)off;
    p->present |= PSL_PRESENT_ICMP;
    return PSL_STATUS_OK;
  }

  if ((want & PSL_PARSE_ICMP6) && p->ip_proto == PSL_IPPROTO_ICMPV6 &&
      p->ip_version == 6) {
    if (avail < 8 || h + 8 > end)
      return psl_set_status(p, PSL_STATUS_TRUNCATED);
    p->icmp6_type = h[0];
    p->icmp6_code = h[1];
    p->l4_off = (__u16)off;
    p->present |= PSL_PRESENT_ICMP6;
    return PSL_STATUS_OK;
  }

  /* A protocol we do not decode (ip.proto says it), or one not wanted. */
  return PSL_STATUS_OK;
}

PSL_INLINE int psl_parse_ipv4(const __u8 *data, const __u8 *end, __u32 off,
                              struct psl_pkt *p, __u32 want) {
  const __u8 *h = data + off;
  __u32 hlen, tot;
  __u16 frag;

  PSL_PIN_PKT_PTR(h);
  if (h + 20 > end)
    return psl_set_status(p, PSL_STATUS_TRUNCATED);
  if ((h[0] >> 4) != 4)
    return psl_set_status(p, PSL_STATUS_MALFORMED);
  hlen = (__u32)(h[0] & 0x0f) * 4;
  if (hlen < 20)
    return psl_set_status(p, PSL_STATUS_MALFORMED);
  tot = psl_load_be16(h + 2);
  if (tot < hlen)
    return psl_set_status(p, PSL_STATUS_MALFORMED);
  if (h + hlen > end)
    return psl_set_status(p, PSL_STATUS_TRUNCATED);

  p->ip_version = 4;
  p->ip_tos = h[1];
  p->ip_len = tot;
  p->ip_ttl = h[8];
  p->ip_proto = h[9];
  p->ip_src[10] = 0xff;
  p->ip_src[11] = 0xff;
  psl_copy_from_pkt(&p->ip_src[12], h + 12, 4);
  p->ip_dst[10] = 0xff;
  p->ip_dst[11] = 0xff;
  psl_copy_from_pkt(&p->ip_dst[12], h + 16, 4);
  frag = psl_load_be16(h + 6);
  /* 0x2000 is MF, 0x1fff the offset in 8-byte units; DF (0x4000) does not
   * make a fragment. */
  p->ip_frag = (frag & 0x3fff) != 0;
  p->ip_frag_off = (__u16)((frag & 0x1fff) << 3);
  p->l3_off = (__u16)off;
  p->present |= PSL_PRESENT_IPV4;

  /* The header is fine but the datagram it announces is not all here: the
   * kernel drops such packets, and L4 bytes past `end` do not exist. */
  if (h + tot > end)
    return psl_set_status(p, PSL_STATUS_TRUNCATED);
  if (p->ip_frag_off != 0)
    return PSL_STATUS_OK; /* non-first fragment: no L4 header here */
  return psl_parse_l4(data, end, off + hlen, tot - hlen, p, want);
}

/*
 * The IPv6 extension chain, from the first extension header at `eoff` to
 * the upper layer; `limit` is the end of the datagram as declared, and
 * p->ip_proto holds the first header's Next Header value. Returns the
 * offset of the upper-layer header, or -1 when decoding ends here (a
 * failure, with the status set; or a non-first fragment, status OK).
 */
PSL_INLINE int psl_ip6_chain_walk(const __u8 *data, const __u8 *end, __u32 eoff,
                                  __u32 limit, struct psl_pkt *p) {
  __u8 nh = p->ip_proto;
  int i;

  PSL_UNROLL
  for (i = 0; i < PSL_IP6_MAX_EXT; i++) {
    /* eoff is below 0x4100 (psl_parse_ipv6), so the mask changes nothing
     * at run time; it is the bound the verifier needs for the packet
     * accesses when `limit` comes in as an unknown argument. */
    const __u8 *e = data + (eoff & 0x7fff);
    __u32 units, len;
    __u8 next;

    PSL_PIN_PKT_PTR(e);
    if (!psl_ip6_is_ext(nh))
      break;
    if (nh == PSL_IPPROTO_HOPOPTS && i != 0) {
      psl_set_status(p, PSL_STATUS_MALFORMED);
      return -1;
    }
    /* Every walked header is at least 8 bytes (RFC 8200 4.3-4.6, AH's
     * minimum is 12), so one fixed-size check covers all fields read. */
    if (eoff + 8 > limit || e + 8 > end) {
      psl_set_status(p, PSL_STATUS_TRUNCATED);
      return -1;
    }
    next = e[0];

    /* Header length as 8-byte units beyond the first 8 (RFC 8200 form). */
    if (nh == PSL_IPPROTO_FRAGMENT) {
      units = 0; /* fixed 8 bytes; byte 1 is reserved, ignored on receipt */
      p->ip_frag = 1;
      /* Offset is the top 13 bits in 8-byte units, i.e. bytes with the low
       * 3 bits (reserved, M) masked. */
      p->ip_frag_off = (__u16)(psl_load_be16(e + 2) & 0xfff8);
    } else if (nh == PSL_IPPROTO_AH) {
      /* RFC 4302: 4-byte units minus 2, and a multiple of 8 bytes on IPv6,
       * i.e. an even length byte: (e[1] + 2) * 4 == (e[1] / 2 + 1) * 8. */
      if (e[1] & 1) {
        psl_set_status(p, PSL_STATUS_MALFORMED);
        return -1;
      }
      units = (__u32)e[1] >> 1;
    } else {
      units = e[1];
      if (nh == PSL_IPPROTO_HOPOPTS) {
        p->ip6_hbh = 1;
      } else if (nh == PSL_IPPROTO_ROUTING &&
                 !(p->present & PSL_PRESENT_IP6_RH)) {
        p->ip6_rh_type = e[2];
        p->present |= PSL_PRESENT_IP6_RH;
      }
    }
    /* Each header type gives the length another range (fragment: exactly
     * 8), and over PSL_IP6_MAX_EXT headers the combinations multiply
     * (about 90k verified instructions at 8 headers): one state
     * (psl_verifier.h). */
    len = (psl_verifier_forget(units, 0xff, e[1]) + 1) * 8;
    if (eoff + len > limit) {
      psl_set_status(p, PSL_STATUS_TRUNCATED);
      return -1;
    }

    p->ip6_ext_count = (__u8)(i + 1);
    eoff += len;
    nh = next;
    p->ip_proto = nh;
    /* After a non-first fragment's header come payload bytes, not headers. */
    if (p->ip_frag_off != 0)
      return -1;
  }
  if (psl_ip6_is_ext(nh)) {
    psl_set_status(p, PSL_STATUS_MALFORMED);
    return -1;
  }
  return (int)eoff;
}

#ifdef __bpf__
/*
 * In BPF the chain is a function of its own, called only for a packet
 * whose first Next Header is an extension header: most of the parser's
 * code, which every policy program would otherwise compile again (the
 * walk unrolled PSL_IP6_MAX_EXT times), for packets most networks rarely
 * carry. A global function, verified once on its own: with
 * PSL_PARSE_PREBUILT only declared here and linked in from the prebuilt
 * parser (psl_parse.bpf.c), else defined here (a standalone compile).
 * Offsets in and out are below 0x4100 (psl_parse_ipv6).
 */
#ifdef PSL_PARSE_PREBUILT
int psl_ip6_chain(struct xdp_md *ctx, struct psl_pkt *p, __u32 eoff,
                  __u32 limit);
#else
__attribute__((noinline)) int
psl_ip6_chain(struct xdp_md *ctx, struct psl_pkt *p, __u32 eoff, __u32 limit) {
  const __u8 *data = (const __u8 *)(long)ctx->data;
  const __u8 *end = (const __u8 *)(long)ctx->data_end;

  /* The verifier knows nothing of the arguments: p may be NULL, and eoff
   * needs a bound for the packet accesses (it is at most 62 + 40). */
  if (!p || eoff > 0x7f)
    return -1;
  return psl_ip6_chain_walk(data, end, eoff, limit, p);
}
#endif
#endif

PSL_INLINE int psl_parse_ipv6(const __u8 *data, const __u8 *end, __u32 off,
                              struct psl_pkt *p, __u32 want, void *ctx) {
  const __u8 *h = data + off;
  __u32 plen, eoff, limit;
  __u8 nh;

  PSL_PIN_PKT_PTR(h);
  if (h + 40 > end)
    return psl_set_status(p, PSL_STATUS_TRUNCATED);
  if ((h[0] >> 4) != 6)
    return psl_set_status(p, PSL_STATUS_MALFORMED);
  plen = psl_load_be16(h + 4);
  nh = h[6];
  p->ip_version = 6;
  p->ip_tos = (__u8)(((h[0] & 0x0f) << 4) | (h[1] >> 4));
  p->ip_len = plen + 40;
  p->ip_ttl = h[7];
  psl_copy_from_pkt(p->ip_src, h + 8, 16);
  psl_copy_from_pkt(p->ip_dst, h + 24, 16);
  p->l3_off = (__u16)off;
  p->present |= PSL_PRESENT_IPV6;
  /* Until the chain is walked, the best answer for ip.proto is the first
   * Next Header; every early return below leaves the value it stopped at. */
  p->ip_proto = nh;

  if (h + 40 + plen > end)
    return psl_set_status(p, PSL_STATUS_TRUNCATED);
  /* Without the chain, what follows the fixed header is not looked at:
   * ip.proto stays the first Next Header, which no rule then reads. */
  if (!(want & PSL_PARSE_IP6_EXT))
    return PSL_STATUS_OK;

  eoff = off + 40;
  limit = off + 40 + plen; /* end of the datagram, as declared */
  if (psl_ip6_is_ext(nh)) {
#ifdef __bpf__
    int r = psl_ip6_chain((struct xdp_md *)ctx, p, eoff, limit);
#else
    int r = psl_ip6_chain_walk(data, end, eoff, limit, p);

    (void)ctx;
#endif

    if (r < 0)
      return p->status;
    /* No change at run time (r < 0x4100); a bound for the verifier, which
     * knows nothing of what a global function returns. */
    eoff = (__u32)r & 0x7fff;
  }

  /* Each length of the chain arrives here with its own range of `eoff`,
   * and of `avail`, which the verifier tracks exactly too (it is compared
   * with the TCP data offset): one state for the L4 code (psl_verifier.h).
   * Offsets are below 0x4100 (63 + 40 + 8 * 2048 at most). IPv4 has one
   * way in and a copy of its own, so it pays nothing for this. */
  eoff = psl_verifier_forget(eoff, 0x7fff, p->pkt_len);
  return psl_parse_l4(
      data, end, eoff,
      psl_verifier_forget(limit - eoff, 0xffffffffu, p->pkt_len), p, want);
}

/* Decode [data, end), the whole frame, the layers `want` names
 * (enum psl_parse_layer). `ctx` is the XDP context in BPF (the IPv6
 * extension chain's function reads the packet through it), unused on the
 * host. */
PSL_INLINE int psl_parse_frame(const __u8 *data, const __u8 *end,
                               struct psl_pkt *p, __u32 want, void *ctx) {
  __u32 off = PSL_ETH_HLEN;
  __u16 type;
  int i;

  __builtin_memset(p, 0, sizeof(*p));
  p->pkt_len = (__u32)(end - data);
  if (data + PSL_ETH_HLEN > end)
    return psl_set_status(p, PSL_STATUS_TRUNCATED);
  /* eth_src follows eth_dst in the struct as on the wire: one copy. */
  if (want & PSL_PARSE_ETH_ADDR)
    psl_copy_from_pkt(p->eth_dst, data, 12);
  type = psl_load_be16(data + 12);
  p->eth_type = type;
  p->present = PSL_PRESENT_ETH;

  PSL_UNROLL
  for (i = 0; i < PSL_VLAN_MAX; i++) {
    const __u8 *tag;

    if (!psl_is_vlan_tpid(type))
      break;
    /* A variable offset, so the check below gives its range to `tag`
     * alone: checked at a constant offset it would widen the range of
     * `data` itself, differently for 1 and 2 tags, and the verifier
     * could not prune the IP code of one path against the other's. */
    tag = data + psl_verifier_forget(off, 0x3f, p->pkt_len);
    PSL_PIN_PKT_PTR(tag);
    if (tag + 4 > end)
      return psl_set_status(p, PSL_STATUS_TRUNCATED);
    if (i == 0) {
      p->vlan_id = psl_load_be16(tag) & 0x0fff;
      p->present |= PSL_PRESENT_VLAN;
    }
    p->vlan_count = (__u8)(i + 1);
    type = psl_load_be16(tag + 2);
    p->eth_type = type;
    off += 4;
  }
  if (psl_is_vlan_tpid(type))
    return psl_set_status(p, PSL_STATUS_MALFORMED);
  /* One state for the IP code after 1 or 2 tags (psl_verifier.h); the
   * untagged frame, the usual one, keeps its constant 14, which the
   * verifier finds within that state or verifies once more. */
  if (off != PSL_ETH_HLEN)
    off = psl_verifier_forget(off, 0x3f, p->pkt_len);

  if (!(want & PSL_PARSE_IP))
    return PSL_STATUS_OK;
  if (type == PSL_ETH_P_IP)
    return psl_parse_ipv4(data, end, off, p, want);
  if (type == PSL_ETH_P_IPV6)
    return psl_parse_ipv6(data, end, off, p, want, ctx);
  return PSL_STATUS_OK;
}

#ifdef __bpf__
/*
 * The entry generated programs call. pkt_len is data_end - data: policy
 * programs are SEC("xdp"), not "xdp.frags", so the kernel hands them only
 * linear frames (it linearizes or refuses multi-buffer ones), and the
 * linear part is the whole frame. That subtraction of two packet pointers
 * is the one the verifier allows only with CAP_PERFMON (or root), which
 * loading needs anyway; bpf_xdp_get_buff_len() would cost a helper call
 * per packet.
 *
 * Two ways in, one code:
 *  - PSL_PARSE_PREBUILT defined (psc's in-process build): psl_parse is only
 *    declared here. Its definition is psl_parse.bpf.c, compiled once when
 *    psc is built and linked into every policy object, so the parser is
 *    not compiled again for each policy (it is most of the compile time).
 *    In the kernel it is a global function, which the verifier checks once
 *    on its own rather than once per call site.
 *  - otherwise (the C `psc build --emit-c` writes, the template probes):
 *    the definition below, inlined, so the file compiles standalone with a
 *    plain `clang -O2 -g -target bpf -c`.
 * psl_parse.bpf.c sets PSL_PARSE_LINKAGE to make the same definition that
 * global function.
 */
#ifdef PSL_PARSE_PREBUILT
int psl_parse(struct xdp_md *ctx, struct psl_pkt *p);
#else
#ifndef PSL_PARSE_LINKAGE
#define PSL_PARSE_LINKAGE PSL_INLINE
#endif
PSL_PARSE_LINKAGE int psl_parse(struct xdp_md *ctx, struct psl_pkt *p) {
  const __u8 *data = (const __u8 *)(long)ctx->data;
  const __u8 *end = (const __u8 *)(long)ctx->data_end;

  /* A global function's pointer argument may be NULL as far as the
   * verifier knows; inlined, the compiler drops this test. */
  if (!p)
    return PSL_STATUS_MALFORMED;
  return psl_parse_frame(data, end, p, PSL_PARSE_ALL, ctx);
}
#endif /* PSL_PARSE_PREBUILT */

/*
 * The parser inlined into the policy program and cut to the layers `want`
 * names, what generated programs call (compiler/codegen/parse_layers.h
 * works out `want` from the fields the policy's rules read): no call, so
 * none of the ~6 ns a BPF-to-BPF call costs on a host with SRSO's Safe
 * RET (but for IPv6 extension headers, psl_ip6_chain), and no work for
 * layers no rule reads. `want` is a constant: the tests of the cut fold
 * away in Clang.
 *
 * Always defined, whatever PSL_PARSE_PREBUILT says: it is the same for
 * every policy, so the precompiled psl_policy.h holds it too.
 */
PSL_INLINE int psl_parse_cut(struct xdp_md *ctx, struct psl_pkt *p,
                             __u32 want) {
  const __u8 *data = (const __u8 *)(long)ctx->data;
  const __u8 *end = (const __u8 *)(long)ctx->data_end;

  return psl_parse_frame(data, end, p, want, ctx);
}
#else
/* Host twin of psl_parse() for the interpreter and tests. */
static inline int psl_parse_buffer(const void *buf, __u32 len,
                                   struct psl_pkt *p) {
  const __u8 *data = (const __u8 *)buf;

  return psl_parse_frame(data, data + len, p, PSL_PARSE_ALL, 0);
}
#endif

#endif /* PSL_PARSE_H */
