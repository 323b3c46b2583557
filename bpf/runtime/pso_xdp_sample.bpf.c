// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * pso_xdp_sample.bpf.c — the XDP observation's sampled path as a BPF
 * global function, compiled once when psc is built (bpf/CMakeLists.txt)
 * and embedded in it, as the packet parser is (psl_parse.bpf.c).
 *
 * psc compiles a policy with PSL_PARSE_PREBUILT, so pso_xdp.h only
 * declares pso_xdp_sample(), and links the policy object with this one
 * (compiler/backend/prebuilt_objects.h). The definition is
 * pso_xdp_sample.h's, with global linkage:
 *
 *  - global (not static): the verifier verifies it once, on its own, with
 *    its arguments as the types say (ctx: the XDP context; p and cfg:
 *    memory of their struct's size that may be NULL, which it checks);
 *  - noinline: a global function must stay a real call for that.
 *
 * The maps only the sampled path uses (pso_budget, pso_scratch,
 * pso_events) are defined here and reach the policy with the link; the
 * configuration (pso_cfg) stays the policy's and comes in as `cfg`.
 * No license section here: the policy object brings the program's.
 */
#include <linux/bpf.h> /* before bpf_helpers.h, which uses its types */

#include <bpf/bpf_helpers.h>

#define PSO_XDP_SAMPLE_LINKAGE __attribute__((noinline))
#include "pso_xdp_sample.h"
