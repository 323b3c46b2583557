// The classifier IR: what the lowering makes of a checked policy, and what
// code generation and the loader consume.
//
// A policy becomes
//   - lookup groups: terminal rules (pass/drop, not shadow) whose condition,
//     in disjunctive normal form, is made of field tests only are merged,
//     conjunct by conjunct, into map lookups. Each map value is the
//     *encoded priority* of the first rule that matches a key:
//         enc = ((rule_index + 1) << 1) | (action == drop)
//     so the least value is the first-matching rule and 0 means "no rule"
//     (array slots start at 0). Per packet every group is looked up at most
//     once (a class-keyed group only when the packet's address class has
//     keys in it) and the least value wins: the number of lookups depends
//     on the policy's shapes, never on its number of rules;
//   - rate groups: terminal rules `A and rate(KEY) > R` with A one
//     conjunction of field tests, keyed like a hash or class-keyed group
//     but holding, per key, the list of every such rule whose A holds
//     there (bpf/templates/psl_rate_table.h): per packet the lists are
//     walked in rule order, each candidate taking a token from its bucket,
//     until one is over its rate or an earlier rule has decided;
//   - code rules: everything else (count and shadow rules, other uses of
//     rate(), dynamic sets, conditions too irregular for a map) in rule
//     order, each guarded by `rule_index < best map candidate`; the rate
//     candidates before a code rule run before it;
//   - map contents: computed here, written by the loader after load. Sets
//     and group contents never become code, so the program's size and its
//     per-packet cost do not grow with the number of addresses or prefixes.
//
// Key layouts (all multi-byte integers big-endian inside key data, so that
// LPM prefixes read the way addresses do):
//   Array group : key u32 = the field value (host order: BPF array index).
//   Hash group  : key = data[data_size]: the exact dimensions in order
//                 (single addresses included: family byte + 16 bytes).
//   Class table : one per address field (ip.src, ip.dst), holding every
//                 address-only rule and every prefix a class-keyed group
//                 starts from. An LPM trie with key { u32 prefixlen (host
//                 order); family byte (4/6); 16 address bytes (IPv4 as
//                 ::ffff:a.b.c.d, as in struct psl_pkt); 3 pad bytes },
//                 prefixlen = 8 + address prefix (IPv4 /n is 8 + 96 + n);
//                 full-length addresses may instead sit in a hash keyed by
//                 the 17 data bytes, looked up first (exact_map), or be the
//                 whole table (kind Hash). Value { u32 best; u32 class; u64
//                 groups }: best = the least priority of the address-only
//                 rules on the stored prefix or a stored prefix covering it
//                 (0: none), class = the stored prefix's id (>= 1), groups =
//                 bit g set when class-keyed group g has keys for the class.
//                 Stored prefixes are nested or disjoint, so the longest
//                 match (the class) tells exactly which stored prefixes hold
//                 the address: itself and those covering it.
//                 With enough IPv4 prefixes (GroupLimits::
//                 ipv4_split_min_prefixes), or a host list (mostly /32,
//                 few lengths above /16: ipv4_split_max_host_lengths,
//                 probed in straight-line code) the IPv4 ones leave the trie
//                 (which keeps IPv6, and its hash in front) for two maps:
//                 v4_slots, an array of 65536 indexed by the address's top
//                 16 bits (host order), value { struct psl_class_val v;
//                 u32 longer; u32 blocks }: v = the value of the longest
//                 stored prefix of length <= 16 covering that /16 (zero:
//                 none), bit L - 17 of longer set when a stored prefix of
//                 length L (17..32) lies in the /16, bit B of blocks when
//                 one of them overlaps its /21 block B (address bits
//                 15..11); only slots with v or longer prefixes are
//                 written. v4_longer, a hash keyed { u8 addr[4] (the
//                 address masked to L, big-endian); u32 L (host order) }
//                 holding those longer prefixes' values. A packet whose
//                 block bit is set probes the hash at its slot's lengths,
//                 longest first; the first hit is the longest match, else
//                 v.
//                 Likewise from GroupLimits::ipv6_split_min_prefixes IPv6
//                 prefixes on, those of /32 and longer leave the trie for
//                 v6_buckets, a hash keyed by the address's top 32 bits
//                 (4 bytes, network order), value struct psl_class6_bucket
//                 { struct psl_class_val v; u8 lens[16]; u8 nlens; u8 trie;
//                 u16 pad; u32 slots }: v = the value of the longest stored
//                 prefix of length <= 32 covering the /32 (zero: none),
//                 lens = the nlens lengths 33..128 with a stored prefix in
//                 the /32, ascending. v6_longer, a hash keyed { u8 addr[16]
//                 (the address masked to L); u32 L (host order) }, holds
//                 those prefixes and the markers of a binary search over
//                 the lengths: a prefix leaves one at each length its search
//                 goes longer from, and every entry holds the value of the
//                 longest stored prefix of at most its length covering it.
//                 A dense /32 (GroupLimits::ipv6_dense_min_prefixes longer
//                 prefixes, at most 4 per table) has slots = 1 + n instead:
//                 v6_slots, an array of 65536 * (dense /32s) of the same
//                 structure, at n * 65536 + the address's bits 32..47, is
//                 searched the same way for lengths 49..128 (v covers the
//                 /48: the prefixes /33../48 are expanded into the slots).
//                 v6_dir, an array of 65536 { struct psl_class6_bucket b;
//                 u32 top (the /32's 4 bytes); u32 kind } indexed by
//                 psl_class6_dir_index(/32), holds a copy of the bucket of
//                 the one /32 hashing there (kind 1) or sends to the hash
//                 when several do (kind 2; 0: none), so that a packet
//                 usually finds its bucket with an array lookup.
//                 Prefixes shorter than /32 stay in the trie (not expanded:
//                 a /16 would be 65536 buckets), and so do those of a bucket
//                 or slot with more than 16 lengths to search, with the
//                 prefixes of /32 and longer covering them (trie = 1): a
//                 packet whose /32 has no bucket, or such a bucket or slot,
//                 is looked up in the trie (v6_trie: only when it holds
//                 IPv6).
//   Class-keyed : data = class id (u32), the enumerated dimensions, then
//                 (LPM) the dimension matched by prefix: a value of a field
//                 (prefixlen counts its unused high bits) or an address as
//                 above. A rule on prefix P stores its keys under every
//                 class P covers, so one lookup with the packet's class sees
//                 it. Hash when no dimension is matched by prefix.
//   In every LPM the value at a stored prefix is the least priority over
//   itself and every stored covering prefix with the same leading part, so
//   the longest match yields the first-matching rule.
//   Rate group  : key as a hash or class-keyed hash group (no dimension
//                 matched by prefix); value struct psl_rate_list { u32 n;
//                 u32 slot[8] } in ascending slot (= rule) order. The
//                 array psl_rate_rules, indexed by slot, holds struct
//                 psl_rate_rule { bucket cfg; enc; rule; rate id; key kind;
//                 bits }.
//   Perfect hashes: each hash map above read with a plain key (a hash
//                 group, a class table's full-length addresses or its
//                 IPv4 prefixes /17 to /32), in a policy without rate
//                 groups, with at least
//                 GroupLimits::perfect_hash_min_entries keys is laid out
//                 by the compiler (perfect_hash.h, bpf/templates/
//                 psl_phash.h): MapSpec::perfect says so, and the map is
//                 then an array of slots { key words; pilot; full; the
//                 value above }, keyed by slot index. The group still
//                 looks up the key described here.
//   Exact dimension encodings: ip = family byte + 16 bytes; mac = 6 bytes;
//   bool, 8-bit fields = 1 byte; 12/16-bit = 2 bytes; 32-bit = 4 bytes.
//   Set maps (literal sets used by code rules; one map of each kind for all
//   sets, since a program may use at most 64 maps): psl_sets_ip, an LPM
//   trie with key { u32 prefixlen; u32 set_id (host order); u8 family;
//   u8 addr[16]; u8 pad[3] } (prefixlen 32 + 8 + address prefix), and
//   psl_sets_val, a hash with key u32 (set_id << 16) | value for fields of
//   at most 16 bits; value u8 1 in both.
//
// Counter ids (psl_counters.h): rule i counts at i + 1; `default` at 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/interval_set.h"
#include "ast/ast.h"
#include "lower/cost_model.h"
#include "lower/entry_store.h"

