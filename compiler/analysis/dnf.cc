#include "analysis/dnf.h"

#include <algorithm>

namespace psl::analysis {

template std::optional<Dnf> dnf_and<Box>(const Dnf &, const Dnf &,
                                         const DnfLimits &);
template std::optional<Dnf> dnf_or<Box>(Dnf, Dnf, const DnfLimits &);
template std::optional<Dnf> dnf_not<Box>(const Dnf &, const DnfLimits &);

void simplify(Dnf &d) {
  if (d.size() < 2 || d.size() > 64)
    return;
  // Absorption: drop boxes inside another (the earlier of two equal ones
  // stays).
  std::vector<bool> dead(d.size(), false);
  for (size_t i = 0; i < d.size(); ++i) {
    if (dead[i])
      continue;
    for (size_t j = 0; j < d.size(); ++j) {
      if (i == j || dead[j])
        continue;
      if (box_contains(d[j], d[i]) && !(j > i && box_contains(d[i], d[j]))) {
        dead[i] = true;
        break;
      }
    }
  }
  Dnf kept;
  for (size_t i = 0; i < d.size(); ++i)
    if (!dead[i])
      kept.push_back(std::move(d[i]));
  d = std::move(kept);
  // Merge boxes equal but in one dimension, until nothing merges.
  bool merged = true;
  while (merged && d.size() > 1) {
    merged = false;
    for (size_t i = 0; i < d.size() && !merged; ++i)
      for (size_t j = i + 1; j < d.size() && !merged; ++j) {
        const auto &a = d[i].constraints();
        const auto &b = d[j].constraints();
        if (a.size() != b.size())
          continue;
        int diff = -1;
        bool ok = true;
        for (size_t k = 0; k < a.size() && ok; ++k) {
          if (a[k].dim != b[k].dim)
            ok = false;
          else if (a[k].set != b[k].set) {
            if (diff >= 0)
              ok = false;
            diff = static_cast<int>(k);
          }
        }
        if (!ok || diff < 0)
          continue;
        Box m = d[i];
        DimId dim = a[diff].dim;
        m.set(dim, a[diff].set.unite(b[diff].set));
        if (!normalize(m))
          continue;
        d[i] = std::move(m);
        d.erase(d.begin() + static_cast<ptrdiff_t>(j));
        merged = true;
      }
  }
}

} // namespace psl::analysis
