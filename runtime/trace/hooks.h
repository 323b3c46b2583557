// The tracing hooks: their names, the tracepoint behind each, and how the
// loader chooses to attach each one on this kernel (tp_btf when the
// kernel's BTF describes the tracepoint with the arguments the program
// reads, else raw_tp, else missing, with the reason).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct btf;

namespace psr::trace {

struct HookSpec {
  uint32_t id;            // enum pso_hook (bpf/runtime/pso_abi.h)
  const char *name;       // "skb:kfree_skb": as status and paths show it
  const char *tracepoint; // "kfree_skb": the raw tracepoint's name
  // Arguments the program reads (after the tracepoint's hidden first
  // one): the kernel's btf_trace_<tracepoint> must have at least these.
  uint32_t args;
};

// Every stack hook, in enum pso_hook order (the XDP hook is not here: it
// comes with the policy program). hook_name(PSO_HOOK_XDP) is "xdp".
const std::vector<HookSpec> &stack_hooks();
const char *hook_name(uint32_t id);
// The spec whose `name` or `tracepoint` is `name`; nullptr if none.
const HookSpec *find_hook(const std::string &name);

enum class AttachKind { TpBtf, RawTp, Missing };
const char *attach_kind_name(AttachKind k); // "tp_btf", "raw_tp", ""

// What the kernel's BTF says of a tracepoint: whether btf_trace_<tp>
// exists, and how many arguments its handler takes (without the hidden
// first one).
struct TracepointBtf {
  bool found = false;
  uint32_t args = 0;
};
TracepointBtf tracepoint_in_btf(const struct btf *vmlinux,
                                const std::string &tracepoint);

} // namespace psr::trace
