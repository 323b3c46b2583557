// The condition space: a typed, folded PSL condition as a set of packets,
// and the set algebra that the lint (and later the classifier) reasons
// with. Not a pass.
//
// Representation
//   A packet is a point in a product space of dimensions:
//     - layer dimensions, {0,1}: VLAN tag, IP, IPv6 routing header, TCP,
//       UDP, ICMP, ICMPv6 present (the field guards of ast/fields.h);
//     - one dimension per field, over its domain (0..2^bits-1, {0,1} for
//       bools, 48 bits for MACs); ip.src and ip.dst have two each, an IPv4
//       half (32 bits) and an IPv6 half (128 bits), so the family is part
//       of the value and 10.0.0.0/8 never collides with ::a00:0/104;
//     - one {0,1} dimension per opaque atom (a rate() comparison, the
//       membership in a dynamic set), identified by a canonical key.
//   A field of an absent layer (tcp.dport of a UDP packet, the IPv6 half
//   of ip.src of an IPv4 packet) has no value: the packet stands for every
//   value of that dimension (its "fiber"). Every condition is built so that
//   its set is a union of whole fibers; on such sets point emptiness is
//   packet emptiness, which is what makes the algebra below exact.
//
//   A Box constrains some dimensions to interval sets (the others are
//   unconstrained). A condition is a Dnf: a union of boxes.
//
//   Layers carry implications (TCP ⇒ IP, ip.proto 6 and ip.frag_off 0;
//   ICMP ⇒ IPv4; IP ⇒ ip.version ∈ {4,6} and eth.type 0x0800/0x86dd ...).
//   normalize() applies them, removing points no packet has, so that a
//   normalized non-empty box always contains a real packet and witness()
//   can name one.
//
// Primitives: intersection, subtraction (box minus box: at most one piece
// per constrained dimension), point containment, and cover(): "does the
// union of the boxes in an index cover this region?", driven by witness
// packets so that it only ever meets boxes that contain a point of the
// region that is still uncovered. BoxIndex finds the boxes containing a
// point, or meeting a box, without scanning all of them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ast/ast.h"
#include "ast/fields.h"

namespace psl::cs {

using Point = unsigned __int128;

struct Interval {
  Point lo = 0, hi = 0; // inclusive
};

// A set of points of one dimension: sorted, disjoint, non-adjacent
// intervals. One interval (a point, a prefix, a range: the usual case) is
// stored inline, in the place of the pointer to the heap array that holds
// more: every constraint of every box is one, and a 100k-rule policy keeps
// about a million of them.
class IntervalSet {
public:
  IntervalSet() = default;
  IntervalSet(const IntervalSet &o);
  IntervalSet(IntervalSet &&o) noexcept { take(o); }
  IntervalSet &operator=(const IntervalSet &o);
  IntervalSet &operator=(IntervalSet &&o) noexcept;
  ~IntervalSet() { release(); }
  static IntervalSet point(Point v) { return range(v, v); }
  static IntervalSet range(Point lo, Point hi);
  // Builds from intervals in any order, overlapping or not.
  static IntervalSet from(std::vector<Interval> intervals);

  bool empty() const { return n_ == 0; }
  size_t size() const { return n_; } // number of intervals
  const Interval *begin() const { return data(); }
  const Interval *end() const { return data() + n_; }
  const Interval &operator[](size_t i) const { return data()[i]; }
  Point min() const { return data()[0].lo; }
  bool is_point() const { return n_ == 1 && one_.lo == one_.hi; }
  bool is_full(Point max) const {
    return n_ == 1 && one_.lo == 0 && one_.hi == max;
  }

  bool contains(Point p) const;
  bool covers(const IntervalSet &o) const; // o ⊆ this
  bool intersects(const IntervalSet &o) const;
  IntervalSet intersect(const IntervalSet &o) const;
  IntervalSet unite(const IntervalSet &o) const;
  IntervalSet minus(const IntervalSet &o) const;
  IntervalSet complement(Point max) const; // within [0, max]

