/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * psl_rate.h — per-key token buckets for `rate(KEY, ...) > RATE`.
 *
 * A bucket holds up to `burst` tokens and refills at `rate` tokens per
 * second; a packet costs 1 token (packets per second) or pkt.len * 8
 * tokens (bits per second). `rate(...) > RATE` is true for the packets
 * that find too few tokens: they are "over" and take nothing.
 *
 * Units. Tokens are kept in fixed point, scaled so that one nanosecond of
 * elapsed time refills exactly (1 << shift) units and one token costs
 * `units_per_token` = (1e9 << shift) / rate units. The refill is then a
 * shift instead of elapsed * rate / 1e9, which would overflow 64 bits for
 * bit rates (a 10 Gbit/s bucket refilled after 2 s is 2e19) and lose the
 * fractional tokens of frequent small refills. psl_rate_cfg_make() picks
 * the largest shift for which the full bucket fits in 2^58 units, so the
 * rounding error of units_per_token stays below 0.01% up to 1 Tbit/s for
 * buckets that fill in under a few minutes.
 *
 * Concurrency. The same key is hit from several CPUs at once and the state
 * lives in a BPF_MAP_TYPE_LRU_HASH, so old keys are evicted instead of the
 * map filling up. bpf_spin_lock is not an option there: the kernel allows
 * spin locks only in plain hash, array and local-storage maps; creating an
 * LRU hash whose value holds one fails with EOPNOTSUPP. So the bucket is
 * lock-free, built from 64-bit atomics (kernel 5.12+; clang emits them without
 * -mcpu flags):
 *   - refill: a CPU claims the interval (last_ns, now] by compare-and-swap
 *     on last_ns; only the winner adds those tokens, so time is never
 *     counted twice. It then takes back whatever its own addition pushed
 *     over the burst.
 *   - consume: fetch-and-add of -cost; if the old value was short, the
 *     packet is over and the cost is added back.
 * Every step is a single atomic add, so no update is lost. A concurrent
 * refill or refund can make the count briefly read high or low; the worst
 * case is a transient, bounded error paid back by the next refill, never a
 * lasting drift, and with a fixed clock the bucket admits exactly `burst`
 * packets across all CPUs (tests/bpf/templates checks this).
 *
 * psl_rate_over_seq() is the same arithmetic without atomics, for the
 * reference interpreter: one meaning for both.
 *
 * Eviction resets a key's bucket to full. Size the map for the number of
 * active keys (PSL_RATE_MAP capacity).
 */
#ifndef PSL_RATE_H
#define PSL_RATE_H

#include <linux/types.h>

#include "psl_clock.h"
#include "psl_pkt.h"

#ifndef PSL_RATE_KEY_BYTES
/* Room for the widest KEY list we expect: ip.src + ip.dst with their
 * families, two ports and the protocol (39 bytes), rounded so the whole key
 * is 48 bytes. Generated code packs the fields in list order. */
#define PSL_RATE_KEY_BYTES 44
#endif

/* Key of every bucket map. One map may serve several rules: rule_id keeps
 * their buckets apart. Zero it before filling so unused bytes never differ. */
struct psl_rate_key {
  __u32 rule_id;
  __u8 data[PSL_RATE_KEY_BYTES];
};

/* A rule's bucket parameters; computed by psl_rate_cfg_make(). */
struct psl_rate_cfg {
  __u64 units_per_token; /* cost of one token in bucket units */
  __u64 burst_units;     /* capacity: burst_tokens * units_per_token */
  __u64 burst_tokens;    /* capacity in tokens: a costlier packet is over */
  __u32 shift;           /* 1 ns of elapsed time refills 1 << shift units */
  __u32 _pad;
};

/* Map value. */
struct psl_rate_state {
  __s64 tokens;  /* bucket units; may dip below 0 while a refund is pending */
  __u64 last_ns; /* psl_now_ns() of the last refill */
};

/* Headroom for the atomics: burst <= 2^58 units and one refill adds at most
 * 2 * burst (enough to go from a full burst of debt to full), so the count
 * cannot overflow __s64 even with 15 CPUs' refills in flight at once. */
#define PSL_RATE_MAX_BURST_UNITS (1ULL << 58)
#define PSL_RATE_MAX_SHIFT 32 /* 1e9 << 32 still fits in 63 bits */

/* Initializer for a cfg whose shift was chosen already (generated code
 * emits the numbers psl_rate_cfg_make() produced at compile time). */
#define PSL_RATE_CFG_INIT(rate_per_sec, burst, shift_)                         \
  {                                                                            \
    .units_per_token = (PSL_NSEC_PER_SEC << (shift_)) / (rate_per_sec),        \
    .burst_units =                                                             \
        (burst) * ((PSL_NSEC_PER_SEC << (shift_)) / (rate_per_sec)),           \
    .burst_tokens = (burst), .shift = (shift_), ._pad = 0,                     \
  }

/* Fills *cfg for `rate_per_sec` tokens per second and a bucket of `burst`
 * tokens. Returns 0, or -1 for a zero rate or burst or a bucket that takes
 * longer than 2^58 ns (9 years) to fill. The relative rate error is at
 * most 1 / units_per_token; callers that care (very fast buckets that
 * take hours to fill) can check that. */
static inline int psl_rate_cfg_make(__u64 rate_per_sec, __u64 burst,
                                    struct psl_rate_cfg *cfg) {
  int shift;

  if (rate_per_sec == 0 || burst == 0)
    return -1;
  for (shift = PSL_RATE_MAX_SHIFT; shift >= 0; shift--) {
    __u64 upt = (PSL_NSEC_PER_SEC << shift) / rate_per_sec;

    if (upt == 0 || burst > PSL_RATE_MAX_BURST_UNITS / upt)
      continue;
    cfg->units_per_token = upt;
    cfg->burst_units = burst * upt;
    cfg->burst_tokens = burst;
    cfg->shift = (__u32)shift;
    cfg->_pad = 0;
    return 0;
  }
  return -1;
}

