/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * psl_classify.h — the fixed C of a compiled classifier (compiler/lower).
 *
 * A generated program looks up one map per lookup group, keeps the least
 * value (the first-matching terminal rule), runs the rules that stayed code
 * while their index is below that, and decides. An address's class table
 * comes first: it yields a candidate, the class id that leads the keys of
 * the class-keyed groups after it, and which of those to look up. Key layouts
 * and the value encoding are documented in compiler/lower/classifier.h; in
 * short:
 *
 *   value = ((rule_index + 1) << 1) | (drop ? 1 : 0); 0 = no rule
 *   LPM keys: { __u32 prefixlen; __u8 data[N] } with N a multiple of 4;
 *   key data big-endian; an address is family byte + 16 bytes (IPv4 as
 *   ::ffff:a.b.c.d, as in struct psl_pkt).
 *
 * Contract: every helper reads only struct psl_pkt (already bounds-checked
 * by psl_parse) and maps; callers test a field's `present` bit first.
 * Counter ids: rule i counts at i + 1, `default` at 0 (psl_counters.h).
 */
#ifndef PSL_CLASSIFY_H
#define PSL_CLASSIFY_H

#include <linux/types.h>

#include "psl_phash.h"
#include "psl_pkt.h"

#define PSL_NO_MATCH 0xffffffffu

/* Value of an address's class table: the first address-only rule that
 * holds for the longest stored prefix (0: none), that prefix's class id,
 * which leads the keys of the class-keyed groups, and the mask of those
 * groups that have keys for the class (bit = group index); the others are
 * not looked up (compiler/lower/classifier.h). */
struct psl_class_val {
  __u32 best;
  __u32 cls;
  __u64 groups;
};

/* The IPv4 part of a class table when the lowering splits it off the trie
 * (compiler/lower/classifier.h): an array indexed by an address's top 16
 * bits, whose slot holds the value of the longest stored prefix of length
 * <= 16 covering that /16 (zero: none) and, in `longer`, bit L - 17 for
 * each length L in 17..32 with a stored prefix inside the /16; those
 * prefixes are in a hash keyed by (address masked to L, L). In `blocks`,
 * bit B is set when one of them overlaps the /21 block B of the /16
 * (address bits 15..11, PSL_CLASS4_BLOCK): an address outside them, most
 * misses of a long host list, skips the hash. */
struct psl_class4_slot {
  struct psl_class_val v;
  __u32 longer;
  __u32 blocks;
};

/* The `blocks` bit of IPv4 address `a` (host order). */
#define PSL_CLASS4_BLOCK(a) (1u << (((a) >> 11) & 31))

struct psl_class4_key {
  __u8 addr[4]; /* the address masked to len, network order */
  __u32 len;    /* 17..32, host order */
};

/* The IPv6 part of a class table when the lowering splits it off the trie
 * (compiler/lower/classifier.h): a hash keyed by an address's top 32 bits
 * (network order) whose bucket holds the value of the longest stored prefix
 * of length <= 32 covering that /32 (zero: none) and, ascending, the
 * `nlens` lengths 33..128 with a stored prefix inside the /32; a hash keyed
 * by (address masked to L, L) holds those prefixes and the markers that
 * guide the binary search over the lengths (psl_class6). A dense /32 has
 * `slots` instead (1 + its ordinal): an array of the same structure, at
 * (slots - 1) * 65536 + the address's bits 32..47, searched the same way
 * for the lengths 49..128. A bucket or slot whose lengths do not fit in
 * `lens` has `trie` set: its prefixes are in the trie, which also answers
 * for a /32 without a bucket (it holds the prefixes shorter than /32). */
#define PSL_CLASS6_LENS 16
#define PSL_CLASS6_PROBES 5 /* binary search over at most 16 lengths */

struct psl_class6_bucket {
  struct psl_class_val v;
  __u8 lens[PSL_CLASS6_LENS];
  __u8 nlens;
  __u8 trie;
  __u16 _pad; /* zero */
  __u32 slots;
};

