// The IPv6 part of a split class table (classifier.h): /32 buckets, /48
// slots of the dense /32s, and a hash of the longer prefixes and the
// markers of a binary search over their lengths.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "lower/classifier.h"
#include "lower/prefixes.h"

namespace psl::lower {

// No covering class.
inline constexpr size_t kNoClass = SIZE_MAX;
// Lengths above 32 one IPv6 bucket may probe (psl_class6, PSL_CLASS6_LENS).
inline constexpr size_t kClass6Lens = 16;
inline constexpr uint32_t kSlots6 = 65536;
// Dense buckets per table: each costs an array of 65536 40-byte slots.
inline constexpr uint32_t kDenseBuckets = 4;

// The IPv6 part of a split class table (classifier.h): the stored
// prefixes of /32 and longer, by the /32 holding them. A bucket's value
// is its /32's stored prefix, else the innermost stored prefix covering
// the /32 (all shorter, so in the trie), else zero; a packet whose /32
// has no bucket asks the trie, which holds every prefix shorter than /32.
// Those are not expanded into the /32s they cover: a /16 alone would be
// 65536 buckets, and the trie of the few short prefixes stays shallow.
//
// A packet binary-searches the lengths of its bucket (Waldvogel et al.,
// "Scalable high speed IP routing lookups", 1997): a hit sends it to the
// longer half, a miss to the shorter. So that a hit on the way to a
// longer prefix is not missed, each prefix leaves a marker at every
// length its own search goes longer from; every entry, marker or prefix,
// holds the value of the longest stored prefix of at most its length
// covering it, so the last hit is the answer. A hash probe costs about
// as much as the trie walk it replaces, so the densest buckets (at least
// GroupLimits::ipv6_dense_min_prefixes prefixes longer than /32, at most
// kDenseBuckets of them) are split once more, like IPv4 at /16: 65536
// slots by the next 16 bits, each a search of its own over the lengths
// beyond /48, with the prefixes up to /48 expanded into the slots. A
// search over more than kClass6Lens lengths would take more than five
// probes: those prefixes stay in the trie (with the prefixes of /32 and
// longer covering them) and their bucket or slot says so.
struct Ipv6Split {
  struct Unit { // a bucket or a slot: what psl_class6 searches
    ClassValue v{};
    std::vector<uint32_t> lens; // ascending, distinct
    std::vector<size_t> longer; // classes longer than the unit's region
    bool trie = false;
  };
  struct Bucket {
    Unit unit;                   // a bucket searched itself
    std::vector<size_t> members; // classes in the /32, /32 included
    uint32_t dense = 0;          // 1 + ordinal of its slots; 0: none
    std::vector<Unit> slots;     // by bits 32..47, when dense
  };
  using Key = std::pair<Point, uint32_t>; // (address masked to len, len)

  const std::vector<AddrPrefix> &classes;
  const std::vector<ClassValue> &vals;
  const std::vector<size_t> &parent;
  std::map<uint32_t, Bucket> buckets; // by the top 32 bits
  std::vector<bool> held;             // class -> in the split only
  uint32_t dense = 0;                 // dense buckets

  // classes: the table's stored prefixes in class order; vals their
  // values; parent the innermost stored prefix covering each (kNoClass:
  // none). The densest buckets with at least dense_min longer prefixes
  // get slots.
  Ipv6Split(const std::vector<AddrPrefix> &cls,
            const std::vector<ClassValue> &v, const std::vector<size_t> &par,
            size_t dense_min);
  // Whether class i is held by the split (not the trie).
  bool holds(size_t i) const { return held[i]; }
  // The hash entries of a unit: its prefixes and their markers.
  std::map<Key, ClassValue> entries(const Unit &u) const;
  // The value of the longest stored prefix of at most `len` bits covering
  // class i (zero: none).
  ClassValue covering(size_t i, uint32_t len) const;

private:
  // Slots of 2^16 /48s: each starts with the bucket's value, then takes
  // those of the prefixes /33 to /48 covering it (in class order, a
  // prefix before those inside it), and searches the longer ones.
  void make_dense(Bucket &bk, uint32_t ordinal);
  // Sorts a unit's lengths; with too many, leaves its prefixes and the
  // ones of /32 and longer covering them to the trie.
  void finish(Unit &u, const std::vector<size_t> &members);
};

// struct psl_class6_bucket as words.
std::vector<uint32_t> unit_words(const Ipv6Split::Unit &u, uint32_t dense);

// Adds the split's four maps (named after the trie's: _v6d, _v6b, _v6a,
// _v6h) and their entries to c: the directory, every bucket, the slots of
// the dense ones (those with a value or anything to search: the array
// starts zeroed), and the prefixes longer than the bucket or slot
// searching them, with their markers.
void write_ipv6_split(Classifier &c, LookupGroup &grp, const Ipv6Split &split);

} // namespace psl::lower
