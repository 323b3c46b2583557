/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * psl_counters.h — per-rule packet and byte counters.
 *
 * Every verdict is counted per rule (architecture.md); the counters feed
 * psc, /metrics, the UI and the next LLM prompt. The index is the rule id
 * the compiler assigns (generated code also gives `default` an id).
 *
 * Per-CPU arrays: each CPU bumps its own slot with plain adds, no atomics
 * and no cache-line bouncing; user space sums the CPUs when it reads
 * (bpf_map_lookup_elem on a per-CPU map returns one value per possible
 * CPU, each rounded up to 8 bytes — struct psl_counter already is).
 *
 * Two maps with the same shape:
 *   psl_rule_cnt    what the rule did (matched and applied its action, or
 *                   for `count` rules, matched)
 *   psl_shadow_cnt  what a `shadow` rule would have done: packets it
 *                   matched at its place in the order, while the verdict
 *                   came from elsewhere. The governor compares these before
 *                   turning a shadow rule into an enforcing one.
 * Map names stay under 16 bytes so the kernel-side names (bpftool, pins
 * under /sys/fs/bpf/packetscope/) match what the daemon looks up.
 */
#ifndef PSL_COUNTERS_H
#define PSL_COUNTERS_H

#include <linux/types.h>

#include "psl_pkt.h"

/* Sizes of the two maps when this header defines them (see below). */
#ifndef PSL_MAX_RULES
#define PSL_MAX_RULES 1024 /* rule ids 0..PSL_MAX_RULES-1 */
#endif
#ifndef PSL_MAX_SHADOW_RULES
#define PSL_MAX_SHADOW_RULES PSL_MAX_RULES
#endif

struct psl_counter {
  __u64 packets;
  __u64 bytes;
};

#ifdef __bpf__
#include <linux/bpf.h> /* before bpf_helpers.h, which uses its types */

#include <bpf/bpf_helpers.h>

/* The two maps, `rule_slots` and `shadow_slots` slots. A generated policy
 * gives every rule and the default a slot, and psl_shadow_cnt slots up to
 * its last shadow rule only (1 without shadow rules): creating a per-CPU
 * array allocates every slot on every CPU (about 0.3 s for 100k slots). */
#define PSL_COUNTER_MAPS(rule_slots, shadow_slots)                             \
  struct psl_rule_cnt_map {                                                    \
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                   \
    __uint(max_entries, rule_slots);                                           \
    __type(key, __u32);                                                        \
    __type(value, struct psl_counter);                                         \
  } psl_rule_cnt SEC(".maps");                                                 \
  struct psl_shadow_cnt_map {                                                  \
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                   \
    __uint(max_entries, shadow_slots);                                         \
    __type(key, __u32);                                                        \
    __type(value, struct psl_counter);                                         \
  } psl_shadow_cnt SEC(".maps")

/* Either this header defines the maps, sized by PSL_MAX_RULES and
 * PSL_MAX_SHADOW_RULES, or, with PSL_COUNTER_MAPS_LATER, it only declares
 * them and the includer writes PSL_COUNTER_MAPS(...) once it knows the
 * sizes. That keeps this header the same for every policy, so psc can
 * compile it once, ahead of time (psl_policy.h). The map's type is
 * incomplete until then; the helpers below only take its address. */
#ifdef PSL_COUNTER_MAPS_LATER
struct psl_rule_cnt_map;
struct psl_shadow_cnt_map;
extern struct psl_rule_cnt_map psl_rule_cnt;
extern struct psl_shadow_cnt_map psl_shadow_cnt;
#else
PSL_COUNTER_MAPS(PSL_MAX_RULES, PSL_MAX_SHADOW_RULES);
#endif

PSL_INLINE void psl_count_in(void *map, __u32 rule_id, __u32 pkt_len) {
  struct psl_counter *c = bpf_map_lookup_elem(map, &rule_id);

  /* An id past PSL_MAX_RULES has no slot: a compiler bug, never a crash. */
  if (!c)
    return;
  /* Per-CPU slot and XDP runs with preemption off: plain adds are exact. */
  c->packets += 1;
  c->bytes += pkt_len;
}

/* The rule matched and did what it says. */
PSL_INLINE void psl_count(__u32 rule_id, __u32 pkt_len) {
  psl_count_in(&psl_rule_cnt, rule_id, pkt_len);
}

/* A shadow rule matched: it would have applied its action here. */
PSL_INLINE void psl_count_shadow(__u32 rule_id, __u32 pkt_len) {
  psl_count_in(&psl_shadow_cnt, rule_id, pkt_len);
}
#endif /* __bpf__ */

#endif /* PSL_COUNTERS_H */
