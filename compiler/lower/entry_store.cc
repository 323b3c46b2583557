#include "lower/entry_store.h"

#include <algorithm>
#include <cstring>
#include <ostream>
#include <stdexcept>
#include <string>

namespace psl::lower {

bool operator==(ByteView a, ByteView b) {
  return a.size() == b.size() &&
         (a.size() == 0 || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

std::ostream &operator<<(std::ostream &os, ByteView b) {
  static const char *d = "0123456789abcdef";
  os << '[';
  for (uint8_t x : b)
    os << d[x >> 4] << d[x & 15];
  return os << ']';
}

void MapEntries::add(uint32_t map, const uint8_t *key, size_t key_size,
                     const uint8_t *value, size_t value_size) {
  // BPF keys are at most 512 bytes; no value the lowering writes comes
  // near 64 KiB.
  if (key_size > UINT16_MAX || value_size > UINT16_MAX)
    throw std::length_error("map entry of " + std::to_string(key_size) +
                            " key and " + std::to_string(value_size) +
                            " value bytes: too large");
  recs_.push_back({bytes_.size(), map, static_cast<uint16_t>(key_size),
                   static_cast<uint16_t>(value_size)});
  if (key_size > 0)
    bytes_.insert(bytes_.end(), key, key + key_size);
  if (value_size > 0)
    bytes_.insert(bytes_.end(), value, value + value_size);
}

namespace {

// Grows geometrically even when asked for a little more each time.
template <class T>
void make_room(std::vector<T> &v, size_t more) {
  const size_t want = v.size() + more;
  if (want > v.capacity())
    v.reserve(std::max(want, 2 * v.capacity()));
}

} // namespace

void MapEntries::reserve(size_t entries, size_t bytes) {
  make_room(recs_, entries);
  make_room(bytes_, bytes);
}

void MapEntries::erase_maps(const std::vector<uint8_t> &drop) {
  size_t out = 0, at = 0;
  for (const Rec &r : recs_) {
    if (r.map < drop.size() && drop[r.map])
      continue;
    const size_t n = size_t{r.key_size} + r.value_size;
    if (at != r.offset)
      std::memmove(bytes_.data() + at, bytes_.data() + r.offset, n);
    recs_[out++] = {at, r.map, r.key_size, r.value_size};
    at += n;
  }
  recs_.resize(out);
  bytes_.resize(at);
}

void MapEntries::clear() {
  recs_ = {};
  bytes_ = {};
}

} // namespace psl::lower
