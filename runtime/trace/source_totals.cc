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
  auto since = [](uint64_t cur, uint64_t prev) {
    return cur >= prev ? cur - prev : cur;
  };
  auto add = [&](uint64_t &total, uint64_t cur, uint64_t prev) {
    total += before ? since(cur, prev) : cur;
  };
  const pso_src_val zero{};
  const pso_src_val &b = before ? *before : zero;
  add(t.packets, now.packets, b.packets);
  add(t.bytes, now.bytes, b.bytes);
  add(t.tcp_syn, now.tcp_syn, b.tcp_syn);
  add(t.icmp_echo, now.icmp_echo, b.icmp_echo);
  add(t.udp, now.udp, b.udp);
  add(t.xdp_drop, now.xdp_drop, b.xdp_drop);
  for (int i = 0; i < PSO_REFLECTION_PORTS; ++i)
    add(t.udp_reflection[i], now.udp_reflection[i], b.udp_reflection[i]);
}

} // namespace

size_t SourceTotals::KeyHash::operator()(const Key &k) const {
  uint64_t h = 1469598103934665603ull; // FNV-1a
  for (uint8_t b : k)
    h = (h ^ b) * 1099511628211ull;
  return static_cast<size_t>(h);
}

void SourceTotals::update(const pso_src_slot *slots, uint32_t count, int ncpus,
                          std::vector<SourceStats> &out) {
  ++reading_;
  const bool have_prev = prev_ncpus_ == ncpus;
  std::vector<const pso_src_val *> shares;
  for (uint32_t i = 0; i < count; ++i) {
    const pso_src_slot *row = &slots[size_t(i) * ncpus];
    for (int c = 0; c < ncpus; ++c) {
      const pso_src_slot &first = row[c];
      if (first.family == 0)
        continue;
      bool seen = false; // an earlier CPU's share of the same source
      for (int e = 0; e < c && !seen; ++e)
        seen = same_source(row[e], first);
      if (seen)
        continue;

      Key key{};
      key[0] = first.family;
      std::memcpy(&key[1], first.addr, 16);
      Total &t = totals_[key];
      // Counted at the previous reading: its shares go on from there.
      const bool known = t.reading != 0 && t.reading + 1 == reading_;
      shares.clear();
      for (int o = c; o < ncpus; ++o)
        if (same_source(row[o], first))
          shares.push_back(&row[o].v);
      SourceStats now = merge_source(first.addr, first.family, shares);
      if (!known) {
        t.stats = SourceStats{};
        t.stats.first_seen_ns = now.first_seen_ns;
      }
      for (int o = c; o < ncpus; ++o) {
        if (!same_source(row[o], first))
          continue;
        const pso_src_slot *before = known && have_prev && i < prev_count_
                                         ? &prev_[size_t(i) * ncpus + size_t(o)]
                                         : nullptr;
        if (before && (!same_source(*before, row[o]) ||
                       before->v.first_seen != row[o].v.first_seen))
          before = nullptr; // evicted and created again since
        add_share(t.stats, row[o].v, before ? &before->v : nullptr);
      }
      t.reading = reading_;

      now.first_seen_ns = t.stats.first_seen_ns;
      now.packets = t.stats.packets;
      now.bytes = t.stats.bytes;
      now.tcp_syn = t.stats.tcp_syn;
      now.icmp_echo = t.stats.icmp_echo;
      now.udp = t.stats.udp;
      now.xdp_drop = t.stats.xdp_drop;
      now.udp_reflection = t.stats.udp_reflection;
      out.push_back(now);
    }
  }
  for (auto it = totals_.begin(); it != totals_.end();)
    it = it->second.reading == reading_ ? std::next(it) : totals_.erase(it);
  prev_.assign(slots, slots + size_t(count) * ncpus);
  prev_count_ = count;
  prev_ncpus_ = ncpus;
}

} // namespace psr::trace
