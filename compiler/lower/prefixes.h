// Address prefixes as the class tables store them, and the map from
// prefix to value that collects them while rules are placed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <utility>
#include <vector>

#include "lower/classifier.h"

namespace psl::lower {

// One stored prefix of an address (in its family's width).
struct AddrPrefix {
  uint8_t family = 4;
  Point base = 0;
  unsigned len = 0;
  Point last() const {
    unsigned host = (family == 6 ? 128 : 32) - len;
    return base | (host >= 128 ? ~Point(0) : (Point(1) << host) - 1);
  }
  bool covers(const AddrPrefix &o) const {
    return family == o.family && len <= o.len && o.base >= base &&
           o.base <= last();
  }
  // Family, then base, then shorter first: a prefix comes right before the
  // prefixes it covers, which follow it contiguously.
  bool operator<(const AddrPrefix &o) const {
    return std::tie(family, base, len) < std::tie(o.family, o.base, o.len);
  }
  bool operator==(const AddrPrefix &o) const {
    return family == o.family && base == o.base && len == o.len;
  }
};

// The prefixes an address atom's values split into.
std::vector<AddrPrefix> addr_prefixes(const FieldAtom &a);

// AddrPrefix -> uint32_t (0 until set) for the class tables, which take
// every prefix of every address-only rule: the pairs in one vector, found
// through an open-addressing table of their indexes. (A std::map spent
// most of the lowering of a 100k-prefix policy walking its tree, and a
// node-based hash map in reading its nodes back.)
class PrefixMap {
public:
  uint32_t &operator[](const AddrPrefix &p);
  // `p` with no value of its own (0) unless it has one.
  void add(const AddrPrefix &p) { (void)(*this)[p]; }
  size_t size() const { return items_.size(); }
  // The pairs in prefix order; the map is left empty.
  std::vector<std::pair<AddrPrefix, uint32_t>> take_sorted();

private:
  static size_t hash(const AddrPrefix &p);
  void grow();

  std::vector<std::pair<AddrPrefix, uint32_t>> items_;
  std::vector<uint32_t> slots_; // index in items_ + 1; 0: free
};

// struct psl_class_val as words: { best, class id, group mask low, high }.
using ClassValue = std::array<uint32_t, 4>;

} // namespace psl::lower