struct psl_class6_key {
  __u8 addr[16]; /* the address masked to len, network order */
  __u32 len;     /* 33..128, host order */
};

/* In front of the buckets, an array of 65536 entries indexed by a hash of
 * the /32 (psl_class6_dir_index) spares most packets the bucket hash
 * lookup: an entry to which one bucket hashes holds a copy of it (kind 1,
 * `top` = the /32's 4 bytes as in the address), one to which several do
 * sends the packet to the hash (kind 2), and one to which none does (kind
 * 0) means the /32 has no bucket. */
#define PSL_CLASS6_DIR_SIZE 65536

struct psl_class6_dir {
  struct psl_class6_bucket b;
  __u32 top;
  __u32 kind;
};

PSL_INLINE __u32 psl_class6_dir_index(const __u8 *a) {
  __u32 x = ((__u32)a[0] << 24) | ((__u32)a[1] << 16) | ((__u32)a[2] << 8) |
            (__u32)a[3];

  return (x * 0x9e3779b1u) >> 16; /* Fibonacci hashing: the top 16 bits */
}

/* Key of psl_sets_ip: every literal address set used by code rules, told
 * apart by set id (all 32 bits are part of every stored prefix). */
struct psl_set_ip_key {
  __u32 prefixlen; /* 32 + 8 + 128 for a lookup */
  __u32 set_id;    /* host order */
  __u8 family;     /* 4 or 6 */
  __u8 addr[16];
  __u8 _pad[3]; /* zero; keeps the key a multiple of 4 */
};

/* Words of a PSL_GROUP_VALUES bitmap: 65536 bits, one per 16-bit value. */
#define PSL_VALUE_WORDS 1024

/* In front of a large class-keyed LPM group whose prefix dimension is a
 * 16-bit field (a port range after an address class: `ip.src in P and
 * l4.dport in A..B`), a bitmap of the (class, block of 64 values) pairs its
 * keys cover: bit psl_class_block_bit(class, v) of PSL_CLASS_BLOCK_WORDS
 * 64-bit words. A packet whose pair has no bit skips the trie walk, which
 * could only miss; the trie, unlike a hash, costs a walk of its depth even
 * then. Two pairs may share a bit: the packet then walks the trie, as
 * without the bitmap. The lowering (compiler/lower/key_emission.cc) sets
 * the bits with the same function. */
#define PSL_CLASS_BLOCK_SHIFT 6      /* 64 values per block */
#define PSL_CLASS_BLOCK_BITS_LOG2 20 /* 1M bits, 128 KiB */
#define PSL_CLASS_BLOCK_WORDS (1u << (PSL_CLASS_BLOCK_BITS_LOG2 - 6))

/* The bit of value `v`'s block in class `cls`: Fibonacci hashing of the
 * class (its top bits), plus the block, so a range's blocks are a run. */
PSL_INLINE __u32 psl_class_block_bit(__u32 cls, __u32 v) {
  return (((cls * 0x9e3779b1u) >> (32 - PSL_CLASS_BLOCK_BITS_LOG2)) +
          (v >> PSL_CLASS_BLOCK_SHIFT)) &
         ((1u << PSL_CLASS_BLOCK_BITS_LOG2) - 1);
}

/* Key of psl_sets_val: (set id << 16) | value, for fields of <= 16 bits. */
#define PSL_SET_VAL_KEY(set_id, v) (((__u32)(set_id) << 16) | (__u32)(v))

#ifdef __bpf__
#include <linux/bpf.h> /* before bpf_helpers.h, which uses its types */

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "psl_counters.h"
#include "psl_dynset.h"
#include "psl_rate.h"
/* The observation psl_decide() calls; a path relative to this header, so
 * the C `psc build --emit-c` writes compiles with -I for this directory
 * alone. */
#include "../runtime/pso_xdp.h"

