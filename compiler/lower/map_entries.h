// Writing the classifier's map contents: entries whose value is a list of
// 32-bit words, big-endian key parts, and the least-priority rule.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "lower/classifier.h"

namespace psl::lower {

// Appends an entry of `map` with the value words copied straight in (no
// vector of them first: the class tables write hundreds of thousands of
// entries).
void add_entry(Classifier &c, uint32_t map, ByteView key, const uint32_t *words,
               size_t n);
inline void add_entry(Classifier &c, uint32_t map, ByteView key,
                      std::initializer_list<uint32_t> words) {
  add_entry(c, map, key, words.begin(), words.size());
}
inline void add_entry(Classifier &c, uint32_t map, ByteView key,
                      const std::vector<uint32_t> &words) {
  add_entry(c, map, key, words.data(), words.size());
}
template <size_t N>
void add_entry(Classifier &c, uint32_t map, ByteView key,
               const std::array<uint32_t, N> &words) {
  add_entry(c, map, key, words.data(), N);
}

// A u32 key in host order (array indexes, prefix lengths).
std::vector<uint8_t> host_u32_key(uint32_t v);

// Appends v big-endian.
void put_be32(std::vector<uint8_t> &out, uint32_t v);

// slot = the least of slot and v, where 0 means "no rule yet".
inline void keep_min(uint32_t &slot, uint32_t v) {
  if (slot == 0 || v < slot)
    slot = v;
}

} // namespace psl::lower
