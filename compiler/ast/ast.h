// The PSL abstract syntax tree. Knows nothing of ANTLR: the frontend builds
// it from the parse tree, the passes annotate it (resolved names, folded
// constants, types), fmt prints it, the backend lowers it.
//
// Every node has a source range. Nodes own their children through
// unique_ptr; cross references filled in by passes (a name's declaration,
// a field's table entry) are plain non-owning pointers into the same tree
// or into static tables.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ast/fields.h"
#include "ast/value.h"
#include "diag/diagnostics.h"

namespace psl {

struct Node {
  SourceRange range;
  virtual ~Node() = default;
};

// ---------------------------------------------------------------- expressions

enum class ExprKind : uint8_t {
  Literal, // 42, 10.0.0.0/8, 100/s, true, proto(47), aa:bb:cc:dd:ee:ff
  Name,    // trusted, tcp, echo_request
  Field,   // ip.src
  Set,     // { a, b, c..d }
  Range,   // lo..hi
  Not,     // not e
  Binary,  // a and b, a or b
  Compare, // == != < <= > >= in, not in
  Rate,    // rate(KEY, ..., burst N)
};

struct Expr : Node {
  explicit Expr(ExprKind k) : kind(k) {}
  const ExprKind kind;
  // Set by the type checker.
  Type type;
  // Set by constant evaluation for every constant expression (literals,
  // names of constants, set literals, ranges); empty for packet-dependent
  // expressions.
  std::optional<Value> constant;
};
using ExprPtr = std::unique_ptr<Expr>;

struct LiteralExpr : Expr {
  LiteralExpr() : Expr(ExprKind::Literal) {}
  // The literal's type as written (Int for `22`; the type checker may give
  // the expression a contextual type such as Port).
  TypeKind literal_kind = TypeKind::Error;
  Value value;
  std::string spelling; // as written, kept by fmt ("0x2a", "10k/s")
};

struct Decl;
struct NameExpr : Expr {
  NameExpr() : Expr(ExprKind::Name) {}
  std::string name;
  // Set by name resolution: what the name denotes.
  enum class Target : uint8_t {
    Unresolved,
    Const,    // decl is a ConstDecl
    Set,      // decl is a SetDecl (dynamic set)
    Proto,    // a protocol name (tcp, udp, ...)
    IcmpName, // an ICMP type name; its family is chosen by the type checker
  } target = Target::Unresolved;
  const Decl *decl = nullptr;
};

struct FieldExpr : Expr {
  FieldExpr() : Expr(ExprKind::Field) {}
  std::string path;                 // "tcp.dport"
  const FieldInfo *field = nullptr; // set by name resolution
};

// A source comment. Kept so fmt can print it back.
struct Comment {
  SourceRange range;
  std::string text;      // including the leading '#'
  bool own_line = false; // nothing but whitespace before it on its line
};

struct SetExpr : Expr {
  SetExpr() : Expr(ExprKind::Set) {}
  std::vector<ExprPtr> elements; // scalars, names or RangeExpr
  // Comments inside the braces, kept with the element they annotate (fmt
  // then prints the set one element per line): per element, the comments
  // on their own lines before it and the one after it on its line; and
  // those after the last element. Empty, or one entry per element.
  std::vector<std::vector<Comment>> element_leading;
  std::vector<std::optional<Comment>> element_trailing;
  std::vector<Comment> trailing_inner;
  bool has_comments() const {
    if (!trailing_inner.empty())
      return true;
    for (const auto &l : element_leading)
      if (!l.empty())
        return true;
    for (const auto &t : element_trailing)
      if (t)
        return true;
    return false;
  }
};

struct RangeExpr : Expr {
  RangeExpr() : Expr(ExprKind::Range) {}
  ExprPtr lo, hi;
};

struct NotExpr : Expr {
  NotExpr() : Expr(ExprKind::Not) {}
  ExprPtr operand;
};

enum class BinaryOp : uint8_t { And, Or };
struct BinaryExpr : Expr {
  BinaryExpr() : Expr(ExprKind::Binary) {}
  BinaryOp op = BinaryOp::And;
  ExprPtr lhs, rhs;
};

enum class CompareOp : uint8_t { Eq, Ne, Lt, Le, Gt, Ge, In, NotIn };
const char *compare_op_spelling(CompareOp op); // "==", "not in", ...
// `a OP b` == `b mirror_op(OP) a` (`<` <-> `>`, `<=` <-> `>=`, others
// unchanged).
CompareOp mirror_op(CompareOp op);
// `not (a OP b)` == `a negate_op(OP) b` (`==` <-> `!=`, `<` <-> `>=`, `in` <->
// `not in` ...).
CompareOp negate_op(CompareOp op);
struct CompareExpr : Expr {
  CompareExpr() : Expr(ExprKind::Compare) {}
  CompareOp op = CompareOp::Eq;
  SourceRange op_range;
  ExprPtr lhs, rhs;
};

struct RateExpr : Expr {
  RateExpr() : Expr(ExprKind::Rate) {}
  std::vector<std::unique_ptr<FieldExpr>> keys; // empty: one global bucket
  std::optional<uint64_t> burst;                // `burst N` (packets or bits)
  SourceRange burst_range;
};

// --------------------------------------------------------------- declarations

enum class DeclKind : uint8_t { Const, Set, Protect, Rule, Default, Test };

struct Decl : Node {
  explicit Decl(DeclKind k) : kind(k) {}
  const DeclKind kind;
  // Comments on their own lines right before this declaration, and a
  // comment at the end of its last line. Filled by the frontend.
  std::vector<Comment> leading_comments;
  std::optional<Comment> trailing_comment;
};
using DeclPtr = std::unique_ptr<Decl>;

struct DurationLit {
  Duration value;
  std::string spelling; // "10m"
  SourceRange range;
};

struct ConstDecl : Decl {
  ConstDecl() : Decl(DeclKind::Const) {}
  std::string name;
  SourceRange name_range;
  ExprPtr value;
  // Set by constant evaluation / type checking.
  std::optional<Value> folded;
  Type type;
};

// The largest capacity of a dynamic set: its map is a BPF hash, which the
// kernel refuses past 2^27 entries (its buckets must fit in 4 GiB).
inline constexpr uint64_t kMaxSetCapacity = uint64_t{1} << 27;

struct SetDecl : Decl {
  SetDecl() : Decl(DeclKind::Set) {}
  std::string name;
  SourceRange name_range;
  std::string elem_type_name;      // as written: "ip", "port", ...
  TypeKind elem = TypeKind::Error; // set by the type checker
  SourceRange elem_range;
  std::optional<DurationLit> ttl; // entries expire after this long
  std::optional<uint64_t> capacity;
  SourceRange capacity_range;
};

struct ProtectDecl : Decl {
  ProtectDecl() : Decl(DeclKind::Protect) {}
  ExprPtr cond;
};

enum class Action : uint8_t { Pass, Drop, Count };
const char *action_name(Action a); // "pass", "drop", "count"

struct RuleDecl : Decl {
  RuleDecl() : Decl(DeclKind::Rule) {}
  std::string name;
  SourceRange name_range;
  ExprPtr cond;
  Action action = Action::Pass;
  SourceRange action_range;
  std::optional<DurationLit> ttl; // `ttl 10m`: the rule expires
  bool shadow = false;            // `shadow`: only counts
  SourceRange shadow_range;
  uint32_t index = 0; // position among the policy's rules, from 0
  bool terminal() const { return action != Action::Count && !shadow; }
};

struct DefaultDecl : Decl {
  DefaultDecl() : Decl(DeclKind::Default) {}
  Action action = Action::Pass; // Pass or Drop
};

// packet { field = value, ... } [x N [within D]] => verdict [op N]
struct TestPacket : Node {
  struct Assign {
    std::unique_ptr<FieldExpr> field;
    ExprPtr value;
  };
  std::vector<Assign> fields;
  std::optional<uint64_t> repeat; // x N
  SourceRange repeat_range;
  std::optional<DurationLit> within; // spread over this long
  Action expect = Action::Pass;      // Pass or Drop
  SourceRange expect_range;
  // `=> drop >= 850`: how many of the repeated packets must get `expect`.
  // Absent: all of them.
  std::optional<CompareOp> count_op;
  std::optional<uint64_t> count;
  std::vector<Comment> leading_comments;
  std::optional<Comment> trailing_comment;
};

struct TestDecl : Decl {
  TestDecl() : Decl(DeclKind::Test) {}
  std::string name; // the string, unquoted (escapes resolved)
  SourceRange name_range;
  std::vector<std::unique_ptr<TestPacket>> packets;
  // Comments inside the braces after the last packet.
  std::vector<Comment> trailing_inner_comments;
};

struct Policy : Node {
  std::string name;
  SourceRange name_range;
  std::vector<DeclPtr> decls; // in source order
  // Comments after the last declaration, before the closing brace.
  std::vector<Comment> trailing_inner_comments;

