/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * psl_verifier.h — keeping the BPF verifier's work small.
 *
 * The verifier walks every path through a program, but stops on a path
 * whose state (register values and ranges, stack contents) is contained in
 * one it has already verified at the same instruction. Paths that meet
 * with a difference the verifier tracks are walked again after the join,
 * once per combination, and loading a policy runs the verifier every time
 * (the parser, psl_parse.h, with every policy). psl_verifier_forget()
 * removes such a difference where the paths meet. On the host the same
 * code is the identity.
 */
#ifndef PSL_VERIFIER_H
#define PSL_VERIFIER_H

#include "psl_pkt.h"

/*
 * Returns v unchanged; in BPF the verifier sees an unknown value in
 * [0, mask] (mask + 1 a power of two, v <= mask as the verifier knows it).
 * For a value the verifier tracks exactly and that differs between the
 * paths that meet: a packet offset (it bounds the accesses), an index, a
 * value a branch compares that the verifier could decide alone. It costs
 * two ALU instructions, one more for a mask narrower than 32 bits, and
 * the final xor.
 *
 * `noise` is any value the verifier cannot know, at least as wide as mask
 * as the verifier sees it (a byte or length read from the packet, the
 * frame length, an argument): noise ^ noise is 0 at run time, but the
 * verifier does not know that two registers hold the same value through an
 * ALU op, and sees a value as wide as noise. The asm keeps LLVM from
 * folding it. Safety never depends on this, only the verifier's work: what
 * the verifier sees always includes the real value, and a verifier that
 * saw through it would only take the old time.
 *
 * For a packet offset, mask plus the largest constant added to the pointer
 * must stay within the verifier's limit for variable packet offsets
 * (MAX_PACKET_OFF, 0xffff), or the bounds checks stop giving a range.
 */
PSL_INLINE __u32 psl_verifier_forget(__u32 v, __u32 mask, __u32 noise) {
#ifdef __bpf__
  __u32 zero;

  asm volatile("%[z] = %[n]\n\t%[z] ^= %[n]"
               : [z] "=&r"(zero)
               : [n] "r"(noise));
  return v ^ (zero & mask);
#else
  (void)mask;
  (void)noise;
  return v;
#endif
}

#endif /* PSL_VERIFIER_H */
