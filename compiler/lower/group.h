// Lowering pass 2: places each rule. A terminal rule (pass/drop, not
// shadow) whose NNF condition has only field tests is expanded to DNF and
// each conjunct becomes entries of a lookup group chosen by its shape:
//   - one dimension of at most 16 bits (ports, protocol, ICMP type, TTL,
//     flags, vlan.id, eth.type)         -> an array indexed by the value;
//   - an address alone (prefixes, ranges, single addresses) -> the
//     address's class table (one per address field, shared by all such
//     rules: an LPM trie, and a hash of full-length addresses in front of
//     it when those are the majority, or alone when there is nothing else;
//     from GroupLimits::ipv4_split_min_prefixes IPv4 prefixes on, those
//     go to a /16 array and a hash of the longer prefixes instead, and
//     from GroupLimits::ipv6_split_min_prefixes IPv6 prefixes on, those of
//     /32 and longer to a hash of /32 buckets and a hash of the longer
//     prefixes);
//   - an address and more dimensions    -> a class-keyed group: the class
//     table gives the address's class id (its longest stored prefix) and
//     the groups that have keys for it, then one lookup of (class id, the
//     other dimensions) in each of those. The other values are enumerated,
//     except the widest one (a port range, a second address prefix), which
//     is matched by prefix (LPM), so no dimension multiplies an address's
//     prefixes;
//   - otherwise (exact tuples)          -> a hash of exact tuples.
// A terminal rule `A and rate(KEY) > R` whose A is one conjunction of field
// tests goes to a rate group of A's shape (hash, or class-keyed hash with
// every other dimension enumerated) whose keys list all such rules in rule
// order (psl_rate_table.h). A key listing more than PSL_RATE_LIST_MAX rules
// sends the later ones back to code, as do more than PSL_RATE_GROUPS_MAX
// shapes or kMaxRateKinds distinct KEY lists.
// Everything else goes to code, with the reason recorded in RuleInfo.
// Group contents (least encoded priority per key, covering prefixes and
// covering classes folded in) are written to Classifier::entries.
//
// The pass, in pieces: placement.cc (place_rules: each rule's shape),
// conjunctions.h (a condition's alternatives), group_builder.h (one group
// per shape, finish() in order), key_table.h (a group's keys),
// key_emission.h (enumerated and prefix keys), class_table.h with
// ipv4_split.h and ipv6_split.h (the class tables), rate_groups.h,
// prefixes.h, and map_entries.h with entry_store.h (the map contents).
#pragma once

#include <optional>
#include <vector>

#include "lower/classifier.h"

namespace psl::lower {

// Distinct rate() KEY lists the rate groups' rules may use: each is a
// case of the generated psl_rate_key_of().
inline constexpr size_t kMaxRateKinds = 16;

struct GroupLimits {
  bool rate_groups = true;   // false: every rate() rule is code (tests)
  size_t max_conjuncts = 64; // DNF alternatives per rule
  size_t max_entries_per_conjunct = 65536;    // map keys one rule may add
  size_t max_group_entries = size_t{1} << 22; // map keys of all groups
  // After an address's class, the dimension matched by prefix in an LPM
  // trie is the one with the most values, unless it has at most this many
  // (a port set like {53, 123}, a range of a few ports): then it is
  // enumerated into a hash key like the others. A hash lookup costs a
  // packet less than a trie walk, which deepens with the trie (the
  // 100k-rule `mixed` policy, docs/performance.md).
  size_t class_hash_max_values = 16;
  // A class-keyed hash group with at least this many keys and a 16-bit key
  // part (a port) gets a bitmap of the values that part takes (8 KiB): a
  // packet whose port has no key there skips the hash lookup for the cost
  // of an array lookup the verifier inlines. The wide prefixes of a large
  // policy have keys in most groups, so a miss otherwise pays one hash
  // lookup per group. 0: every such group (tests).
  size_t value_filter_min_entries = 1024;
  // A class table with at least this many IPv4 prefixes keeps them in a
  // /16 array and a hash of the longer prefixes instead of its LPM trie
  // (classifier.h): per packet an array lookup and a hash probe per longer
  // length the /16 holds, against a trie walk that deepens with the
  // prefixes. The split costs a policy a fixed 8 to 10 ms from text to
  // loaded program (Clang on the probe loop, the 1.5 MiB array): a fifth
  // of a 100-rule policy's, noise at 1000 rules and more, where the trie
  // costs 2 to 3 times the split per packet (docs/performance.md). 0
  // splits any table with an IPv4 prefix (tests).
  size_t ipv4_split_min_prefixes = 128;
  // Below that, a table of mostly single IPv4 addresses (at least half of
  // its IPv4 prefixes are /32) whose longer prefixes have at most this many
  // lengths splits too: its probes are straight-line code, which costs
  // Clang next to nothing, and a host list is what a hash lookup of the
  // 32-bit address (xdp-filter's) is measured against.
  size_t ipv4_split_max_host_lengths = 3;
  // The same for IPv6: from this many IPv6 prefixes on, those of 32 bits
  // and more leave the trie for buckets by /32 (a hash, and a directory
  // array of 3 MiB in front) and a hash of the longer prefixes and search
  // markers (classifier.h); shorter ones, and those of a bucket or slot
  // with more than PSL_CLASS6_LENS lengths, stay in the trie. Same
  // threshold as IPv4, but a table whose IPv6 prefixes are at least half
  // /128 hosts keeps them in its host hash (one lookup) unless the
  // threshold is 0. The 100k-rule `prefix` policy's IPv6 hit went from
  // 1.9x to 1.2x the 1-rule policy's time (docs/performance.md). 0 splits
  // any table with an IPv6 prefix of /32 or longer (tests).
  size_t ipv6_split_min_prefixes = 128;
  // A /32 of a split IPv6 part with at least this many prefixes longer
  // than /32 (at most 4 such /32s per table, the densest) gets 65536 slots
  // by its next 16 bits, like IPv4 at /16: per packet an array lookup and
  // a search over the lengths beyond /48 instead of over all of the /32's.
  // Each costs 2.5 MiB of array (docs/performance.md).
  size_t ipv6_dense_min_prefixes = 256;
  // A hash map a group reads with a plain key (a hash group, a class
  // table's full-length addresses or IPv4 prefixes /17 to /32) with at
  // least this many keys, in a policy without rate groups, is laid out as a
  // perfect hash in an array (perfect_hash.h): per lookup two array reads the
  // verifier inlines instead of a helper call and the kernel's hashing. 0 or 1:
  // every such map; SIZE_MAX: none.
  size_t perfect_hash_min_entries = 1;
};

// conds[i] is rule i's condition (nullopt: could not be normalized: code).
// The cost model (cost_model.h) chooses how each unit of the policy's
// field-only rules is lowered: maps as above, code, or a decision tree.
void place_rules(const std::vector<std::optional<Cond>> &conds, Classifier &c,
                 const GroupLimits &limits = {}, const CostOptions &cost = {});

} // namespace psl::lower
