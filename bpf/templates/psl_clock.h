/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * psl_clock.h — the one clock rate buckets and dynamic-set expiry read.
 *
 * In production the time is bpf_ktime_get_ns(): CLOCK_MONOTONIC in
 * nanoseconds, so user space that writes expiry times (the daemon filling
 * a dynamic set) uses clock_gettime(CLOCK_MONOTONIC).
 *
 * For tests and pcap replay the loader sets the read-only global
 * `psl_clock_from_map` to 1 before load (skeleton `rodata`, or
 * bpf_map__initial_value() on the object's .rodata map); every program then
 * reads the time from slot 0 of the array map `psl_clock`, which user space
 * writes (a u64, nanoseconds) between runs. Because the flag lives in
 * frozen .rodata the verifier knows its value and removes the branch not
 * taken, so the production path costs nothing extra.
 */
#ifndef PSL_CLOCK_H
#define PSL_CLOCK_H

#include <linux/types.h>

#include "psl_pkt.h" /* PSL_INLINE */

#define PSL_NSEC_PER_SEC 1000000000ULL

#ifdef __bpf__
#include <linux/bpf.h> /* before bpf_helpers.h, which uses its types */

#include <bpf/bpf_helpers.h>

const volatile __u8 psl_clock_from_map = 0;

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} psl_clock SEC(".maps");

PSL_INLINE __u64 psl_now_ns(void) {
  if (psl_clock_from_map) {
    __u32 slot = 0;
    __u64 *ns = bpf_map_lookup_elem(&psl_clock, &slot);

    return ns ? *ns
              : 0; /* an array slot always exists; keeps the verifier happy */
  }
  return bpf_ktime_get_ns();
}
#endif /* __bpf__ */

#endif /* PSL_CLOCK_H */
