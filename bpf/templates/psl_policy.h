/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * psl_policy.h — the fixed part of every generated policy program.
 *
 * A program psc generates starts with this header and then declares what
 * depends on the policy: the counter maps' sizes (PSL_COUNTER_MAPS), the
 * groups' maps and the code. Nothing here depends on the policy, so psc
 * compiles this header once, when psc itself is built, into a Clang
 * precompiled header that every policy compile loads instead of parsing
 * the kernel, libbpf and template headers again
 * (compiler/backend/clang_compiler.h, precompiled_header).
 *
 * Keep it that way: a macro a policy defines must not change what this
 * header declares. Headers that do depend on the policy (psl_rate_table.h)
 * are included by the generated code after it.
 */
#ifndef PSL_POLICY_H
#define PSL_POLICY_H

#include <linux/bpf.h> /* before bpf_helpers.h, which uses its types */

#include <bpf/bpf_helpers.h>

/* The counter maps are sized by the generated code (psl_counters.h). */
#define PSL_COUNTER_MAPS_LATER

#include "psl_classify.h"
#include "psl_parse.h"

#endif /* PSL_POLICY_H */
