#include "lower/group.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <map>
#include <set>
#include <unordered_map>

#include "lower/field_values.h"
#include "psl_classify.h"
#include "psl_rate_table.h"

namespace psl::lower {

namespace {

using Conj = std::vector<FieldAtom>; // sorted by field, one atom per field
using Dnf = std::vector<Conj>;

// a ∧ b for two conjunctions; false when empty.
bool conj_and(const Conj &a, const Conj &b, Conj &out) {
  out = a;
  for (const FieldAtom &x : b) {
    auto it = std::find_if(out.begin(), out.end(), [&](const FieldAtom &y) {
      return y.field == x.field;
    });
    if (it == out.end()) {
      out.push_back(x);
      continue;
    }
    if (it->family != x.family)
      return false;
    it->values = it->values.intersect(x.values);
    if (it->values.empty())
      return false;
  }
  std::sort(out.begin(), out.end(), [](const FieldAtom &l, const FieldAtom &r) {
    return l.field < r.field;
  });
  return true;
}

// nullopt: opaque atoms, or more than max alternatives.
std::optional<Dnf> to_dnf(const Cond &c, size_t max) {
  switch (c.kind) {
  case Cond::Kind::True:
    return Dnf{Conj{}};
  case Cond::Kind::False:
    return Dnf{};
  case Cond::Kind::Field:
    if (c.atom.values.empty())
      return Dnf{};
    return Dnf{Conj{c.atom}};
  case Cond::Kind::Or: {
    Dnf out;
    for (const Cond &ch : c.children) {
      auto d = to_dnf(ch, max);
      if (!d)
        return std::nullopt;
      for (auto &x : *d)
        out.push_back(std::move(x));
      if (out.size() > max)
        return std::nullopt;
    }
    return out;
  }
  case Cond::Kind::And: {
    Dnf out{Conj{}};
    for (const Cond &ch : c.children) {
      auto d = to_dnf(ch, max);
      if (!d)
        return std::nullopt;
      Dnf next;
      for (const Conj &a : out)
        for (const Conj &b : *d) {
          Conj m;
          if (conj_and(a, b, m))
            next.push_back(std::move(m));
          if (next.size() > max)
            return std::nullopt;
        }
      out = std::move(next);
    }
    return out;
  }
  default:
    return std::nullopt;
  }
}

Point count_points(const IntervalSet &s) {
  Point n = 0;
  for (const Interval &i : s)
    n += i.hi - i.lo + 1;
  return n;
}

// a * b, saturated: value counts of wide fields multiply past 128 bits.
Point sat_mul(Point a, Point b) {
  if (a != 0 && b > ~Point(0) / a)
    return ~Point(0);
  return a * b;
}

bool all_single(const FieldAtom &a) {
  return std::all_of(a.values.begin(), a.values.end(),
                     [](const Interval &i) { return i.lo == i.hi; });
}

// Values one dimension contributes to an enumerated key: addresses are
// enumerated only when they are single points (the caller checks).
Point dim_values(const FieldAtom &a) {
  return is_ip_field(a.field) ? a.values.size() : count_points(a.values);
}

unsigned prefix_width(const FieldAtom &a) {
  return is_ip_field(a.field) ? (a.family == 6 ? 128 : 32)
                              : field_bits(a.field);
}

// Aligned prefixes a dimension's values split into.
size_t prefix_count(const FieldAtom &a) {
  size_t n = 0;
  for (const Interval &i : a.values)
    n += interval_prefixes(i.lo, i.hi, prefix_width(a)).size();
  return n;
}

// One stored prefix of an address (in its family's width).
struct AddrPrefix {
  uint8_t family = 4;
  Point base = 0;
  unsigned len = 0;
  Point last() const {
    unsigned host = (family == 6 ? 128 : 32) - len;
    return base | (host >= 128 ? ~Point(0) : (Point(1) << host) - 1);
  }
  bool covers(const AddrPrefix &o) const {
    return family == o.family && len <= o.len && o.base >= base &&
           o.base <= last();
  }
  // Family, then base, then shorter first: a prefix comes right before the
  // prefixes it covers, which follow it contiguously.
  bool operator<(const AddrPrefix &o) const {
    return std::tie(family, base, len) < std::tie(o.family, o.base, o.len);
  }
  bool operator==(const AddrPrefix &o) const {
    return family == o.family && base == o.base && len == o.len;
  }
};

// AddrPrefix -> uint32_t (0 until set) for the class tables, which take
// every prefix of every address-only rule: the pairs in one vector, found
// through an open-addressing table of their indexes. (A std::map spent
// most of the lowering of a 100k-prefix policy walking its tree, and a
// node-based hash map in reading its nodes back.)
class PrefixMap {
public:
  uint32_t &operator[](const AddrPrefix &p) {
    if (2 * (items_.size() + 1) > slots_.size())
      grow();
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash(p) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == 0) {
        items_.emplace_back(p, 0);
        slots_[i] = static_cast<uint32_t>(items_.size());
        return items_.back().second;
      }
      auto &item = items_[slots_[i] - 1];
      if (item.first == p)
        return item.second;
    }
  }
  // `p` with no value of its own (0) unless it has one.
  void add(const AddrPrefix &p) { (void)(*this)[p]; }
  // The pairs in prefix order; the map is left empty.
  std::vector<std::pair<AddrPrefix, uint32_t>> take_sorted() {
    std::vector<std::pair<AddrPrefix, uint32_t>> out = std::move(items_);
    items_.clear();
    slots_.clear();
    std::sort(out.begin(), out.end(),
              [](const auto &x, const auto &y) { return x.first < y.first; });
    return out;
  }

private:
  static size_t hash(const AddrPrefix &p) {
    const uint64_t lo = static_cast<uint64_t>(p.base);
    const uint64_t hi = static_cast<uint64_t>(p.base >> 64);
    uint64_t h =
        lo * 0x9e3779b97f4a7c15ULL ^
        (hi + (uint64_t{p.family} << 8) + p.len) * 0xc2b2ae3d27d4eb4fULL;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    return static_cast<size_t>(h ^ (h >> 32));
  }
  void grow() {
    slots_.assign(std::max<size_t>(64, 2 * slots_.size()), 0);
    const size_t mask = slots_.size() - 1;
    for (size_t k = 0; k < items_.size(); ++k) {
      size_t i = hash(items_[k].first) & mask;
      while (slots_[i] != 0)
        i = (i + 1) & mask;
      slots_[i] = static_cast<uint32_t>(k + 1);
    }
  }

  std::vector<std::pair<AddrPrefix, uint32_t>> items_;
  std::vector<uint32_t> slots_; // index in items_ + 1; 0: free
};

struct GroupKey {
  MapKind kind;
  std::vector<FieldId> exact; // enumerated dimensions, in key order
  int prefix = -1;      // the dimension matched by prefix (FieldId), or -1
  int class_field = -1; // class-keyed: the address whose class leads the key
  bool classes = false; // the class table of address `prefix`
  bool rate = false;    // a rate group: values list rate slots
  bool operator<(const GroupKey &o) const {
    return std::tie(kind, exact, prefix, class_field, classes, rate) <
           std::tie(o.kind, o.exact, o.prefix, o.class_field, o.classes,
                    o.rate);
  }
};

// A conjunct waiting for the class ids: it applies to every class its
// address prefix covers.
struct ClassItem {
  AddrPrefix prefix;
  uint32_t enc = 0;  // a rate group: the rule's rate slot
  uint32_t conj = 0; // index into Placer::class_conjs_
};

