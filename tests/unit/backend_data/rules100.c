// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * A 100-rule policy program of the size codegen emits, for compile_bench
 * (in-process Clang vs the clang-14 command line) and the backend tests.
 * Every rule is irregular code here (no map lookups), which is the
 * expensive case for the compiler: 100 guarded conditions over psl_pkt
 * fields, each counted per rule, in first-match order.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "psl_counters.h"
#include "psl_parse.h"

#define RULE_DEFAULT 0

SEC("xdp")
int psl_policy(struct xdp_md *ctx) {
  struct psl_pkt pkt;

  psl_parse(ctx, &pkt);
  /* rule r1: udp.dport in A..B => count */
  if ((pkt.present & PSL_PRESENT_UDP) && pkt.udp_dport >= 10910 &&
      pkt.udp_dport <= 11113) {
    psl_count(1, pkt.pkt_len);
  }
  /* rule r2: ip.ttl < N and ip.proto == P => drop */
  if ((pkt.present & PSL_PRESENT_IP) && pkt.ip_ttl < 2 &&
      pkt.ip_proto == 1) {
    psl_count(2, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r3: icmp.type == T and pkt.len > N => count */
  if ((pkt.present & PSL_PRESENT_ICMP) && pkt.icmp_type == 18 &&
      pkt.pkt_len > 182) {
    psl_count(3, pkt.pkt_len);
  }
  /* rule r4: ip.src in 198.51.X.0/24 => drop */
  if ((pkt.present & PSL_PRESENT_IPV4) && pkt.ip_src[12] == 198 &&
      pkt.ip_src[13] == 51 && pkt.ip_src[14] == 19) {
    psl_count(4, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r5: tcp.syn and not tcp.ack and tcp.dport == N and tcp.window < W => drop */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_syn && !pkt.tcp_ack &&
      pkt.tcp_dport == 889 && pkt.tcp_window < 3525) {
    psl_count(5, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r6: l4.sport == N and not ip.frag => drop */
  if ((pkt.present & PSL_PRESENT_L4) && pkt.l4_sport == 15773 &&
      pkt.ip_frag == 0) {
    psl_count(6, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r7: tcp.dport == N => drop */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_dport == 36114) {
    psl_count(7, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r8: udp.dport in A..B => shadow */
  if ((pkt.present & PSL_PRESENT_UDP) && pkt.udp_dport >= 4897 &&
      pkt.udp_dport <= 5321) {
    psl_count_shadow(8, pkt.pkt_len);
  }
  /* rule r9: ip.ttl < N and ip.proto == P => drop */
  if ((pkt.present & PSL_PRESENT_IP) && pkt.ip_ttl < 4 &&
      pkt.ip_proto == 1) {
    psl_count(9, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r10: icmp.type == T and pkt.len > N => shadow */
  if ((pkt.present & PSL_PRESENT_ICMP) && pkt.icmp_type == 1 &&
      pkt.pkt_len > 516) {
    psl_count_shadow(10, pkt.pkt_len);
  }
  /* rule r11: ip.src in 198.51.X.0/24 => drop */
  if ((pkt.present & PSL_PRESENT_IPV4) && pkt.ip_src[12] == 198 &&
      pkt.ip_src[13] == 51 && pkt.ip_src[14] == 68) {
    psl_count(11, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r12: tcp.syn and not tcp.ack and tcp.dport == N and tcp.window < W => count */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_syn && !pkt.tcp_ack &&
      pkt.tcp_dport == 859 && pkt.tcp_window < 1281) {
    psl_count(12, pkt.pkt_len);
  }
  /* rule r13: l4.sport == N and not ip.frag => drop */
  if ((pkt.present & PSL_PRESENT_L4) && pkt.l4_sport == 37416 &&
      pkt.ip_frag == 0) {
    psl_count(13, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r14: tcp.dport == N => count */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_dport == 36718) {
    psl_count(14, pkt.pkt_len);
  }
  /* rule r15: udp.dport in A..B => drop */
  if ((pkt.present & PSL_PRESENT_UDP) && pkt.udp_dport >= 7777 &&
      pkt.udp_dport <= 8075) {
    psl_count(15, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r16: ip.ttl < N and ip.proto == P => drop */
  if ((pkt.present & PSL_PRESENT_IP) && pkt.ip_ttl < 6 &&
      pkt.ip_proto == 1) {
    psl_count(16, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r17: icmp.type == T and pkt.len > N => drop */
  if ((pkt.present & PSL_PRESENT_ICMP) && pkt.icmp_type == 18 &&
      pkt.pkt_len > 186) {
    psl_count(17, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r18: ip.src in 198.51.X.0/24 => drop */
  if ((pkt.present & PSL_PRESENT_IPV4) && pkt.ip_src[12] == 198 &&
      pkt.ip_src[13] == 51 && pkt.ip_src[14] == 254) {
    psl_count(18, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r19: tcp.syn and not tcp.ack and tcp.dport == N and tcp.window < W => shadow */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_syn && !pkt.tcp_ack &&
      pkt.tcp_dport == 644 && pkt.tcp_window < 3914) {
    psl_count_shadow(19, pkt.pkt_len);
  }
  /* rule r20: l4.sport == N and not ip.frag => shadow */
  if ((pkt.present & PSL_PRESENT_L4) && pkt.l4_sport == 23697 &&
      pkt.ip_frag == 0) {
    psl_count_shadow(20, pkt.pkt_len);
  }
  /* rule r21: tcp.dport == N => count */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_dport == 16281) {
    psl_count(21, pkt.pkt_len);
  }
  /* rule r22: udp.dport in A..B => drop */
  if ((pkt.present & PSL_PRESENT_UDP) && pkt.udp_dport >= 46833 &&
      pkt.udp_dport <= 47233) {
    psl_count(22, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r23: ip.ttl < N and ip.proto == P => drop */
  if ((pkt.present & PSL_PRESENT_IP) && pkt.ip_ttl < 2 &&
      pkt.ip_proto == 17) {
    psl_count(23, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r24: icmp.type == T and pkt.len > N => shadow */
  if ((pkt.present & PSL_PRESENT_ICMP) && pkt.icmp_type == 10 &&
      pkt.pkt_len > 983) {
    psl_count_shadow(24, pkt.pkt_len);
  }
  /* rule r25: ip.src in 198.51.X.0/24 => count */
  if ((pkt.present & PSL_PRESENT_IPV4) && pkt.ip_src[12] == 198 &&
      pkt.ip_src[13] == 51 && pkt.ip_src[14] == 37) {
    psl_count(25, pkt.pkt_len);
  }
  /* rule r26: tcp.syn and not tcp.ack and tcp.dport == N and tcp.window < W => drop */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_syn && !pkt.tcp_ack &&
      pkt.tcp_dport == 857 && pkt.tcp_window < 1451) {
    psl_count(26, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r27: l4.sport == N and not ip.frag => count */
  if ((pkt.present & PSL_PRESENT_L4) && pkt.l4_sport == 9961 &&
      pkt.ip_frag == 0) {
    psl_count(27, pkt.pkt_len);
  }
  /* rule r28: tcp.dport == N => shadow */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_dport == 27637) {
    psl_count_shadow(28, pkt.pkt_len);
  }
  /* rule r29: udp.dport in A..B => drop */
  if ((pkt.present & PSL_PRESENT_UDP) && pkt.udp_dport >= 44816 &&
      pkt.udp_dport <= 44856) {
    psl_count(29, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r30: ip.ttl < N and ip.proto == P => count */
  if ((pkt.present & PSL_PRESENT_IP) && pkt.ip_ttl < 6 &&
      pkt.ip_proto == 17) {
    psl_count(30, pkt.pkt_len);
  }
  /* rule r31: icmp.type == T and pkt.len > N => shadow */
  if ((pkt.present & PSL_PRESENT_ICMP) && pkt.icmp_type == 18 &&
      pkt.pkt_len > 998) {
    psl_count_shadow(31, pkt.pkt_len);
  }
  /* rule r32: ip.src in 198.51.X.0/24 => drop */
  if ((pkt.present & PSL_PRESENT_IPV4) && pkt.ip_src[12] == 198 &&
      pkt.ip_src[13] == 51 && pkt.ip_src[14] == 47) {
    psl_count(32, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r33: tcp.syn and not tcp.ack and tcp.dport == N and tcp.window < W => count */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_syn && !pkt.tcp_ack &&
      pkt.tcp_dport == 971 && pkt.tcp_window < 632) {
    psl_count(33, pkt.pkt_len);
  }
  /* rule r34: l4.sport == N and not ip.frag => drop */
  if ((pkt.present & PSL_PRESENT_L4) && pkt.l4_sport == 47918 &&
      pkt.ip_frag == 0) {
    psl_count(34, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r35: tcp.dport == N => count */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_dport == 42411) {
    psl_count(35, pkt.pkt_len);
  }
  /* rule r36: udp.dport in A..B => shadow */
  if ((pkt.present & PSL_PRESENT_UDP) && pkt.udp_dport >= 19675 &&
      pkt.udp_dport <= 20042) {
    psl_count_shadow(36, pkt.pkt_len);
  }
  /* rule r37: ip.ttl < N and ip.proto == P => shadow */
  if ((pkt.present & PSL_PRESENT_IP) && pkt.ip_ttl < 6 &&
      pkt.ip_proto == 1) {
    psl_count_shadow(37, pkt.pkt_len);
  }
  /* rule r38: icmp.type == T and pkt.len > N => shadow */
  if ((pkt.present & PSL_PRESENT_ICMP) && pkt.icmp_type == 11 &&
      pkt.pkt_len > 408) {
    psl_count_shadow(38, pkt.pkt_len);
  }
  /* rule r39: ip.src in 198.51.X.0/24 => drop */
  if ((pkt.present & PSL_PRESENT_IPV4) && pkt.ip_src[12] == 198 &&
      pkt.ip_src[13] == 51 && pkt.ip_src[14] == 252) {
    psl_count(39, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r40: tcp.syn and not tcp.ack and tcp.dport == N and tcp.window < W => drop */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_syn && !pkt.tcp_ack &&
      pkt.tcp_dport == 447 && pkt.tcp_window < 2454) {
    psl_count(40, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r41: l4.sport == N and not ip.frag => drop */
  if ((pkt.present & PSL_PRESENT_L4) && pkt.l4_sport == 48390 &&
      pkt.ip_frag == 0) {
    psl_count(41, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r42: tcp.dport == N => drop */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_dport == 26077) {
    psl_count(42, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r43: udp.dport in A..B => shadow */
  if ((pkt.present & PSL_PRESENT_UDP) && pkt.udp_dport >= 58133 &&
      pkt.udp_dport <= 58388) {
    psl_count_shadow(43, pkt.pkt_len);
  }
  /* rule r44: ip.ttl < N and ip.proto == P => drop */
  if ((pkt.present & PSL_PRESENT_IP) && pkt.ip_ttl < 3 &&
      pkt.ip_proto == 47) {
    psl_count(44, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r45: icmp.type == T and pkt.len > N => shadow */
  if ((pkt.present & PSL_PRESENT_ICMP) && pkt.icmp_type == 17 &&
      pkt.pkt_len > 633) {
    psl_count_shadow(45, pkt.pkt_len);
  }
  /* rule r46: ip.src in 198.51.X.0/24 => drop */
  if ((pkt.present & PSL_PRESENT_IPV4) && pkt.ip_src[12] == 198 &&
      pkt.ip_src[13] == 51 && pkt.ip_src[14] == 220) {
    psl_count(46, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r47: tcp.syn and not tcp.ack and tcp.dport == N and tcp.window < W => count */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_syn && !pkt.tcp_ack &&
      pkt.tcp_dport == 851 && pkt.tcp_window < 3039) {
    psl_count(47, pkt.pkt_len);
  }
  /* rule r48: l4.sport == N and not ip.frag => shadow */
  if ((pkt.present & PSL_PRESENT_L4) && pkt.l4_sport == 62766 &&
      pkt.ip_frag == 0) {
    psl_count_shadow(48, pkt.pkt_len);
  }
  /* rule r49: tcp.dport == N => drop */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_dport == 9891) {
    psl_count(49, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r50: udp.dport in A..B => drop */
  if ((pkt.present & PSL_PRESENT_UDP) && pkt.udp_dport >= 12572 &&
      pkt.udp_dport <= 12650) {
    psl_count(50, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r51: ip.ttl < N and ip.proto == P => drop */
  if ((pkt.present & PSL_PRESENT_IP) && pkt.ip_ttl < 4 &&
      pkt.ip_proto == 1) {
    psl_count(51, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r52: icmp.type == T and pkt.len > N => shadow */
  if ((pkt.present & PSL_PRESENT_ICMP) && pkt.icmp_type == 18 &&
      pkt.pkt_len > 437) {
    psl_count_shadow(52, pkt.pkt_len);
  }
  /* rule r53: ip.src in 198.51.X.0/24 => count */
  if ((pkt.present & PSL_PRESENT_IPV4) && pkt.ip_src[12] == 198 &&
      pkt.ip_src[13] == 51 && pkt.ip_src[14] == 144) {
    psl_count(53, pkt.pkt_len);
  }
  /* rule r54: tcp.syn and not tcp.ack and tcp.dport == N and tcp.window < W => drop */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_syn && !pkt.tcp_ack &&
      pkt.tcp_dport == 299 && pkt.tcp_window < 3532) {
    psl_count(54, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r55: l4.sport == N and not ip.frag => count */
  if ((pkt.present & PSL_PRESENT_L4) && pkt.l4_sport == 39965 &&
      pkt.ip_frag == 0) {
    psl_count(55, pkt.pkt_len);
  }
  /* rule r56: tcp.dport == N => count */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_dport == 62463) {
    psl_count(56, pkt.pkt_len);
  }
  /* rule r57: udp.dport in A..B => drop */
  if ((pkt.present & PSL_PRESENT_UDP) && pkt.udp_dport >= 46276 &&
      pkt.udp_dport <= 46716) {
    psl_count(57, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r58: ip.ttl < N and ip.proto == P => drop */
  if ((pkt.present & PSL_PRESENT_IP) && pkt.ip_ttl < 8 &&
      pkt.ip_proto == 47) {
    psl_count(58, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r59: icmp.type == T and pkt.len > N => shadow */
  if ((pkt.present & PSL_PRESENT_ICMP) && pkt.icmp_type == 12 &&
      pkt.pkt_len > 871) {
    psl_count_shadow(59, pkt.pkt_len);
  }
  /* rule r60: ip.src in 198.51.X.0/24 => drop */
  if ((pkt.present & PSL_PRESENT_IPV4) && pkt.ip_src[12] == 198 &&
      pkt.ip_src[13] == 51 && pkt.ip_src[14] == 246) {
    psl_count(60, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r61: tcp.syn and not tcp.ack and tcp.dport == N and tcp.window < W => shadow */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_syn && !pkt.tcp_ack &&
      pkt.tcp_dport == 128 && pkt.tcp_window < 1661) {
    psl_count_shadow(61, pkt.pkt_len);
  }
  /* rule r62: l4.sport == N and not ip.frag => drop */
  if ((pkt.present & PSL_PRESENT_L4) && pkt.l4_sport == 64532 &&
      pkt.ip_frag == 0) {
    psl_count(62, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r63: tcp.dport == N => drop */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_dport == 28877) {
    psl_count(63, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r64: udp.dport in A..B => drop */
  if ((pkt.present & PSL_PRESENT_UDP) && pkt.udp_dport >= 8228 &&
      pkt.udp_dport <= 8403) {
    psl_count(64, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r65: ip.ttl < N and ip.proto == P => drop */
  if ((pkt.present & PSL_PRESENT_IP) && pkt.ip_ttl < 2 &&
      pkt.ip_proto == 1) {
    psl_count(65, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r66: icmp.type == T and pkt.len > N => drop */
  if ((pkt.present & PSL_PRESENT_ICMP) && pkt.icmp_type == 17 &&
      pkt.pkt_len > 271) {
    psl_count(66, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r67: ip.src in 198.51.X.0/24 => count */
  if ((pkt.present & PSL_PRESENT_IPV4) && pkt.ip_src[12] == 198 &&
      pkt.ip_src[13] == 51 && pkt.ip_src[14] == 13) {
    psl_count(67, pkt.pkt_len);
  }
  /* rule r68: tcp.syn and not tcp.ack and tcp.dport == N and tcp.window < W => drop */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_syn && !pkt.tcp_ack &&
      pkt.tcp_dport == 426 && pkt.tcp_window < 3182) {
    psl_count(68, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r69: l4.sport == N and not ip.frag => drop */
  if ((pkt.present & PSL_PRESENT_L4) && pkt.l4_sport == 41577 &&
      pkt.ip_frag == 0) {
    psl_count(69, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r70: tcp.dport == N => count */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_dport == 62618) {
    psl_count(70, pkt.pkt_len);
  }
  /* rule r71: udp.dport in A..B => count */
  if ((pkt.present & PSL_PRESENT_UDP) && pkt.udp_dport >= 40494 &&
      pkt.udp_dport <= 40681) {
    psl_count(71, pkt.pkt_len);
  }
  /* rule r72: ip.ttl < N and ip.proto == P => shadow */
  if ((pkt.present & PSL_PRESENT_IP) && pkt.ip_ttl < 2 &&
      pkt.ip_proto == 1) {
    psl_count_shadow(72, pkt.pkt_len);
  }
  /* rule r73: icmp.type == T and pkt.len > N => shadow */
  if ((pkt.present & PSL_PRESENT_ICMP) && pkt.icmp_type == 14 &&
      pkt.pkt_len > 1047) {
    psl_count_shadow(73, pkt.pkt_len);
  }
  /* rule r74: ip.src in 198.51.X.0/24 => shadow */
  if ((pkt.present & PSL_PRESENT_IPV4) && pkt.ip_src[12] == 198 &&
      pkt.ip_src[13] == 51 && pkt.ip_src[14] == 159) {
    psl_count_shadow(74, pkt.pkt_len);
  }
  /* rule r75: tcp.syn and not tcp.ack and tcp.dport == N and tcp.window < W => drop */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_syn && !pkt.tcp_ack &&
      pkt.tcp_dport == 296 && pkt.tcp_window < 937) {
    psl_count(75, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r76: l4.sport == N and not ip.frag => count */
  if ((pkt.present & PSL_PRESENT_L4) && pkt.l4_sport == 48520 &&
      pkt.ip_frag == 0) {
    psl_count(76, pkt.pkt_len);
  }
  /* rule r77: tcp.dport == N => count */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_dport == 31367) {
    psl_count(77, pkt.pkt_len);
  }
  /* rule r78: udp.dport in A..B => drop */
  if ((pkt.present & PSL_PRESENT_UDP) && pkt.udp_dport >= 34862 &&
      pkt.udp_dport <= 34874) {
    psl_count(78, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r79: ip.ttl < N and ip.proto == P => drop */
  if ((pkt.present & PSL_PRESENT_IP) && pkt.ip_ttl < 6 &&
      pkt.ip_proto == 6) {
    psl_count(79, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r80: icmp.type == T and pkt.len > N => drop */
  if ((pkt.present & PSL_PRESENT_ICMP) && pkt.icmp_type == 16 &&
      pkt.pkt_len > 674) {
    psl_count(80, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r81: ip.src in 198.51.X.0/24 => drop */
  if ((pkt.present & PSL_PRESENT_IPV4) && pkt.ip_src[12] == 198 &&
      pkt.ip_src[13] == 51 && pkt.ip_src[14] == 133) {
    psl_count(81, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r82: tcp.syn and not tcp.ack and tcp.dport == N and tcp.window < W => count */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_syn && !pkt.tcp_ack &&
      pkt.tcp_dport == 343 && pkt.tcp_window < 3013) {
    psl_count(82, pkt.pkt_len);
  }
  /* rule r83: l4.sport == N and not ip.frag => drop */
  if ((pkt.present & PSL_PRESENT_L4) && pkt.l4_sport == 34904 &&
      pkt.ip_frag == 0) {
    psl_count(83, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r84: tcp.dport == N => count */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_dport == 41710) {
    psl_count(84, pkt.pkt_len);
  }
  /* rule r85: udp.dport in A..B => drop */
  if ((pkt.present & PSL_PRESENT_UDP) && pkt.udp_dport >= 41212 &&
      pkt.udp_dport <= 41628) {
    psl_count(85, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r86: ip.ttl < N and ip.proto == P => drop */
  if ((pkt.present & PSL_PRESENT_IP) && pkt.ip_ttl < 4 &&
      pkt.ip_proto == 47) {
    psl_count(86, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r87: icmp.type == T and pkt.len > N => drop */
  if ((pkt.present & PSL_PRESENT_ICMP) && pkt.icmp_type == 6 &&
      pkt.pkt_len > 1124) {
    psl_count(87, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r88: ip.src in 198.51.X.0/24 => shadow */
  if ((pkt.present & PSL_PRESENT_IPV4) && pkt.ip_src[12] == 198 &&
      pkt.ip_src[13] == 51 && pkt.ip_src[14] == 182) {
    psl_count_shadow(88, pkt.pkt_len);
  }
  /* rule r89: tcp.syn and not tcp.ack and tcp.dport == N and tcp.window < W => drop */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_syn && !pkt.tcp_ack &&
      pkt.tcp_dport == 58 && pkt.tcp_window < 2388) {
    psl_count(89, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r90: l4.sport == N and not ip.frag => shadow */
  if ((pkt.present & PSL_PRESENT_L4) && pkt.l4_sport == 16986 &&
      pkt.ip_frag == 0) {
    psl_count_shadow(90, pkt.pkt_len);
  }
  /* rule r91: tcp.dport == N => drop */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_dport == 45386) {
    psl_count(91, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r92: udp.dport in A..B => count */
  if ((pkt.present & PSL_PRESENT_UDP) && pkt.udp_dport >= 30333 &&
      pkt.udp_dport <= 30747) {
    psl_count(92, pkt.pkt_len);
  }
  /* rule r93: ip.ttl < N and ip.proto == P => count */
  if ((pkt.present & PSL_PRESENT_IP) && pkt.ip_ttl < 6 &&
      pkt.ip_proto == 1) {
    psl_count(93, pkt.pkt_len);
  }
  /* rule r94: icmp.type == T and pkt.len > N => drop */
  if ((pkt.present & PSL_PRESENT_ICMP) && pkt.icmp_type == 3 &&
      pkt.pkt_len > 528) {
    psl_count(94, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r95: ip.src in 198.51.X.0/24 => shadow */
  if ((pkt.present & PSL_PRESENT_IPV4) && pkt.ip_src[12] == 198 &&
      pkt.ip_src[13] == 51 && pkt.ip_src[14] == 100) {
    psl_count_shadow(95, pkt.pkt_len);
  }
  /* rule r96: tcp.syn and not tcp.ack and tcp.dport == N and tcp.window < W => count */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_syn && !pkt.tcp_ack &&
      pkt.tcp_dport == 419 && pkt.tcp_window < 4053) {
    psl_count(96, pkt.pkt_len);
  }
  /* rule r97: l4.sport == N and not ip.frag => drop */
  if ((pkt.present & PSL_PRESENT_L4) && pkt.l4_sport == 31423 &&
      pkt.ip_frag == 0) {
    psl_count(97, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r98: tcp.dport == N => count */
  if ((pkt.present & PSL_PRESENT_TCP) && pkt.tcp_dport == 52406) {
    psl_count(98, pkt.pkt_len);
  }
  /* rule r99: udp.dport in A..B => drop */
  if ((pkt.present & PSL_PRESENT_UDP) && pkt.udp_dport >= 55723 &&
      pkt.udp_dport <= 56062) {
    psl_count(99, pkt.pkt_len);
    return XDP_DROP;
  }
  /* rule r100: ip.ttl < N and ip.proto == P => drop */
  if ((pkt.present & PSL_PRESENT_IP) && pkt.ip_ttl < 7 &&
      pkt.ip_proto == 6) {
    psl_count(100, pkt.pkt_len);
    return XDP_DROP;
  }

  psl_count(RULE_DEFAULT, pkt.pkt_len);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
