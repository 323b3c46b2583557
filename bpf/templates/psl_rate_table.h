/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * psl_rate_table.h — rate() rules kept in maps instead of code.
 *
 * A terminal rule `A and rate(KEY) > R => drop|pass` whose A is one
 * conjunction of field tests (language.md: the rate test comes last, so
 * only the packets that pass A reach it and take a token) is lowered like
 * a lookup group, except that a key of its map does not hold the first
 * matching rule but the list of every rate rule whose A holds for that key,
 * as rule *slots* in ascending rule order (struct psl_rate_list). A rule's
 * slot indexes psl_rate_rules, which holds its bucket parameters, its
 * verdict and how to build its bucket key (a key kind: the generated
 * psl_rate_key_of() packs one distinct KEY list per kind).
 *
 * Per packet, each rate group is looked up at most once and its list
 * copied into a struct psl_rate_run on the stack. psl_rate_drain() then
 * walks the candidates of all groups merged in rule order, exactly as the
 * rules would run one after the other: a candidate runs only if no earlier
 * rule has decided (its rule index is below `best`'s and below `upto`, the
 * next rule evaluated by code), takes a token from its bucket, and decides
 * the packet when it is over the rate. Code rules between rate rules are
 * honoured by calling psl_rate_drain() before each of them with `upto` =
 * that rule's index, so the token order is the rule order.
 *
 * Program size does not grow with the number of rate rules: only with the
 * number of rate groups (at most PSL_RATE_GROUPS_MAX) and key kinds.
 *
 * The generated program defines, before including this header:
 *   PSL_RATE_GROUPS  number of rate groups (1..PSL_RATE_GROUPS_MAX)
 *   PSL_RATE_SLOTS   entries of psl_rate_rules
 * and, after it, psl_rate_key_of().
 */
#ifndef PSL_RATE_TABLE_H
#define PSL_RATE_TABLE_H

#include <linux/types.h>

#include "psl_rate.h"
#include "psl_verifier.h"

/* Rules one key of a rate group may list; more go to code (lowering). */
#define PSL_RATE_LIST_MAX 8
/* Rate groups one program may have; more go to code (lowering). */
#define PSL_RATE_GROUPS_MAX 4

/* Value of a rate group's map. */
struct psl_rate_list {
  __u32 n;                       /* slots used, <= PSL_RATE_LIST_MAX */
  __u32 slot[PSL_RATE_LIST_MAX]; /* ascending: rule order */
};

/* Value of psl_rate_rules[slot]. Written by the loader (the lowering
 * computes cfg with psl_rate_cfg_make(), like a code rule's constant). */
struct psl_rate_rule {
  struct psl_rate_cfg cfg;
  __u32 enc;     /* the rule's encoded priority (psl_classify.h) */
  __u32 rule;    /* rule index */
  __u32 rate_id; /* psl_rate_key.rule_id: the bucket namespace */
  __u16 kind;    /* key kind for psl_rate_key_of() */
  __u8 bits;     /* a bit rate: a packet costs pkt.len * 8 tokens */
  __u8 _pad;
};

PSL_STATIC_ASSERT(PSL_RATE_GROUPS_MAX < 8,
                  "psl_rate_drain forgets min_g in 3 bits");
PSL_STATIC_ASSERT(sizeof(struct psl_rate_list) == 36,
                  "psl_rate_list layout changed");
PSL_STATIC_ASSERT(sizeof(struct psl_rate_rule) == 48,
                  "psl_rate_rule layout changed");

#ifdef __bpf__
#include <linux/bpf.h> /* before bpf_helpers.h, which uses its types */

#include <bpf/bpf_helpers.h>

#if !defined(PSL_RATE_GROUPS) || PSL_RATE_GROUPS < 1 ||                        \
    PSL_RATE_GROUPS > PSL_RATE_GROUPS_MAX
#error "define PSL_RATE_GROUPS (1..PSL_RATE_GROUPS_MAX) before psl_rate_table.h"
#endif
#ifndef PSL_RATE_SLOTS
#error "define PSL_RATE_SLOTS before psl_rate_table.h"
#endif

/* The candidates of one packet: each group's list, and how far
 * psl_rate_drain() has gone through it. Zeroed before the lookups. */
struct psl_rate_run {
  __u32 n[PSL_RATE_GROUPS];
  __u32 pos[PSL_RATE_GROUPS];
  __u32 slot[PSL_RATE_GROUPS][PSL_RATE_LIST_MAX];
};

/* A rate group's map; key_type is the group's key struct. */
#define PSL_RATE_GROUP(name, key_type, entries)                                \
  struct {                                                                     \
    __uint(type, BPF_MAP_TYPE_HASH);                                           \
    __uint(max_entries, entries);                                              \
    __type(key, key_type);                                                     \
    __type(value, struct psl_rate_list);                                       \
    __uint(map_flags, BPF_F_RDONLY_PROG);                                      \
  } name SEC(".maps")

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, PSL_RATE_SLOTS);
  __type(key, __u32);
  __type(value, struct psl_rate_rule);
  __uint(map_flags, BPF_F_RDONLY_PROG);
} psl_rate_rules SEC(".maps");

