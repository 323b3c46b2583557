/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * psl_dynset.h — dynamic sets (`set NAME : T dynamic ttl D capacity N`).
 *
 * A hash map whose value is the entry's expiry time on the psl_clock.h
 * clock (CLOCK_MONOTONIC ns in production; 0 = never expires). The daemon
 * or `psc` inserts entries; generated code may insert too (psl_dynset_add).
 * An entry whose expiry has passed (expires_ns <= now) is a miss.
 *
 * Expired entries are NOT deleted on lookup by default: a lookup that saw
 * the old expiry could delete the entry right after the daemon refreshed
 * it, silently unbanning an address. The daemon sweeps expired entries
 * instead. Define PSL_DYNSET_DELETE_EXPIRED before including this header
 * to trade that race for self-cleaning maps.
 *
 * A plain (preallocated) hash, not an LRU: a full set must refuse new
 * entries visibly (the insert fails and the daemon reports it), never
 * evict an existing ban.
 */
#ifndef PSL_DYNSET_H
#define PSL_DYNSET_H

#include <linux/types.h>

#include "psl_clock.h"
#include "psl_pkt.h"

/* Key of `ip` sets. addr as in psl_pkt.ip_src (IPv4 mapped ::ffff:a.b.c.d);
 * family (4 or 6, = ip.version) keeps an IPv4 address apart from the same
 * ::ffff:a.b.c.d sent as a native IPv6 address. _pad must be zero. */
struct psl_ip_key {
  __u8 addr[16];
  __u8 family;
  __u8 _pad[3];
};

/* Key of port and int sets (ports zero-extended). */
struct psl_int_key {
  __u64 value;
};

struct psl_dynset_val {
  __u64 expires_ns; /* psl clock; 0 = never */
};

PSL_INLINE int psl_dynset_expired(const struct psl_dynset_val *v, __u64 now) {
  return v->expires_ns != 0 && v->expires_ns <= now;
}

#ifdef __bpf__
#include <linux/bpf.h> /* before bpf_helpers.h, which uses its types */

#include <bpf/bpf_helpers.h>

#define PSL_DYNSET_IP(name, capacity)                                          \
  struct {                                                                     \
    __uint(type, BPF_MAP_TYPE_HASH);                                           \
    __uint(max_entries, capacity);                                             \
    __type(key, struct psl_ip_key);                                            \
    __type(value, struct psl_dynset_val);                                      \
  } name SEC(".maps")

#define PSL_DYNSET_INT(name, capacity)                                         \
  struct {                                                                     \
    __uint(type, BPF_MAP_TYPE_HASH);                                           \
    __uint(max_entries, capacity);                                             \
    __type(key, struct psl_int_key);                                           \
    __type(value, struct psl_dynset_val);                                      \
  } name SEC(".maps")

/* Key for ip.src (src != 0) or ip.dst. Only meaningful with PSL_PRESENT_IP. */
PSL_INLINE void psl_ip_key_from_pkt(struct psl_ip_key *k,
                                    const struct psl_pkt *p, int src) {
  __builtin_memcpy(k->addr, src ? p->ip_src : p->ip_dst, 16);
  k->family = p->ip_version;
  k->_pad[0] = k->_pad[1] = k->_pad[2] = 0;
}

/* 1 if key is in the set and not expired. */
PSL_INLINE int psl_dynset_contains(void *map, const void *key) {
  struct psl_dynset_val *v = bpf_map_lookup_elem(map, key);

  if (!v)
    return 0;
  if (v->expires_ns == 0)
    return 1; /* permanent: skip reading the clock */
  if (psl_dynset_expired(v, psl_now_ns())) {
#ifdef PSL_DYNSET_DELETE_EXPIRED
    bpf_map_delete_elem(map, key);
#endif
    return 0;
  }
  return 1;
}

/* Insert or refresh; ttl_ns 0 = never expires. Returns 0 or -errno (a full
 * set gives -E2BIG). */
PSL_INLINE long psl_dynset_add(void *map, const void *key, __u64 ttl_ns) {
  struct psl_dynset_val v = {.expires_ns = ttl_ns ? psl_now_ns() + ttl_ns : 0};

  return bpf_map_update_elem(map, key, &v, BPF_ANY);
}
#endif /* __bpf__ */

#endif /* PSL_DYNSET_H */