/* Group maps. The value is the encoded rule (see above). */
#define PSL_GROUP_ARRAY(name, entries)                                         \
  struct {                                                                     \
    __uint(type, BPF_MAP_TYPE_ARRAY);                                          \
    __uint(max_entries, entries);                                              \
    __type(key, __u32);                                                        \
    __type(value, __u32);                                                      \
  } name SEC(".maps")

#define PSL_GROUP_HASH(name, key_type, entries)                                \
  struct {                                                                     \
    __uint(type, BPF_MAP_TYPE_HASH);                                           \
    __uint(max_entries, entries);                                              \
    __type(key, key_type);                                                     \
    __type(value, __u32);                                                      \
  } name SEC(".maps")

/* The values one 16-bit field (a port) takes in the keys of a large
 * class-keyed group, as a bitmap of 65536 bits in PSL_VALUE_WORDS words:
 * a packet whose value has no bit skips the group's hash lookup, which
 * could only miss (GroupLimits::value_filter_min_entries). */
#define PSL_GROUP_VALUES(name)                                                 \
  struct {                                                                     \
    __uint(type, BPF_MAP_TYPE_ARRAY);                                          \
    __uint(max_entries, PSL_VALUE_WORDS);                                      \
    __type(key, __u32);                                                        \
    __type(value, __u64);                                                      \
  } name SEC(".maps")

/* The (class, block) bitmap of a large class-keyed LPM group (above). */
#define PSL_GROUP_CLASS_BLOCKS(name)                                           \
  struct {                                                                     \
    __uint(type, BPF_MAP_TYPE_ARRAY);                                          \
    __uint(max_entries, PSL_CLASS_BLOCK_WORDS);                                \
    __type(key, __u32);                                                        \
    __type(value, __u64);                                                      \
  } name SEC(".maps")

#define PSL_GROUP_LPM(name, key_type, entries)                                 \
  struct {                                                                     \
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);                                       \
    __uint(max_entries, entries);                                              \
    __uint(map_flags, BPF_F_NO_PREALLOC);                                      \
    __type(key, key_type);                                                     \
    __type(value, __u32);                                                      \
  } name SEC(".maps")

#define PSL_CLASS_LPM(name, key_type, entries)                                 \
  struct {                                                                     \
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);                                       \
    __uint(max_entries, entries);                                              \
    __uint(map_flags, BPF_F_NO_PREALLOC);                                      \
    __type(key, key_type);                                                     \
    __type(value, struct psl_class_val);                                       \
  } name SEC(".maps")

#define PSL_CLASS_HASH(name, key_type, entries)                                \
  struct {                                                                     \
    __uint(type, BPF_MAP_TYPE_HASH);                                           \
    __uint(max_entries, entries);                                              \
    __type(key, key_type);                                                     \
    __type(value, struct psl_class_val);                                       \
  } name SEC(".maps")

/* The IPv4 part of a class table: the slots by /16 (entries = 65536) and
 * the prefixes of 17 to 32 bits (psl_class4_slot). */
#define PSL_CLASS4_ARRAY(name, entries)                                        \
  struct {                                                                     \
    __uint(type, BPF_MAP_TYPE_ARRAY);                                          \
    __uint(max_entries, entries);                                              \
    __type(key, __u32);                                                        \
    __type(value, struct psl_class4_slot);                                     \
  } name SEC(".maps")

#define PSL_CLASS4_HASH(name, entries)                                         \
  struct {                                                                     \
    __uint(type, BPF_MAP_TYPE_HASH);                                           \
    __uint(max_entries, entries);                                              \
    __type(key, struct psl_class4_key);                                        \
    __type(value, struct psl_class_val);                                       \
  } name SEC(".maps")

/* The IPv6 part of a class table: the buckets by /32, the slots of the
 * dense ones and the prefixes of 33 to 128 bits (psl_class6_bucket). */