struct GroupBuild {
  std::unordered_map<std::string, uint32_t> hash; // key -> least enc
  // A rate group: key -> the rate slots of every rule holding there, in
  // rule order.
  std::unordered_map<std::string, std::vector<uint32_t>> lists;
  std::vector<uint32_t> array;
  // Class table: every stored prefix -> least enc of the address-only rules
  // on it (0: none; the prefix is only a class of class-keyed groups). A
  // hash while rules are placed (one lookup per prefix of every rule);
  // finish() sorts it into classes and class_encs.
  PrefixMap prefixes;
  std::vector<AddrPrefix> classes;  // sorted; class id = index + 1
  std::vector<uint32_t> class_encs; // per class: its value in `prefixes`
  std::vector<uint64_t> masks;  // per class: class-keyed groups (bit = group)
  std::vector<ClassItem> items; // class-keyed groups
};

void keep_min(uint32_t &slot, uint32_t v) {
  if (slot == 0 || v < slot)
    slot = v;
}

class Placer {
public:
  Placer(Classifier &c, const GroupLimits &l) : c_(c), l_(l) {}

  // Returns "" when every conjunct found a group, else why not.
  std::string place(uint32_t rule, const Dnf &dnf) {
    struct Plan {
      GroupKey key;
      const Conj *conj;
    };
    std::vector<Plan> plans;
    Point rule_keys = 0;
    const std::string too_many = "its conditions combine into more than " +
                                 std::to_string(l_.max_entries_per_conjunct) +
                                 " map keys";
    for (const Conj &cj : dnf) {
      if (cj.empty())
        return "its condition holds for every packet";
      std::vector<const FieldAtom *> ips;
      std::vector<const FieldAtom *>
          ranges; // addresses that are prefixes or ranges
      for (const FieldAtom &a : cj)
        if (is_ip_field(a.field)) {
          ips.push_back(&a);
          if (!all_single(a))
            ranges.push_back(&a);
        }
      GroupKey key;
      Point keys = 1;
      if (cj.size() == 1 && !ips.empty()) {
        // Address only (prefixes or single addresses): an entry of the
        // address's class table.
        key = class_table_key(cj[0].field);
        keys = prefix_count(cj[0]);
      } else if (!ips.empty()) {
        // Address and more: the class of the address, then the rest, so the
        // address's prefixes are not multiplied with the other values, and
        // a packet looks up only the groups its class has keys in. The
        // second key part matched by prefix is the other address when it is
        // a range too, else the dimension with the most values, if it has
        // more than a hash key should enumerate.
        const FieldAtom *cls = ranges.empty() ? ips.front() : ranges[0];
        key.class_field = static_cast<int>(cls->field);
        const FieldAtom *range = ranges.size() > 1 ? ranges[1] : nullptr;
        if (!range)
          for (const FieldAtom &a : cj)
            if (!is_ip_field(a.field) &&
                count_points(a.values) > l_.class_hash_max_values &&
                (!range ||
                 count_points(a.values) > count_points(range->values)))
              range = &a;
        key.kind = range ? MapKind::Lpm : MapKind::Hash;
        if (range)
          key.prefix = static_cast<int>(range->field);
        keys = sat_mul(prefix_count(*cls), range ? prefix_count(*range) : 1);
        for (const FieldAtom &a : cj)
          if (&a != cls && &a != range) {
            key.exact.push_back(a.field);
            keys = sat_mul(keys, dim_values(a));
            if (keys > l_.max_entries_per_conjunct)
              return too_many;
          }
      } else if (cj.size() == 1 && !is_mac_field(cj[0].field) &&
                 field_bits(cj[0].field) <= 16) {
        key.kind = MapKind::Array;
        key.exact.push_back(cj[0].field);
        keys = count_points(cj[0].values);
      } else {
        // Exact tuples: a hash.
        key.kind = MapKind::Hash;
        for (const FieldAtom &a : cj) {
          if (!is_ip_field(a.field) &&
              count_points(a.values) > l_.max_entries_per_conjunct)
            return "'" + std::string(field_info(a.field).name) +
                   "' takes too many values for a map key";
          key.exact.push_back(a.field);
          keys = sat_mul(keys, dim_values(a));
          if (keys > l_.max_entries_per_conjunct)
            return too_many;
        }
      }
      if (keys > l_.max_entries_per_conjunct)
        return too_many;
      rule_keys += keys;
      if (rule_keys > l_.max_entries_per_conjunct)
        return too_many;
      plans.push_back({key, &cj});
    }
    if (total_keys_ + rule_keys > l_.max_group_entries)
      return "the policy's lookup groups already hold " +
             std::to_string(total_keys_) + " keys (limit " +
             std::to_string(l_.max_group_entries) + ")";
    total_keys_ += static_cast<size_t>(rule_keys);
    for (const Plan &p : plans)
      emit(rule, p.key, *p.conj,
           Classifier::encode(rule, c_.rules[rule].action));
    return "";
  }

  // `cj and rate(...)` of terminal rule `rule`: into a rate group of cj's
  // shape. Returns "" or why the rule stays code.
  std::string place_rate(uint32_t rule, const Conj &cj, uint32_t rate) {
    if (cj.empty())
      return "its condition is rate() alone";
    std::vector<const FieldAtom *> ips, ranges;
    for (const FieldAtom &a : cj)
      if (is_ip_field(a.field)) {
        ips.push_back(&a);
        if (!all_single(a))
          ranges.push_back(&a);
      }
    if (ranges.size() > 1)
      return "its rate() follows two address ranges";
    GroupKey key;
    key.kind = MapKind::Hash;
    key.rate = true;
    Point keys = 1;
    const FieldAtom *cls = nullptr;
    if (!ips.empty()) {
      // The class of the address (a range if there is one), then the rest
      // enumerated: a rule on prefix P is listed under every class P covers.
      cls = ranges.empty() ? ips.front() : ranges.front();
      key.class_field = static_cast<int>(cls->field);
      keys = prefix_count(*cls);
    }
    for (const FieldAtom &a : cj) {
      if (&a == cls)
        continue;
      key.exact.push_back(a.field);
      keys = sat_mul(keys, dim_values(a));
      if (keys > l_.max_entries_per_conjunct)
        return "its conditions combine into more than " +
               std::to_string(l_.max_entries_per_conjunct) + " map keys";
    }
    if (total_keys_ + keys > l_.max_group_entries)
      return "the policy's lookup groups already hold " +
             std::to_string(total_keys_) + " keys (limit " +
             std::to_string(l_.max_group_entries) + ")";
    if (!index_.count(key) && c_.rate_groups >= PSL_RATE_GROUPS_MAX)
      return "the policy's rate rules already have " +
             std::to_string(PSL_RATE_GROUPS_MAX) + " condition shapes in maps";
    const std::vector<FieldId> &fields = c_.rates[rate].keys;
    auto kind = std::find(c_.rate_kinds.begin(), c_.rate_kinds.end(), fields);
    if (kind == c_.rate_kinds.end()) {
      if (c_.rate_kinds.size() >= kMaxRateKinds)
        return "the policy's rate rules in maps already use " +
               std::to_string(kMaxRateKinds) + " different rate() keys";
      kind = c_.rate_kinds.insert(kind, fields);
    }
    total_keys_ += static_cast<size_t>(keys);
    RateSlot slot;
    slot.rule = rule;
    slot.rate = rate;
    slot.kind = static_cast<uint32_t>(kind - c_.rate_kinds.begin());
    c_.rate_slots.push_back(slot);
    emit(rule, key, cj, static_cast<uint32_t>(c_.rate_slots.size() - 1));
    return "";
  }