namespace psl::lower {

using analysis::Interval;
using analysis::IntervalSet;
using analysis::Point;

// guard(field) ∧ [family] ∧ value ∈ values. For ip fields, family is 4 or 6
// and values are in that family's domain (32 or 128 bits); 0 otherwise.
struct FieldAtom {
  FieldId field = FieldId::EthType;
  uint8_t family = 0;
  IntervalSet values;
};

// A condition in negation normal form: `not` has been pushed to the atoms,
// each of which keeps its guard (language.md "Protocol guards and not").
// Operand order is source order, so && / || keep the left-to-right
// short-circuit that rate() relies on.
struct Cond {
  enum class Kind : uint8_t {
    True,
    False,
    And,
    Or,
    Field,
    FieldCmp,
    DynSet,
    Rate
  };
  Kind kind = Kind::True;
  std::vector<Cond> children;      // And, Or
  FieldAtom atom;                  // Field
  std::optional<uint32_t> set_map; // Field: reads this set map (into maps)
  uint32_t set_id = 0; // Field with set_map: the set's id in that map
  // FieldCmp: field OP field (same type); DynSet: field (not) in set.
  FieldId lhs = FieldId::EthType, rhs = FieldId::EthType;
  CompareOp op = CompareOp::Eq;
  bool negated = false; // DynSet, Rate: the test is inverted
  uint32_t dynset = 0;  // DynSet: index into Classifier::dynsets
  uint32_t rate = 0;    // Rate: index into Classifier::rates
  SourceRange range;

