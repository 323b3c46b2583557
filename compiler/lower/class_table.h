// The class tables: one per address field, every prefix an address-only
// rule or a class-keyed group starts from (classifier.h "Class table").
#pragma once

#include <cstddef>
#include <vector>

#include "lower/classifier.h"
#include "lower/conjunctions.h"
#include "lower/group.h"
#include "lower/group_builder.h"

namespace psl::lower {

// The class table: every stored prefix gets a class id (its rank), the
// least priority of the address-only rules on it or on a covering prefix
// (so its longest match answers both questions) and the mask of the
// class-keyed groups with keys for it (the others are not looked up).
// Full-length addresses go to a hash looked up first when they are the
// majority: a hit is the longest match and skips the trie walk, a miss
// costs one hash lookup. With no shorter prefix there is no trie at all.
// Enough IPv4 prefixes leave the trie for the /16 slots and the hash of
// longer prefixes (Ipv4Split), enough IPv6 ones of /32 and longer for the
// /32 buckets and the hash of longer prefixes (Ipv6Split), and the rest
// is decided on what stays in the trie.
void finish_class_table(Classifier &c, const GroupLimits &l, LookupGroup &grp,
                        GroupBuild &b);

// A class-keyed conjunct on prefix P holds for every class P covers:
// those are P itself and the prefixes right after it in the sorted trie.
// Writes the keys of group g's waiting items (b.items, whose conjuncts are
// conjs[item.conj]) under those class ids, and marks the classes in the
// class table's masks.
void expand_class_items(Classifier &c, size_t g, GroupBuild &b,
                        GroupBuild &table, const std::vector<Conj> &conjs);

} // namespace psl::lower
