// A typed, folded PSL condition as a Dnf over the condition space.
#pragma once

#include <optional>
#include <string>

#include "analysis/dnf.h"
#include "analysis/space.h"
#include "ast/ast.h"
#include "ast/fields.h"

namespace psl::analysis {

// How `not` treats guards. The two readings differ only for `not` of
// something other than a bare bool field:
//
//   packet          tcp.dport==22  tcp.dport!=22  not (tcp.dport==22)
//                                                 GuardKept  Complement
//   UDP             false          false          false      true
//   TCP, dport 22   true           false          false      false
//   TCP, dport 80   false          true           true       true
//
// GuardKept (docs/language.md "Protocol guards and not", and the reference
// interpreter, compiler/interp): the guard belongs to each field's use and
// no `not` ever negates it. `not` is pushed down to the atoms (De Morgan)
// and a negated atom is guard ∧ ¬test: `not (tcp.dport == 22)` is
// `tcp.dport != 22`; `not (tcp.syn and udp.dport == 53)` is
// (tcp ∧ ¬syn) ∨ (udp ∧ dport≠53), which is not always true; and
// `X or not X` holds only where X's guards do.
//
// Complement: `not` of a bare bool field keeps the guard (`not tcp.syn` is
// tcp ∧ ¬syn), `not` of anything else is the boolean complement of the
// guarded condition, inside which each atom keeps its positive guard:
// `not (tcp.dport == 22)` is ¬(tcp ∧ dport=22) = ¬tcp ∨ (tcp ∧ dport≠22);
// `not (tcp.syn and udp.dport == 53)` is ¬((tcp ∧ syn) ∧ (udp ∧ d=53)),
// true for every packet (the conjunction is empty).
enum class NotSemantics { GuardKept, Complement };

// Builds the set of a typed, folded condition (after resolve, consteval
// and typecheck). and/or/not are read by read_nnf (nnf.h), as the
// lowering reads them, and combined by dnf.h; the atoms are this class's:
//   - a field comparison implies the field's guard: `tcp.dport == 22` is
//     tcp ∧ dport=22, `tcp.dport != 22` is tcp ∧ dport≠22, `tcp.dport not
//     in S` is tcp ∧ dport∉S; `not` follows NotSemantics;
//   - l4.sport/l4.dport are tcp.X for TCP and udp.X for UDP;
//   - ip.src/ip.dst with an IPv4 value imply ip.version 4 (IPv6: 6);
//   - rate() comparisons and dynamic-set membership are opaque atoms under
//     the guards of their fields (rate(): its key fields, as the
//     interpreter's token buckets need them); field-against-field
//     comparisons too.
class ConditionBuilder {
public:
  explicit ConditionBuilder(Space &space, DnfLimits limits = {},
                            NotSemantics semantics = NotSemantics::GuardKept)
      : space_(space), limits_(limits), semantics_(semantics) {}
  // nullopt: the condition is too complex (more than max_terms boxes).
  std::optional<Dnf> build(const Expr &cond);

private:
  struct Reader; // of read_nnf (nnf.h)
  std::optional<Dnf> negated(Dnf d);
  // The atom, or with `negate` its negation under the guard (GuardKept).
  Dnf atom(const Expr &e, bool negate);
  Dnf compare_atom(const CompareExpr &c, bool negate);
  Dnf fresh(const Expr &e, bool negate, const FieldInfo *guard_a,
            const FieldInfo *guard_b);
  Dnf guarded_opaque(DimId d, bool value, const FieldInfo *guard_a,
                     const FieldInfo *guard_b);

  Space &space_;
  DnfLimits limits_;
  NotSemantics semantics_;
};

// The guard of a field as a Dnf (l4: tcp ∨ udp; ip.src: ip).
Dnf guard_dnf(const FieldInfo &f);

// What the checks make of a rule's or a protect's condition.
enum class CondState { Ok, AlwaysFalse, TooComplex };

// Builds `cond` into `out` with GuardKept semantics: Ok, AlwaysFalse (out
// empty) or TooComplex (out untouched; also for a missing condition, which
// leaves nothing to reason about).
CondState build_condition(Space &space, const Expr *cond,
                          const DnfLimits &limits, Dnf &out);

} // namespace psl::analysis
