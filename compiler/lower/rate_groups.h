// Rate groups (classifier.h "Rate group", psl_rate_table.h): terminal
// rules `A and rate(KEY) > R` whose A is one conjunction of field tests,
// listed per key in rule order, and the psl_rate_rules map of their
// buckets and verdicts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "lower/classifier.h"
#include "lower/conjunctions.h"
#include "lower/group_builder.h"

namespace psl::lower {

// `cj and rate(...)` of terminal rule `rule`: into a rate group of cj's
// shape (hash, or class-keyed hash with every other dimension
// enumerated). Returns "" or why the rule stays code.
std::string place_rate(GroupBuilder &builder, uint32_t rule, const Conj &cj,
                       uint32_t rate);

// Group g's lists as entries. A key may list at most PSL_RATE_LIST_MAX
// rules: the later rules of a longer list go back to code, out of every
// list of the group (a rule has its one conjunct in one group only).
void finish_rate_group(Classifier &c, size_t g, GroupBuild &b);

// psl_rate_rules: each placed rate rule's bucket and verdict at its slot.
void finish_rate_rules(Classifier &c);

} // namespace psl::lower