/* Units that `elapsed_ns` refills, capped at two bursts (see above). */
PSL_INLINE __u64 psl_rate_refill_units(const struct psl_rate_cfg *cfg,
                                       __u64 elapsed_ns) {
  __u64 cap = cfg->burst_units * 2;

  if (elapsed_ns > (cap >> cfg->shift))
    return cap;
  return elapsed_ns << cfg->shift;
}

/*
 * Sequential model (interpreter, tests). `fresh` says the key had no state;
 * *st is then initialised. Returns 1 if the packet is over the rate.
 */
PSL_INLINE int psl_rate_over_seq(struct psl_rate_state *st, int fresh,
                                 const struct psl_rate_cfg *cfg, __u64 now,
                                 __u64 cost) {
  __s64 cost_units, burst = (__s64)cfg->burst_units;

  if (cost > cfg->burst_tokens)
    return 1;
  cost_units = (__s64)(cost * cfg->units_per_token);
  if (fresh) {
    st->tokens = burst - cost_units;
    st->last_ns = now;
    return 0;
  }
  if (now > st->last_ns) {
    __s64 add = (__s64)psl_rate_refill_units(cfg, now - st->last_ns);

    st->last_ns = now;
    st->tokens = st->tokens + add > burst ? burst : st->tokens + add;
  }
  if (st->tokens < cost_units)
    return 1;
  st->tokens -= cost_units;
  return 0;
}

#ifdef __bpf__
#include <linux/bpf.h> /* before bpf_helpers.h, which uses its types */

#include <bpf/bpf_helpers.h>

/* A bucket map; declare one per rate() or share one between rules. */
#define PSL_RATE_MAP(name, capacity)                                           \
  struct {                                                                     \
    __uint(type, BPF_MAP_TYPE_LRU_HASH);                                       \
    __uint(max_entries, capacity);                                             \
    __type(key, struct psl_rate_key);                                          \
    __type(value, struct psl_rate_state);                                      \
  } name SEC(".maps")

PSL_INLINE void psl_rate_refill(struct psl_rate_state *st,
                                const struct psl_rate_cfg *cfg, __u64 now) {
  __u64 last = *(volatile __u64 *)&st->last_ns;
  __s64 add, old, excess;

  if (now <= last)
    return;
  /* Lost the race: another CPU just refilled up to its own `now`. */
  if (__sync_val_compare_and_swap(&st->last_ns, last, now) != last)
    return;
  add = (__s64)psl_rate_refill_units(cfg, now - last);
  old = __sync_fetch_and_add(&st->tokens, add);
  /* Take back only what this addition put over the top; a concurrent
   * refiller takes back its own share, so together they land on burst.
   * Adds commute, so the final count equals the sequential model's. */
  if (old >= (__s64)cfg->burst_units)
    excess = add;
  else
    excess = old + add - (__s64)cfg->burst_units;
  if (excess > 0)
    __sync_fetch_and_add(&st->tokens, -excess);
}

/* 1 if a packet costing `cost` tokens is over the rate for this key. */
PSL_INLINE int psl_rate_over(void *map, const struct psl_rate_key *key,
                             const struct psl_rate_cfg *cfg, __u64 cost) {
  struct psl_rate_state *st;
  __s64 cost_units, old;
  __u64 now;

  if (cost > cfg->burst_tokens)
    return 1; /* could never fit, and cost * units could overflow */
  cost_units = (__s64)(cost * cfg->units_per_token);
  now = psl_now_ns();

  st = bpf_map_lookup_elem(map, key);
  if (!st) {
    struct psl_rate_state init = {
        .tokens = (__s64)cfg->burst_units - cost_units,
        .last_ns = now,
    };

    if (bpf_map_update_elem(map, key, &init, BPF_NOEXIST) == 0)
      return 0;
    /* Another CPU created the bucket first: use that one. */
    st = bpf_map_lookup_elem(map, key);
    if (!st)
      return 0; /* evicted again at once: map far too small; fail open */
  }

  psl_rate_refill(st, cfg, now);
  /* Over the rate, the usual state of a bucket under attack: a plain read
   * answers, where taking the tokens and giving them back would be two
   * locked adds on a line the CPUs share. The read may see another CPU's
   * take before its refund, as the take below may: the same window, no
   * new one. */
  if (*(volatile __s64 *)&st->tokens < cost_units)
    return 1;
  old = __sync_fetch_and_add(&st->tokens, -cost_units);
  if (old >= cost_units)
    return 0;
  __sync_fetch_and_add(&st->tokens, cost_units);
  return 1;
}

/* `rate(KEY) > N/s`: one token per packet. */
PSL_INLINE int psl_rate_over_pps(void *map, const struct psl_rate_key *key,
                                 const struct psl_rate_cfg *cfg) {
  return psl_rate_over(map, key, cfg, 1);
}

/* `rate(KEY) > N bit/s`: pkt.len * 8 tokens per packet. */
PSL_INLINE int psl_rate_over_bps(void *map, const struct psl_rate_key *key,
                                 const struct psl_rate_cfg *cfg,
                                 const struct psl_pkt *p) {
  return psl_rate_over(map, key, cfg, (__u64)p->pkt_len * 8);
}
#endif /* __bpf__ */

#endif /* PSL_RATE_H */
