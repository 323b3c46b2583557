#include "analysis/box_index.h"

#include "analysis/normalize.h"
#include <algorithm>

namespace psl::analysis {

namespace {

constexpr size_t kMaxKeyBlocks = 16;

unsigned ctz128(Point v) {
  auto lo = static_cast<uint64_t>(v);
  if (lo)
    return static_cast<unsigned>(__builtin_ctzll(lo));
  auto hi = static_cast<uint64_t>(v >> 64);
  return hi ? 64 + static_cast<unsigned>(__builtin_ctzll(hi)) : 128;
}

unsigned log2_128(Point v) { // v > 0
  auto hi = static_cast<uint64_t>(v >> 64);
  if (hi)
    return 127 - static_cast<unsigned>(__builtin_clzll(hi));
  return 63 - static_cast<unsigned>(__builtin_clzll(static_cast<uint64_t>(v)));
}

// The aligned power-of-two blocks (shift, value >> shift) whose union is
// a set, at most kMaxKeyBlocks of them.
struct Blocks {
  std::array<std::pair<uint8_t, Point>, kMaxKeyBlocks> b;
  size_t n = 0;
};

bool blocks_of(const IntervalSet &s, Blocks &out) {
  out.n = 0;
  for (const auto &iv : s) {
    Point lo = iv.lo;
    for (;;) {
      // The largest aligned block starting at lo and ending by iv.hi.
      Point span = iv.hi - lo; // block size - 1 <= span
      unsigned fit = span == kMaxPoint ? 127 : log2_128(span + 1);
      unsigned shift = std::min({ctz128(lo), fit, 127u});
      if (out.n == kMaxKeyBlocks)
        return false;
      out.b[out.n++] = {static_cast<uint8_t>(shift), lo >> shift};
      Point end = lo + ((Point{1} << shift) - 1);
      if (end >= iv.hi)
        break;
      lo = end + 1;
    }
  }
  return true;
}

} // namespace

size_t BoxIndex::block_hash(const BlockKey &k) {
  uint64_t lo = static_cast<uint64_t>(k.prefix);
  uint64_t hi = static_cast<uint64_t>(k.prefix >> 64);
  uint64_t h =
      lo * 0x9e3779b97f4a7c15ULL ^ (hi + k.shift) * 0xc2b2ae3d27d4eb4fULL;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ULL;
  return static_cast<size_t>(h ^ (h >> 32));
}

namespace {

constexpr unsigned kSmallDomainBits = 16;
constexpr size_t kPresentMask = (size_t{1} << 17) - 1;

unsigned dim_bits(DimId d) {
  Point m = dim_max(d);
  unsigned bits = 0;
  while (bits < 128 && (m >> bits) != 0)
    ++bits;
  return bits;
}

// Where the blocks of size 2^shift start in a small domain's slot array.
size_t slot_offset(unsigned bits, unsigned shift) {
  size_t off = 0;
  for (unsigned t = 0; t < shift; ++t)
    off += size_t{1} << (bits - t);
  return off;
}

} // namespace

void BoxIndex::IdList::push_back(uint32_t id) {
  if (size_ < kInline) {
    inline_[size_++] = id;
    return;
  }
  if (size_ == kInline)
    heap_.assign(inline_, inline_ + kInline);
  heap_.push_back(id);
  ++size_;
}

const uint32_t *BoxIndex::BlockTable::find(const BlockKey &key,
                                           size_t h) const {
  if (slots_.empty())
    return nullptr;
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot &s = slots_[i];
    if (s.list == UINT32_MAX)
      return nullptr;
    if (s.shift == key.shift && s.prefix == key.prefix)
      return &s.list;
  }
}

uint32_t &BoxIndex::BlockTable::get(const BlockKey &key, size_t h) {
  if (2 * (used_ + 1) > slots_.size())
    grow();
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    Slot &s = slots_[i];
    if (s.list == UINT32_MAX) {
      // A new key: the caller stores its list number here right away (the
      // slot counts as free until then).
      s.shift = key.shift;
      s.prefix = key.prefix;
      ++used_;
      return s.list;
    }
    if (s.shift == key.shift && s.prefix == key.prefix)
      return s.list;
  }
}

