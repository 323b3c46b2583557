// The lookup groups under construction: which group a conjunction of a
// given shape goes to (one per shape), the keys each collects while rules
// are placed, and finish(), which turns them into map entries in the
// right order (class ids first, then the groups keyed by them, then the
// class tables).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

#include "lower/classifier.h"
#include "lower/conjunctions.h"
#include "lower/group.h"
#include "lower/key_table.h"
#include "lower/prefixes.h"

namespace psl::lower {

// The shape of a group: what placement chose for a conjunction.
struct GroupKey {
  MapKind kind = MapKind::Hash;
  std::vector<FieldId> exact;         // enumerated dimensions, in key order
  std::optional<FieldId> prefix;      // the dimension matched by prefix
  std::optional<FieldId> class_field; // class-keyed: the address whose
                                      // class leads the key
  bool classes = false;               // the class table of address `prefix`
  bool rate = false;                  // a rate group: values list rate slots
  bool operator<(const GroupKey &o) const {
    return std::tie(kind, exact, prefix, class_field, classes, rate) <
           std::tie(o.kind, o.exact, o.prefix, o.class_field, o.classes,
                    o.rate);
  }
};

// The class table of address field f.
GroupKey class_table_key(FieldId f);

// A conjunct waiting for the class ids: it applies to every class its
// address prefix covers.
struct ClassItem {
  AddrPrefix prefix;
  uint32_t enc = 0;  // a rate group: the rule's rate slot
  uint32_t conj = 0; // index into GroupBuilder::class_conj()
};

// What one group collects before finish().
struct GroupBuild {
  KeyTable hash; // key -> least enc (a key of the map's key size)
  // A rate group: key -> 1 + the index in `lists` of the rate slots of
  // every rule holding there, in rule order.
  KeyTable list_of;
  std::vector<std::vector<uint32_t>> lists;
  std::vector<uint32_t> array;
  // Class table: every stored prefix -> least enc of the address-only rules
  // on it (0: none; the prefix is only a class of class-keyed groups). A
  // hash while rules are placed (one lookup per prefix of every rule);
  // finish() sorts it into classes and class_encs.
  PrefixMap prefixes;
  std::vector<AddrPrefix> classes;  // sorted; class id = index + 1
  std::vector<uint32_t> class_encs; // per class: its value in `prefixes`
  std::vector<uint64_t> masks;  // per class: class-keyed groups (bit = group)
  std::vector<ClassItem> items; // class-keyed groups
};

class GroupBuilder {
public:
  GroupBuilder(Classifier &c, const GroupLimits &l) : c_(c), l_(l) {}

  Classifier &classifier() { return c_; }
  const GroupLimits &limits() const { return l_; }

  // Whether a group of this shape exists already.
  bool has_group(const GroupKey &key) const { return index_.count(key) > 0; }
  // Map keys placed so far, against GroupLimits::max_group_entries.
  size_t total_keys() const { return total_keys_; }
  void add_keys(size_t n) { total_keys_ += n; }

  // Adds the keys of conjunct cj of rule `rule` to the group of shape
  // `key` (made on first use). `enc`: the rule's encoded priority; in a
  // rate group its rate slot.
  void emit(uint32_t rule, const GroupKey &key, const Conj &cj, uint32_t enc);

  // Writes the entries of every group: first the class ids (the sorted
  // prefixes of each class table), then the groups keyed by them (which
  // mark the classes they have keys for), then the class tables.
  void finish();

private:
  uint32_t group_for(const GroupKey &key);
  void note_rule(uint32_t rule, uint32_t g);

  Classifier &c_;
  const GroupLimits &l_;
  std::map<GroupKey, uint32_t> index_;
  size_t total_keys_ = 0;
  std::vector<GroupBuild> builds_;
  std::vector<Conj> class_conjs_;
};

} // namespace psl::lower
