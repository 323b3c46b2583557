// The BPF objects compiled once when psc is built and linked into every
// policy object psc compiles (with PSL_PARSE_PREBUILT, policy_compile.h):
// the packet parser (prebuilt_parser.h) and the XDP observation's sampled
// path (bpf/runtime/pso_xdp_sample.bpf.c). In the kernel their functions
// are BPF global functions, each verified once on its own.
//
// The bytes come from bpf/CMakeLists.txt (target psl_parse_prebuilt);
// link that target to use this.
#pragma once

#include <vector>

#include "backend/prebuilt_parser.h"
#include "backend/static_link.h"

namespace psl::backend {

// A BPF ELF for -mcpu=v3 defining the global function
//   int pso_xdp_sample(struct xdp_md *ctx, const struct psl_pkt *p,
//                      const struct pso_cfg *cfg, __u32 drop, __u32 rule);
// and the maps only it uses: pso_budget, pso_scratch, pso_events.
ObjectBytes prebuilt_observation_object();

// What a policy object is linked with, in this order after it: the parser
// and the sampled path, named as libbpf's messages will name them.
std::vector<LinkInput> prebuilt_link_inputs();

} // namespace psl::backend