  // Writes the entries of every group: first the class ids (the sorted
  // prefixes of each class table), then the groups keyed by them (which
  // mark the classes they have keys for), then the class tables.
  void finish() {
    for (size_t g = 0; g < c_.groups.size(); ++g)
      if (c_.groups[g].classes) {
        GroupBuild &b = builds_[g];
        const std::vector<std::pair<AddrPrefix, uint32_t>> sorted =
            b.prefixes.take_sorted();
        b.classes.reserve(sorted.size());
        b.class_encs.reserve(sorted.size());
        for (const auto &[prefix, enc] : sorted) {
          b.classes.push_back(prefix);
          b.class_encs.push_back(enc);
        }
        b.masks.assign(b.classes.size(), 0);
      }
    for (size_t g = 0; g < c_.groups.size(); ++g) {
      LookupGroup &grp = c_.groups[g];
      GroupBuild &b = builds_[g];
      if (grp.classes)
        continue;
      if (grp.kind == MapKind::Array) {
        for (uint32_t i = 0; i < b.array.size(); ++i)
          if (b.array[i]) {
            add_entry(grp.map,
                      std::vector<uint8_t>(reinterpret_cast<uint8_t *>(&i),
                                           reinterpret_cast<uint8_t *>(&i) + 4),
                      {b.array[i]});
            ++grp.entries;
          }
        continue;
      }
      if (grp.class_group >= 0)
        expand_class_items(g, b, builds_[static_cast<size_t>(grp.class_group)]);
      if (grp.rate_group >= 0) {
        finish_rate_group(g, b);
        continue;
      }
      if (grp.kind == MapKind::Lpm)
        fold_covering(b);
      // Deterministic order: sort keys.
      std::vector<std::pair<std::string, uint32_t>> sorted(b.hash.begin(),
                                                           b.hash.end());
      std::sort(sorted.begin(), sorted.end());
      for (auto &kv : sorted)
        add_entry(grp.map,
                  std::vector<uint8_t>(kv.first.begin(), kv.first.end()),
                  {kv.second});
      grp.entries = sorted.size();
      c_.maps[grp.map].max_entries =
          static_cast<uint32_t>(std::max<size_t>(1, sorted.size()));
      if (grp.class_group >= 0 && grp.kind == MapKind::Hash &&
          sorted.size() >= l_.value_filter_min_entries)
        add_value_filter(grp, sorted);
    }
    for (size_t g = 0; g < c_.groups.size(); ++g)
      if (c_.groups[g].classes)
        finish_class_table(c_.groups[g], builds_[g]);
    finish_rate_rules();
  }

private:
  // The bitmap of the values the group's first 16-bit key part takes
  // (LookupGroup::value_filter), if it has one.
  void
  add_value_filter(LookupGroup &grp,
                   const std::vector<std::pair<std::string, uint32_t>> &keys) {
    static constexpr uint32_t kWords = PSL_VALUE_WORDS;
    auto part = std::find_if(grp.exact.begin(), grp.exact.end(),
                             [](const KeyPart &k) { return k.size == 2; });
    if (part == grp.exact.end())
      return;
    std::vector<uint64_t> words(kWords);
    for (const auto &kv : keys) {
      const auto *k = reinterpret_cast<const uint8_t *>(kv.first.data());
      const uint32_t v = uint32_t{k[part->offset]} << 8 | k[part->offset + 1];
      words[v >> 6] |= uint64_t{1} << (v & 63);
    }
    const MapSpec &m = c_.maps[grp.map];
    grp.value_filter = static_cast<int>(c_.maps.size());
    grp.value_filter_part = static_cast<uint32_t>(part - grp.exact.begin());
    c_.maps.push_back(
        {m.name + "_f", MapKind::Array, 4, 8, kWords,
         m.purpose + " (values of " + field_info(part->field).name + ")"});
    for (uint32_t i = 0; i < kWords; ++i)
      if (words[i]) {
        std::vector<uint8_t> key(4);
        std::memcpy(key.data(), &i, 4);
        add_entry(static_cast<uint32_t>(grp.value_filter), std::move(key),
                  {static_cast<uint32_t>(words[i]),
                   static_cast<uint32_t>(words[i] >> 32)});
      }
  }

  static GroupKey class_table_key(FieldId f) {
    GroupKey k;
    k.kind = MapKind::Lpm;
    k.prefix = static_cast<int>(f);
    k.classes = true;
    return k;
  }

  // The value words are copied straight into the entry (no vector of them
  // first: the class tables write hundreds of thousands of entries).
  void add_entry(uint32_t map, std::vector<uint8_t> key, const uint32_t *words,
                 size_t n) {
    MapEntry &e = c_.entries.emplace_back();
    e.map = map;
    e.key = std::move(key);
    e.value.resize(4 * n);
    if (n > 0)
      std::memcpy(e.value.data(), words, e.value.size());
  }
  void add_entry(uint32_t map, std::vector<uint8_t> key,
                 std::initializer_list<uint32_t> words) {
    add_entry(map, std::move(key), words.begin(), words.size());
  }
  void add_entry(uint32_t map, std::vector<uint8_t> key,
                 const std::vector<uint32_t> &words) {
    add_entry(map, std::move(key), words.data(), words.size());
  }
  template <size_t N>
  void add_entry(uint32_t map, std::vector<uint8_t> key,
                 const std::array<uint32_t, N> &words) {
    add_entry(map, std::move(key), words.data(), N);
  }

  uint32_t group_for(const GroupKey &key) {
    auto it = index_.find(key);
    if (it != index_.end())
      return it->second;
    int class_group = -1;
    if (key.class_field >= 0)
      class_group = static_cast<int>(
          group_for(class_table_key(static_cast<FieldId>(key.class_field))));
    LookupGroup g;
    g.kind = key.kind;
    g.classes = key.classes;
    g.class_group = class_group;
    uint32_t off = 0;
    std::string shape = key.kind == MapKind::Lpm    ? "lpm"
                        : key.kind == MapKind::Hash ? "hash"
                                                    : "array";
    if (key.rate) {
      shape = "rate " + shape;
      g.rate_group = static_cast<int>(c_.rate_groups++);
    }
    std::string dims;
    if (key.class_field >= 0) {
      off = 4; // the class id, big-endian
      dims = std::string(" class(") +
             field_info(static_cast<FieldId>(key.class_field)).name + ")";
    }
    for (FieldId f : key.exact) {
      g.exact.push_back({f, off, key_bytes(f)});
      off += key_bytes(f);
      dims += std::string(dims.empty() ? " " : ", ") + field_info(f).name;
    }
    if (key.prefix >= 0) {
      FieldId f = static_cast<FieldId>(key.prefix);
      g.prefix = KeyPart{f, off, key_bytes(f)};
      off += key_bytes(f);
      if (key.class_field >= 0)
        dims += std::string(" + ") + field_info(f).name;
      else
        dims = std::string(" ") + field_info(f).name +
               (dims.empty() ? "" : " +" + dims);
    }
    g.data_size = off;
    g.shape = shape + dims;
    MapSpec m;
    m.name = "psl_g" + std::to_string(c_.groups.size());
    m.kind = key.kind;
    m.value_size = key.classes ? 16 // struct psl_class_val
                   : key.rate  ? static_cast<uint32_t>(sizeof(psl_rate_list))
                               : 4;
    if (key.kind == MapKind::Array) {
      m.key_size = 4;
      m.max_entries = static_cast<uint32_t>(domain_max(key.exact[0]) + 1);
    } else {
      m.key_size = key.kind == MapKind::Lpm ? 4 + ((off + 3) & ~3u) : off;
      m.max_entries = 1;
    }
    m.purpose = "group " + std::to_string(c_.groups.size()) + ": " + g.shape;
    g.map = static_cast<uint32_t>(c_.maps.size());
    c_.maps.push_back(m);
    uint32_t id = static_cast<uint32_t>(c_.groups.size());
    c_.groups.push_back(std::move(g));
    builds_.emplace_back();
    if (key.kind == MapKind::Array)
      builds_.back().array.assign(c_.maps.back().max_entries, 0);
    index_[key] = id;
    return id;
  }