#define PSL_CLASS6_BUCKETS(name, entries)                                      \
  struct {                                                                     \
    __uint(type, BPF_MAP_TYPE_HASH);                                           \
    __uint(max_entries, entries);                                              \
    __type(key, __u32);                                                        \
    __type(value, struct psl_class6_bucket);                                   \
  } name SEC(".maps")

#define PSL_CLASS6_DIR(name)                                                   \
  struct {                                                                     \
    __uint(type, BPF_MAP_TYPE_ARRAY);                                          \
    __uint(max_entries, PSL_CLASS6_DIR_SIZE);                                  \
    __type(key, __u32);                                                        \
    __type(value, struct psl_class6_dir);                                      \
  } name SEC(".maps")

#define PSL_CLASS6_ARRAY(name, entries)                                        \
  struct {                                                                     \
    __uint(type, BPF_MAP_TYPE_ARRAY);                                          \
    __uint(max_entries, entries);                                              \
    __type(key, __u32);                                                        \
    __type(value, struct psl_class6_bucket);                                   \
  } name SEC(".maps")

#define PSL_CLASS6_HASH(name, entries)                                         \
  struct {                                                                     \
    __uint(type, BPF_MAP_TYPE_HASH);                                           \
    __uint(max_entries, entries);                                              \
    __type(key, struct psl_class6_key);                                        \
    __type(value, struct psl_class_val);                                       \
  } name SEC(".maps")

/* The two set maps of code rules (one of each at most, whatever the
 * number of sets: a program may use only 64 maps). Value 1 = member. */
#define PSL_SETS_IP(entries)                                                   \
  struct {                                                                     \
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);                                       \
    __uint(max_entries, entries);                                              \
    __uint(map_flags, BPF_F_NO_PREALLOC);                                      \
    __type(key, struct psl_set_ip_key);                                        \
    __type(value, __u8);                                                       \
  } psl_sets_ip SEC(".maps")

#define PSL_SETS_VAL(entries)                                                  \
  struct {                                                                     \
    __uint(type, BPF_MAP_TYPE_HASH);                                           \
    __uint(max_entries, entries);                                              \
    __type(key, __u32);                                                        \
    __type(value, __u8);                                                       \
  } psl_sets_val SEC(".maps")

/* Writes the low `n` bytes of v big-endian at d (n constant: unrolled). */
PSL_INLINE void psl_key_be(__u8 *d, __u64 v, int n) {
#pragma unroll
  for (int i = 0; i < 8; i++)
    if (i < n)
      d[i] = (__u8)(v >> (8 * (n - 1 - i)));
}

/* An address dimension: family byte + 16 address bytes. */
PSL_INLINE void psl_key_ip(__u8 *d, const struct psl_pkt *p, int src) {
  d[0] = p->ip_version;
  __builtin_memcpy(d + 1, src ? p->ip_src : p->ip_dst, 16);
}

/* A MAC address as a 48-bit number (network order). */
PSL_INLINE __u64 psl_mac_u64(const __u8 *m) {
  return ((__u64)m[0] << 40) | ((__u64)m[1] << 32) | ((__u64)m[2] << 24) |
         ((__u64)m[3] << 16) | ((__u64)m[4] << 8) | (__u64)m[5];
}

PSL_INLINE void psl_key_mac(__u8 *d, const __u8 *m) {
  __builtin_memcpy(d, m, 6);
}

/* Called right after psl_parse(): the packet escapes, so the compiler keeps
 * every store the parser makes. Without it, the parser's machine code (and
 * what the verifier must prove about it) would change with the fields a
 * policy happens to read; with it, every policy runs the one parser the
 * template tests verify. */
PSL_INLINE void psl_pkt_keep(struct psl_pkt *p) {
  asm volatile("" : : "r"(p) : "memory");
}

/* The class table's answer: its candidate, the class id and the groups to
 * look up with it (none when no stored prefix holds the address). */
PSL_INLINE void psl_class(__u32 *best, const struct psl_class_val *v,
                          __u32 *cls, __u64 *groups) {
  if (!v)
    return;
  if (v->best && v->best < *best)
    *best = v->best;
  *cls = v->cls;
  *groups = v->groups;
}

