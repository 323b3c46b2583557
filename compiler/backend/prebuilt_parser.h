// The packet parser (bpf/templates/psl_parse.bpf.c) as a BPF object,
// compiled once when psc is built and embedded in it.
//
// psl_parse() is most of what a policy program compiles: every policy
// includes it, and it is the same for all. psc compiles a policy with
// PSL_PARSE_PREBUILT, so psl_parse.h only declares psl_parse(), and links
// the policy's object with this one (static_link.h). In the kernel the
// parser is a BPF global function: one call per packet, verified once.
//
// The bytes come from bpf/CMakeLists.txt (target psl_parse_prebuilt);
// link that target to use this.
#pragma once

#include "backend/static_link.h"

namespace psl::backend {

// A BPF ELF for -mcpu=v3 defining the global function
//   int psl_parse(struct xdp_md *ctx, struct psl_pkt *p);
ObjectBytes prebuilt_parser_object();

} // namespace psl::backend