  bool operator==(const IntervalSet &o) const;
  bool operator!=(const IntervalSet &o) const { return !(*this == o); }

private:
  const Interval *data() const { return n_ <= 1 ? &one_ : many_; }
  Interval *data() { return n_ <= 1 ? &one_ : many_; }
  void push(const Interval &i); // appends (callers keep the order)
  void release();               // frees the heap array, if any
  void take(IntervalSet &o);    // o's intervals, leaving o empty (this is)

  uint32_t n_ = 0;
  uint32_t cap_ = 0; // capacity of many_; 0 when inline
  union {
    Interval one_{}; // the interval when cap_ == 0 and n_ == 1
    Interval *many_; // all of them when cap_ > 0 (then n_ > 1)
  };
};

// ---------------------------------------------------------------- dimensions

using DimId = uint32_t;

// Inner layers first: a box is split along its dimensions in this order,
// so `not (tcp.dport == 22)` reads {!tcp} | {tcp, dport ≠ 22}.
enum LayerDim : DimId {
  kLayerTcp,
  kLayerUdp,
  kLayerIcmp,
  kLayerIcmp6,
  kLayerIp6Rh,
  kLayerVlan,
  kLayerIp,
  kNumLayerDims,
};

constexpr DimId kNumFields = 0
#define PSL_FIELD(id, name, type, bits, guard, doc) +1
#include "ast/fields.def"
#undef PSL_FIELD
    ;

// The dimension of a field (for ip.src / ip.dst: the IPv4 half).
constexpr DimId field_dim(FieldId f) {
  return kNumLayerDims + static_cast<DimId>(f);
}
constexpr DimId kIpSrc6 = kNumLayerDims + kNumFields;
constexpr DimId kIpDst6 = kIpSrc6 + 1;
constexpr DimId kNumFixedDims = kIpDst6 + 1;
constexpr DimId kDimIpVersion = field_dim(FieldId::IpVersion);
constexpr DimId kDimEthType = field_dim(FieldId::EthType);
constexpr DimId kDimIpProto = field_dim(FieldId::IpProto);
constexpr DimId kDimIpFrag = field_dim(FieldId::IpFrag);
constexpr DimId kDimIpFragOff = field_dim(FieldId::IpFragOff);
constexpr DimId kDimIpSrc4 = field_dim(FieldId::IpSrc);
constexpr DimId kDimIpDst4 = field_dim(FieldId::IpDst);

inline bool is_opaque(DimId d) { return d >= kNumFixedDims; }
// Largest value of a dimension (opaque atoms: 1).
Point dim_max(DimId d);

// The value a witness gives an opaque atom that its region does not
// constrain: neither true nor false, so no box that relies on the atom
// contains it (a covering rule may only rely on an opaque atom that the
// covered region has with the same polarity).
constexpr Point kOpaqueUnknown = 2;

// The dimensions of one policy: the fixed ones and its opaque atoms.
class Space {
public:
  // The opaque atom with this canonical key (created on first use). Keys
  // are readable: "ip.src in banned", "rate(ip.src, burst 500) > 100/s".
  DimId opaque(const std::string &key);
  // A fresh atom equal to no other (for an expression the algebra cannot
  // read; it then never helps to prove anything).
  DimId fresh_opaque(const std::string &hint);
  const std::string &opaque_key(DimId d) const;
  size_t num_opaque() const { return keys_.size(); }
  // "tcp.dport", "ip.src", "layer tcp", or the key of an opaque atom.
  std::string dim_name(DimId d) const;

private:
  std::unordered_map<std::string, DimId> ids_;
  std::vector<std::string> keys_;
};

// --------------------------------------------------------------------- boxes

struct Constraint {
  DimId dim;
  IntervalSet set;
};

// A product of per-dimension sets; unconstrained dimensions are full.
class Box {
public:
  const std::vector<Constraint> &constraints() const { return c_; }
  const IntervalSet *find(DimId d) const;
  // Intersects dimension d with s. Returns false when that dimension
  // becomes empty (the box is then empty).
  bool restrict(DimId d, const IntervalSet &s);
  // Replaces the set of dimension d.
  void set(DimId d, IntervalSet s);
  void erase(DimId d);
  bool unconstrained() const { return c_.empty(); }
  // A copy with room for `extra` more constraints (no reallocation).
  Box with_room(size_t extra) const {
    Box b;
    b.c_.reserve(c_.size() + extra);
    b.c_ = c_;
    return b;
  }
  bool operator==(const Box &o) const;

private:
  friend bool normalize(Box &b);
  friend bool intersect(const Box &a, const Box &b, Box *out);
  std::vector<Constraint> c_; // sorted by dim
};

using Dnf = std::vector<Box>; // a union of boxes; empty: false

// Applies the layer implications and drops full dimensions. Returns false
// when the box holds no real packet.
bool normalize(Box &b);
// out = a ∩ b (both normalized), normalized. False when empty.
bool intersect(const Box &a, const Box &b, Box *out);
bool intersects(const Box &a, const Box &b);
// Appends a \ b (normalized, non-empty pieces, pairwise disjoint) to out.
void subtract(const Box &a, const Box &b, std::vector<Box> &out);
// The same, for boxes known to meet (skips the test).
void subtract_meeting(const Box &a, const Box &b, std::vector<Box> &out);
// Sufficient (exact on normalized boxes up to impossible points):
// inner ⊆ outer dimension by dimension.
bool box_contains(const Box &outer, const Box &inner);

// One packet of a box: the least value of every constrained dimension
// (after normalize() that combination is a real packet; absent layers are
// chosen absent), kOpaqueUnknown for opaque atoms that `opaque_src` does
// not constrain.
struct Witness {
  std::array<Point, kNumFixedDims> fixed{};
  const Box *opaque_src = nullptr;
  Point at(DimId d) const;
};
Witness witness(const Box &b, const Box *opaque_src);
bool box_contains(const Box &b, const Witness &w);

// "ip.src = 10.0.0.1, tcp.dport = 22": the fields `region` constrains,
// valued from w (fields implied by others are left out).
std::string describe(const Box &region, const Witness &w, const Space &space);

// For tests and debugging: "{tcp, ip.version 4|6, tcp.dport 22}", "false".
std::string to_string(const Box &b, const Space &space);
std::string to_string(const std::vector<Box> &d, const Space &space);

// ----------------------------------------------------------------------- DNF

// Limits keep the work per condition bounded; an operation that would
// exceed max_boxes returns nullopt ("too complex").
struct DnfLimits {
  size_t max_boxes = 256;
};

Dnf dnf_true();
std::optional<Dnf> dnf_and(const Dnf &a, const Dnf &b, const DnfLimits &l);
std::optional<Dnf> dnf_or(Dnf a, Dnf b, const DnfLimits &l);
std::optional<Dnf> dnf_not(const Dnf &a, const DnfLimits &l);
// Drops boxes contained in others and merges boxes that differ in one
// dimension (for small DNFs; exact either way).
void simplify(Dnf &d);

// How `not` treats guards. The two readings differ only for `not` of
// something other than a bare bool field:
//
//   packet          tcp.dport==22  tcp.dport!=22  not (tcp.dport==22)
//                                                 GuardKept  Complement
//   UDP             false          false          false      true
//   TCP, dport 22   true           false          false      false
//   TCP, dport 80   false          true           true       true
//
// GuardKept (docs/language.md "Protocol guards and not", and the reference
// interpreter, compiler/interp): the guard belongs to each field's use and
// no `not` ever negates it. `not` is pushed down to the atoms (De Morgan)
// and a negated atom is guard ∧ ¬test: `not (tcp.dport == 22)` is
// `tcp.dport != 22`; `not (tcp.syn and udp.dport == 53)` is
// (tcp ∧ ¬syn) ∨ (udp ∧ dport≠53), which is not always true; and
// `X or not X` holds only where X's guards do.
//
// Complement: `not` of a bare bool field keeps the guard (`not tcp.syn` is
// tcp ∧ ¬syn), `not` of anything else is the boolean complement of the
// guarded condition, inside which each atom keeps its positive guard:
// `not (tcp.dport == 22)` is ¬(tcp ∧ dport=22) = ¬tcp ∨ (tcp ∧ dport≠22);
// `not (tcp.syn and udp.dport == 53)` is ¬((tcp ∧ syn) ∧ (udp ∧ d=53)),
// true for every packet (the conjunction is empty).
enum class NotSemantics { GuardKept, Complement };

// Builds the set of a typed, folded condition (after resolve, consteval
// and typecheck):
//   - a field comparison implies the field's guard: `tcp.dport == 22` is
//     tcp ∧ dport=22, `tcp.dport != 22` is tcp ∧ dport≠22, `tcp.dport not
//     in S` is tcp ∧ dport∉S; `not` follows NotSemantics;
//   - l4.sport/l4.dport are tcp.X for TCP and udp.X for UDP;
//   - ip.src/ip.dst with an IPv4 value imply ip.version 4 (IPv6: 6);
//   - rate() comparisons and dynamic-set membership are opaque atoms under
//     the guards of their fields (rate(): its key fields, as the
//     interpreter's token buckets need them); field-against-field
//     comparisons too.
class ConditionBuilder {
public:
  explicit ConditionBuilder(Space &space, DnfLimits limits = {},
                            NotSemantics semantics = NotSemantics::GuardKept)
      : space_(space), limits_(limits), semantics_(semantics) {}
  // nullopt: the condition is too complex (more than max_boxes boxes).
  std::optional<Dnf> build(const Expr &cond);

private:
  std::optional<Dnf> conv(const Expr &e, bool negate);
  std::optional<Dnf> negated(Dnf d);
  // The atom, or with `negate` its negation under the guard (GuardKept).
  Dnf atom(const Expr &e, bool negate);
  Dnf compare_atom(const CompareExpr &c, bool negate);
  Dnf fresh(const Expr &e, bool negate, const FieldInfo *guard_a,
            const FieldInfo *guard_b);
  Dnf guarded_opaque(DimId d, bool value, const FieldInfo *guard_a,
                     const FieldInfo *guard_b);

