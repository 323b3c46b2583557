/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * psl_pkt.h — the decoded packet every PSL field is read from.
 *
 * One header for the BPF side (generated policy programs, psl_parse.h) and
 * for user space (the reference interpreter, the daemon, tests), so both
 * agree on layout and meaning byte for byte. Plain C with fixed-width
 * types; usable from C++.
 *
 * Naming: the PSL field `a.b` is the member `a_b` (eth.src -> eth_src,
 * ip6.rh_type -> ip6_rh_type). Code generation relies on that.
 *
 * Byte order: integer members are in HOST byte order (already swapped by the
 * parser), so generated code and the interpreter compare them with plain
 * constants. Addresses (eth_src, eth_dst, ip_src, ip_dst) are byte arrays in
 * network order, as on the wire, because LPM-trie keys and prefix tests need
 * exactly that.
 *
 * IPv4 addresses are stored IPv4-mapped (::ffff:a.b.c.d, RFC 4291 2.5.5.2)
 * so one 16-byte key type serves both families; ip_version tells them apart.
 *
 * Presence: a member is meaningful only when its layer bit is set in
 * `present`; everything else is zero. A PSL field implies its protocol, so
 * code generation tests the guard bit before the value:
 *
 *   always            eth.*, pkt.len  (XDP never sees frames under 14 bytes)
 *   PSL_PRESENT_VLAN  vlan.id
 *   PSL_PRESENT_IP    ip.*  (either family)
 *   PSL_PRESENT_IPV6  ip6.ext_count, ip6.hbh
 *   PSL_PRESENT_IP6_RH ip6.rh_type
 *   PSL_PRESENT_TCP   tcp.*        PSL_PRESENT_UDP   udp.*
 *   PSL_PRESENT_L4    l4.*         PSL_PRESENT_ICMP  icmp.*
 *   PSL_PRESENT_ICMP6 icmp6.*
 *
 * `status` says why decoding stopped early (see enum psl_status); the
 * `present` bits stay authoritative either way: a layer's bit is set once
 * its own header is complete and consistent, and a later failure does not
 * clear it. So `ip.src in banned` still matches a packet whose TCP header
 * is cut short.
 */
#ifndef PSL_PKT_H
#define PSL_PKT_H

#include <linux/types.h>

/* Every PSL helper is forced inline. Not `__always_inline`: when
 * <linux/types.h> comes before <bpf/bpf_helpers.h>, <linux/stddef.h>
 * defines that as plain `inline`, which LLVM may ignore for big functions
 * (then the parser becomes a BPF subprogram). */
#define PSL_INLINE static inline __attribute__((always_inline))

/* Which layers were decoded. Bits, OR-ed into psl_pkt.present. */
enum psl_present {
  PSL_PRESENT_ETH = 1u << 0,
  PSL_PRESENT_VLAN = 1u << 1, /* at least one 802.1Q/802.1ad tag */
  PSL_PRESENT_IPV4 = 1u << 2,
  PSL_PRESENT_IPV6 = 1u << 3,
  PSL_PRESENT_TCP = 1u << 4,
  PSL_PRESENT_UDP = 1u << 5,
  PSL_PRESENT_ICMP = 1u << 6,   /* ICMPv4 over IPv4 */
  PSL_PRESENT_ICMP6 = 1u << 7,  /* ICMPv6 over IPv6 */
  PSL_PRESENT_L4 = 1u << 8,     /* l4_sport/l4_dport valid (TCP or UDP) */
  PSL_PRESENT_IP6_RH = 1u << 9, /* an IPv6 routing header was walked */
  PSL_PRESENT_IP = PSL_PRESENT_IPV4 | PSL_PRESENT_IPV6, /* test with & */
};

/* Why decoding stopped. psl_pkt.status. */
enum psl_status {
  PSL_STATUS_OK = 0,
  /* A header needed more bytes than there are: past the end of the frame,
   * or past the end of the datagram as the IP length field declares it
   * (e.g. a first fragment too short to hold the TCP header). That layer
   * and the ones above it are not present. Also set when an IP header is
   * complete but the datagram it announces is longer than the frame: IP
   * stays present, nothing above it is decoded. */
  PSL_STATUS_TRUNCATED = 1,
  /* A header contradicts itself or the protocol: IP version nibble not
   * matching the EtherType, IHL < 5, total length < header length, TCP data
   * offset < 5, UDP length < 8 or past the datagram, hop-by-hop not first,
   * more than PSL_IP6_MAX_EXT extension headers, more than PSL_VLAN_MAX
   * tags. That layer and the ones above it are not present (an IPv6
   * extension-chain failure keeps IPv6 present; see psl_parse.h). */
  PSL_STATUS_MALFORMED = 2,
};

/* Parser bounds, shared so the interpreter enforces the same limits. */
#define PSL_VLAN_MAX 2    /* 802.1ad + 802.1Q (QinQ) */
#define PSL_IP6_MAX_EXT 8 /* extension headers walked before MALFORMED */

/* Raw TCP flag bits as in psl_pkt.tcp_flags (RFC 9293 byte 13). */
#define PSL_TCP_FIN 0x01
#define PSL_TCP_SYN 0x02
#define PSL_TCP_RST 0x04
#define PSL_TCP_PSH 0x08
#define PSL_TCP_ACK 0x10
#define PSL_TCP_URG 0x20
#define PSL_TCP_ECE 0x40
#define PSL_TCP_CWR 0x80

