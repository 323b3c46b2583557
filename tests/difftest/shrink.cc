#include "shrink.h"

#include <algorithm>

namespace psl::difftest {

namespace {

using Clock = std::chrono::steady_clock;

class Shrinker {
public:
  Shrinker(const Repro &r, const Outcome &original, Clock::duration budget)
      : best_(r), original_(original), deadline_(Clock::now() + budget) {
    outcome_ = original;
  }

  ShrinkResult run() {
    if (original_.kind == Outcome::Kind::Mismatch &&
        original_.bad_packet + 1 < best_.packets.size())
      best_.packets.resize(original_.bad_packet + 1);
    packets();
    policy();
    entries();
    packets();
    bytes();
    return {best_, outcome_, tries_};
  }

private:
  bool time_left() const { return Clock::now() < deadline_; }

  bool same_failure(const Outcome &o) const {
    if (o.kind != original_.kind)
      return false;
    return o.kind != Outcome::Kind::BuildFailure || o.stage == original_.stage;
  }

  // Whole case rebuilt: for policy and entry changes.
  bool try_case(const Repro &r) {
    if (!time_left())
      return false;
    ++tries_;
    Outcome o = run_case(r.policy.text(), r.entries, r.packets,
                         r.split_class_tables, r.lowering);
    if (!same_failure(o))
      return false;
    best_ = r;
    outcome_ = o;
    compiled_.reset(); // the policy may have changed
    return true;
  }

  // Only the packets changed: reuse the loaded program.
  bool try_packets(const std::vector<TimedFrame> &packets) {
    if (!time_left() || packets.empty())
      return false;
    if (original_.kind != Outcome::Kind::Mismatch) {
      Repro r = best_;
      r.packets = packets;
      return try_case(r);
    }
    if (!compiled_) {
      bpftest::BuildFailure f;
      compiled_ = bpftest::CompiledPolicy::build(
          best_.policy.text(), &f,
          build_options(best_.split_class_tables, best_.lowering));
      if (!compiled_)
        return false;
    }
    ++tries_;
    Outcome o = run_compiled(*compiled_, best_.entries, packets);
    if (!same_failure(o))
      return false;
    best_.packets = packets;
    if (o.bad_packet + 1 < best_.packets.size())
      best_.packets.resize(o.bad_packet + 1);
    outcome_ = o;
    return true;
  }

  void packets() {
    if (best_.packets.size() > 1 && try_packets({best_.packets.back()}))
      return;
    // Drop earlier packets one at a time, from the front: rate() state
    // usually needs only a few of them.
    for (size_t i = 0; i + 1 < best_.packets.size() && time_left();) {
      auto p = best_.packets;
      p.erase(p.begin() + static_cast<long>(i));
      if (!try_packets(p))
        ++i;
    }
  }

  // Every way to make a condition one step smaller.
  static void smaller(const CondNode &n, std::vector<CondNode> &out) {
    if (n.kind == CondNode::Kind::Atom)
      return;
    for (const CondNode &k : n.kids)
      out.push_back(k); // `a and b` -> a, b; `not a` -> a
    for (size_t i = 0; i < n.kids.size(); ++i) {
      std::vector<CondNode> sub;
      smaller(n.kids[i], sub);
      for (CondNode &s : sub) {
        CondNode copy = n;
        copy.kids[i] = std::move(s);
        out.push_back(std::move(copy));
      }
    }
  }

  // `text` with one element of one set literal `{ a, b, c }` left out, for
  // every literal with more than one element and every element.
  static std::vector<std::string> fewer_elements(const std::string &text) {
    std::vector<std::string> out;
    for (size_t open = text.find('{'); open != std::string::npos;
         open = text.find('{', open + 1)) {
      size_t close = text.find('}', open);
      if (close == std::string::npos)
        break;
      std::vector<std::string> elems;
      size_t start = open + 1;
      for (size_t i = open + 1; i <= close; ++i)
        if (text[i] == ',' || i == close) {
          std::string e = text.substr(start, i - start);
          if (e.find_first_not_of(' ') != std::string::npos)
            elems.push_back(e);
          start = i + 1;
        }
      if (elems.size() < 2)
        continue;
      for (size_t drop = 0; drop < elems.size(); ++drop) {
        std::string body;
        for (size_t i = 0; i < elems.size(); ++i)
          if (i != drop)
            body += (body.empty() ? "" : ",") + elems[i];
        out.push_back(text.substr(0, open + 1) + body + " " +
                      text.substr(close));
      }
    }
    return out;
  }

