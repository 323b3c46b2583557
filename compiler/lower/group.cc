#include "lower/group.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <unordered_map>

#include "lower/field_values.h"

namespace psl::lower {

namespace {

using Conj = std::vector<FieldAtom>; // sorted by field, one atom per field
using Dnf = std::vector<Conj>;

// a ∧ b for two conjunctions; false when empty.
bool conj_and(const Conj &a, const Conj &b, Conj &out) {
  out = a;
  for (const FieldAtom &x : b) {
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const FieldAtom &y) { return y.field == x.field; });
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
  std::sort(out.begin(), out.end(),
            [](const FieldAtom &l, const FieldAtom &r) { return l.field < r.field; });
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

bool all_points_small(const FieldAtom &a, size_t max) {
  if (is_ip_field(a.field))
    return std::all_of(a.values.begin(), a.values.end(),
                       [](const Interval &i) { return i.lo == i.hi; }) &&
           a.values.size() <= max;
  Point n = count_points(a.values);
  return n <= max;
}

struct GroupKey {
  MapKind kind;
  std::vector<FieldId> exact;
  int prefix; // FieldId or -1
  bool operator<(const GroupKey &o) const {
    return std::tie(kind, exact, prefix) < std::tie(o.kind, o.exact, o.prefix);
  }
};

struct GroupBuild {
  std::unordered_map<std::string, uint32_t> hash; // key data -> least enc
  std::vector<uint32_t> array;
  std::vector<bool> rule_seen;
};

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
    for (const Conj &cj : dnf) {
      if (cj.empty())
        return "its condition holds for every packet";
      std::vector<const FieldAtom *> ips;
      for (const FieldAtom &a : cj)
        if (is_ip_field(a.field))
          ips.push_back(&a);
      GroupKey key;
      key.prefix = -1;
      if (!ips.empty()) {
        key.kind = MapKind::Lpm;
        const FieldAtom *pfx = nullptr;
        for (const FieldAtom *a : ips)
          if (!all_points_small(*a, 1)) {
            if (pfx)
              return "it tests two address ranges at once";
            pfx = a;
          }
        if (!pfx)
          pfx = ips.front();
        key.prefix = static_cast<int>(pfx->field);
        for (const FieldAtom &a : cj)
          if (&a != pfx)
            key.exact.push_back(a.field);
      } else if (cj.size() == 1 && !is_mac_field(cj[0].field) && field_bits(cj[0].field) <= 16) {
        key.kind = MapKind::Array;
        key.exact.push_back(cj[0].field);
      } else {
        key.kind = MapKind::Hash;
        for (const FieldAtom &a : cj)
          key.exact.push_back(a.field);
      }
      // Cross product of the exact dimensions.
      if (key.kind != MapKind::Array) {
        Point product = 1;
        for (const FieldAtom &a : cj) {
          if (static_cast<int>(a.field) == key.prefix)
            continue;
          if (!all_points_small(a, l_.max_entries_per_conjunct))
            return "'" + std::string(field_info(a.field).name) +
                   "' takes too many values for a map key";
          product *= is_ip_field(a.field) ? a.values.size() : count_points(a.values);
          if (product > l_.max_entries_per_conjunct)
            return "its conditions combine into more than " +
                   std::to_string(l_.max_entries_per_conjunct) + " map keys";
        }
      }
      // Map keys this conjunct adds: the exact cross product times the
      // prefixes of the address dimension.
      Point keys = 1;
      for (const FieldAtom &a : cj) {
        if (static_cast<int>(a.field) == key.prefix) {
          Point prefixes = 0;
          for (const Interval &i : a.values)
            prefixes += interval_prefixes(i.lo, i.hi, a.family == 6 ? 128 : 32).size();
          keys *= prefixes;
        } else if (key.kind != MapKind::Array) {
          keys *= is_ip_field(a.field) ? a.values.size() : count_points(a.values);
        } else {
          keys *= count_points(a.values);
        }
      }
      rule_keys += keys;
      if (rule_keys > l_.max_entries_per_conjunct)
        return "its conditions combine into more than " +
               std::to_string(l_.max_entries_per_conjunct) + " map keys";
      plans.push_back({key, &cj});
    }
    if (total_keys_ + rule_keys > l_.max_group_entries)
      return "the policy's lookup groups already hold " + std::to_string(total_keys_) +
             " keys (limit " + std::to_string(l_.max_group_entries) + ")";
    total_keys_ += static_cast<size_t>(rule_keys);
    for (const Plan &p : plans)
      emit(rule, p.key, *p.conj);
    return "";
  }

