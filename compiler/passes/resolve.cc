// Name resolution: the policy's symbol table, every NameExpr and FieldExpr
// bound to what it denotes, and the checks that need nothing but names
// (duplicates, unknown names and fields, constants defined in terms of
// themselves, names used as the wrong kind of thing).
//
// Every later pass relies on one promise made here: a NameExpr left
// Unresolved, or a FieldExpr left without a field, has already been
// reported, so they type as Error and nobody reports them again.
#include "passes/resolve.h"

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace psl {
namespace {

bool is_proto_name(std::string_view n) {
  return find_named(proto_names(), n) != nullptr;
}

bool is_icmp_name(std::string_view n) {
  return find_named(icmp_type_names(), n) || find_named(icmp6_type_names(), n);
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// "did you mean" notes carry the diagnostic's own range: the renderer then
// prints the note without repeating the snippet.
void suggest(Diagnostic &d, const std::string &candidate) {
  if (!candidate.empty())
    d.notes.push_back({"did you mean " + quoted(candidate) + "?", d.range});
}

// The best guess for a misspelt field: the same member under another
// protocol first ('tcp.type' -> 'icmp.type', 'udp.syn' -> 'tcp.syn'; a
// plain typo would rather suggest 'udp.len'), then a typo within the right
// protocol ('tcp.dprot'), then any close field name.
std::vector<std::string> field_suggestions(const std::string &path) {
  const auto dot = path.find('.');
  const std::string prefix =
      dot == std::string::npos ? "" : path.substr(0, dot);
  const std::string member =
      dot == std::string::npos ? path : path.substr(dot + 1);

  std::vector<std::string> same_prefix, all;
  for (const auto &f : all_fields()) {
    std::string name = f.name;
    all.push_back(name);
    if (!prefix.empty() &&
        name.compare(0, prefix.size() + 1, prefix + ".") == 0)
      same_prefix.push_back(name);
  }
  std::vector<std::string> same_member;
  for (const auto &name : all)
    if (name.substr(name.find('.') + 1) == member)
      same_member.push_back(name);
  if (!same_member.empty())
    return same_member;

  if (auto m = closest_match(path, same_prefix); !m.empty())
    return {m};

  if (auto m = closest_match(path, all); !m.empty())
    return {m};
  return {};
}

std::string or_list(const std::vector<std::string> &names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i)
      out += i + 1 == names.size() ? " or " : ", ";
    out += quoted(names[i]);
  }
  return out;
}

class Resolver final : public Visitor {
public:
  Resolver(Policy &policy, DiagnosticSink &diags)
      : policy_(policy), diags_(diags) {}

  void run() {
    declare_all();
    visit_policy(policy_);
    break_const_cycles();
  }

  // ------------------------------------------------------------ expressions

  void visit(NameExpr &e) override {
    e.target = NameExpr::Target::Unresolved;
    e.decl = nullptr;
    if (auto it = values_.find(e.name); it != values_.end()) {
      const Decl *d = it->second;
      if (d->kind == DeclKind::Set) {
        if (constant_depth_ > 0) {
          auto &diag = diags_.report(
              DiagCode::E0205, e.range,
              quoted(e.name) +
                  " is a dynamic set; a constant value is needed here");
          diag.notes.push_back({quoted(e.name) + " is declared here",
                                static_cast<const SetDecl *>(d)->name_range});
          return;
        }
        e.target = NameExpr::Target::Set;
      } else {
        e.target = NameExpr::Target::Const;
      }
      e.decl = d;
      return;
    }
    if (is_proto_name(e.name)) {
      e.target = NameExpr::Target::Proto;
      return;
    }
    if (is_icmp_name(e.name)) {
      e.target = NameExpr::Target::IcmpName;
      return;
    }
    if (auto it = rules_.find(std::string_view(e.name)); it != rules_.end()) {
      auto &diag = diags_.report(
          DiagCode::E0205, e.range,
          quoted(e.name) + " is a rule; rules cannot be used in expressions");
      diag.notes.push_back(
          {quoted(e.name) + " is defined here", it->second->name_range});
      return;
    }
    auto &diag = diags_.report(DiagCode::E0201, e.range,
                               "unknown name " + quoted(e.name));
    suggest(diag, closest_match(e.name, name_candidates()));
  }

  void visit(FieldExpr &e) override {
    e.field = nullptr;
    if (constant_depth_ > 0) {
      diags_.report(DiagCode::E0205, e.range,
                    quoted(e.path) +
                        " is a packet field; a constant value is needed here");
      return;
    }
    resolve_field(e);
  }

  void visit(SetExpr &e) override {
    ++constant_depth_;
    Visitor::visit(e);
    --constant_depth_;
  }

  void visit(RangeExpr &e) override {
    ++constant_depth_;
    Visitor::visit(e);
    --constant_depth_;
  }

  // Conditions inside a constant: reported once, not descended into (the
  // names inside stay unresolved and so stay silent).
  void visit(NotExpr &e) override {
    if (!reject_condition_in_constant(e))
      Visitor::visit(e);
  }
  void visit(BinaryExpr &e) override {
    if (!reject_condition_in_constant(e))
      Visitor::visit(e);
  }
  void visit(CompareExpr &e) override {
    if (!reject_condition_in_constant(e))
      Visitor::visit(e);
  }

  void visit(RateExpr &e) override {
    if (reject_condition_in_constant(e))
      return;
    std::map<std::string, const FieldExpr *> seen;
    for (auto &key : e.keys) {
      if (!key)
        continue;
      key->field = nullptr;
      if (key->path.find('.') == std::string::npos) {
        std::string what = "is not a packet field";
        if (auto it = values_.find(key->path); it != values_.end())
          what = it->second->kind == DeclKind::Set
                     ? "is a dynamic set, not a packet field"
                     : "is a constant, not a packet field";
        diags_.report(DiagCode::E0310, key->range,
                      "rate() key " + quoted(key->path) + " " + what);
        continue;
      }
      if (!resolve_field(*key))
        continue;
      auto [it, fresh] = seen.emplace(key->path, key.get());
      if (!fresh) {
        auto &diag = diags_.report(DiagCode::E0310, key->range,
                                   "duplicate rate() key " + quoted(key->path));
        diag.notes.push_back({"first used here", it->second->range});
      }
    }
  }

  // ----------------------------------------------------------- declarations

  void visit(ConstDecl &d) override {
    ++constant_depth_;
    Visitor::visit(d);
    --constant_depth_;
  }

  void visit(TestPacket &p) override {
    for (auto &a : p.fields) {
      if (a.field)
        resolve_field(*a.field);
      if (a.value) {
        ++constant_depth_;
        visit_expr(*a.value);
        --constant_depth_;
      }
    }
  }

private:
  // Registers every declaration before any use is resolved, so a rule may
  // name a set declared below it.
  void declare_all() {
    std::map<std::string, const TestDecl *> tests;
    const DefaultDecl *first_default = nullptr;
    rules_.reserve(policy_.rules.size());
    for (auto &dp : policy_.decls) {
      if (!dp)
        continue;
      Decl &d = *dp;
      switch (d.kind) {
      case DeclKind::Const: {
        auto &c = static_cast<ConstDecl &>(d);
        declare_value(c.name, c.name_range, &c);
        break;
      }
      case DeclKind::Set: {
        auto &s = static_cast<SetDecl &>(d);
        declare_value(s.name, s.name_range, &s);
        break;
      }
      case DeclKind::Rule: {
        auto &r = static_cast<RuleDecl &>(d);
        auto [it, fresh] = rules_.emplace(std::string_view(r.name), &r);
        if (!fresh)
          duplicate("duplicate rule name " + quoted(r.name), r.name_range,
                    r.name, it->second->name_range);
        break;
      }
      case DeclKind::Test: {
        auto &t = static_cast<TestDecl &>(d);
        auto [it, fresh] = tests.emplace(t.name, &t);
        if (!fresh)
          duplicate("duplicate test name " + quoted(t.name), t.name_range,
                    t.name, it->second->name_range);
        break;
      }
      case DeclKind::Default: {
        auto &def = static_cast<DefaultDecl &>(d);
        if (first_default) {
          auto &diag =
              diags_.report(DiagCode::E0206, def.range, "duplicate 'default'");
          diag.notes.push_back(
              {"the first 'default' is here", first_default->range});
        } else {
          first_default = &def;
        }
        break;
      }
      case DeclKind::Protect:
        break;
      }
    }
  }

  void declare_value(const std::string &name, const SourceRange &range,
                     const Decl *d) {
    if (name.empty())
      return;
    if (is_proto_name(name) || is_icmp_name(name)) {
      diags_.report(
          DiagCode::E0203, range,
          "duplicate name " + quoted(name) + ": already " +
              (is_proto_name(name) ? "a protocol name" : "an ICMP type name"));
      return; // uses keep meaning the built-in name
    }
    auto [it, fresh] = values_.emplace(name, d);
    if (!fresh)
      duplicate("duplicate name " + quoted(name), range, name,
                name_range_of(*it->second));
  }

  void duplicate(std::string message, const SourceRange &range,
                 const std::string &name, const SourceRange &first) {
    auto &diag = diags_.report(DiagCode::E0203, range, std::move(message));
    diag.notes.push_back({quoted(name) + " is first defined here", first});
  }

  static SourceRange name_range_of(const Decl &d) {
    if (d.kind == DeclKind::Const)
      return static_cast<const ConstDecl &>(d).name_range;
    if (d.kind == DeclKind::Set)
      return static_cast<const SetDecl &>(d).name_range;
    return d.range;
  }

  const std::vector<std::string> &name_candidates() {
    if (candidates_.empty()) {
      for (auto &[name, d] : values_)
        candidates_.push_back(name);
      for (auto &n : proto_names())
        candidates_.push_back(n.name);
      for (auto &n : icmp_type_names())
        candidates_.push_back(n.name);
      for (auto &n : icmp6_type_names())
        candidates_.push_back(n.name);
    }
    return candidates_;
  }

  bool resolve_field(FieldExpr &e) {
    e.field = find_field(e.path);
    if (e.field)
      return true;
    auto &diag = diags_.report(DiagCode::E0202, e.range,
                               "unknown field " + quoted(e.path));
    auto s = field_suggestions(e.path);
    if (!s.empty())
      diag.notes.push_back({"did you mean " + or_list(s) + "?", diag.range});
    return false;
  }

  // A condition where a constant value is needed: E0205 once for the
  // outermost such expression.
  bool reject_condition_in_constant(Expr &e) {
    if (constant_depth_ == 0)
      return false;
    const SourceFile &f = diags_.file();
    std::string text;
    if (e.range.valid() && e.range.end.line == e.range.begin.line &&
        e.range.end.column > e.range.begin.column) {
      auto line = f.line(e.range.begin.line);
      size_t b = e.range.begin.column - 1,
             n = e.range.end.column - e.range.begin.column;
      if (b < line.size())
        text = std::string(line.substr(b, n));
    }
    std::string what =
        e.kind == ExprKind::Rate ? "a rate() meter" : "a condition";
    std::string message = text.empty() || text.size() > 40
                              ? "a constant value is needed here, not " + what
                              : quoted(text) + " is " + what +
                                    "; a constant value is needed here";
    diags_.report(DiagCode::E0205, e.range, std::move(message));
    return true;
  }

  // Constants defined in terms of themselves. Each cycle is reported once,
  // at the reference that closes it, and that reference is unbound so the
  // later passes never loop and stay silent about it.
  void break_const_cycles() {
    struct RefCollector : Visitor {
      std::vector<NameExpr *> refs;
      void visit(NameExpr &e) override {
        if (e.target == NameExpr::Target::Const && e.decl)
          refs.push_back(&e);
      }
    };
    std::unordered_map<const Decl *, std::vector<NameExpr *>> refs;
    for (ConstDecl *c : policy_.consts) {
      if (!c || !c->value)
        continue;
      RefCollector rc;
      rc.visit_expr(*c->value);
      refs[c] = std::move(rc.refs);
    }
    enum class Color { White, Gray, Black };
    std::unordered_map<const Decl *, Color> color;
    std::vector<const ConstDecl *> stack;

    std::function<void(const ConstDecl *)> dfs = [&](const ConstDecl *c) {
      color[c] = Color::Gray;
      stack.push_back(c);
      for (NameExpr *ref : refs[c]) {
        const Decl *target = ref->decl;
        Color col = color.count(target) ? color[target] : Color::White;
        if (col == Color::Gray) {
          auto start =
              std::find_if(stack.begin(), stack.end(),
                           [&](const ConstDecl *s) { return s == target; });
          std::string path;
          for (auto it = start; it != stack.end(); ++it)
            path += (*it)->name + " -> ";
          path += static_cast<const ConstDecl *>(target)->name;
          std::string message = "constant " + quoted(ref->name) +
                                " is defined in terms of itself";
          if (stack.end() - start > 1)
            message += " (" + path + ")";
          diags_.report(DiagCode::E0204, ref->range, message);
          ref->target = NameExpr::Target::Unresolved;
          ref->decl = nullptr;
        } else if (col == Color::White) {
          dfs(static_cast<const ConstDecl *>(target));
        }
      }
      stack.pop_back();
      color[c] = Color::Black;
    };
    for (ConstDecl *c : policy_.consts)
      if (c && (!color.count(c) || color[c] == Color::White))
        dfs(c);
  }

  Policy &policy_;
  DiagnosticSink &diags_;
  // Constants and dynamic sets share one namespace; rules have their own.
  std::unordered_map<std::string, const Decl *> values_;
  // Names in the tree, which outlives the resolver.
  std::unordered_map<std::string_view, const RuleDecl *> rules_;
  std::vector<std::string> candidates_;
  int constant_depth_ = 0;
};

class ResolvePass final : public Pass {
public:
  const char *name() const override { return "resolve"; }
  void run(Policy &policy, PassContext &ctx) override {
    Resolver(policy, ctx.diags).run();
  }
};

} // namespace

std::unique_ptr<Pass> create_resolve_pass() {
  return std::make_unique<ResolvePass>();
}

} // namespace psl