  static std::vector<AddrPrefix> addr_prefixes(const FieldAtom &a) {
    std::vector<AddrPrefix> out;
    unsigned width = a.family == 6 ? 128 : 32;
    for (const Interval &i : a.values)
      for (auto [base, len] : interval_prefixes(i.lo, i.hi, width))
        out.push_back({a.family, base, len});
    return out;
  }

  void note_rule(uint32_t rule, uint32_t g) {
    LookupGroup &grp = c_.groups[g];
    if (grp.rules.empty() || grp.rules.back() != rule)
      grp.rules.push_back(rule);
    auto &groups = c_.rules[rule].groups;
    if (std::find(groups.begin(), groups.end(), g) == groups.end())
      groups.push_back(g);
  }

  // `enc`: the rule's encoded priority; in a rate group its rate slot.
  void emit(uint32_t rule, const GroupKey &key, const Conj &cj, uint32_t enc) {
    uint32_t g = group_for(key);
    LookupGroup &grp = c_.groups[g];
    GroupBuild &b = builds_[g];
    note_rule(rule, g);
    if (key.kind == MapKind::Array) {
      for (const Interval &i : cj[0].values)
        for (Point v = i.lo;; ++v) {
          keep_min(b.array[static_cast<size_t>(v)], enc);
          if (v == i.hi)
            break;
        }
      return;
    }
    if (grp.classes) {
      for (const AddrPrefix &p : addr_prefixes(cj[0]))
        keep_min(b.prefixes[p], enc);
      return;
    }
    if (grp.class_group >= 0) {
      // Keys wait for the class ids; the class table learns the prefixes now.
      const FieldAtom &cls = atom(cj, static_cast<FieldId>(key.class_field));
      GroupBuild &table = builds_[static_cast<size_t>(grp.class_group)];
      uint32_t conj = static_cast<uint32_t>(class_conjs_.size());
      class_conjs_.push_back(cj);
      for (const AddrPrefix &p : addr_prefixes(cls)) {
        table.prefixes.add(p);
        b.items.push_back({p, enc, conj});
      }
      return;
    }
    std::vector<uint8_t> data;
    emit_keys(grp, b, cj, data, enc);
  }

  static const FieldAtom &atom(const Conj &cj, FieldId f) {
    return *std::find_if(cj.begin(), cj.end(),
                         [&](const FieldAtom &a) { return a.field == f; });
  }

  // Every key of a conjunct after `prefix_data` (class-keyed groups: the
  // class id): the exact dimensions enumerated, then (LPM) the prefixes of
  // the prefix dimension.
  void emit_keys(const LookupGroup &grp, GroupBuild &b, const Conj &cj,
                 std::vector<uint8_t> &data, uint32_t enc) {
    std::vector<const FieldAtom *> exact;
    for (const KeyPart &k : grp.exact)
      exact.push_back(&atom(cj, k.field));
    const FieldAtom *pfx = grp.prefix ? &atom(cj, grp.prefix->field) : nullptr;
    enumerate(exact, 0, data, [&](std::vector<uint8_t> &d) {
      if (grp.rate_group >= 0) {
        // Rate groups have no prefix dimension; one rule lists itself once
        // per key (its prefixes are disjoint, so one covers a class).
        std::vector<uint32_t> &list = b.lists[std::string(d.begin(), d.end())];
        if (list.empty() || list.back() != enc)
          list.push_back(enc);
        return;
      }
      if (!pfx) {
        keep_min(b.hash[std::string(d.begin(), d.end())], enc);
        return;
      }
      const bool ip = is_ip_field(pfx->field);
      const unsigned width = prefix_width(*pfx);
      // Key bits before the value's own bits: the data so far, the family
      // byte and the ::ffff: of an IPv4 address, or the unused high bits of
      // a field narrower than its bytes.
      const uint32_t lead = 8 * static_cast<uint32_t>(d.size()) +
                            (ip ? 8 + (pfx->family == 6 ? 0 : 96)
                                : 8 * key_bytes(pfx->field) - width);
      for (const Interval &i : pfx->values)
        for (auto [base, plen] : interval_prefixes(i.lo, i.hi, width)) {
          const uint32_t bits = lead + plen;
          std::vector<uint8_t> k;
          k.reserve(4 + grp.data_size + 3);
          k.resize(4);
          std::memcpy(k.data(), &bits, 4);
          k.insert(k.end(), d.begin(), d.end());
          if (ip) {
            k.push_back(pfx->family);
            uint8_t addr[16];
            ip_point_bytes(pfx->family, base, addr);
            k.insert(k.end(), addr, addr + 16);
          } else {
            put_value(k, pfx->field, base);
          }
          k.resize(4 + ((grp.data_size + 3) & ~uint32_t{3}), 0);
          keep_min(b.hash[std::string(k.begin(), k.end())], enc);
        }
    });
  }

  template <typename Fn>
  void enumerate(const std::vector<const FieldAtom *> &dims, size_t i,
                 std::vector<uint8_t> &data, Fn &&fn) {
    if (i == dims.size()) {
      fn(data);
      return;
    }
    const FieldAtom &a = *dims[i];
    size_t mark = data.size();
    for (const Interval &iv : a.values)
      for (Point v = iv.lo;; ++v) {
        data.resize(mark);
        if (is_ip_field(a.field)) {
          data.push_back(a.family);
          uint8_t addr[16];
          ip_point_bytes(a.family, v, addr);
          data.insert(data.end(), addr, addr + 16);
        } else {
          put_value(data, a.field, v);
        }
        enumerate(dims, i + 1, data, fn);
        if (v == iv.hi)
          break;
      }
    data.resize(mark);
  }