  // Every atom of `n`, for in-place edits.
  static void atoms(CondNode &n, std::vector<CondNode *> &out) {
    if (n.kind == CondNode::Kind::Atom)
      out.push_back(&n);
    for (CondNode &k : n.kids)
      atoms(k, out);
  }

  // Set literals in constants and atoms, one element at a time.
  bool set_elements() {
    bool progress = false;
    for (size_t i = 0; i < best_.policy.consts.size(); ++i)
      for (bool again = true; again && time_left();) {
        again = false;
        for (const std::string &t :
             fewer_elements(best_.policy.consts[i].text)) {
          Repro r = best_;
          r.policy.consts[i].text = t;
          if (try_case(r)) {
            again = progress = true;
            break;
          }
        }
      }
    for (size_t i = 0; i < best_.policy.rules.size(); ++i) {
      std::vector<CondNode *> list;
      atoms(best_.policy.rules[i].cond, list);
      for (size_t a = 0; a < list.size(); ++a)
        for (bool again = true; again && time_left();) {
          again = false;
          std::vector<CondNode *> current;
          atoms(best_.policy.rules[i].cond, current);
          for (const std::string &t : fewer_elements(current[a]->atom)) {
            Repro r = best_;
            std::vector<CondNode *> target;
            atoms(r.policy.rules[i].cond, target);
            target[a]->atom = t;
            if (try_case(r)) {
              again = progress = true;
              break;
            }
          }
        }
    }
    return progress;
  }

  void policy() {
    bool progress = true;
    while (progress && time_left()) {
      progress = false;
      // Whole declarations, last first (later rules rarely matter).
      for (size_t i = best_.policy.rules.size(); i-- > 0;) {
        Repro r = best_;
        r.policy.rules.erase(r.policy.rules.begin() + static_cast<long>(i));
        if (!r.policy.rules.empty() && try_case(r))
          progress = true;
      }
      if (!best_.policy.default_action.empty()) {
        Repro r = best_;
        r.policy.default_action.clear();
        progress |= try_case(r);
      }
      for (auto list :
           {&PolicySpec::protects, &PolicySpec::sets, &PolicySpec::consts})
        for (size_t i = (best_.policy.*list).size(); i-- > 0;) {
          Repro r = best_;
          auto &decls = r.policy.*list;
          decls.erase(decls.begin() + static_cast<long>(i));
          if (list == &PolicySpec::sets) { // its entries go with it
            const std::string name = (best_.policy.*list)[i].name;
            r.entries.erase(std::remove_if(r.entries.begin(), r.entries.end(),
                                           [&](const SetEntry &e) {
                                             return e.set == name;
                                           }),
                            r.entries.end());
          }
          progress |= try_case(r);
        }
      // Conditions, one step at a time; restart after every success so
      // the candidate list is always of the current tree.
      for (size_t i = 0; i < best_.policy.rules.size(); ++i) {
        bool again = true;
        while (again && time_left()) {
          again = false;
          std::vector<CondNode> cands;
          smaller(best_.policy.rules[i].cond, cands);
          for (CondNode &c : cands) {
            Repro r = best_;
            r.policy.rules[i].cond = std::move(c);
            if (try_case(r)) {
              again = progress = true;
              break;
            }
          }
        }
        const RuleSpec &rule = best_.policy.rules[i];
        if (!rule.ttl.empty() || rule.modifiers_swapped) {
          Repro r = best_;
          r.policy.rules[i].ttl.clear();
          r.policy.rules[i].modifiers_swapped = false;
          progress |= try_case(r);
        }
      }
      progress |= set_elements();
    }
  }

  void entries() {
    for (size_t i = best_.entries.size(); i-- > 0 && time_left();) {
      Repro r = best_;
      r.entries.erase(r.entries.begin() + static_cast<long>(i));
      try_case(r);
    }
  }