void BoxIndex::BlockTable::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(std::max<size_t>(64, 2 * old.size()), Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot &s : old) {
    if (s.list == UINT32_MAX)
      continue;
    size_t i = block_hash(BlockKey{s.shift, s.prefix}) & mask;
    while (slots_[i].list != UINT32_MAX)
      i = (i + 1) & mask;
    slots_[i] = s;
  }
}

BoxIndex::Partition::Partition(DimId d) : bits(dim_bits(d)) {
  if (bits <= kSmallDomainBits)
    slot.assign(slot_offset(bits, bits + 1), UINT32_MAX);
}

const BoxIndex::IdList *BoxIndex::Partition::find(uint8_t shift,
                                                  Point prefix) const {
  if (!slot.empty()) {
    if (shift > bits)
      return nullptr;
    uint32_t i = slot[slot_offset(bits, shift) + static_cast<size_t>(prefix)];
    return i == UINT32_MAX ? nullptr : &lists[i];
  }
  BlockKey key{shift, prefix};
  size_t h = block_hash(key);
  if (shift >= present.size() || present[shift].empty())
    return nullptr;
  size_t bit = (h >> 20) & kPresentMask;
  if (!(present[shift][bit >> 6] >> (bit & 63) & 1))
    return nullptr;
  const uint32_t *i = index.find(key, h);
  return i ? &lists[*i] : nullptr;
}

BoxIndex::IdList &BoxIndex::Partition::block(uint8_t shift, Point prefix) {
  uint32_t *i;
  if (!slot.empty()) {
    i = &slot[slot_offset(bits, shift) + static_cast<size_t>(prefix)];
  } else {
    BlockKey key{shift, prefix};
    if (present.size() <= shift)
      present.resize(shift + 1);
    if (present[shift].empty())
      present[shift].assign((kPresentMask + 1) / 64, 0);
    size_t h = block_hash(key);
    size_t bit = (h >> 20) & kPresentMask;
    present[shift][bit >> 6] |= uint64_t{1} << (bit & 63);
    i = &index.get(key, h);
  }
  if (*i == UINT32_MAX) {
    *i = static_cast<uint32_t>(lists.size());
    lists.emplace_back();
  }
  return lists[*i];
}

BoxIndex::Partition *BoxIndex::partition(DimId d, bool create) {
  if (d < kNumFixedDims) {
    auto &p = fixed_[d];
    if (!p && create) {
      p = std::make_unique<Partition>(d);
      active_fixed_.push_back(d);
    }
    return p.get();
  }
  auto it = opaque_.find(d);
  if (it != opaque_.end())
    return it->second.get();
  if (!create)
    return nullptr;
  return opaque_.emplace(d, std::make_unique<Partition>(d)).first->second.get();
}

const BoxIndex::Partition *BoxIndex::partition(DimId d) const {
  if (d < kNumFixedDims)
    return fixed_[d].get();
  auto it = opaque_.find(d);
  return it == opaque_.end() ? nullptr : it->second.get();
}

namespace {

// The hull of a set: one interval.
IntervalSet hull_of(const IntervalSet &s) {
  return IntervalSet::range(s.min(), s[s.size() - 1].hi);
}

// Dimension by dimension (no normalization): may a box inside `hull`
// meet b?
bool hull_meets(const Box &hull, const Box &b) {
  const auto &hc = hull.constraints();
  const auto &bc = b.constraints();
  size_t i = 0, j = 0;
  while (i < hc.size() && j < bc.size()) {
    if (hc[i].dim < bc[j].dim)
      ++i;
    else if (bc[j].dim < hc[i].dim)
      ++j;
    else {
      if (!hc[i].set.intersects(bc[j].set))
        return false;
      ++i;
      ++j;
    }
  }
  return true;
}

} // namespace

