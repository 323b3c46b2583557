// The keys of lookup groups: a conjunction enumerated into exact key data
// (and, for an LPM group, the prefixes of its prefix dimension), the
// least-priority fold over covering prefixes, and the value and (class,
// block) bitmaps in front of large class-keyed groups.
#pragma once

#include <cstdint>
#include <vector>

#include "lower/classifier.h"
#include "lower/conjunctions.h"
#include "lower/group_builder.h"
#include "lower/key_table.h"

namespace psl::lower {

// Every key of a conjunct after `data` (class-keyed groups: the class id):
// the exact dimensions enumerated, then (LPM) the prefixes of the prefix
// dimension, each keeping the least `enc` (a rate group: listing it).
void emit_keys(const LookupGroup &grp, GroupBuild &b, const Conj &cj,
               std::vector<uint8_t> &data, uint32_t enc);

// At each stored prefix of an LPM group, the least value over it and every
// stored prefix covering it, so the longest match answers for all of them.
void fold_covering(GroupBuild &b);

// The bitmap of the values the group's first 16-bit key part takes
// (LookupGroup::value_filter), if it has one: a map and its entries.
void add_value_filter(Classifier &c, LookupGroup &grp, const KeyTable &keys);

// The bitmap of the (class, block) pairs the keys of a class-keyed LPM
// group cover (LookupGroup::class_block_filter), if it has one: a map and
// its entries. Only for a group keyed by the class and one 16-bit prefix
// dimension whose every key holds the whole class.
void add_class_block_filter(Classifier &c, LookupGroup &grp,
                            const KeyTable &keys);

} // namespace psl::lower
