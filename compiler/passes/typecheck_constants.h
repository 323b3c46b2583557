// Reading constants against the context they meet (the type checker's
// "contextual" half, passes/typecheck.cc): `tcp.dport == 22` makes the 22
// a port, `icmp6.type == echo_request` makes the name ICMPv6 type 128.
// A use site is re-read from its syntax, through the names of constants,
// twice: first without reporting, only to learn whether the kinds fit at
// all, then for real, reporting what is wrong with single elements (a
// value too wide for the field, an ICMP name of the wrong family) and
// recording the contextual values on the use-site nodes.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "ast/ast.h"
#include "ast/fields.h"
#include "diag/diagnostics.h"

namespace psl::typecheck {

inline std::string quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

// Types that are one value (not a set, range or rate meter).
inline bool is_scalar(TypeKind k) {
  return k != TypeKind::Error && k != TypeKind::Set && k != TypeKind::Range &&
         k != TypeKind::RateMeter;
}

// Whether an operand's kinds fit its context. Silent: something inside was
// reported (now or by an earlier pass); say nothing more about it.
enum class Fit { Ok, Mismatch, Silent };
inline Fit worse(Fit a, Fit b) {
  return static_cast<int>(a) > static_cast<int>(b) ? a : b;
}

class ConstantReader {
public:
  using ConstMap = std::unordered_map<const Decl *, ConstDecl *>;
  // `consts` maps each constant's declaration to itself, with its folded
  // value and natural type already set; it must outlive the reader.
  ConstantReader(DiagnosticSink &diags, const ConstMap &consts)
      : diags_(diags), consts_(consts) {}

  // A constant operand read as one value of `kind` (the field on the other
  // side, if any, gives widths and message wording).
  Fit fit_scalar(Expr &e, TypeKind kind, const FieldInfo *field);
  // The right side of `in`: a set, a range or a prefix.
  Fit fit_member(Expr &e, TypeKind kind, const FieldInfo *field);

  // How an operand reads in a message: literals as written, names and
  // fields quoted, short compound operands as written.
  std::string describe(const Expr &e) const;
  // The policy text an expression was written as.
  std::string source_text(const Expr &e) const;

private:
  struct Target;
  struct Site;

  template <typename Attempt>
  static Fit fit_twice(Attempt attempt);
  static void record(Expr &e, const Target &t, const Site &site, Fit fit,
                     Value v, Type type);
  Diagnostic &report_at(DiagCode code, const Expr &leaf, const Site &site,
                        std::string msg);
  Fit read_scalar(Expr &e, const Target &t, bool allow_cidr, const Site &site,
                  Value &out, Type &out_type);
  Fit read_int(const Expr &e, uint64_t n, const Target &t, const Site &site,
               Value &out, Type &out_type);
  Fit read_icmp_name(const NameExpr &n, const Target &t, const Site &site,
                     Value &out, Type &out_type);
  Fit read_range(Expr &e, const Target &t, const Site &site, Value &out,
                 Type &out_type);
  Fit read_set(Expr &e, const Target &t, const Site &site, SetValue &out);
  Fit read_element(Expr &el, const Target &t, const Site &site, SetValue &out);

  DiagnosticSink &diags_;
  const ConstMap &consts_;
};

} // namespace psl::typecheck
