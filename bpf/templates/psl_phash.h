/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * psl_phash.h — a hash table the compiler lays out: a perfect hash of a
 * map's keys into the slots of an array (compiler/lower/perfect_hash.h).
 *
 * A kernel hash map costs a packet a helper call (5-6 ns on a host that
 * mitigates SRSO with "Safe RET") and its own hashing and compares; an
 * array lookup the verifier inlines costs a bounds test and an add. The
 * compiler knows every key of a group's map when it builds the policy, so
 * it places them with a perfect hash (hash and displace): the key's hash
 * picks a bucket, the bucket's pilot (stored in the slot of the bucket's
 * index) moves the bucket's keys to free slots, and a lookup reads two
 * slots of one array: slot[bucket] for the pilot, slot[position] for the
 * key, whose words it compares. No loop, no call, at most two cache lines.
 *
 * Slot layout, in bytes: the key as kw 32-bit words (its bytes in memory
 * order, zero padded to a whole word), the pilot at 4 * kw, `full` (1: the
 * slot holds a key) at 4 * kw + 4, the value at PSL_PHASH_VALUE_OFF(kw)
 * (8-aligned); PSL_PHASH_SLOT_SIZE(kw, value bytes) in all. A slot that
 * is neither full nor some bucket's pilot stays zero and is not written.
 *
 * The hashing below is plain C that the compiler's layout (C++) includes
 * too, so both sides compute the same positions by construction. Words
 * are read in host order on both (x86: little-endian).
 */
#ifndef PSL_PHASH_H
#define PSL_PHASH_H

#include <linux/types.h>

#include "psl_pkt.h"

/* Keys of at most 64 bytes. */
#define PSL_PHASH_MAX_KW 16
#define PSL_PHASH_VALUE_OFF(kw) ((((kw) + 3) / 2) * 8)
#define PSL_PHASH_SLOT_SIZE(kw, vb)                                            \
  (PSL_PHASH_VALUE_OFF(kw) + (((vb) + 7) / 8) * 8)

#define PSL_PHASH_MUL 0x9e3779b97f4a7c15ull
#define PSL_PHASH_PILOT_MUL 0xc2b2ae3d27d4eb4full
#define PSL_PHASH_FINISH_MUL 0xff51afd7ed558ccdull

/* The 64-bit hash of a key of kw words: per word a multiply and its high
 * half folded into the low one, then a finishing multiply (as in
 * MurmurHash3's fmix64), so every input bit reaches every output bit the
 * bucket and the position are taken from. Keys are often alike in all
 * but a few bits (class ids 1, 2, 3 ... big-endian, consecutive ports or
 * addresses); without the finish, one-word keys did not place at 85%. */
PSL_INLINE __u64 psl_phash_key(const __u32 *w, int kw, __u64 seed) {
  __u64 h = seed;

  for (int i = 0; i < kw; i++) {
    h = (h ^ w[i]) * PSL_PHASH_MUL;
    h ^= h >> 32;
  }
  h *= PSL_PHASH_FINISH_MUL;
  return h ^ (h >> 33);
}

/* x scaled to 0..n-1 (a multiply and a shift, no division). */
PSL_INLINE __u32 psl_phash_reduce(__u32 x, __u32 n) {
  return (__u32)(((__u64)x * n) >> 32);
}

PSL_INLINE __u32 psl_phash_bucket(__u64 h, __u32 buckets) {
  return psl_phash_reduce((__u32)(h >> 32), buckets);
}

/* The slot of a key of hash h in a bucket of pilot `pilot`. */
PSL_INLINE __u32 psl_phash_slot(__u64 h, __u32 pilot, __u32 slots) {
  __u64 x = (h ^ ((__u64)pilot * PSL_PHASH_PILOT_MUL)) * PSL_PHASH_MUL;

  return psl_phash_reduce((__u32)(x >> 32), slots);
}

#ifdef __bpf__
#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

/* The array of a laid-out table: `slots` slots of `slot_size` bytes. */
#define PSL_PHASH(name, slot_size, slots)                                      \
  struct {                                                                     \
    __uint(type, BPF_MAP_TYPE_ARRAY);                                          \
    __uint(max_entries, slots);                                                \
    __type(key, __u32);                                                        \
    __uint(value_size, slot_size);                                             \
    __uint(map_flags, BPF_F_RDONLY_PROG);                                      \
  } name SEC(".maps")

/* The value of the key of kw words at `key` (4-aligned, padding zero), or
 * NULL. The table's constants are the generated code's (NAME_KW, NAME_SEED,
 * NAME_BUCKETS, NAME_SLOTS; PSL_PHASH_FIND). Both lookups are of an array
 * map, which the verifier inlines. */
PSL_INLINE const void *psl_phash_find(void *map, const void *key, int kw,
                                      __u64 seed, __u32 buckets, __u32 slots) {
  const __u32 *k = key;
  const __u64 h = psl_phash_key(k, kw, seed);
  __u32 i = psl_phash_bucket(h, buckets);
  const __u32 *s = bpf_map_lookup_elem(map, &i);

  if (!s)
    return 0;
  i = psl_phash_slot(h, s[kw], slots);
  s = bpf_map_lookup_elem(map, &i);
  if (!s)
    return 0;
  /* The key's words and `full`, folded into one test. */
  __u32 diff = s[kw + 1] ^ 1;
  for (int j = 0; j < kw; j++)
    diff |= s[j] ^ k[j];
  return diff ? 0 : (const __u8 *)s + PSL_PHASH_VALUE_OFF(kw);
}

#define PSL_PHASH_FIND(name, key)                                              \
  psl_phash_find(&name, key, name##_KW, name##_SEED, name##_BUCKETS,           \
                 name##_SLOTS)

/* For template functions that take a hash map either way: the value of
 * `key` (kw words) from the table the compiler laid out when `buckets` is
 * not zero, else from the kernel hash `map`. The generated code passes
 * PSL_PHASH_TABLE(name) or PSL_KERNEL_HASH_TABLE: constants, so the branch
 * not taken compiles to nothing. */
PSL_INLINE const void *psl_phash_or_hash(void *map, const void *key, int kw,
                                         __u64 seed, __u32 buckets,
                                         __u32 slots) {
  if (buckets)
    return psl_phash_find(map, key, kw, seed, buckets, slots);
  return bpf_map_lookup_elem(map, key);
}

#define PSL_PHASH_TABLE(name) name##_SEED, name##_BUCKETS, name##_SLOTS
#define PSL_KERNEL_HASH_TABLE 0, 0, 0
#endif /* __bpf__ */

#endif /* PSL_PHASH_H */