  // The last packet's bytes: a shorter frame, then zero bytes.
  void bytes() {
    if (original_.kind != Outcome::Kind::Mismatch || best_.packets.empty())
      return;
    auto with_last = [&](std::vector<uint8_t> b) {
      auto p = best_.packets;
      p.back().bytes = std::move(b);
      return try_packets(p);
    };
    // XDP test runs need at least an Ethernet header.
    for (size_t cut = best_.packets.back().bytes.size() / 2;
         cut > 0 && time_left(); cut /= 2)
      while (best_.packets.back().bytes.size() >= 14 + cut && time_left()) {
        auto b = best_.packets.back().bytes;
        b.resize(b.size() - cut);
        if (!with_last(b))
          break;
      }
    for (size_t i = best_.packets.back().bytes.size();
         i-- > 0 && time_left();) {
      auto b = best_.packets.back().bytes;
      if (b[i] == 0)
        continue;
      b[i] = 0;
      with_last(b);
    }
  }

  Repro best_;
  Outcome original_, outcome_;
  Clock::time_point deadline_;
  size_t tries_ = 0;
  std::unique_ptr<bpftest::CompiledPolicy> compiled_; // of best_.policy
};

// A C++ raw string delimiter the text does not contain.
std::string raw(const std::string &text) { return "R\"PSL(" + text + ")PSL\""; }

} // namespace

ShrinkResult shrink(const Repro &failing, const Outcome &original,
                    Clock::duration budget) {
  return Shrinker(failing, original, budget).run();
}

std::string format_report(uint64_t seed, uint64_t number,
                          const Outcome &original, size_t rules_before,
                          const ShrinkResult &s) {
  const Repro &r = s.repro;
  std::string out = "==== " + std::string(outcome_name(original.kind)) +
                    ": seed " + std::to_string(seed) + " case " +
                    std::to_string(number);
  if (original.kind == Outcome::Kind::Mismatch)
    out += ", packet " + std::to_string(original.bad_packet);
  out += "\n---- policy (shrunk: " + std::to_string(r.policy.rules.size()) +
         " of " + std::to_string(rules_before) + " rules, " +
         std::to_string(s.tries) + " tries)\n";
  out += r.policy.text();
  if (!r.entries.empty()) {
    out += "---- dynamic set entries (set elem value expires_ns; 0 = never)\n";
    for (const SetEntry &e : r.entries)
      out += e.set + " " + e.elem + " " + e.value + " " +
             std::to_string(e.expires_ns) + "\n";
  }
  out += "---- packets (time_ns frame_hex)\n";
  for (const TimedFrame &p : r.packets)
    out += std::to_string(p.time_ns) + " " + to_hex(p.bytes) + "\n";
  out += "---- what happened\n" + s.outcome.detail + "\n";
  out += "---- as a regression test (tests/difftest/regression_test.cc)\n";
  out += "TEST(DifftestRegression, Seed" + std::to_string(seed) + "Case" +
         std::to_string(number) + ") {\n  expect_agree(" +
         raw(r.policy.text()) + ",\n               {";
  for (size_t i = 0; i < r.entries.size(); ++i) {
    const SetEntry &e = r.entries[i];
    out += std::string(i ? ", " : "") + "{\"" + e.set + "\", \"" + e.elem +
           "\", \"" + e.value + "\", " + std::to_string(e.expires_ns) + "}";
  }
  out += "},\n               {";
  for (size_t i = 0; i < r.packets.size(); ++i)
    out += std::string(i ? ",\n                " : "") + "{" +
           std::to_string(r.packets[i].time_ns) + "ull, \"" +
           to_hex(r.packets[i].bytes) + "\"}";
  if (r.lowering != CaseLowering::Auto)
    out += std::string("},\n               /*split_class_tables=*/") +
           (r.split_class_tables ? "true" : "false") + ", CaseLowering::" +
           (r.lowering == CaseLowering::Maps   ? "Maps"
            : r.lowering == CaseLowering::Code ? "Code"
                                               : "TightBudgets") +
           ");\n}\n";
  else
    out += r.split_class_tables
               ? "},\n               /*split_class_tables=*/true);\n}\n"
               : "});\n}\n";
  out += "---- rerun: psc-difftest --seed " + std::to_string(seed) +
         " --case " + std::to_string(number) + "\n";
  return out;
}

} // namespace psl::difftest
