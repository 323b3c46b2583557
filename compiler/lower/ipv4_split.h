// The IPv4 part of a split class table (classifier.h): a /16 array and a
// hash of the prefixes /17 to /32.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "lower/classifier.h"
#include "lower/prefixes.h"

namespace psl::lower {

inline constexpr uint32_t kIpv4Slots = 65536;

// The IPv4 part of a split class table (classifier.h), built in class
// order: a prefix comes before the prefixes it covers, so a slot's last
// write of a prefix of length <= 16 is the longest one covering it.
struct Ipv4Split {
  using Value = ClassValue;
  struct Slot {
    Value v{};
    uint32_t longer = 0; // bit L - 17: a prefix of length L in the /16
    uint32_t blocks =
        0; // bit B: one overlaps the /21 block B (PSL_CLASS4_BLOCK)
  };
  std::vector<Slot> slots = std::vector<Slot>(kIpv4Slots);
  std::vector<std::pair<AddrPrefix, Value>> longer; // lengths 17..32

  // Stores prefix p (in class order) with its class value.
  void add(const AddrPrefix &p, const Value &v);
};

// Adds the split's two maps (named after the trie's: _v4a, _v4h) and
// their entries to c: the slots with a value or longer prefixes (the
// array starts zeroed), and the longer prefixes.
void write_ipv4_split(Classifier &c, LookupGroup &grp, const Ipv4Split &split);

} // namespace psl::lower
