// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * psl_entry.c — the shape of a generated policy program.
 *
 * Codegen emits a file like this one: the template headers, the maps the
 * lowered classifier needs, rule ids and bucket parameters as constants,
 * then one XDP function that parses once and walks the rules in order.
 * This example is the policy
 *
 *   set banned : ip dynamic ttl 10m capacity 100000
 *   rule odd_ttl:     ip.ttl < 2 => count
 *   rule drop_banned: ip.src in banned => drop shadow
 *   rule icmp_flood:  icmp.type == echo_request and rate(ip.src) > 100/s
 *                     => drop shadow
 *   default pass
 *
 * with every drop in shadow mode, so it always returns XDP_PASS. It is
 * compiled standalone by the build (`clang -O2 -g -target bpf -c`) so a
 * template change that breaks compilation or verification shows up here
 * before it shows up in generated code.
 */
#include <linux/bpf.h> /* before bpf_helpers.h, which uses its types */

#include <bpf/bpf_helpers.h>

#include "psl_counters.h"
#include "psl_dynset.h"
#include "psl_parse.h"
#include "psl_rate.h"

/* Rule ids index psl_rule_cnt / psl_shadow_cnt. */
enum {
  RULE_DEFAULT = 0,
  RULE_ODD_TTL = 1,
  RULE_DROP_BANNED = 2,
  RULE_ICMP_FLOOD = 3,
};

PSL_DYNSET_IP(banned, 100000);
PSL_RATE_MAP(rate_icmp_flood, 65536);

/* 100/s, burst one second's worth; shift from psl_rate_cfg_make(100, 100). */
static const struct psl_rate_cfg icmp_flood_cfg =
    PSL_RATE_CFG_INIT(100, 100, 28);

SEC("xdp")
int psl_policy(struct xdp_md *ctx) {
  struct psl_pkt pkt;

  /* Malformed and truncated packets still reach the rules: `present` says
   * which fields exist, so a rule on ip.src keeps working when the L4
   * header is broken. A policy-wide choice about them belongs here. */
  psl_parse(ctx, &pkt);

  if ((pkt.present & PSL_PRESENT_IP) && pkt.ip_ttl < 2)
    psl_count(RULE_ODD_TTL, pkt.pkt_len);

  if (pkt.present & PSL_PRESENT_IP) {
    struct psl_ip_key key;

    psl_ip_key_from_pkt(&key, &pkt, 1);
    if (psl_dynset_contains(&banned, &key))
      psl_count_shadow(RULE_DROP_BANNED, pkt.pkt_len);
  }

  /* The rate test comes last in the conjunction so only echo requests
   * take tokens. */
  if ((pkt.present & PSL_PRESENT_ICMP) && pkt.icmp_type == 8) {
    struct psl_rate_key key;

    __builtin_memset(&key, 0, sizeof(key));
    key.rule_id = RULE_ICMP_FLOOD;
    __builtin_memcpy(key.data, pkt.ip_src, 16);
    if (psl_rate_over_pps(&rate_icmp_flood, &key, &icmp_flood_cfg))
      psl_count_shadow(RULE_ICMP_FLOOD, pkt.pkt_len);
  }

  psl_count(RULE_DEFAULT, pkt.pkt_len);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