  // The class table: every stored prefix gets a class id (its rank), the
  // least priority of the address-only rules on it or on a covering prefix
  // (so its longest match answers both questions) and the mask of the
  // class-keyed groups with keys for it (the others are not looked up).
  // Full-length addresses go to a hash looked up first when they are the
  // majority: a hit is the longest match and skips the trie walk, a miss
  // costs one hash lookup. With no shorter prefix there is no trie at all.
  // Enough IPv4 prefixes leave the trie for the /16 slots and the hash of
  // longer prefixes (Ipv4Split), enough IPv6 ones of /32 and longer for the
  // /32 buckets and the hash of longer prefixes (Ipv6Split), and the rest
  // is decided on what stays in the trie.
  void finish_class_table(LookupGroup &grp, GroupBuild &b) {
    const size_t n = b.classes.size();
    // Each stored prefix's value, and the innermost stored prefix covering
    // it (kNone: none), which an IPv6 bucket takes its value from.
    std::vector<ClassValue> vals(n);
    std::vector<size_t> parent(n, kNone);
    std::vector<size_t> chain; // covering prefixes of the current one
    size_t v4 = 0, v6 = 0, hosts4 = 0, hosts6 = 0;
    uint32_t lengths4 = 0; // bit L - 17: an IPv4 prefix of length L > 16
    for (size_t i = 0; i < n; ++i) {
      const AddrPrefix &p = b.classes[i];
      (p.family == 4 ? v4 : v6) += 1;
      hosts6 += p.family == 6 && p.len == 128;
      if (p.family == 4) {
        hosts4 += p.len == 32;
        if (p.len > 16)
          lengths4 |= uint32_t{1} << (p.len - 17);
      }
      while (!chain.empty() && !b.classes[chain.back()].covers(p))
        chain.pop_back();
      uint32_t best = b.class_encs[i];
      if (!chain.empty()) {
        parent[i] = chain.back();
        if (vals[chain.back()][0])
          keep_min(best, vals[chain.back()][0]);
      }
      vals[i] = {best, static_cast<uint32_t>(i + 1),
                 static_cast<uint32_t>(b.masks[i]),
                 static_cast<uint32_t>(b.masks[i] >> 32)};
      chain.push_back(i);
    }
    // A host list (group.h) splits below the threshold.
    const bool host_list =
        2 * hosts4 >= v4 && static_cast<size_t>(__builtin_popcount(lengths4)) <=
                                l_.ipv4_split_max_host_lengths;
    std::optional<Ipv4Split> split4;
    if (v4 > 0 && (v4 >= l_.ipv4_split_min_prefixes || host_list))
      split4.emplace();
    // IPv6 host lists stay in the hash of full-length addresses in front
    // of the trie: one lookup answers a host, and the split's arrays would
    // cost lowering, Clang and load time for nothing (threshold 0, for
    // tests, splits them too).
    const bool host_list6 = 2 * hosts6 >= v6;
    std::optional<Ipv6Split> split6;
    if (v6 > 0 && v6 >= l_.ipv6_split_min_prefixes &&
        (!host_list6 || l_.ipv6_split_min_prefixes == 0))
      split6.emplace(b.classes, vals, parent, l_.ipv6_dense_min_prefixes);
    if (split6 && split6->buckets.empty()) // only prefixes shorter than /32
      split6.reset();
    // Where each stored prefix goes: the IPv4 split, the IPv6 split, else
    // the trie (or the hash of full-length addresses in front of it).
    auto in_split = [&](size_t i) {
      const AddrPrefix &p = b.classes[i];
      return p.family == 4 ? split4.has_value() : split6 && split6->holds(i);
    };
    size_t full = 0, shorter = 0;
    for (size_t i = 0; i < n; ++i) {
      if (in_split(i))
        continue;
      const AddrPrefix &p = b.classes[i];
      const bool is_full = p.len == (p.family == 6 ? 128u : 32u);
      (is_full ? full : shorter) += 1;
      grp.v6_trie = grp.v6_trie || p.family == 6;
    }
    if (shorter == 0) {
      MapSpec &trie = c_.maps[grp.map];
      grp.kind = trie.kind = MapKind::Hash;
      trie.key_size = grp.data_size;
      grp.shape = "hash " + grp.shape.substr(grp.shape.find(' ') + 1);
    } else if (full > shorter) {
      MapSpec m = c_.maps[grp.map];
      m.name += "s";
      m.kind = MapKind::Hash;
      m.key_size = grp.data_size;
      m.max_entries = static_cast<uint32_t>(full);
      m.purpose += " (full-length addresses)";
      grp.exact_map = static_cast<int>(c_.maps.size());
      grp.shape = "hash+" + grp.shape;
      c_.maps.push_back(std::move(m));
    }
    size_t in_trie = 0;
    for (size_t i = 0; i < n; ++i) {
      const AddrPrefix &p = b.classes[i];
      if (in_split(i)) {
        if (p.family == 4)
          split4->add(p, vals[i]);
        continue;
      }
      const bool is_full = p.len == (p.family == 6 ? 128u : 32u);
      const bool hashed =
          grp.kind == MapKind::Hash || (grp.exact_map >= 0 && is_full);
      std::vector<uint8_t> k;
      k.reserve(hashed ? 17 : 4 + ((grp.data_size + 3) & ~uint32_t{3}));
      if (!hashed) {
        const uint32_t bits = 8 + (p.family == 6 ? 0 : 96) + p.len;
        k.resize(4);
        std::memcpy(k.data(), &bits, 4);
        ++in_trie;
      }
      k.push_back(p.family);
      uint8_t addr[16];
      ip_point_bytes(p.family, p.base, addr);
      k.insert(k.end(), addr, addr + 16);
      if (!hashed)
        k.resize(4 + ((grp.data_size + 3) & ~uint32_t{3}), 0);
      add_entry(hashed && grp.exact_map >= 0
                    ? static_cast<uint32_t>(grp.exact_map)
                    : grp.map,
                std::move(k), vals[i]);
    }
    grp.entries = n;
    c_.maps[grp.map].max_entries = static_cast<uint32_t>(
        std::max<size_t>(1, grp.exact_map >= 0 ? in_trie : full + shorter));
    if (split4) {
      grp.v4_lengths = lengths4; // every IPv4 prefix is in the split
      write_ipv4_split(grp, *split4);
    }
    if (split6)
      write_ipv6_split(grp, *split6);
  }

  using ClassValue = std::array<uint32_t, 4>; // struct psl_class_val as words
  static constexpr size_t kNone = SIZE_MAX;
  // Lengths above 32 one IPv6 bucket may probe (psl_class6).
  static constexpr size_t kClass6Lens = PSL_CLASS6_LENS;
  static_assert(sizeof(psl_class6_bucket) == 40 &&
                    sizeof(psl_class6_key) == 20 &&
                    sizeof(psl_class6_dir) == 48 &&
                    offsetof(psl_class6_bucket, nlens) == 32 &&
                    offsetof(psl_class6_bucket, slots) == 36,
                "unit_words and write_ipv6_split write these layouts");

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

