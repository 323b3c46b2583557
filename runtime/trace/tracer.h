// The stack tracepoints (bpf/runtime/pso_stack.bpf.c) of one network
// namespace, through their libbpf skeleton: one RAII owner for open ->
// rodata -> load -> attach -> destroy, with a choice per hook (tp_btf when
// the kernel's BTF has btf_trace_<tracepoint> with the arguments the
// program reads, else raw_tp, else missing, with the reason) and a
// fallback when the kernel refuses the choice at load or attach.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "backend/bpf_object.h"
#include "backend/status.h"
#include "trace/drop_reasons.h"
#include "trace/observation.h"
#include "trace/snapshot.h"

struct pso_stack;

namespace psr::trace {

struct TracerOptions {
  // The traced network namespace's inode (`stat -L /proc/PID/ns/net`); 0:
  // the namespace of the thread that calls create().
  uint32_t netns_inode = 0;
  // Hooks not to attach ("skb:kfree_skb" or "kfree_skb"); status says
  // "disabled".
  std::set<std::string> disable;
  // raw_tp even where tp_btf would do: every hook, or the ones named.
  bool force_raw_tp = false;
  std::set<std::string> force_raw_tp_hooks;
  // For the fallback tests: the kernel really refuses the named hooks'
  // tp_btf program (loaded as a type its code is not valid for) or raw_tp
  // program (attached to a tracepoint that does not exist), so the
  // fallback runs as it would on a kernel without them.
  std::set<std::string> break_tp_btf;
  std::set<std::string> break_raw_tp;
  Sampling sampling;
  // Received skbs whose time in the stack is measured, at most, per CPU
  // and clock tick (a clock read is a helper call, two per timed skb);
  // the others are still counted. 64 is 16000 a second per CPU at
  // HZ=250; 0 times every skb.
  uint32_t timed_per_tick = 64;
  // For the overhead benchmark only: the stack programs return at once,
  // counting nothing, so what remains is the cost of being called.
  bool empty_bodies = false;
};

class Tracer {
public:
  // Loads and attaches. Fails only if nothing could be attached or the
  // object cannot be opened or loaded at all; a hook that cannot be
  // attached is reported in hooks() and the others work.
  static psl::backend::Expected<std::unique_ptr<Tracer>>
  create(const TracerOptions &options = {});
  ~Tracer();
  Tracer(const Tracer &) = delete;
  Tracer &operator=(const Tracer &) = delete;

  // Every stack hook and how it is attached, or why it is not.
  const std::vector<HookStatus> &hooks() const { return hooks_; }
  uint32_t netns_inode() const { return netns_; }

  // The stack's counters, plus (when given) one interface's XDP
  // observation, at this instant.
  psl::backend::Expected<Snapshot>
  read(const XdpObservation *xdp = nullptr) const;

  // Changes which packets write path events (the stack's side; the XDP
  // side is XdpObservation::set_sampling).
  psl::backend::Status set_sampling(const Sampling &s) const;
  int events_fd() const;
  const DropReasons &drop_reasons() const { return reasons_; }

private:
  Tracer() = default;
  psl::backend::Status read_stack(Snapshot &snap) const;

  pso_stack *skel_ = nullptr;
  std::vector<psl::backend::BpfLink> links_;
  std::vector<HookStatus> hooks_;
  uint32_t netns_ = 0;
  DropReasons reasons_;
  // The highest count of received skbs without a known end seen so far,
  // per class (Funnel::untracked: a counter, so it never goes down).
  mutable std::array<std::atomic<uint64_t>, kProtoCount> untracked_{};
};

// The inode of the calling thread's network namespace.
psl::backend::Expected<uint32_t> current_netns_inode();

} // namespace psr::trace
