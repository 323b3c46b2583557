#include "policy/counters.h"

#include <cerrno>
#include <set>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

namespace psr::policy {

be::Expected<std::vector<psl_counter>> read_counter_slots(int map_fd,
                                                          uint32_t slots) {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0)
    return be::Error("cannot count the possible CPUs", -cpus);
  const size_t ncpu = static_cast<size_t>(cpus);
  std::vector<psl_counter> out(slots, psl_counter{0, 0});
  if (slots == 0)
    return out;
  // One batch syscall where the kernel has them for arrays (it stops at
  // the map's end with ENOENT), else one lookup per slot.
  std::vector<uint32_t> keys(slots);
  std::vector<psl_counter> values(static_cast<size_t>(slots) * ncpu);
  uint32_t count = slots;
  uint32_t out_batch = 0;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  if (bpf_map_lookup_batch(map_fd, nullptr, &out_batch, keys.data(),
                           values.data(), &count, &opts) == 0 ||
      errno == ENOENT) {
    for (uint32_t i = 0; i < count && i < slots; ++i) {
      if (keys[i] >= slots)
        continue;
      for (size_t c = 0; c < ncpu; ++c) {
        const psl_counter &v = values[i * ncpu + c];
        out[keys[i]].packets += v.packets;
        out[keys[i]].bytes += v.bytes;
      }
    }
    return out;
  }
  std::vector<psl_counter> per_cpu(ncpu);
  for (uint32_t id = 0; id < slots; ++id) {
    if (bpf_map_lookup_elem(map_fd, &id, per_cpu.data()) != 0)
      continue;
    psl_counter sum{0, 0};
    for (const psl_counter &v : per_cpu) {
      sum.packets += v.packets;
      sum.bytes += v.bytes;
    }
    out[id] = sum;
  }
  return out;
}

CounterTotals total_counts(const ProgramState &s,
                           const std::vector<psl_counter> &rule_cnt,
                           const std::vector<psl_counter> &shadow_cnt) {
  auto at = [](const std::vector<psl_counter> &v, uint32_t id) {
    return id < v.size() ? v[id] : psl_counter{0, 0};
  };
  CounterTotals t;
  for (const RuleEntry &r : s.rules) {
    RuleCounts c;
    auto base = s.counter_base.find(r.name);
    if (base != s.counter_base.end())
      c = base->second;
    c.packets += at(rule_cnt, r.counter).packets;
    c.bytes += at(rule_cnt, r.counter).bytes;
    c.shadow_packets += at(shadow_cnt, r.counter).packets;
    c.shadow_bytes += at(shadow_cnt, r.counter).bytes;
    t.rules[r.name] = c;
  }
  t.default_counts = s.default_base;
  t.default_counts.packets += at(rule_cnt, 0).packets;
  t.default_counts.bytes += at(rule_cnt, 0).bytes;
  return t;
}

CounterCarry carry_counters(const CounterTotals &old_totals,
                            const std::vector<std::string> &new_rules) {
  CounterCarry c;
  c.default_base = old_totals.default_counts;
  std::set<std::string> kept;
  for (const std::string &name : new_rules) {
    auto it = old_totals.rules.find(name);
    if (it == old_totals.rules.end())
      continue;
    kept.insert(name);
    if (it->second.zero())
      continue;
    c.base[name] = it->second;
    c.carried.push_back(name);
  }
  for (const auto &[name, counts] : old_totals.rules)
    if (!kept.count(name) && !counts.zero())
      c.dropped.push_back(name);
  return c;
}

bool same_counter_layout(const std::vector<RuleEntry> &old_rules,
                         const std::vector<RuleEntry> &new_rules) {
  if (old_rules.size() != new_rules.size())
    return false;
  for (size_t i = 0; i < old_rules.size(); ++i)
    if (old_rules[i].name != new_rules[i].name ||
        old_rules[i].counter != new_rules[i].counter)
      return false;
  return true;
}

} // namespace psr::policy