/* The /16 slot of IPv4 address `addr` (16 bytes, ::ffff:a.b.c.d) in the
 * IPv4 part of a class table; *a = the address (host order). */
PSL_INLINE const struct psl_class4_slot *
psl_class4_slot(void *slots, const __u8 *addr, __u32 *a) {
  __u32 top;

  *a = ((__u32)addr[12] << 24) | ((__u32)addr[13] << 16) |
       ((__u32)addr[14] << 8) | (__u32)addr[15];
  top = *a >> 16;
  return bpf_map_lookup_elem(slots, &top);
}

/* The stored prefix of length `len` (17..32) holding IPv4 address `a`
 * (host order), or NULL; the longer prefixes' table as
 * psl_phash_or_hash() takes it. */
PSL_INLINE const struct psl_class_val *psl_class4_at(void *longer, __u32 a,
                                                     __u32 len, __u64 seed,
                                                     __u32 buckets,
                                                     __u32 slots) {
  struct psl_class4_key k;

  psl_key_be(k.addr, a & (0xffffffffu << (32 - len)), 4);
  k.len = len;
  return psl_phash_or_hash(longer, &k, sizeof(k) / 4, seed, buckets, slots);
}

/* psl_class4() when the table's longer prefixes have only a few lengths:
 * generated code tests the address's block bit, then the slot's bit of
 * each length, longest first, and calls psl_class4_at() (straight-line
 * code Clang compiles in no time, where the loop below costs it
 * milliseconds). */
#define PSL_CLASS4_HAS(s, len) ((s)->longer & (1u << ((len)-17)))

/* The longest stored prefix holding IPv4 address `addr` (16 bytes,
 * ::ffff:a.b.c.d) in the IPv4 part of a class table: one array lookup, then
 * the hash at each length the /16 holds a longer prefix of, longest first;
 * the first hit is the longest match, else the slot's own value (zero
 * class: none). An address in a /16 without longer prefixes, the usual
 * miss, costs the array lookup alone. NULL only if the array lookup
 * fails, which an index below 65536 never does. ph_*: the longer
 * prefixes' table, as psl_phash_or_hash() takes it. */
PSL_INLINE const struct psl_class_val *
psl_class4(void *slots, void *longer, const __u8 *addr, __u64 ph_seed,
           __u32 ph_buckets, __u32 ph_slots) {
  __u32 a;
  const struct psl_class4_slot *s = psl_class4_slot(slots, addr, &a);
  struct psl_class4_key k;

  if (!s)
    return 0;
  if (!(s->blocks & PSL_CLASS4_BLOCK(a)))
    return &s->v;
  const __u32 lens = s->longer;
  /* Bounded: at most 16 probes, one per length. `lens` is never changed:
   * the verifier then sees the same state at each length whether the
   * previous one was probed or skipped, and prunes instead of following
   * every combination of bits. */
  for (int i = 15; i >= 0; i--) {
    if (!(lens & ((2u << i) - 1))) /* no longer prefix at or below 17 + i */
      break;
    if (!(lens & (1u << i)))
      continue;
    psl_key_be(k.addr, a & (0xffffffffu << (15 - i)), 4);
    k.len = 17 + i;
    const struct psl_class_val *v = psl_phash_or_hash(
        longer, &k, sizeof(k) / 4, ph_seed, ph_buckets, ph_slots);
    if (v)
      return v;
  }
  return &s->v;
}

/* The longest stored prefix holding IPv6 address `addr` (16 bytes, 8-byte
 * aligned as in struct psl_pkt) in the IPv6 part of a class table: its
 * bucket by the top 32 bits, from the directory (an array lookup) or, when
 * /32s share its entry, the hash (and in a dense /32 an array lookup of
 * its slot by the next 16), then a binary search over the lengths there: a hit
 * (a prefix, or a marker a longer prefix left on its way) goes on among the
 * longer lengths, a miss among the shorter. Every entry holds the value of the
 * longest stored prefix of at most its length covering it, so the last hit is
 * the answer, else the bucket's own value (zero class: none). At most 5 probes
 * for 16 lengths. NULL when the /32 has no bucket or the prefixes are in the
 * trie: the caller asks the trie. */