/* Packs the bucket key of key kind `kind` after key->rule_id; 0 when a
 * field of the KEY list is absent (the rate test is then false, as in a
 * code rule). Defined by the generated program. */
PSL_INLINE int psl_rate_key_of(__u32 kind, struct psl_rate_key *key,
                               const struct psl_pkt *p);

/* Group g's list (NULL: no key for this packet) into the run. */
PSL_INLINE void psl_rate_collect(struct psl_rate_run *run, __u32 g,
                                 const struct psl_rate_list *l) {
  if (!l || g >= PSL_RATE_GROUPS)
    return;
  run->n[g] = l->n < PSL_RATE_LIST_MAX ? l->n : PSL_RATE_LIST_MAX;
  __builtin_memcpy(run->slot[g], l->slot, sizeof(l->slot));
}

/* 1 if the packet is over the rate of the rule in `slot` (it takes a token
 * otherwise). A global function: the verifier checks the bucket once, not
 * once per candidate. */
__attribute__((noinline)) int psl_rate_test(const struct psl_pkt *p,
                                            __u32 slot) {
  const struct psl_rate_rule *r;
  struct psl_rate_key key;

  if (!p)
    return 0;
  r = bpf_map_lookup_elem(&psl_rate_rules, &slot);
  if (!r)
    return 0;
  __builtin_memset(&key, 0, sizeof(key));
  key.rule_id = r->rate_id;
  if (!psl_rate_key_of(r->kind, &key, p))
    return 0;
  return psl_rate_over(&psl_rate, &key, &r->cfg,
                       r->bits ? (__u64)p->pkt_len * 8 : 1);
}

/* Runs the candidates whose rule index is below `upto` and whose priority
 * beats `best`, in rule order, and returns the encoded priority of the one
 * that decides the packet (over its rate), or 0. Candidates not reached
 * stay in the run for a later call with a larger `upto`. */
__attribute__((noinline)) __u32 psl_rate_drain(const struct psl_pkt *p,
                                               struct psl_rate_run *run,
                                               __u32 upto, __u32 best) {
  /* 64 bits although it counts to 32: the verifier proves the loop ends
   * by tracking the counter, and if LLVM spills a 32-bit counter into the
   * 8-byte stack slot that also holds the 4-byte lookup key (min_slot),
   * the key's store makes the verifier forget the counter and reject the
   * loop as infinite. A 64-bit spill has a slot of its own. */
  __u64 step;
  /* The one exit of the loop: with a `return` inside it, LLVM at -O1
   * carries the value to return around the loop in a register that holds
   * nothing on the first pass (it is dead there), and the verifier, which
   * does not know that, refuses the read ("R7 !read_ok"). */
  __u32 decided = 0;

  if (!p || !run)
    return 0;
    /* A real loop: unrolled, it would cost Clang and the verifier a copy of
     * the body per candidate. */
#pragma clang loop unroll(disable)
  for (step = 0; step < PSL_RATE_GROUPS * PSL_RATE_LIST_MAX; step++) {
    const struct psl_rate_rule *r;
    __u32 g, min_g, min_slot = 0xffffffffu;

    /* The least next slot over the groups: lists are ascending. min_g,
     * the group that holds it, is a value the verifier cannot know (0 to
     * PSL_RATE_GROUPS_MAX fit in 3 bits; psl_verifier.h): each group taken
     * or not would otherwise be its own state for the rest of the step,
     * 8k instructions for 3 groups. The noise: `upto`, and `pos`, which
     * the verifier knows only as 0..7 there. */
    min_g = psl_verifier_forget(PSL_RATE_GROUPS, 7, upto);
    for (g = 0; g < PSL_RATE_GROUPS; g++) {
      __u32 pos = run->pos[g];

      if (pos < run->n[g] && pos < PSL_RATE_LIST_MAX &&
          run->slot[g][pos] < min_slot) {
        min_slot = run->slot[g][pos];
        min_g = psl_verifier_forget(g, 7, pos);
      }
    }
    if (min_g >= PSL_RATE_GROUPS)
      break;
    r = bpf_map_lookup_elem(&psl_rate_rules, &min_slot);
    if (!r)
      break;
    /* An earlier rule decided, or code must run first. */
    if (r->rule >= upto || r->enc >= best)
      break;
    run->pos[min_g]++;
    if (psl_rate_test(p, min_slot)) {
      decided = r->enc;
      break;
    }
  }
  return decided;
}
#endif /* __bpf__ */

#endif /* PSL_RATE_TABLE_H */
