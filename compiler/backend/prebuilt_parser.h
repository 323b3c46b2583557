// The packet parser (bpf/templates/psl_parse.bpf.c) as a BPF object,
// compiled once when psc is built and embedded in it.
//
// The whole parser is most of what a policy program would compile. psc
// compiles a policy with PSL_PARSE_PREBUILT, so psl_parse.h only declares
// psl_parse() and the IPv6 extension-header walk psl_ip6_chain(), and links
// the policy's object with this one (static_link.h). A policy inlines the
// rest of the parser, cut to its fields (psl_parse_cut), and calls these
// for what the cut leaves out: the extension walk on IPv6 packets that
// have one, psl_parse() when the XDP observation is on (or with psc build
// --parser prebuilt). In the kernel they are BPF global functions, each
// verified once on its own.
//
// The bytes come from bpf/CMakeLists.txt (target psl_parse_prebuilt);
// link that target to use this.
#pragma once

#include "backend/static_link.h"

namespace psl::backend {

// A BPF ELF for -mcpu=v3 defining the global functions
//   int psl_parse(struct xdp_md *ctx, struct psl_pkt *p);
//   int psl_ip6_chain(struct xdp_md *ctx, struct psl_pkt *p, __u32 eoff,
//                     __u32 limit);
ObjectBytes prebuilt_parser_object();

} // namespace psl::backend