  bool has_side_effects() const; // contains a Rate
  bool is_opaque() const;        // contains a Rate, DynSet or FieldCmp
};

enum class MapKind : uint8_t { Array, Hash, Lpm };

// A hash map the compiler laid out as a perfect hash in an array
// (perfect_hash.h, bpf/templates/psl_phash.h): the map's kind is then
// Array, its key the u32 slot index and its value a slot; what the group
// looks up is still a key of key_bytes bytes for a value of value_bytes.
struct PerfectHash {
  uint32_t key_bytes = 0;   // the key as built (zero padded to key_words)
  uint32_t key_words = 0;   // 32-bit words hashed and compared
  uint32_t value_bytes = 0; // the value as looked up
  uint64_t seed = 0;
  uint32_t buckets = 0, slots = 0;
  uint32_t keys = 0;
};

struct MapSpec {
  std::string name; // ELF / kernel name (at most 15 characters)
  MapKind kind = MapKind::Hash;
  uint32_t key_size = 0;   // bytes, as the kernel sees it
  uint32_t value_size = 0; // bytes
  uint32_t max_entries = 0;
  std::string purpose;                // for comments: "group 0: lpm on ip.src"
  std::optional<PerfectHash> perfect; // a laid-out hash (kind Array)
};

// One dimension of a group key, at `offset` in the key data.
struct KeyPart {
  FieldId field;
  uint32_t offset = 0;
  uint32_t size = 0; // bytes
};

struct LookupGroup {
  uint32_t map = 0; // index into maps
  MapKind kind = MapKind::Hash;
  std::vector<KeyPart> exact;    // in key order
  std::optional<KeyPart> prefix; // LPM: the dimension matched by prefix (last)
  uint32_t data_size = 0;        // key data bytes (LPM: without prefixlen)
  // The class table of address `prefix`: value struct psl_class_val
  // { best, class id, mask of the class-keyed groups with keys for it }.
  // kind Lpm (every stored prefix, or the shorter ones when exact_map is
  // set) or Hash (only full-length addresses: key = family + 16 bytes).
  bool classes = false;
  // Class table: the hash of full-length addresses, looked up first.
  std::optional<uint32_t> exact_map;
  // Class table split by family: the IPv4 prefixes' /16 array and hash of
  // prefixes /17../32 (maps; none: IPv4 is in the trie like IPv6).
  std::optional<uint32_t> v4_slots, v4_longer;
  // Split: bit L - 17 set when some stored IPv4 prefix has length L
  // (17..32). Few lengths: codegen probes them in straight-line code.
  uint32_t v4_lengths = 0;
  // The same for IPv6 prefixes of /32 and longer: the directory of buckets,
  // the buckets by /32, slots by /48 of the dense /32s, hash of prefixes
  // /33../128 and markers (maps; none: IPv6 is in the trie). v6_trie: the
  // trie holds IPv6 prefixes, so a /32 the buckets do not answer asks it.
  std::optional<uint32_t> v6_dir, v6_buckets, v6_slots, v6_longer;
  bool v6_trie = false;