PSL_INLINE const struct psl_class_val *psl_class6(void *dir, void *buckets,
                                                  void *slots, void *longer,
                                                  const __u8 *addr) {
  const __u64 *a = (const __u64 *)addr;
  __u32 top, di = psl_class6_dir_index(addr);
  struct psl_class6_key k;
  const struct psl_class6_bucket *b = 0;

  __builtin_memcpy(&top, addr, 4);
  const struct psl_class6_dir *d = bpf_map_lookup_elem(dir, &di);
  if (d && d->kind == 1 && d->top == top)
    b = &d->b;
  else if (d && d->kind == 2)
    b = bpf_map_lookup_elem(buckets, &top);
  if (b && b->slots) {
    __u32 slot = ((b->slots - 1) << 16) | ((__u32)addr[4] << 8) | addr[5];
    b = bpf_map_lookup_elem(slots, &slot);
  }
  if (!b || b->trie)
    return 0;
  const struct psl_class_val *res = &b->v;
  int lo = 0, hi = (int)b->nlens - 1;
  /* Bounded: 5 halvings of at most 16 lengths. */
  for (int i = 0; i < PSL_CLASS6_PROBES; i++) {
    if (lo > hi)
      break;
    int mid = (lo + hi) >> 1;
    __u32 len = b->lens[mid & (PSL_CLASS6_LENS - 1)];
    if (len - 33 > 128 - 33) /* only a corrupt bucket */
      break;
    __u64 hi_mask = len >= 64 ? ~0ull : ~0ull << (64 - len);
    __u64 lo_mask = len <= 64 ? 0 : ~0ull << (128 - len);
    __u64 w[2] = {a[0] & bpf_cpu_to_be64(hi_mask),
                  a[1] & bpf_cpu_to_be64(lo_mask)};
    __builtin_memcpy(k.addr, w, 16);
    k.len = len;
    const struct psl_class_val *v = bpf_map_lookup_elem(longer, &k);
    if (v) {
      res = v;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return res;
}

/* Whether 16-bit value `v` has its bit in a PSL_GROUP_VALUES bitmap. */
PSL_INLINE int psl_value_in(void *map, __u32 v) {
  __u32 i = (v >> 6) & (PSL_VALUE_WORDS - 1);
  const __u64 *w = bpf_map_lookup_elem(map, &i);

  return w && ((*w >> (v & 63)) & 1);
}

/* Whether the block of 16-bit value `v` in class `cls` has its bit in a
 * PSL_GROUP_CLASS_BLOCKS bitmap. */
PSL_INLINE int psl_class_block_in(void *map, __u32 cls, __u32 v) {
  __u32 bit = psl_class_block_bit(cls, v);
  __u32 i = (bit >> 6) & (PSL_CLASS_BLOCK_WORDS - 1);
  const __u64 *w = bpf_map_lookup_elem(map, &i);

  return w && ((*w >> (bit & 63)) & 1);
}

/*
 * Keeps the least encoded rule. `<=`, not `<`: taking an equal value
 * changes nothing, but with `<` the verifier learns that best is below its
 * old value, so after any hit it is never PSL_NO_MATCH; psl_decide()'s test
 * then becomes one the verifier decides alone, which makes it track best
 * exactly, and every combination of lookups hit and missed was verified
 * on its own (8k instructions for the 15 lookup groups of a 100-rule mixed
 * policy). With `<=` best may still be PSL_NO_MATCH as far as the verifier
 * knows, and those paths share one state. Same instruction count.
 */
PSL_INLINE void psl_best(__u32 *best, const __u32 *v) {
  if (v && *v && *v <= *best)
    *best = *v;
}

/* ip.src (src != 0) / ip.dst in literal address set `set_id`. */
PSL_INLINE int psl_set_has_ip(void *map, __u32 set_id, const struct psl_pkt *p,
                              int src) {
  struct psl_set_ip_key k;

  __builtin_memset(&k, 0, sizeof(k));
  k.prefixlen = 32 + 8 + 128;
  k.set_id = set_id;
  k.family = p->ip_version;
  __builtin_memcpy(k.addr, src ? p->ip_src : p->ip_dst, 16);
  return bpf_map_lookup_elem(map, &k) != 0;
}

/* A value of a field of at most 16 bits in literal set `set_id`. */
PSL_INLINE int psl_set_has(void *map, __u32 set_id, __u32 v) {
  __u32 k = PSL_SET_VAL_KEY(set_id, v);
  __u8 *f = bpf_map_lookup_elem(map, &k);

  return f && *f;
}

/* ip.src / ip.dst in a dynamic set of ip. */
PSL_INLINE int psl_dynset_has_ip(void *map, const struct psl_pkt *p, int src) {
  struct psl_ip_key k;

  psl_ip_key_from_pkt(&k, p, src);
  return psl_dynset_contains(map, &k);
}

/* A port, int, proto or mac (psl_mac_u64) in a dynamic set. */
PSL_INLINE int psl_dynset_has_int(void *map, __u64 v) {
  struct psl_int_key k = {.value = v};

  return psl_dynset_contains(map, &k);
}

/* An address as numbers, for the tests and decision trees the cost model
 * lowers to code (compiler/lower/cost_model.h): IPv4 (::ffff:a.b.c.d) as
 * its host-order 32 bits, IPv6 as two host-order 64-bit halves. The
 * addresses of struct psl_pkt are 8-byte aligned: one load each. */
PSL_INLINE __u32 psl_ip4_of(const __u8 *a) {
  return bpf_ntohl(*(const __u32 *)(a + 12));
}

PSL_INLINE __u64 psl_ip6_hi(const __u8 *a) {
  return bpf_be64_to_cpu(*(const __u64 *)a);
}

PSL_INLINE __u64 psl_ip6_lo(const __u8 *a) {
  return bpf_be64_to_cpu(*(const __u64 *)(a + 8));
}

/* Between two code rules: the packet's fields are read again from struct
 * psl_pkt instead of kept in registers. A register a rule's tests narrowed
 * (ip_version == 4 on one path, != 4 on the other) would otherwise make
 * each way through the earlier rules a state of its own for the verifier
 * at every later rule; reloaded, the paths meet in one state. */
#define PSL_RULE_BARRIER() asm volatile("" ::: "memory")

/* A decision tree's leaf: keeps the least encoded rule, as psl_best. */
PSL_INLINE void psl_best_of(__u32 *best, __u32 v) {
  if (v <= *best)
    *best = v;
}

/* Two addresses of the packet are equal (same family by construction). */
PSL_INLINE int psl_ip_eq(const __u8 *a, const __u8 *b) {
  const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

  return x[0] == y[0] && x[1] == y[1];
}

/* The verdict: the first terminal rule, else `default`; counts it, and
 * hands the packet to the observation when the loader turned it on
 * (pso_observe, bpf/runtime/pso_xdp.h; off, the verifier drops the call). */
PSL_INLINE int psl_decide(struct xdp_md *ctx, __u32 best,
                          const struct psl_pkt *p, int default_drop) {
  const __u32 rule = best == PSL_NO_MATCH ? 0 : best >> 1;
  const int drop = best == PSL_NO_MATCH ? default_drop : (int)(best & 1);

  psl_count(rule, p->pkt_len);
  if (pso_observe)
    pso_xdp_observe(ctx, p, drop, rule);
  return drop ? XDP_DROP : XDP_PASS;
}
#endif /* __bpf__ */

#endif /* PSL_CLASSIFY_H */
