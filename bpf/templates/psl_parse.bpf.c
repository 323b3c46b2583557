// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * psl_parse.bpf.c — the packet parser as a BPF global function, compiled
 * once when psc is built (bpf/CMakeLists.txt) and embedded in it, with the
 * IPv6 extension-header walk psl_ip6_chain(), a global function of its own
 * that the parser inlined into policies (psl_parse_cut) calls.
 *
 * psc compiles a policy with PSL_PARSE_PREBUILT, so psl_parse.h only
 * declares psl_parse(), and links the policy object with this one
 * (compiler/backend/static_link.h). The definition is the same text as the
 * inline one in psl_parse.h; only its linkage differs:
 *
 *  - global (not static): the verifier verifies a global function once, on
 *    its own, with its arguments as the types say (ctx: the XDP context;
 *    p: 104 bytes of memory that may be NULL, which psl_parse checks);
 *  - noinline: a global function must stay a real call for that.
 *
 * No license section here: the policy object brings the program's.
 */
#include <linux/bpf.h> /* before bpf_helpers.h, which uses its types */

#include <bpf/bpf_helpers.h>

#define PSL_PARSE_LINKAGE __attribute__((noinline))
#include "psl_parse.h"
