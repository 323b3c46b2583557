// BoxIndex: the boxes containing a point, or meeting a box, without
// scanning all of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "analysis/box.h"
#include "analysis/function_ref.h"
#include "analysis/witness.h"

namespace psl::analysis {

// Boxes (not owned; they must outlive the index) tagged by the caller
// (the lint tags them with the rule index). Each box is filed under one of
// its dimensions, the key, in the aligned power-of-two blocks that make up
// its set there (a prefix is one block). The key is chosen per box, among
// the dimensions it constrains, as the one whose blocks hold the fewest
// boxes so far: buckets stay small whatever the shape of the policy (one
// prefix per rule, a few ports shared by thousands of rules, ...). Each
// key dimension keeps the bounding box of its boxes, so a query skips
// whole dimensions (IPv6 prefixes for an IPv4 packet).
//
// for_each_containing(w) looks up, per key dimension, the blocks on the
// path of w's value: one hash lookup per block size in use.
// for_each_intersecting(b) looks up the blocks overlapping b's set, or
// scans a key dimension that b does not constrain.
class BoxIndex {
public:
  struct Entry {
    const Box *box;
    uint32_t tag;
  };
  // Visitors return false to stop. Filters see the tag before the box is
  // tested (cheap rejection).
  using Filter = FunctionRef<bool(uint32_t tag)>;
  using Visit = FunctionRef<bool(uint32_t entry)>;

  void insert(const Box *box, uint32_t tag);
  size_t size() const { return entries_.size(); }
  const Entry &entry(uint32_t id) const { return entries_[id]; }

  // Entries whose box contains w. Returns false if a visitor stopped.
  bool for_each_containing(const Witness &w, Filter filter, Visit f) const;
  // Entries whose box meets b (exactly: the normalized intersection is
  // non-empty), each at most once. Returns false if a visitor stopped or
  // more than max_examined entries had to be tested.
  bool for_each_intersecting(const Box &b, Filter filter, Visit f,
                             size_t max_examined = SIZE_MAX) const;
  // The same, handing the visitor the intersection too (which the test
  // computes anyway), for callers that go on with it.
  using VisitMeet = FunctionRef<bool(uint32_t entry, Box &&meet)>;
  bool for_each_intersection(const Box &b, Filter filter, VisitMeet f,
                             size_t max_examined = SIZE_MAX) const;
  // The least tag of an entry meeting b, or UINT32_MAX if none meets it;
  // 0 when that takes more than max_examined tests. Fast when the entries
  // were inserted in decreasing tag order (the first entry meeting b in
  // each list is then the least).
  uint32_t least_tag_meeting(const Box &b, size_t max_examined) const;

private:
  struct BlockKey {
    uint8_t shift;
    Point prefix;
  };
  static size_t block_hash(const BlockKey &k);
  // The entry ids of one block, in insertion order. Most blocks of an
  // address partition hold one box (a rule per address): up to two ids are
  // kept inline, so building the index does not allocate per block.
  class IdList {
  public:
    void push_back(uint32_t id);
    size_t size() const { return size_; }
    const uint32_t *begin() const {
      return size_ <= kInline ? inline_ : heap_.data();
    }
    const uint32_t *end() const { return begin() + size_; }

  private:
    static constexpr uint32_t kInline = 2;
    uint32_t size_ = 0;
    uint32_t inline_[kInline] = {};
    std::vector<uint32_t> heap_; // all of them, past kInline
  };
  // Block key → list number, by open addressing (one array, no allocation
  // per block).
  class BlockTable {
  public:
    // The list number of `key` (with hash `h`), or null.
    const uint32_t *find(const BlockKey &key, size_t h) const;
    // The same, added as UINT32_MAX when absent.
    uint32_t &get(const BlockKey &key, size_t h);

  private:
    struct Slot {
      Point prefix = 0;
      uint32_t list = UINT32_MAX; // UINT32_MAX: the slot is free
      uint8_t shift = 0;
    };
    void grow();
    std::vector<Slot> slots_; // a power of two, at most half used
    size_t used_ = 0;
  };
  // An id list as the queries walk it: [first, last).
  struct IdSpan {
    const uint32_t *first, *last;
  };
  // The boxes keyed by one dimension. Blocks of a small domain (up to 16
  // bits: ports, protocols, flags) are found through an array, the others
  // (addresses) through a hash table.
  struct Partition {
    explicit Partition(DimId d);
    const IdList *find(uint8_t shift, Point prefix) const;
    IdList &block(uint8_t shift, Point prefix);
    size_t num_blocks() const { return lists.size(); }

    unsigned bits;
    std::vector<uint32_t> all;   // in insertion order
    std::vector<uint8_t> shifts; // block sizes in use, ascending
    std::vector<IdList> lists;   // the blocks' entries
    std::vector<uint32_t> slot;  // small domains: offset(shift)+prefix → list
    BlockTable index;            // large ones
    // Large domains: per shift a bitmap of hashed prefixes in use, so that
    // most lookups of absent blocks never touch the hash table.
    std::vector<std::vector<uint64_t>> present;
    Box hull; // per dimension the hull of the entries' sets
  };
  Partition *partition(DimId d, bool create);
  const Partition *partition(DimId d) const;
  // The id lists of p that may hold boxes meeting b.
  void candidate_lists(const Partition &p, DimId d, const Box &b,
                       std::vector<IdSpan> &out) const;
  template <typename Fn>
  void for_each_partition(Fn &&fn) const;
  // The entries that may meet b, each at most once, those passing `filter`
  // to `test` (which returns false to stop); false if `test` stopped or
  // more than max_examined passed the filter.
  template <typename Test>
  bool for_each_candidate(const Box &b, Filter filter, size_t max_examined,
                          Test &&test) const;

  std::vector<Entry> entries_;
  std::vector<std::unique_ptr<Partition>> fixed_ =
      std::vector<std::unique_ptr<Partition>>(kNumFixedDims);
  std::vector<DimId> active_fixed_;
  std::unordered_map<DimId, std::unique_ptr<Partition>> opaque_;
  std::vector<uint32_t> unkeyed_;
  bool descending_ = true; // tags were inserted in decreasing order
  // Scratch of the queries (which are therefore not reentrant).
  mutable std::vector<IdSpan> scratch_;
  mutable std::vector<uint32_t> stamp_;
  mutable uint32_t epoch_ = 0;
};

} // namespace psl::analysis