  // Views by kind, in source order (non-owning; filled by the frontend).
  std::vector<ConstDecl *> consts;
  std::vector<SetDecl *> sets;
  std::vector<ProtectDecl *> protects;
  std::vector<RuleDecl *> rules;
  DefaultDecl *default_decl = nullptr; // absent: pass
  std::vector<TestDecl *> tests;

  Action default_action() const {
    return default_decl ? default_decl->action : Action::Pass;
  }
};

// One parsed file.
struct Module {
  std::shared_ptr<const SourceFile> file;
  std::unique_ptr<Policy> policy; // null when the file has no usable policy
  // Comments before `policy` and after its closing brace.
  std::vector<Comment> header_comments;
  std::vector<Comment> footer_comments;
};

// ------------------------------------------------------------------- visitor

// Walks the tree. The default for every node visits its children, so a
// pass overrides only the nodes it cares about (and calls the base
// version, or `walk`, to keep descending).
class Visitor {
public:
  virtual ~Visitor() = default;

  void visit_policy(Policy &p);
  void visit_decl(Decl &d);
  void visit_expr(Expr &e);

  virtual void visit(LiteralExpr &) {}
  virtual void visit(NameExpr &) {}
  virtual void visit(FieldExpr &) {}
  virtual void visit(SetExpr &e);
  virtual void visit(RangeExpr &e);
  virtual void visit(NotExpr &e);
  virtual void visit(BinaryExpr &e);
  virtual void visit(CompareExpr &e);
  virtual void visit(RateExpr &e);

  virtual void visit(ConstDecl &d);
  virtual void visit(SetDecl &) {}
  virtual void visit(ProtectDecl &d);
  virtual void visit(RuleDecl &d);
  virtual void visit(DefaultDecl &) {}
  virtual void visit(TestDecl &d);
  virtual void visit(TestPacket &p);
};

// Structural equality of two trees, ignoring source ranges, comments and
// pass annotations. Used to prove that fmt keeps the meaning.
bool ast_equal(const Policy &a, const Policy &b);

// Casts that check the node class (InternalError on a mismatch).
template <typename T, typename N>
T &as(N &n) {
  if (auto *p = dynamic_cast<T *>(&n))
    return *p;
  throw InternalError("AST node has an unexpected class");
}
template <typename T, typename N>
const T &as(const N &n) {
  if (auto *p = dynamic_cast<const T *>(&n))
    return *p;
  throw InternalError("AST node has an unexpected class");
}

} // namespace psl