  // Class-keyed: the class trie (group index) whose class id leads the key
  // (4 bytes, big-endian; the lookup is skipped without a class).
  std::optional<uint32_t> class_group;
  // A rate group (psl_rate_table.h): keys map to the list of every
  // table-driven rate rule whose condition holds for them (value struct
  // psl_rate_list of rate slots), not to the first rule; its index among
  // the rate groups (0..PSL_RATE_GROUPS_MAX-1); none: a lookup group.
  std::optional<uint32_t> rate_group;
  // A large class-keyed hash group: the map (an array of 1024 u64, 65536
  // bits, psl_classify.h PSL_GROUP_VALUES) of the values its 16-bit key
  // part exact[value_filter_part] takes; a packet whose value has no bit
  // skips the lookup.
  std::optional<uint32_t> value_filter;
  uint32_t value_filter_part = 0;
  // A large class-keyed LPM group whose prefix dimension is a 16-bit field
  // (a port range after a class): the map (an array of
  // PSL_CLASS_BLOCK_WORDS u64, psl_classify.h PSL_GROUP_CLASS_BLOCKS) of
  // the (class, block of 64 values) pairs its keys cover; a packet whose
  // pair has no bit skips the trie walk.
  std::optional<uint32_t> class_block_filter;
  std::vector<uint32_t> rules; // rule indices with entries here, ascending
  size_t entries = 0;
  std::string shape; // "lpm ip.src", "hash tcp.dport, ip.proto"
};

struct RateSpec {
  uint32_t id = 0;           // bucket namespace (psl_rate_key.rule_id)
  uint32_t rule = 0;         // rule index it appears in
  std::vector<FieldId> keys; // packed into psl_rate_key.data in order
  bool bits = false;         // a bit rate: cost pkt.len * 8
  uint64_t per_second = 0;
  uint64_t burst = 0; // tokens (packets or bits)
  uint32_t shift = 0; // psl_rate_cfg_make()
  std::string text;   // "rate(ip.src) > 100/s"
};

// A rate rule held in a rate group rather than code: its slot (index in
// Classifier::rate_slots) is its entry in the psl_rate_rules map.
struct RateSlot {
  uint32_t rule = 0;
  uint32_t rate = 0;  // index into Classifier::rates
  uint32_t kind = 0;  // index into Classifier::rate_kinds: how to pack its key
  bool moved = false; // sent back to code after placing (see group.h)
};

struct DynSetSpec {
  std::string name; // the set's name = its map's name
  TypeKind elem = TypeKind::Ip;
  uint32_t capacity = 0;
  uint64_t ttl_ns = 0; // 0: entries do not expire
};

struct RuleInfo {
  uint32_t index = 0;
  std::string name;
  Action action = Action::Pass;
  bool shadow = false;
  bool terminal = true;
  uint32_t counter_id = 0;      // index + 1
  bool in_code = false;         // evaluated by generated code
  std::vector<uint32_t> groups; // lookup groups holding its conjuncts
  std::vector<uint32_t> trees;  // decision trees holding its conjuncts
  std::string why_code;         // when in_code: why it could not be a map entry
  SourceRange range;
  std::string condition; // in_code: the condition's source text (comments)
};

// A decision tree over one address field (cost_model.h): the address-only
// rules of a class table the cost model lowered to a binary search. Each
// leaf is a maximal interval of addresses of one family on which the same
// rule is the first to match (enc, as in a map value); the leaves are
// sorted, IPv4 first, and disjoint; addresses outside them match none.
struct TreeLeaf {
  uint8_t family = 4;
  Point lo = 0, hi = 0;
  uint32_t enc = 0;
};

struct AddrTree {
  FieldId field = FieldId::IpSrc;
  std::vector<TreeLeaf> leaves;
  std::vector<uint32_t> rules; // ascending
};

struct CodeRule {
  uint32_t rule = 0;
  Cond cond;
  size_t cost = 0; // atoms, the unit of the code budget
};

struct Classifier {
  std::string policy;
  std::vector<RuleInfo> rules;
  Action default_action = Action::Pass;
  std::vector<MapSpec> maps;
  std::vector<LookupGroup> groups;
  std::vector<AddrTree> trees; // looked up before the groups
  std::vector<CodeRule> code;  // in rule order
  std::vector<RateSpec> rates;
  std::vector<DynSetSpec> dynsets;
  MapEntries entries;
  uint32_t rate_capacity = 65536;
  // Table-driven rate rules: slots in rule order, the distinct KEY lists
  // among them, the number of rate groups and the psl_rate_rules map.
  std::vector<RateSlot> rate_slots;
  std::vector<std::vector<FieldId>> rate_kinds;
  uint32_t rate_groups = 0;
  std::optional<uint32_t> rate_rules_map;
  // The cost model's estimates and choice for each unit of the policy
  // (cost_model.h), in the order placement met them.
  std::vector<CostChoice> costs;

  static uint32_t encode(uint32_t rule, Action a) {
    return ((rule + 1) << 1) | (a == Action::Drop ? 1u : 0u);
  }
};

// Readable dump for tests and --emit-ir: the cost model's choices, trees,
// groups, code rules, map sizes.
std::string to_string(const Classifier &c);

} // namespace psl::lower