    void add(const AddrPrefix &p, const Value &v) {
      const uint32_t first = static_cast<uint32_t>(p.base >> 16);
      if (p.len > 16) {
        Slot &slot = slots[first];
        slot.longer |= uint32_t{1} << (p.len - 17);
        // A prefix of /21 or shorter is aligned to whole blocks, a longer
        // one lies in one: a step of a block reaches each block it holds.
        for (Point a = p.base; a <= p.last(); a += Point{1} << 11)
          slot.blocks |= PSL_CLASS4_BLOCK(static_cast<uint32_t>(a));
        longer.push_back({p, v});
        return;
      }
      const uint32_t last = static_cast<uint32_t>(p.last() >> 16);
      for (uint32_t s = first;; ++s) {
        slots[s].v = v;
        if (s == last)
          break;
      }
    }
  };
  static constexpr uint32_t kIpv4Slots = 65536;

  // Adds the split's two maps (named after the trie's) and their entries:
  // the slots with a value or longer prefixes (the array starts zeroed),
  // and the longer prefixes.
  void write_ipv4_split(LookupGroup &grp, const Ipv4Split &split) {
    const MapSpec &trie = c_.maps[grp.map];
    MapSpec slots{trie.name + "_v4a",
                  MapKind::Array,
                  4,
                  24,
                  kIpv4Slots,
                  trie.purpose + " (IPv4 by /16)"};
    MapSpec longer{
        trie.name + "_v4h",
        MapKind::Hash,
        8,
        16,
        static_cast<uint32_t>(std::max<size_t>(1, split.longer.size())),
        trie.purpose + " (IPv4 prefixes /17 to /32)"};
    grp.v4_slots = static_cast<int>(c_.maps.size());
    c_.maps.push_back(std::move(slots));
    grp.v4_longer = static_cast<int>(c_.maps.size());
    c_.maps.push_back(std::move(longer));
    grp.shape += ", ipv4 by /16 array + hash";
    for (uint32_t s = 0; s < kIpv4Slots; ++s) {
      const Ipv4Split::Slot &slot = split.slots[s];
      if (slot.v[1] == 0 && slot.longer == 0)
        continue;
      std::vector<uint8_t> key(4);
      std::memcpy(key.data(), &s, 4);
      add_entry(static_cast<uint32_t>(grp.v4_slots), std::move(key),
                {slot.v[0], slot.v[1], slot.v[2], slot.v[3], slot.longer,
                 slot.blocks});
    }
    for (const auto &[p, v] : split.longer) {
      std::vector<uint8_t> key;
      key.reserve(8);
      put_be32(key, static_cast<uint32_t>(p.base));
      const uint32_t len = p.len;
      key.resize(8);
      std::memcpy(key.data() + 4, &len, 4);
      add_entry(static_cast<uint32_t>(grp.v4_longer), std::move(key),
                {v[0], v[1], v[2], v[3]});
    }
  }

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

    Ipv6Split(const std::vector<AddrPrefix> &cls,
              const std::vector<ClassValue> &v, const std::vector<size_t> &par,
              size_t dense_min)
        : classes(cls), vals(v), parent(par), held(cls.size()) {
      // In class order the first class of a /32 is the /32 itself or one
      // whose covering prefixes are all shorter than /32.
      for (size_t i = 0; i < classes.size(); ++i) {
        const AddrPrefix &p = classes[i];
        if (p.family != 6 || p.len < 32)
          continue;
        auto [it, fresh] =
            buckets.try_emplace(static_cast<uint32_t>(p.base >> 96));
        Bucket &bk = it->second;
        if (fresh && p.len == 32)
          bk.unit.v = vals[i];
        else if (fresh && parent[i] != kNone)
          bk.unit.v = vals[parent[i]];
        if (p.len > 32)
          bk.unit.longer.push_back(i);
        bk.members.push_back(i);
        held[i] = true;
      }
      std::vector<Bucket *> by_size;
      for (auto &[top, bk] : buckets)
        if (bk.unit.longer.size() >= std::max<size_t>(1, dense_min))
          by_size.push_back(&bk);
      std::stable_sort(by_size.begin(), by_size.end(),
                       [](const Bucket *a, const Bucket *b) {
                         return a->unit.longer.size() > b->unit.longer.size();
                       });
      for (Bucket *bk : by_size)
        if (dense < kDenseBuckets)
          make_dense(*bk, ++dense);
      for (auto &[top, bk] : buckets)
        if (!bk.dense)
          finish(bk.unit, bk.members);
    }
    bool holds(size_t i) const { return held[i]; }

    // Slots of 2^16 /48s: each starts with the bucket's value, then takes
    // those of the prefixes /33 to /48 covering it (in class order, a
    // prefix before those inside it), and searches the longer ones.
    void make_dense(Bucket &bk, uint32_t ordinal) {
      bk.dense = ordinal;
      bk.slots.assign(kSlots6, Unit{bk.unit.v, {}, {}, false});
      for (size_t i : bk.unit.longer) {
        const AddrPrefix &p = classes[i];
        const uint32_t first =
            static_cast<uint32_t>(p.base >> 80) & (kSlots6 - 1);
        if (p.len > 48) {
          bk.slots[first].longer.push_back(i);
          continue;
        }
        const uint32_t last =
            static_cast<uint32_t>(p.last() >> 80) & (kSlots6 - 1);
        for (uint32_t s = first; s <= last; ++s)
          bk.slots[s].v = vals[i];
      }
      for (Unit &u : bk.slots)
        finish(u, u.longer);
    }

    // Sorts a unit's lengths; with too many, leaves its prefixes and the
    // ones of /32 and longer covering them to the trie.
    void finish(Unit &u, const std::vector<size_t> &members) {
      for (size_t i : u.longer)
        u.lens.push_back(classes[i].len);
      std::sort(u.lens.begin(), u.lens.end());
      u.lens.erase(std::unique(u.lens.begin(), u.lens.end()), u.lens.end());
      u.trie = u.lens.size() > kClass6Lens;
      if (!u.trie)
        return;
      for (size_t i : members)
        for (size_t j = i; j != kNone && classes[j].len >= 32; j = parent[j])
          held[j] = false;
    }

    // The hash entries of a unit: its prefixes and their markers.
    std::map<Key, ClassValue> entries(const Unit &u) const {
      std::map<Key, ClassValue> out;
      for (size_t i : u.longer) {
        const AddrPrefix &p = classes[i];
        const size_t t = static_cast<size_t>(
            std::lower_bound(u.lens.begin(), u.lens.end(), p.len) -
            u.lens.begin());
        // psl_class6's search for length index t, hitting all the way.
        size_t lo = 0, hi = u.lens.size();
        while (lo < hi) {
          const size_t mid = (lo + hi - 1) / 2;
          if (mid == t)
            break;
          if (mid > t) {
            hi = mid;
            continue;
          }
          const uint32_t len = u.lens[mid];
          out.try_emplace({p.base & ~((Point(1) << (128 - len)) - 1), len},
                          covering(i, len));
          lo = mid + 1;
        }
      }
      for (size_t i : u.longer) // a prefix's own value wins over a marker's
        out[{classes[i].base, classes[i].len}] = vals[i];
      return out;
    }

    // The value of the longest stored prefix of at most `len` bits covering
    // class i (zero: none).
    ClassValue covering(size_t i, uint32_t len) const {
      size_t j = parent[i];
      while (j != kNone && classes[j].len > len)
        j = parent[j];
      return j == kNone ? ClassValue{} : vals[j];
    }
  };
  static constexpr uint32_t kSlots6 = 65536;
  // Dense buckets per table: each costs an array of 65536 40-byte slots.
  static constexpr uint32_t kDenseBuckets = 4;

  // struct psl_class6_bucket as words.
  static std::vector<uint32_t> unit_words(const Ipv6Split::Unit &u,
                                          uint32_t dense) {
    const ClassValue v = u.trie ? ClassValue{} : u.v;
    std::vector<uint32_t> words(v.begin(), v.end());
    uint8_t tail[kClass6Lens + 4] = {}; // lens, nlens, trie, padding
    if (!u.trie) {
      std::copy(u.lens.begin(), u.lens.end(), tail);
      tail[kClass6Lens] = static_cast<uint8_t>(u.lens.size());
    }
    tail[kClass6Lens + 1] = u.trie ? 1 : 0;
    words.resize(4 + sizeof(tail) / 4);
    std::memcpy(words.data() + 4, tail, sizeof(tail));
    words.push_back(dense);
    return words;
  }

  // Adds the IPv6 split's four maps (named after the trie's) and their
  // entries: the directory, every bucket, the slots of the dense ones (those
  // with a value or anything to search: the array starts zeroed), and the
  // prefixes longer than the bucket or slot searching them, with their markers.
  void write_ipv6_split(LookupGroup &grp, const Ipv6Split &split) {
    std::vector<std::map<Ipv6Split::Key, ClassValue>> longer;
    size_t longer_count = 0;
    auto search = [&](const Ipv6Split::Unit &u) {
      if (u.trie || u.longer.empty())
        return;
      longer.push_back(split.entries(u));
      longer_count += longer.back().size();
    };
    for (const auto &[top, bk] : split.buckets) {
      if (!bk.dense)
        search(bk.unit);
      for (const Ipv6Split::Unit &u : bk.slots)
        search(u);
    }
    const MapSpec &trie = c_.maps[grp.map];
    MapSpec buckets_map{trie.name + "_v6b",
                        MapKind::Hash,
                        4,
                        40,
                        static_cast<uint32_t>(split.buckets.size()),
                        trie.purpose + " (IPv6 by /32)"};
    MapSpec slots_map{trie.name + "_v6a",
                      MapKind::Array,
                      4,
                      40,
                      std::max<uint32_t>(1, split.dense * kSlots6),
                      trie.purpose + " (IPv6 dense /32s by /48)"};
    MapSpec longer_map{trie.name + "_v6h",
                       MapKind::Hash,
                       20,
                       16,
                       static_cast<uint32_t>(std::max<size_t>(1, longer_count)),
                       trie.purpose +
                           " (IPv6 prefixes /33 to /128 and markers)"};
    MapSpec dir_map{trie.name + "_v6d",
                    MapKind::Array,
                    4,
                    48,
                    PSL_CLASS6_DIR_SIZE,
                    trie.purpose + " (IPv6 bucket directory)"};
    grp.v6_dir = static_cast<int>(c_.maps.size());
    c_.maps.push_back(std::move(dir_map));
    grp.v6_buckets = static_cast<int>(c_.maps.size());
    c_.maps.push_back(std::move(buckets_map));
    grp.v6_slots = static_cast<int>(c_.maps.size());
    c_.maps.push_back(std::move(slots_map));
    grp.v6_longer = static_cast<int>(c_.maps.size());
    c_.maps.push_back(std::move(longer_map));
    grp.shape += split.dense ? ", ipv6 by /32 hash + /48 array + hash"
                             : ", ipv6 by /32 hash + hash";
    // The directory: each entry holds the bucket of the one /32 hashing to
    // it (kind 1), or sends to the hash when several do (kind 2).
    std::map<uint32_t, std::vector<uint32_t>> dir;
    for (const auto &[top, bk] : split.buckets) {
      std::vector<uint8_t> key;
      put_be32(key, top);
      dir[psl_class6_dir_index(key.data())].push_back(top);
    }
    for (const auto &[index, tops] : dir) {
      std::vector<uint32_t> words(10, 0);
      std::vector<uint8_t> top;
      if (tops.size() == 1) {
        const Ipv6Split::Bucket &bk = split.buckets.at(tops[0]);
        words = bk.dense ? unit_words(Ipv6Split::Unit{}, bk.dense)
                         : unit_words(bk.unit, 0);
        put_be32(top, tops[0]);
      } else {
        top.resize(4, 0);
      }
      words.resize(12);
      std::memcpy(&words[10], top.data(), 4);
      words[11] = tops.size() == 1 ? 1 : 2;
      std::vector<uint8_t> k(4);
      std::memcpy(k.data(), &index, 4);
      add_entry(static_cast<uint32_t>(grp.v6_dir), std::move(k),
                std::move(words));
    }
    for (const auto &[top, bk] : split.buckets) {
      std::vector<uint8_t> key;
      put_be32(key, top);
      add_entry(static_cast<uint32_t>(grp.v6_buckets), std::move(key),
                bk.dense ? unit_words(Ipv6Split::Unit{}, bk.dense)
                         : unit_words(bk.unit, 0));
      for (uint32_t s = 0; s < bk.slots.size(); ++s) {
        const Ipv6Split::Unit &u = bk.slots[s];
        if (u.v[1] == 0 && u.longer.empty())
          continue;
        const uint32_t index = (bk.dense - 1) * kSlots6 + s;
        std::vector<uint8_t> k(4);
        std::memcpy(k.data(), &index, 4);
        add_entry(static_cast<uint32_t>(grp.v6_slots), std::move(k),
                  unit_words(u, 0));
      }
    }
    for (const auto &entries : longer)
      for (const auto &[k, v] : entries) {
        std::vector<uint8_t> key(20);
        ip_point_bytes(6, k.first, key.data());
        std::memcpy(key.data() + 16, &k.second, 4);
        add_entry(static_cast<uint32_t>(grp.v6_longer), std::move(key), v);
      }
  }

  // A class-keyed conjunct on prefix P holds for every class P covers:
  // those are P itself and the prefixes right after it in the sorted trie.
  void expand_class_items(size_t g, GroupBuild &b, GroupBuild &table) {
    const LookupGroup &grp = c_.groups[g];
    // Groups past bit 63 are always looked up (the lowering refuses that
    // many maps anyway).
    const uint64_t bit = g < 64 ? uint64_t{1} << g : 0;
    std::vector<uint8_t> data;
    for (const ClassItem &it : b.items) {
      auto first = std::lower_bound(table.classes.begin(), table.classes.end(),
                                    it.prefix);
      for (auto q = first; q != table.classes.end() && it.prefix.covers(*q);
           ++q) {
        table.masks[static_cast<size_t>(q - table.classes.begin())] |= bit;
        data.clear();
        put_be32(data, static_cast<uint32_t>(q - table.classes.begin()) + 1);
        emit_keys(grp, b, class_conjs_[it.conj], data, it.enc);
      }
    }
    b.items.clear();
  }

  // A rate group's lists. A key may list at most PSL_RATE_LIST_MAX rules:
  // the later rules of a longer list go back to code, out of every list
  // of the group (a rule has its one conjunct in one group only).
  void finish_rate_group(size_t g, GroupBuild &b) {
    LookupGroup &grp = c_.groups[g];
    std::set<uint32_t> moved;
    for (const auto &kv : b.lists)
      for (size_t i = PSL_RATE_LIST_MAX; i < kv.second.size(); ++i)
        moved.insert(kv.second[i]);
    for (uint32_t slot : moved) {
      RateSlot &s = c_.rate_slots[slot];
      s.moved = true;
      RuleInfo &r = c_.rules[s.rule];
      r.in_code = true;
      r.why_code =
          "more than " + std::to_string(PSL_RATE_LIST_MAX) +
          " rate rules before it hold for the same key of its rate group";
      r.groups.erase(std::remove(r.groups.begin(), r.groups.end(), g),
                     r.groups.end());
      grp.rules.erase(std::remove(grp.rules.begin(), grp.rules.end(), s.rule),
                      grp.rules.end());
    }
    std::vector<std::pair<std::string, std::vector<uint32_t>>> sorted;
    sorted.reserve(b.lists.size());
    for (auto &kv : b.lists) {
      std::vector<uint32_t> &list = kv.second;
      if (!moved.empty())
        list.erase(std::remove_if(
                       list.begin(), list.end(),
                       [&](uint32_t slot) { return moved.count(slot) > 0; }),
                   list.end());
      if (!list.empty())
        sorted.emplace_back(kv.first, std::move(list));
    }
    std::sort(sorted.begin(), sorted.end());
    for (auto &[key, list] : sorted) {
      std::vector<uint32_t> words(1 + PSL_RATE_LIST_MAX, 0);
      words[0] = static_cast<uint32_t>(list.size());
      std::copy(list.begin(), list.end(), words.begin() + 1);
      add_entry(grp.map, std::vector<uint8_t>(key.begin(), key.end()), words);
    }
    grp.entries = sorted.size();
    c_.maps[grp.map].max_entries =
        static_cast<uint32_t>(std::max<size_t>(1, sorted.size()));
    b.lists.clear();
  }

  // psl_rate_rules: each placed rate rule's bucket and verdict at its slot.
  void finish_rate_rules() {
    if (c_.rate_slots.empty())
      return;
    MapSpec m;
    m.name = "psl_rate_rules";
    m.kind = MapKind::Array;
    m.key_size = 4;
    m.value_size = sizeof(psl_rate_rule);
    m.max_entries = static_cast<uint32_t>(c_.rate_slots.size());
    m.purpose = "rate rules of the rate groups, by slot";
    c_.rate_rules_map = static_cast<int>(c_.maps.size());
    c_.maps.push_back(m);
    for (uint32_t slot = 0; slot < c_.rate_slots.size(); ++slot) {
      const RateSlot &s = c_.rate_slots[slot];
      if (s.moved)
        continue;
      const RateSpec &spec = c_.rates[s.rate];
      psl_rate_rule v{};
      // normalize_condition() checked that the bucket can be made.
      psl_rate_cfg_make(spec.per_second, spec.burst, &v.cfg);
      v.enc = Classifier::encode(s.rule, c_.rules[s.rule].action);
      v.rule = s.rule;
      v.rate_id = spec.id;
      v.kind = static_cast<uint16_t>(s.kind);
      v.bits = spec.bits ? 1 : 0;
      MapEntry e;
      e.map = static_cast<uint32_t>(c_.rate_rules_map);
      e.key.resize(4);
      std::memcpy(e.key.data(), &slot, 4);
      e.value.resize(sizeof(v));
      std::memcpy(e.value.data(), &v, sizeof(v));
      c_.entries.push_back(std::move(e));
    }
  }

  static void put_be32(std::vector<uint8_t> &out, uint32_t v) {
    const uint8_t be[4] = {
        static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
        static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    out.insert(out.end(), be, be + 4);
  }

  // At each stored prefix, the least value over it and every stored prefix
  // covering it, so the longest match answers for all of them.
  static void fold_covering(GroupBuild &b) {
    std::vector<uint32_t> lens;
    for (auto &kv : b.hash) {
      uint32_t l;
      std::memcpy(&l, kv.first.data(), 4);
      lens.push_back(l);
    }
    std::sort(lens.begin(), lens.end());
    lens.erase(std::unique(lens.begin(), lens.end()), lens.end());
    if (lens.size() < 2)
      return;
    // Longer prefixes against the original values of shorter ones (the
    // fold is a min over ancestors, so order does not matter); updates are
    // applied after the walk. Map nodes do not move, so keys stay valid.
    std::vector<std::pair<const std::string *, uint32_t>> updates;
    std::string k;
    for (const auto &kv : b.hash) {
      uint32_t l;
      std::memcpy(&l, kv.first.data(), 4);
      uint32_t best = kv.second;
      for (uint32_t shorter : lens) {
        if (shorter >= l)
          break;
        // Mask the data to `shorter` bits.
        k.assign(kv.first);
        std::memcpy(&k[0], &shorter, 4);
        for (size_t byte = shorter / 8; byte + 4 < k.size(); ++byte) {
          uint32_t first = static_cast<uint32_t>(byte * 8);
          if (first >= shorter)
            k[4 + byte] = 0;
          else
            k[4 + byte] = static_cast<char>(static_cast<uint8_t>(k[4 + byte]) &
                                            (0xff << (8 - (shorter - first))));
        }
        auto it = b.hash.find(k);
        if (it != b.hash.end() && it->second < best)
          best = it->second;
      }
      if (best != kv.second)
        updates.push_back({&kv.first, best});
    }
    for (const auto &[key, best] : updates)
      b.hash.find(*key)->second = best;
  }

  Classifier &c_;
  const GroupLimits &l_;
  std::map<GroupKey, uint32_t> index_;
  size_t total_keys_ = 0;
  std::vector<GroupBuild> builds_;
  std::vector<Conj> class_conjs_;
};