void BoxIndex::insert(const Box *box, uint32_t tag) {
  auto id = static_cast<uint32_t>(entries_.size());
  if (!entries_.empty() && tag > entries_.back().tag)
    descending_ = false;
  entries_.push_back(Entry{box, tag});
  stamp_.push_back(0);

  // Choose the key: the constrained dimension whose blocks hold the fewest
  // boxes; opaque atoms only before implied dimensions, and these only
  // when there is nothing else.
  DimId best = 0;
  uint64_t best_cost = ~uint64_t{0};
  Blocks blocks, best_blocks;
  for (int implied = 0; implied < 2 && best_cost == ~uint64_t{0}; ++implied) {
    for (const auto &c : box->constraints()) {
      if (normalized_dim(c.dim) != (implied == 1) || !blocks_of(c.set, blocks))
        continue;
      uint64_t cost = blocks.n;
      if (is_opaque(c.dim))
        cost += uint64_t{1} << 20;
      if (const Partition *p = partition(c.dim))
        for (size_t k = 0; k < blocks.n; ++k)
          if (const auto *ids = p->find(blocks.b[k].first, blocks.b[k].second))
            cost += ids->size() * 4;
      if (cost < best_cost) {
        best_cost = cost;
        best = c.dim;
        best_blocks = blocks;
      }
    }
  }
  if (best_cost == ~uint64_t{0}) {
    unkeyed_.push_back(id);
    return;
  }
  Partition *p = partition(best, true);
  // Widen the hull (a dimension some entry leaves free is free).
  if (p->all.empty()) {
    for (const auto &c : box->constraints())
      p->hull.set(c.dim, hull_of(c.set));
  } else {
    bool widen = false;
    for (const auto &c : p->hull.constraints()) {
      const IntervalSet *s = box->find(c.dim);
      if (!s || s->min() < c.set.min() ||
          (*s)[s->size() - 1].hi > c.set[0].hi) {
        widen = true;
        break;
      }
    }
    if (widen) {
      Box hull;
      for (const auto &c : p->hull.constraints())
        if (const IntervalSet *s = box->find(c.dim))
          hull.set(c.dim, IntervalSet::range(
                              std::min(c.set.min(), s->min()),
                              std::max(c.set[0].hi, (*s)[s->size() - 1].hi)));
      p->hull = std::move(hull);
    }
  }
  p->all.push_back(id);
  for (size_t k = 0; k < best_blocks.n; ++k) {
    const auto &b = best_blocks.b[k];
    p->block(b.first, b.second).push_back(id);
    auto pos = std::lower_bound(p->shifts.begin(), p->shifts.end(), b.first);
    if (pos == p->shifts.end() || *pos != b.first)
      p->shifts.insert(pos, b.first);
  }
}

bool BoxIndex::for_each_containing(const Witness &w, Filter filter,
                                   Visit f) const {
  auto visit_ids = [&](const auto &ids) {
    for (uint32_t id : ids) {
      const Entry &e = entries_[id];
      if (!filter(e.tag) || !box_contains(*e.box, w))
        continue;
      if (!f(id))
        return false;
    }
    return true;
  };
  auto visit_partition = [&](const Partition &p, Point v) {
    if (!box_contains(p.hull, w))
      return true;
    for (uint8_t shift : p.shifts) {
      const auto *ids = p.find(shift, v >> shift);
      if (ids && !visit_ids(*ids))
        return false;
    }
    return true;
  };
  for (DimId d : active_fixed_)
    if (!visit_partition(*fixed_[d], w.fixed[d]))
      return false;
  if (!opaque_.empty() && w.opaque_src) {
    // Only atoms the witness has a value for can hold boxes containing it.
    for (const auto &c : w.opaque_src->constraints()) {
      if (!is_opaque(c.dim) || !c.set.is_point())
        continue;
      if (const Partition *p = partition(c.dim))
        if (!visit_partition(*p, c.set.min()))
          return false;
    }
  }
  return visit_ids(unkeyed_);
}

