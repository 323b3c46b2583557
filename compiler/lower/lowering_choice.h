// The cost model's estimates and choice (cost_model.h): what a unit of a
// policy costs a packet as maps, as code or as a tree, and which of those
// each unit gets within the budgets.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "lower/conjunctions.h"
#include "lower/cost_model.h"
#include "lower/group_builder.h"

namespace psl::lower {

// One lookup of a group of shape `key` with about `entries` keys; a class
// table with `v4_prefixes` IPv4 prefixes splits from `split4_min` on.
double lookup_ns(const CostConstants &k, const GroupKey &key, size_t entries,
                 size_t v4_prefixes, size_t split4_min);

// One alternative of a rule as straight-line code: compare-and-branch
// tests, and the lookups of tests too wide to compare inline.
struct ConjCost {
  size_t tests = 0;
  double lookups_ns = 0;
};
ConjCost conj_code_cost(const CostConstants &k, const Conj &cj);

// A binary search over `leaves` disjoint intervals.
double tree_ns(const CostConstants &k, size_t leaves);

// One unit as placement sees it (cost_model.h), filled in before the
// choice; `choice` holds the estimates and the lowering after it.
struct CostUnit {
  CostChoice choice; // unit, rules and map_ns set by the caller
  bool code_ok = false;
  double code_ns = 0; // every rule of the unit as code
  size_t code_tests = 0;
  bool tree_ok = false; // a class table: its address-only rules as a tree
  double tree_ns = 0;
  size_t tree_leaves = 0;
  // With a tree: its class-keyed rules as code (0 tests: none).
  double treecode_ns = 0;
  size_t treecode_tests = 0;
};

// Sets each unit's choice: the cheapest of its alternatives in the order
// of what they save, while the code tests stay within the budget.
void choose_lowerings(std::vector<CostUnit> &units, const CostOptions &o);

} // namespace psl::lower
