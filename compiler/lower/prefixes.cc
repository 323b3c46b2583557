#include "lower/prefixes.h"

#include <algorithm>

#include "lower/field_values.h"

namespace psl::lower {

std::vector<AddrPrefix> addr_prefixes(const FieldAtom &a) {
  std::vector<AddrPrefix> out;
  unsigned width = a.family == 6 ? 128 : 32;
  for (const Interval &i : a.values)
    for (auto [base, len] : interval_prefixes(i.lo, i.hi, width))
      out.push_back({a.family, base, len});
  return out;
}

uint32_t &PrefixMap::operator[](const AddrPrefix &p) {
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

std::vector<std::pair<AddrPrefix, uint32_t>> PrefixMap::take_sorted() {
  std::vector<std::pair<AddrPrefix, uint32_t>> out = std::move(items_);
  items_.clear();
  slots_.clear();
  std::sort(out.begin(), out.end(),
            [](const auto &x, const auto &y) { return x.first < y.first; });
  return out;
}

size_t PrefixMap::hash(const AddrPrefix &p) {
  const uint64_t lo = static_cast<uint64_t>(p.base);
  const uint64_t hi = static_cast<uint64_t>(p.base >> 64);
  uint64_t h = lo * 0x9e3779b97f4a7c15ULL ^
               (hi + (uint64_t{p.family} << 8) + p.len) * 0xc2b2ae3d27d4eb4fULL;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ULL;
  return static_cast<size_t>(h ^ (h >> 32));
}

void PrefixMap::grow() {
  slots_.assign(std::max<size_t>(64, 2 * slots_.size()), 0);
  const size_t mask = slots_.size() - 1;
  for (size_t k = 0; k < items_.size(); ++k) {
    size_t i = hash(items_[k].first) & mask;
    while (slots_[i] != 0)
      i = (i + 1) & mask;
    slots_[i] = static_cast<uint32_t>(k + 1);
  }
}

} // namespace psl::lower