void BoxIndex::candidate_lists(const Partition &p, DimId d, const Box &b,
                               std::vector<IdSpan> &out) const {
  if (!hull_meets(p.hull, b))
    return;
  const IntervalSet *s = b.find(d);
  const IdSpan all{p.all.data(), p.all.data() + p.all.size()};
  if (!s) {
    out.push_back(all);
    return;
  }
  // Enumerate the blocks overlapping s when there are few of them, else
  // scan the partition.
  const Point limit = std::min<Point>(4096, 4 * p.num_blocks() + 16);
  Point keys = 0;
  for (uint8_t shift : p.shifts)
    for (const auto &iv : *s) {
      keys += (iv.hi >> shift) - (iv.lo >> shift) + 1;
      if (keys > limit) {
        out.push_back(all);
        return;
      }
    }
  for (uint8_t shift : p.shifts)
    for (const auto &iv : *s)
      for (Point q = iv.lo >> shift;; ++q) {
        if (const IdList *ids = p.find(shift, q))
          out.push_back(IdSpan{ids->begin(), ids->end()});
        if (q == (iv.hi >> shift))
          break;
      }
}

template <typename Fn>
void BoxIndex::for_each_partition(Fn &&fn) const {
  for (DimId d : active_fixed_)
    fn(*fixed_[d], d);
  for (const auto &[d, p] : opaque_)
    fn(*p, d);
}

template <typename Test>
bool BoxIndex::for_each_candidate(const Box &b, Filter filter,
                                  size_t max_examined, Test &&test) const {
  if (++epoch_ == 0) {
    std::fill(stamp_.begin(), stamp_.end(), 0);
    epoch_ = 1;
  }
  auto &lists = scratch_;
  lists.clear();
  for_each_partition(
      [&](const Partition &p, DimId d) { candidate_lists(p, d, b, lists); });
  lists.push_back(IdSpan{unkeyed_.data(), unkeyed_.data() + unkeyed_.size()});
  size_t examined = 0;
  for (const IdSpan &ids : lists)
    for (const uint32_t *at = ids.first; at != ids.last; ++at) {
      const uint32_t id = *at;
      if (stamp_[id] == epoch_)
        continue;
      stamp_[id] = epoch_;
      if (!filter(entries_[id].tag))
        continue;
      if (++examined > max_examined)
        return false;
      if (!test(id))
        return false;
    }
  return true;
}

bool BoxIndex::for_each_intersecting(const Box &b, Filter filter, Visit f,
                                     size_t max_examined) const {
  return for_each_candidate(b, filter, max_examined, [&](uint32_t id) {
    return !intersects(*entries_[id].box, b) || f(id);
  });
}

bool BoxIndex::for_each_intersection(const Box &b, Filter filter, VisitMeet f,
                                     size_t max_examined) const {
  return for_each_candidate(b, filter, max_examined, [&](uint32_t id) {
    Box meet;
    return !intersect(b, *entries_[id].box, &meet) || f(id, std::move(meet));
  });
}

uint32_t BoxIndex::least_tag_meeting(const Box &b, size_t max_examined) const {
  uint32_t best = UINT32_MAX;
  size_t examined = 0;
  bool over = false;
  if (!descending_) {
    bool ok = for_each_intersecting(
        b, [](uint32_t) { return true; },
        [&](uint32_t id) {
          best = std::min(best, entries_[id].tag);
          return true;
        },
        max_examined);
    return ok ? best : 0;
  }
  auto &lists = scratch_;
  lists.clear();
  for_each_partition(
      [&](const Partition &p, DimId d) { candidate_lists(p, d, b, lists); });
  lists.push_back(IdSpan{unkeyed_.data(), unkeyed_.data() + unkeyed_.size()});
  for (const IdSpan &ids : lists) {
    // Newest first: increasing tags, so the first box meeting b is the
    // least of this list, and a tag not below `best` ends the list.
    for (const uint32_t *at = ids.last; at != ids.first;) {
      const Entry &e = entries_[*--at];
      if (e.tag >= best)
        break;
      if (++examined > max_examined) {
        over = true;
        break;
      }
      if (intersects(*e.box, b)) {
        best = e.tag;
        break;
      }
    }
    if (over)
      return 0;
  }
  return best;
}

} // namespace psl::analysis
