#include "lower/key_emission.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "lower/field_values.h"
#include "lower/map_entries.h"
#include "psl_classify.h"

namespace psl::lower {

namespace {

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

} // namespace

void ConjKeys::bind(const Conj &cj) {
  exact_.clear();
  prefixes_.clear();
  pfx_ = nullptr;
  for (const KeyPart &k : grp_.exact)
    exact_.push_back(&atom(cj, k.field));
  if (!grp_.prefix)
    return;
  pfx_ = &atom(cj, grp_.prefix->field);
  const unsigned width = prefix_width(*pfx_);
  for (const Interval &i : pfx_->values)
    for (const auto &bp : interval_prefixes(i.lo, i.hi, width))
      prefixes_.push_back(bp);
}

void ConjKeys::emit(GroupBuild &b, std::vector<uint8_t> &data, uint32_t enc) {
  const LookupGroup &grp = grp_;
  const FieldAtom *pfx = pfx_;
  enumerate(exact_, 0, data, [&](std::vector<uint8_t> &d) {
    if (grp.rate_group) {
      // Rate groups have no prefix dimension; one rule lists itself once
      // per key (its prefixes are disjoint, so one covers a class).
      uint32_t &at = b.list_of[d];
      if (at == 0) {
        b.lists.emplace_back();
        at = static_cast<uint32_t>(b.lists.size());
      }
      std::vector<uint32_t> &list = b.lists[at - 1];
      if (list.empty() || list.back() != enc)
        list.push_back(enc);
      return;
    }
    if (!pfx) {
      keep_min(b.hash[d], enc);
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
    std::vector<uint8_t> &k = k_;
    for (const auto &[base, plen] : prefixes_) {
      const uint32_t bits = lead + plen;
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
      keep_min(b.hash[k], enc);
    }
  });
}

void emit_keys(const LookupGroup &grp, GroupBuild &b, const Conj &cj,
               std::vector<uint8_t> &data, uint32_t enc) {
  ConjKeys keys(grp);
  keys.bind(cj);
  keys.emit(b, data, enc);
}

void fold_covering(GroupBuild &b) {
  // Each stored prefix against the stored prefixes covering it, in one
  // sweep over the keys sorted by their data (the bits, most significant
  // first) and then length: a prefix comes right before the prefixes it
  // covers, so the ones covering the current key are exactly the stack of
  // those still open. (Masking every key to every shorter length in use
  // and looking that up cost a hash lookup per length: 150 ms for the
  // 100k-rule mixed policy.) The fold is a min over a prefix and its
  // ancestors' original values, kept on the stack as a running min.
  KeyTable &t = b.hash;
  if (t.size() < 2)
    return;
  const size_t data = t.key_size() - 4; // after the prefix length
  const auto len = [&](uint32_t i) {
    uint32_t l;
    std::memcpy(&l, t.key(i), 4);
    return l;
  };
  std::vector<uint32_t> keys(t.size());
  for (uint32_t i = 0; i < keys.size(); ++i)
    keys[i] = i;
  std::sort(keys.begin(), keys.end(), [&](uint32_t x, uint32_t y) {
    const int d = std::memcmp(t.key(x) + 4, t.key(y) + 4, data);
    return d != 0 ? d < 0 : len(x) < len(y);
  });
  // Is `outer` (bits of its length) a prefix of `inner`'s data?
  const auto covers = [&](uint32_t outer, uint32_t inner) {
    const uint32_t l = len(outer);
    if (l > len(inner))
      return false;
    const uint8_t *o = t.key(outer) + 4, *in = t.key(inner) + 4;
    const size_t whole = l / 8;
    if (std::memcmp(o, in, whole) != 0)
      return false;
    if (l % 8 == 0)
      return true;
    const uint8_t mask = static_cast<uint8_t>(0xff << (8 - l % 8));
    return ((o[whole] ^ in[whole]) & mask) == 0;
  };
  struct Open {
    uint32_t key;
    uint32_t least; // over it and the prefixes covering it (original values)
  };
  std::vector<Open> open;
  std::vector<std::pair<uint32_t, uint32_t>> updates;
  for (const uint32_t k : keys) {
    while (!open.empty() && !covers(open.back().key, k))
      open.pop_back();
    const uint32_t own = t.value(k);
    const uint32_t least =
        open.empty() ? own : std::min(own, open.back().least);
    if (least != own)
      updates.push_back({k, least});
    open.push_back({k, least});
  }
  for (auto &[k, least] : updates)
    t.value(k) = least;
}

void add_value_filter(Classifier &c_, LookupGroup &grp, const KeyTable &keys) {
  static constexpr uint32_t kWords = PSL_VALUE_WORDS;
  auto part = std::find_if(grp.exact.begin(), grp.exact.end(),
                           [](const KeyPart &k) { return k.size == 2; });
  if (part == grp.exact.end())
    return;
  std::vector<uint64_t> words(kWords);
  for (size_t i = 0; i < keys.size(); ++i) {
    const uint8_t *k = keys.key(i);
    const uint32_t v = uint32_t{k[part->offset]} << 8 | k[part->offset + 1];
    words[v >> 6] |= uint64_t{1} << (v & 63);
  }
  const MapSpec &m = c_.maps[grp.map];
  grp.value_filter = static_cast<uint32_t>(c_.maps.size());
  grp.value_filter_part = static_cast<uint32_t>(part - grp.exact.begin());
  c_.maps.push_back(
      {m.name + "_f",
       MapKind::Array,
       4,
       8,
       kWords,
       m.purpose + " (values of " + field_info(part->field).name + ")",
       {}});
  for (uint32_t i = 0; i < kWords; ++i)
    if (words[i]) {
      add_entry(c_, *grp.value_filter, host_u32_key(i),
                {static_cast<uint32_t>(words[i]),
                 static_cast<uint32_t>(words[i] >> 32)});
    }
}

void add_class_block_filter(Classifier &c_, LookupGroup &grp,
                            const KeyTable &keys) {
  static constexpr uint32_t kWords = PSL_CLASS_BLOCK_WORDS;
  static constexpr uint32_t kClassBits = 32; // the class id leads the key
  if (!grp.exact.empty() || !grp.prefix || grp.prefix->size != 2 ||
      grp.prefix->offset != kClassBits / 8)
    return;
  std::vector<uint64_t> words(kWords);
  for (size_t i = 0; i < keys.size(); ++i) {
    const uint8_t *k = keys.key(i);
    uint32_t prefixlen;
    std::memcpy(&prefixlen, k, 4); // host order, as the kernel reads it
    // A key that leaves part of the class open would match other classes'
    // packets: no bitmap can stand for it (the lowering never makes one).
    if (prefixlen < kClassBits || prefixlen > kClassBits + 16)
      return;
    const uint8_t *data = k + 4;
    const uint32_t cls = uint32_t{data[0]} << 24 | uint32_t{data[1]} << 16 |
                         uint32_t{data[2]} << 8 | data[3];
    const uint32_t len = prefixlen - kClassBits;
    const uint32_t lo = (uint32_t{data[4]} << 8 | data[5]) &
                        (len ? 0xffffu << (16 - len) & 0xffffu : 0);
    const uint32_t hi = lo | (0xffffu >> len);
    for (uint32_t v = lo >> PSL_CLASS_BLOCK_SHIFT;
         v <= hi >> PSL_CLASS_BLOCK_SHIFT; ++v) {
      const uint32_t bit = psl_class_block_bit(cls, v << PSL_CLASS_BLOCK_SHIFT);
      words[bit >> 6] |= uint64_t{1} << (bit & 63);
    }
  }
  const MapSpec &m = c_.maps[grp.map];
  grp.class_block_filter = static_cast<uint32_t>(c_.maps.size());
  c_.maps.push_back({m.name + "_b",
                     MapKind::Array,
                     4,
                     8,
                     kWords,
                     m.purpose + " (blocks of " +
                         field_info(grp.prefix->field).name + " by class)",
                     {}});
  for (uint32_t i = 0; i < kWords; ++i)
    if (words[i]) {
      add_entry(c_, *grp.class_block_filter, host_u32_key(i),
                {static_cast<uint32_t>(words[i]),
                 static_cast<uint32_t>(words[i] >> 32)});
    }
}

} // namespace psl::lower
