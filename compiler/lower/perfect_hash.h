// Laying out a hash map as a perfect hash in an array: the last lowering
// pass (bpf/templates/psl_phash.h has the lookup and the slot layout).
//
// Every key of a group's hash map is known when the policy is built. A
// kernel hash map costs each lookup a helper call, 5-6 ns on a host that
// mitigates SRSO with "Safe RET", plus its hashing and compares, about 20
// ns in all; two array lookups the verifier inlines cost a few. The
// layout is hash and displace (as in PTHash): keys fall into buckets by
// their hash, the buckets are placed largest first, each with the first
// pilot (0, 1, 2, ...) that sends all its keys to free slots, and the
// pilot is stored in the slot of the bucket's index. A lookup reads the
// bucket's slot, then the key's, and compares the key's words.
//
// A map whose keys cannot be placed within the tries stays a kernel hash;
// the policy is the same either way. Every map of the benchmark policies,
// up to 100k rules, placed at the first seed (docs/performance.md,
// "Perfect hashes").
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "lower/classifier.h"

namespace psl::lower {

struct PerfectHashLayout {
  PerfectHash spec;
  uint32_t slot_size = 0;     // bytes: PSL_PHASH_SLOT_SIZE
  std::vector<uint8_t> bytes; // spec.slots * slot_size
  std::vector<uint32_t> used; // slots holding a key or a pilot, ascending
  uint32_t attempts = 0;      // seeds tried (1: the first placed them all)
};

// The layout of `entries` (distinct keys of key_bytes bytes, values of
// value_bytes). nullopt: a key too long (over PSL_PHASH_MAX_KW words), a
// key given twice, or no layout within the tries.
std::optional<PerfectHashLayout>
lay_out_perfect_hash(const std::vector<MapEntryView> &entries,
                     uint32_t key_bytes, uint32_t value_bytes);

// The value of `key` in a layout, as the program looks it up (tests).
std::optional<ByteView> find_in_layout(const PerfectHashLayout &l,
                                       ByteView key);

// The pass: every hash map a lookup group reads with a plain key (a hash
// group, a class table's hash of full-length addresses, its IPv4 prefixes
// /17 to /32) with at least `min_entries` keys becomes an array of slots;
// its entries in c.entries are replaced by the slots. Not in a policy with
// rate groups, whose stack frame leaves no room for the lookups' spills.
void use_perfect_hashes(Classifier &c, size_t min_entries);

} // namespace psl::lower
