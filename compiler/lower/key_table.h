// The keys a lookup group collects while rules are placed: every key of a
// group has the group's key size, so they sit side by side in one array,
// their values in another, and an open-addressing table of positions
// finds them. (A std::unordered_map<std::string, uint32_t> made two
// allocations per key, a node and the string, and copied each key again to
// sort it: at 100k rules most of the lowering's time and memory.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "lower/entry_store.h"

namespace psl::lower {

class KeyTable {
public:
  explicit KeyTable(uint32_t key_size = 0) : key_size_(key_size) {}

  // Every key's size in bytes; set before the first key.
  void set_key_size(uint32_t n) { key_size_ = n; }
  uint32_t key_size() const { return key_size_; }

  // The value of `key`, 0 when the key is new. A key of another size is a
  // bug of the caller: std::logic_error.
  uint32_t &operator[](ByteView key);

  size_t size() const { return values_.size(); }
  bool empty() const { return values_.empty(); }
  // The key and value at position i (0..size()-1, in order of insertion).
  const uint8_t *key(size_t i) const { return keys_.data() + i * key_size_; }
  uint32_t value(size_t i) const { return values_[i]; }
  uint32_t &value(size_t i) { return values_[i]; }

  // Positions ordered by their keys' bytes, as memcmp orders them (which
  // is how std::string ordered the same bytes).
  std::vector<uint32_t> sorted() const;

  // Frees everything; the key size stays.
  void clear();

private:
  uint32_t hash(const uint8_t *key) const;
  void grow();

  uint32_t key_size_;
  std::vector<uint8_t> keys_;
  std::vector<uint32_t> values_;
  // A used slot: the key's hash in the high half (compared before the
  // bytes; kept for growing), its position + 1 in the low half. 0: free.
  std::vector<uint64_t> slots_;
};

} // namespace psl::lower