/*
 * Layout is part of the ABI between generated programs, maps the daemon
 * reads and the interpreter: members are ordered so that nothing needs
 * implicit padding, and the size/offset asserts below catch accidental
 * changes. Booleans are __u8 0/1.
 *
 * 8-byte aligned (the members alone would make it 4): the parser clears
 * the struct and copies addresses in 8-byte stores, half the instructions
 * of 4-byte ones, on every packet.
 */
struct __attribute__((aligned(8))) psl_pkt {
  /* bookkeeping */
  __u32 present;   /* enum psl_present bits */
  __u32 pkt_len;   /* pkt.len: frame bytes */
  __u8 status;     /* enum psl_status */
  __u8 vlan_count; /* tags walked, 0..PSL_VLAN_MAX */
  __u16 l3_off;    /* offset of the IP header from the frame start */
  __u16 l4_off;    /* offset of the L4 header (valid with TCP/UDP/ICMP*) */
  __u16 eth_type;  /* eth.type: innermost EtherType after VLAN tags */

  /* Ethernet */
  __u8 eth_dst[6]; /* eth.dst */
  __u8 eth_src[6]; /* eth.src */
  __u16 vlan_id;   /* vlan.id: outermost tag's 12-bit VID */
  __u8 ip_version; /* ip.version: 4 or 6 */
  __u8 ip_proto;   /* ip.proto: upper layer after IPv6 extension headers */

  /* IP (both families) */
  __u8 ip_src[16];    /* ip.src, network order; IPv4 as ::ffff:a.b.c.d */
  __u8 ip_dst[16];    /* ip.dst */
  __u32 ip_len;       /* ip.len: IPv4 total length; IPv6 payload length + 40 */
  __u16 ip_frag_off;  /* ip.frag_off: fragment offset in bytes */
  __u8 ip_ttl;        /* ip.ttl: TTL; hop limit on IPv6 */
  __u8 ip_tos;        /* ip.tos: TOS byte; traffic class on IPv6 */
  __u8 ip_frag;       /* ip.frag: IPv4 MF or offset != 0; IPv6 fragment hdr */
  __u8 ip6_ext_count; /* ip6.ext_count: extension headers walked */
  __u8 ip6_hbh;       /* ip6.hbh: hop-by-hop options header present */
  __u8 ip6_rh_type;   /* ip6.rh_type: first routing header's type */

  /* L4. tcp_* and udp_* duplicate l4_* so each PSL field is one load. */
  __u16 l4_sport;   /* l4.sport */
  __u16 l4_dport;   /* l4.dport */
  __u16 tcp_sport;  /* tcp.sport */
  __u16 tcp_dport;  /* tcp.dport */
  __u16 tcp_window; /* tcp.window (unscaled, as on the wire) */
  __u8 tcp_flags;   /* raw flags byte, PSL_TCP_* (one test for flag sets) */
  __u8 tcp_syn;     /* tcp.syn */
  __u8 tcp_ack;     /* tcp.ack */
  __u8 tcp_fin;     /* tcp.fin */
  __u8 tcp_rst;     /* tcp.rst */
  __u8 tcp_psh;     /* tcp.psh */
  __u8 tcp_urg;     /* tcp.urg */
  __u8 icmp_type;   /* icmp.type */
  __u8 icmp_code;   /* icmp.code */
  __u8 icmp6_type;  /* icmp6.type */
  __u8 icmp6_code;  /* icmp6.code */
  __u8 _pad0;       /* keeps udp_* aligned; always 0 */
  __u16 udp_sport;  /* udp.sport */
  __u16 udp_dport;  /* udp.dport */
  __u16 udp_len;    /* udp.len: the UDP length field */
};

#ifdef __cplusplus
#define PSL_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define PSL_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

PSL_STATIC_ASSERT(sizeof(struct psl_pkt) == 104, "psl_pkt layout changed");
PSL_STATIC_ASSERT(__alignof__(struct psl_pkt) == 8,
                  "psl_pkt alignment changed");
/* The parser copies eth_dst and eth_src as one 12-byte run and the
 * addresses in 8-byte words (psl_parse.h). */
PSL_STATIC_ASSERT(__builtin_offsetof(struct psl_pkt, eth_dst) == 16 &&
                      __builtin_offsetof(struct psl_pkt, eth_src) == 22,
                  "eth_dst must stay 8-byte aligned, eth_src right after it");
PSL_STATIC_ASSERT(__builtin_offsetof(struct psl_pkt, ip_src) == 32,
                  "ip_src must stay 8-byte aligned for key copies");
PSL_STATIC_ASSERT(__builtin_offsetof(struct psl_pkt, ip_dst) == 48,
                  "ip_dst must stay 8-byte aligned for address copies");
PSL_STATIC_ASSERT(__builtin_offsetof(struct psl_pkt, l4_sport) == 76,
                  "psl_pkt layout changed");
PSL_STATIC_ASSERT(__builtin_offsetof(struct psl_pkt, udp_len) == 102,
                  "psl_pkt layout changed");

#endif /* PSL_PKT_H */