  Space &space_;
  DnfLimits limits_;
  NotSemantics semantics_;
};

// The guard of a field as a Dnf (l4: tcp ∨ udp; ip.src: ip).
Dnf guard_dnf(const FieldInfo &f);

// ---------------------------------------------------------------- the index

// A non-owning callable reference (no allocation; the callee outlives the
// call).
template <typename Fn>
class FunctionRef;
template <typename R, typename... A>
class FunctionRef<R(A...)> {
public:
  template <typename F, typename = std::enable_if_t<
                            !std::is_same_v<std::decay_t<F>, FunctionRef>>>
  FunctionRef(F &&f) // NOLINT: implicit on purpose
      : obj_(const_cast<void *>(static_cast<const void *>(&f))),
        call_([](void *o, A... a) -> R {
          return (*static_cast<std::remove_reference_t<F> *>(o))(
              std::forward<A>(a)...);
        }) {}
  R operator()(A... a) const { return call_(obj_, std::forward<A>(a)...); }

private:
  void *obj_;
  R (*call_)(void *, A...);
};

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

// ------------------------------------------------------------------- cover

struct CoverItem {
  const Box *box;                  // normalized, non-empty
  const Box *opaque_src = nullptr; // whose opaque atoms a cover may use
};

struct CoverLimits {
  size_t max_steps = 1024;     // subtractions
  size_t max_visits = 1 << 16; // index entries looked at
};

struct CoverResult {
  enum class Status { Covered, NotCovered, Unknown } status = Status::Unknown;
  // Covered: the tags of the boxes used, each time the least tag among the
  // boxes containing a witness (the first-matching rule), in the order
  // they were used (may repeat).
  std::vector<uint32_t> used;
  // NotCovered: a packet of the region that no allowed box contains, and
  // the remaining piece it lies in.
  std::optional<Witness> uncovered;
  Box uncovered_box;
  size_t visits = 0;
  size_t steps = 0; // subtractions done
};

// Is every packet of the items in some box of `index` whose tag passes
// `filter`? A box that constrains an opaque atom only counts for a packet
// whose item's opaque_src has the same atom with the same value.
CoverResult cover(const CoverItem *items, size_t n, const BoxIndex &index,
                  BoxIndex::Filter filter, const CoverLimits &limits = {});
inline CoverResult cover(const std::vector<CoverItem> &items,
                         const BoxIndex &index, BoxIndex::Filter filter,
                         const CoverLimits &limits = {}) {
  return cover(items.data(), items.size(), index, filter, limits);
}

} // namespace psl::cs