// `A and rate(...) > R` (the rate test last and not inverted, A free of
// side effects and opaque tests): A (True when absent) and the rate's index.
std::optional<std::pair<Cond, uint32_t>> split_rate(const Cond &c) {
  if (c.kind == Cond::Kind::Rate && !c.negated)
    return std::make_pair(Cond{}, c.rate);
  if (c.kind != Cond::Kind::And || c.children.empty())
    return std::nullopt;
  const Cond &last = c.children.back();
  if (last.kind != Cond::Kind::Rate || last.negated)
    return std::nullopt;
  Cond a;
  a.kind = Cond::Kind::And;
  for (size_t i = 0; i + 1 < c.children.size(); ++i) {
    if (c.children[i].is_opaque())
      return std::nullopt;
    a.children.push_back(c.children[i]);
  }
  return std::make_pair(std::move(a), last.rate);
}

} // namespace

void place_rules(const std::vector<std::optional<Cond>> &conds, Classifier &c,
                 const GroupLimits &limits) {
  Placer placer(c, limits);
  for (uint32_t i = 0; i < conds.size(); ++i) {
    RuleInfo &r = c.rules[i];
    std::string why;
    if (!conds[i])
      why = "its condition could not be normalized";
    else if (r.action == Action::Count)
      why = "it is a count rule";
    else if (r.shadow)
      why = "it is a shadow rule";
    else if (conds[i]->has_side_effects()) {
      why = "it uses rate() other than as the last test of `CONDITION and "
            "rate(...) > R`";
      if (auto split =
              limits.rate_groups ? split_rate(*conds[i]) : std::nullopt) {
        auto dnf = to_dnf(split->first, limits.max_conjuncts);
        if (!dnf || dnf->size() > 1)
          why = "its condition before rate() has more than one alternative";
        else if (dnf->empty())
          continue; // never true: never reaches its rate()
        else if ((why = placer.place_rate(i, dnf->front(), split->second))
                     .empty())
          continue; // in a rate group
      }
    } else if (conds[i]->is_opaque())
      why = "it uses a dynamic set or compares two fields";
    if (why.empty()) {
      auto dnf = to_dnf(*conds[i], limits.max_conjuncts);
      if (!dnf)
        why = "its condition has more than " +
              std::to_string(limits.max_conjuncts) + " alternatives";
      else if (dnf->empty()) {
        // Never true: no entries, no code.
        continue;
      } else {
        why = placer.place(i, *dnf);
      }
    }
    if (!why.empty()) {
      r.in_code = true;
      r.why_code = why;
    }
  }
  placer.finish();
}

} // namespace psl::lower
