// The lowering's cost model: for each part of a policy, straight-line
// compares, a small decision tree or map lookups, whichever a packet pays
// least for (docs/cost-model.md has the model, its constants and how they
// were measured).
//
// Placement (group.h) first works out each field-only terminal rule's
// shape (the lookup groups its alternatives would go to). Shapes fall into
// units, each of which is lowered one way:
//   - the class table of an address field together with the class-keyed
//     groups keyed by it (one unit: they share the class lookup);
//   - every other group shape on its own (an array of a port, a hash of
//     exact tuples, ...).
// A unit can be
//   - map:  its groups' lookups, as before (the only choice for large
//           units: code grows with the rules, maps do not);
//   - code: each of its rules as `if (tests) { decide }` in rule order,
//           with addresses compared inline (psl_ip4_of and friends);
//   - tree: a class table without class-keyed groups, as a binary search
//           over the disjoint address intervals of its rules (each
//           holding the first rule that matches there);
//   - tree + code: the address-only rules as a tree, the rules of its
//           class-keyed groups as code.
// A rule becomes code when every unit it has alternatives in sends it to
// code; a unit whose rule cannot follow (its other alternatives stay in a
// map) keeps its map for that rule.
//
// Estimated nanoseconds per packet, each part on its own: the lookups a
// unit's maps cost whether they hit or not, the tests of its rules in code
// when none matches (the miss pays all of them), the depth of a tree. The
// choice minimizes that, under two budgets that keep the program loadable
// and quick to build: the tests all code units may add (max_code_tests)
// and the intervals of a tree (max_tree_leaves).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace psl::lower {

// Nanoseconds on the project's reference host (AMD EPYC under KVM, kernel
// 6.18, SRSO mitigated with Safe RET: every call and return goes through a
// return thunk). docs/cost-model.md gives the measurements.
struct CostConstants {
  double call = 5.5;          // a helper or BPF-to-BPF call, with its return
  double array_lookup = 1.0;  // an array lookup the verifier inlines
  double hash_base = 9.0;     // a hash lookup: call, jhash, bucket walk
  double hash_per_byte = 0.2; // key bytes built and hashed
  double lpm_base = 16.0;     // an LPM trie lookup: call and the first node
  double lpm_per_level = 1.5; // the walk, per level (log2 of its entries)
  double split4 = 4.0; // IPv4 split: /16 slot, a probe of the longer ones
  // One compare and branch of straight-line code, and per code rule its
  // guard on the best candidate: fitted to mixed/100 as code, whose miss
  // runs about 450 tests of 90 rules in 49 ns above the parser (most
  // rules fail at their first test; the JIT's compares are predicted).
  double test = 0.1;
  double rule = 0.05;
  double tree_step = 0.2; // one level of a decision tree (two compares)
};

struct CostOptions {
  enum class Mode : uint8_t {
    Auto, // the cheapest lowering of each unit
    Maps, // every unit that fits maps as maps (the model off)
    Code, // every unit as code or tree where the budgets allow (tests)
  };
  Mode mode = Mode::Auto;
  // Tests that the units lowered to code may add to the program, in all:
  // the per-packet cost of a miss and the verifier's work grow with them.
  size_t max_code_tests = 1024;
  // Intervals of one decision tree (per family): its depth is about
  // log2 of them, its code and verification linear.
  size_t max_tree_leaves = 512;
  CostConstants ns;
};

// What a unit would cost a packet each way (negative: not possible), and
// what the model chose. Kept in the classifier for `psc build --verbose`
// and the comments of the generated C.
struct CostChoice {
  std::string unit; // "class table of ip.src + 3 class-keyed groups"
  size_t rules = 0;
  double map_ns = -1, code_ns = -1, tree_ns = -1;
  size_t code_tests = 0, tree_leaves = 0;
  enum class Lowering : uint8_t { Map, Code, Tree, TreeCode };
  Lowering choice = Lowering::Map;
  std::string why; // when not the cheapest: the budget that stopped it
};

const char *lowering_name(CostChoice::Lowering l);
// "class table of ip.src (12 rules): map 28.0 ns, code 9.1 ns (26 tests),
// tree 3.0 ns (9 intervals) -> tree"
std::string to_string(const CostChoice &c);

} // namespace psl::lower
