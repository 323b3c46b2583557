// The keys of lookup groups: a conjunction enumerated into exact key data
// (and, for an LPM group, the prefixes of its prefix dimension), the
// least-priority fold over covering prefixes, and the value and (class,
// block) bitmaps in front of large class-keyed groups.
#pragma once

#include <cstdint>
#include <utility>
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

// The same in two steps, for the class-keyed groups: bind() finds a
// conjunct's atoms and prefixes once, emit() writes its keys under each
// class its address covers. One ConjKeys serves a whole group (its
// buffers are reused). Holds references to `grp` and the bound conjunct.
class ConjKeys {
public:
  explicit ConjKeys(const LookupGroup &grp) : grp_(grp) {}
  void bind(const Conj &cj);
  void emit(GroupBuild &b, std::vector<uint8_t> &data, uint32_t enc);

private:
  const LookupGroup &grp_;
  std::vector<const FieldAtom *> exact_;
  const FieldAtom *pfx_ = nullptr;
  std::vector<std::pair<Point, unsigned>> prefixes_; // of pfx_'s values
  std::vector<uint8_t> k_; // an LPM key: prefix length, data, prefix value
};

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
