#include "lower/key_table.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace psl::lower {

uint32_t &KeyTable::operator[](ByteView bytes) {
  if (bytes.size() != key_size_)
    throw std::logic_error(
        "internal error: a key of " + std::to_string(bytes.size()) +
        " bytes for a table of " + std::to_string(key_size_) + "-byte keys");
  const uint8_t *key = bytes.data();
  if (2 * (values_.size() + 1) > slots_.size())
    grow();
  const uint32_t h = hash(key);
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const uint64_t s = slots_[i];
    if (s == 0) {
      keys_.insert(keys_.end(), key, key + key_size_);
      values_.push_back(0);
      slots_[i] = uint64_t{h} << 32 | values_.size();
      return values_.back();
    }
    const size_t pos = static_cast<uint32_t>(s) - 1;
    if (static_cast<uint32_t>(s >> 32) == h &&
        std::memcmp(this->key(pos), key, key_size_) == 0)
      return values_[pos];
  }
}

std::vector<uint32_t> KeyTable::sorted() const {
  // Each key's first eight bytes as a big-endian integer (zero-padded),
  // which orders as memcmp orders them; the bytes after them only break
  // ties. Most keys are at most 8 bytes: no memcmp at all.
  struct Item {
    uint64_t head;
    uint32_t pos;
  };
  const size_t head_bytes = std::min<size_t>(8, key_size_);
  std::vector<Item> items(values_.size());
  for (uint32_t i = 0; i < items.size(); ++i) {
    const uint8_t *k = key(i);
    uint64_t h = 0;
    for (size_t j = 0; j < 8; ++j)
      h = h << 8 | (j < head_bytes ? k[j] : 0);
    items[i] = {h, i};
  }
  const size_t rest = key_size_ - head_bytes;
  std::sort(items.begin(), items.end(), [&](const Item &a, const Item &b) {
    if (a.head != b.head)
      return a.head < b.head;
    return rest > 0 && std::memcmp(key(a.pos) + 8, key(b.pos) + 8, rest) < 0;
  });
  std::vector<uint32_t> order(items.size());
  for (size_t i = 0; i < items.size(); ++i)
    order[i] = items[i].pos;
  return order;
}

void KeyTable::clear() {
  keys_ = {};
  values_ = {};
  slots_ = {};
}

uint32_t KeyTable::hash(const uint8_t *key) const {
  // Eight bytes at a time, each word mixed in by a multiply; the tail
  // zero-padded. Any good mix does: the order of the output comes from
  // sorted(), never from the hash.
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ key_size_;
  size_t i = 0;
  for (; i + 8 <= key_size_; i += 8) {
    uint64_t w;
    std::memcpy(&w, key + i, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
  }
  if (i < key_size_) {
    uint64_t w = 0;
    std::memcpy(&w, key + i, key_size_ - i);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
  }
  h *= 0x94d049bb133111ebULL;
  return static_cast<uint32_t>(h >> 32);
}

void KeyTable::grow() {
  const size_t n = std::max<size_t>(64, 2 * slots_.size());
  std::vector<uint64_t> old = std::move(slots_);
  slots_.assign(n, 0);
  const size_t mask = n - 1;
  for (const uint64_t s : old) {
    if (s == 0)
      continue;
    size_t i = static_cast<uint32_t>(s >> 32) & mask;
    while (slots_[i] != 0)
      i = (i + 1) & mask;
    slots_[i] = s;
  }
  keys_.reserve(n / 2 * key_size_);
  values_.reserve(n / 2);
}

} // namespace psl::lower
