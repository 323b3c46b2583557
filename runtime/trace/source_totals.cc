#include "trace/source_totals.h"

#include <cstring>

#include "pso_abi.h"
#include "trace/observation.h"

namespace psr::trace {

namespace {

bool same_source(const pso_src_slot &a, const pso_src_slot &b) {
  return a.family == b.family && std::memcmp(a.addr, b.addr, 16) == 0;
}

// What `now` counted since `before`, the same share at the last reading,
// or all it counted (before == nullptr: a share created since).
void add_share(SourceStats &t, const pso_src_val &now,
               const pso_src_val *before) {
  // A share created since counts from zero, so all of it is new.
  auto add = [](uint64_t &total, uint64_t cur, uint64_t prev) {
    total += cur >= prev ? cur - prev : cur;
  };
  const pso_src_val zero{};
  const pso_src_val &b = before ? *before : zero;
  add(t.packets, now.packets, b.packets);
  add(t.bytes, now.bytes, b.bytes);
  add(t.tcp_syn, now.tcp_syn, b.tcp_syn);
  add(t.icmp_echo, now.icmp_echo, b.icmp_echo);
  add(t.udp, now.udp, b.udp);
  add(t.xdp_drop, now.xdp_drop, b.xdp_drop);
  add(t.tcp_syn_drop, now.tcp_syn_drop, b.tcp_syn_drop);
  add(t.icmp_echo_drop, now.icmp_echo_drop, b.icmp_echo_drop);
  add(t.udp_drop, now.udp_drop, b.udp_drop);
  for (int i = 0; i < PSO_REFLECTION_PORTS; ++i)
    add(t.udp_reflection[i], now.udp_reflection[i], b.udp_reflection[i]);
}

} // namespace

void SourceTotals::update(const pso_src_slot *slots, uint32_t count, int ncpus,
                          std::vector<SourceStats> &out) {
  const bool have_prev = prev_ncpus_ == ncpus;
  const size_t width = static_cast<size_t>(ncpus);
  next_.assign(size_t(count) * width, SourceStats{});
  std::vector<const pso_src_val *> shares;
  for (uint32_t i = 0; i < count; ++i) {
    const pso_src_slot *row = &slots[size_t(i) * width];
    // The sources of this slot at the previous reading, and now.
    const SourceStats *was =
        have_prev && i < prev_count_ ? &totals_[size_t(i) * width] : nullptr;
    SourceStats *is = &next_[size_t(i) * width];
    int sources = 0;
    for (int c = 0; c < ncpus; ++c) {
      const pso_src_slot &first = row[c];
      if (first.family == 0)
        continue;
      bool seen = false; // an earlier CPU's share of the same source
      for (int e = 0; e < c && !seen; ++e)
        seen = same_source(row[e], first);
      if (seen)
        continue;

      shares.clear();
      for (int o = c; o < ncpus; ++o)
        if (same_source(row[o], first))
          shares.push_back(&row[o].v);
      SourceStats now = merge_source(first.addr, first.family, shares);
      // Counted at the previous reading: its shares go on from there.
      const SourceStats *known = nullptr;
      for (int k = 0; was && k < ncpus && !known; ++k)
        if (was[k].family == first.family &&
            std::memcmp(was[k].addr.data(), first.addr, 16) == 0)
          known = &was[k];
      SourceStats &t = is[sources++];
      if (known) {
        t = *known;
      } else {
        t.addr = now.addr;
        t.family = now.family;
        t.first_seen_ns = now.first_seen_ns;
      }
      for (int o = c; o < ncpus; ++o) {
        if (!same_source(row[o], first))
          continue;
        const pso_src_slot *before =
            known ? &prev_[size_t(i) * width + size_t(o)] : nullptr;
        if (before && (!same_source(*before, row[o]) ||
                       before->v.first_seen != row[o].v.first_seen))
          before = nullptr; // evicted and created again since
        add_share(t, row[o].v, before ? &before->v : nullptr);
      }

      // The counters and first_seen are the totals; what is read anew each
      // time (last seen, the estimates) is this reading's.
      SourceStats read = t;
      read.last_seen_ns = now.last_seen_ns;
      read.distinct_dports = now.distinct_dports;
      read.distinct_daddrs = now.distinct_daddrs;
      out.push_back(read);
    }
  }
  totals_.swap(next_);
  prev_.assign(slots, slots + size_t(count) * width);
  prev_count_ = count;
  prev_ncpus_ = ncpus;
}

} // namespace psr::trace