  void finish() {
    for (size_t g = 0; g < c_.groups.size(); ++g) {
      LookupGroup &grp = c_.groups[g];
      GroupBuild &b = builds_[g];
      MapSpec &m = c_.maps[grp.map];
      if (grp.kind == MapKind::Array) {
        for (uint32_t i = 0; i < b.array.size(); ++i)
          if (b.array[i]) {
            MapEntry e;
            e.map = grp.map;
            e.key.resize(4);
            std::memcpy(e.key.data(), &i, 4);
            e.value.resize(4);
            std::memcpy(e.value.data(), &b.array[i], 4);
            c_.entries.push_back(std::move(e));
            ++grp.entries;
          }
        continue;
      }
      if (grp.kind == MapKind::Lpm)
        fold_covering(grp, b);
      // Deterministic order: sort keys.
      std::vector<std::pair<std::string, uint32_t>> sorted(b.hash.begin(), b.hash.end());
      std::sort(sorted.begin(), sorted.end());
      for (auto &kv : sorted) {
        MapEntry e;
        e.map = grp.map;
        e.key.assign(kv.first.begin(), kv.first.end());
        e.value.resize(4);
        std::memcpy(e.value.data(), &kv.second, 4);
        c_.entries.push_back(std::move(e));
      }
      grp.entries = sorted.size();
      m.max_entries = static_cast<uint32_t>(std::max<size_t>(1, sorted.size()));
    }
  }

private:
  uint32_t group_for(const GroupKey &key) {
    auto it = index_.find(key);
    if (it != index_.end())
      return it->second;
    LookupGroup g;
    g.kind = key.kind;
    uint32_t off = 0;
    std::string shape = key.kind == MapKind::Lpm ? "lpm" : key.kind == MapKind::Hash ? "hash"
                                                                                      : "array";
    std::string dims;
    for (FieldId f : key.exact) {
      g.exact.push_back({f, off, key_bytes(f)});
      off += key_bytes(f);
      dims += std::string(dims.empty() ? " " : ", ") + field_info(f).name;
    }
    if (key.prefix >= 0) {
      FieldId f = static_cast<FieldId>(key.prefix);
      g.prefix = KeyPart{f, off, 17};
      off += 17;
      dims = std::string(" ") + field_info(f).name + (dims.empty() ? "" : " +" + dims);
    }
    g.data_size = off;
    g.shape = shape + dims;
    MapSpec m;
    m.name = "psl_g" + std::to_string(c_.groups.size());
    m.kind = key.kind;
    m.value_size = 4;
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

  void emit(uint32_t rule, const GroupKey &key, const Conj &cj) {
    uint32_t g = group_for(key);
    LookupGroup &grp = c_.groups[g];
    GroupBuild &b = builds_[g];
    uint32_t enc = Classifier::encode(rule, c_.rules[rule].action);
    if (grp.rules.empty() || grp.rules.back() != rule)
      grp.rules.push_back(rule);
    auto &groups = c_.rules[rule].groups;
    if (std::find(groups.begin(), groups.end(), g) == groups.end())
      groups.push_back(g);
    auto keep_min = [](uint32_t &slot, uint32_t v) {
      if (slot == 0 || v < slot)
        slot = v;
    };
    if (key.kind == MapKind::Array) {
      for (const Interval &i : cj[0].values)
        for (Point v = i.lo;; ++v) {
          keep_min(b.array[static_cast<size_t>(v)], enc);
          if (v == i.hi)
            break;
        }
      return;
    }
    // Enumerate the exact part, then (LPM) the prefixes.
    std::vector<const FieldAtom *> exact;
    const FieldAtom *pfx = nullptr;
    for (FieldId f : key.exact)
      for (const FieldAtom &a : cj)
        if (a.field == f)
          exact.push_back(&a);
    if (key.prefix >= 0)
      for (const FieldAtom &a : cj)
        if (static_cast<int>(a.field) == key.prefix)
          pfx = &a;
    std::vector<uint8_t> data;
    enumerate(exact, 0, data, [&](std::vector<uint8_t> &d) {
      if (!pfx) {
        auto &slot = b.hash[std::string(d.begin(), d.end())];
        keep_min(slot, enc);
        return;
      }
      unsigned width = pfx->family == 6 ? 128 : 32;
      for (const Interval &i : pfx->values)
        for (auto [base, plen] : interval_prefixes(i.lo, i.hi, width)) {
          std::vector<uint8_t> k(4);
          uint32_t bits = 8 * static_cast<uint32_t>(d.size() + 1) + plen +
                          (pfx->family == 6 ? 0 : 96);
          std::memcpy(k.data(), &bits, 4);
          k.insert(k.end(), d.begin(), d.end());
          k.push_back(pfx->family);
          uint8_t addr[16];
          ip_point_bytes(pfx->family, base, addr);
          k.insert(k.end(), addr, addr + 16);
          k.resize(4 + ((d.size() + 17 + 3) & ~size_t{3}), 0);
          auto &slot = b.hash[std::string(k.begin(), k.end())];
          keep_min(slot, enc);
        }
    });
  }

  template <typename Fn>
  void enumerate(const std::vector<const FieldAtom *> &dims, size_t i, std::vector<uint8_t> &data,
                 Fn &&fn) {
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

  // At each stored prefix, the least value over it and every stored prefix
  // covering it, so the longest match answers for all of them.
  static void fold_covering(const LookupGroup &g, GroupBuild &b) {
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
    // Process longer prefixes against the original values of shorter ones
    // (the fold is a min over ancestors, so order does not matter).
    std::unordered_map<std::string, uint32_t> out = b.hash;
    (void)g;
    for (auto &kv : out) {
      uint32_t l;
      std::memcpy(&l, kv.first.data(), 4);
      std::string probe = kv.first;
      for (uint32_t shorter : lens) {
        if (shorter >= l)
          break;
        // Mask the data to `shorter` bits.
        std::string k = probe;
        std::memcpy(&k[0], &shorter, 4);
        for (size_t byte = 0; byte + 4 < k.size(); ++byte) {
          uint32_t first = static_cast<uint32_t>(byte * 8);
          if (first + 8 <= shorter)
            continue;
          if (first >= shorter)
            k[4 + byte] = 0;
          else
            k[4 + byte] = static_cast<char>(static_cast<uint8_t>(k[4 + byte]) &
                                            (0xff << (8 - (shorter - first))));
        }
        auto it = b.hash.find(k);
        if (it != b.hash.end() && it->second < kv.second)
          kv.second = it->second;
      }
    }
    b.hash = std::move(out);
  }

  Classifier &c_;
  const GroupLimits &l_;
  std::map<GroupKey, uint32_t> index_;
  size_t total_keys_ = 0;
  std::vector<GroupBuild> builds_;
};

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
    else if (conds[i]->has_side_effects())
      why = "it uses rate()";
    else if (conds[i]->is_opaque())
      why = "it uses a dynamic set or compares two fields";
    if (why.empty()) {
      auto dnf = to_dnf(*conds[i], limits.max_conjuncts);
      if (!dnf)
        why = "its condition has more than " + std::to_string(limits.max_conjuncts) +
              " alternatives";
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
