// The classifier's map contents, every entry's key and value bytes side
// by side in one array. At 100k rules a policy has hundreds of thousands
// of entries: as one struct with two vectors each, they cost two
// allocations an entry and a copy of every struct whenever the list grew
// (docs/performance.md, "Lowering at 100k rules").
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <iterator>
#include <vector>

namespace psl::lower {

// An entry to add: what a caller builds before handing it over.
struct MapEntry {
  uint32_t map = 0; // index into Classifier::maps
  std::vector<uint8_t> key, value;
};

// A key's or a value's bytes inside MapEntries; valid until the store
// changes.
class ByteView {
public:
  ByteView() = default;
  ByteView(const uint8_t *p, size_t n) : p_(p), n_(n) {}
  // NOLINTNEXTLINE(google-explicit-constructor): a vector's bytes
  ByteView(const std::vector<uint8_t> &v) : p_(v.data()), n_(v.size()) {}
  const uint8_t *data() const { return p_; }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  const uint8_t *begin() const { return p_; }
  const uint8_t *end() const { return p_ + n_; }
  uint8_t operator[](size_t i) const { return p_[i]; }
  std::vector<uint8_t> to_vector() const { return {p_, p_ + n_}; }

private:
  const uint8_t *p_ = nullptr;
  size_t n_ = 0;
};

bool operator==(ByteView a, ByteView b);
inline bool operator==(ByteView a, const std::vector<uint8_t> &b) {
  return a == ByteView(b.data(), b.size());
}
inline bool operator==(const std::vector<uint8_t> &a, ByteView b) {
  return b == a;
}
inline bool operator!=(ByteView a, ByteView b) { return !(a == b); }
// Hex, for test failures.
std::ostream &operator<<(std::ostream &os, ByteView b);

// One stored entry.
struct MapEntryView {
  uint32_t map = 0;
  ByteView key, value;
};

class MapEntries {
public:
  void add(uint32_t map, const uint8_t *key, size_t key_size,
           const uint8_t *value, size_t value_size);
  void push_back(const MapEntry &e) {
    add(e.map, e.key.data(), e.key.size(), e.value.data(), e.value.size());
  }
  // Room for `entries` more entries of `bytes` more key and value bytes.
  void reserve(size_t entries, size_t bytes);

  size_t size() const { return recs_.size(); }
  bool empty() const { return recs_.empty(); }
  MapEntryView operator[](size_t i) const {
    const Rec &r = recs_[i];
    const uint8_t *p = bytes_.data() + r.offset;
    return {r.map, {p, r.key_size}, {p + r.key_size, r.value_size}};
  }

  class const_iterator {
  public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = MapEntryView;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = MapEntryView;
    const_iterator(const MapEntries *s, size_t i) : s_(s), i_(i) {}
    MapEntryView operator*() const { return (*s_)[i_]; }
    const_iterator &operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const const_iterator &o) const { return i_ == o.i_; }
    bool operator!=(const const_iterator &o) const { return i_ != o.i_; }

  private:
    const MapEntries *s_;
    size_t i_;
  };
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, recs_.size()}; }

  // Removes the entries of every map m with drop[m] set, in place (no
  // second copy of the store); the others keep their order.
  void erase_maps(const std::vector<uint8_t> &drop);

  void clear();

private:
  struct Rec {
    uint64_t offset; // of the key in bytes_; the value follows it
    uint32_t map;
    uint16_t key_size, value_size;
  };
  std::vector<Rec> recs_;
  std::vector<uint8_t> bytes_;
};

} // namespace psl::lower
