#include "runner.h"

#include <cstdint>
#include <stdexcept>

#include "ast/value.h"
#include "interp/interpreter.h"

namespace psl::difftest {

const char *outcome_name(Outcome::Kind k) {
  switch (k) {
  case Outcome::Kind::Agree:
    return "agree";
  case Outcome::Kind::Mismatch:
    return "mismatch";
  case Outcome::Kind::Rejected:
    return "rejected by a lowering limit";
  case Outcome::Kind::BuildFailure:
    return "build failure";
  case Outcome::Kind::InvalidCase:
    return "invalid case";
  }
  return "?";
}

namespace {

// A set entry as the interpreter takes it.
Value entry_value(const SetEntry &e) {
  if (e.elem == "ip") {
    if (auto a = parse_ip(e.value))
      return Value{*a};
  } else if (e.elem == "mac") {
    if (auto m = parse_mac(e.value))
      return Value{*m};
  } else {
    return Value{static_cast<uint64_t>(std::stoull(e.value))};
  }
  throw std::runtime_error("bad " + e.elem + " entry '" + e.value + "'");
}

void add_entries(bpftest::CompiledPolicy &k, interp::Interpreter &in,
                 const std::vector<SetEntry> &entries) {
  for (const SetEntry &e : entries) {
    // Expiry E is reached as "added at time 0 with ttl E" (0: never).
    auto r = in.set_add(e.set, entry_value(e), 0, e.expires_ns);
    if (r != interp::Interpreter::SetResult::Added &&
        r != interp::Interpreter::SetResult::Refreshed)
      throw std::runtime_error("interpreter refused set entry " + e.set + " " +
                               e.value);
    if (e.elem == "ip")
      k.add_ip(e.set, e.value, e.expires_ns);
    else if (e.elem == "mac")
      k.add_mac(e.set, e.value, e.expires_ns);
    else
      k.add_int(e.set, std::stoull(e.value), e.expires_ns);
  }
}

// Counter slots and what one packet did to them.
struct Slot {
  bool shadow = false; // psl_shadow_cnt (else psl_rule_cnt)
  uint32_t id = 0;     // rule index + 1, 0 = default
  std::string name;
};

std::vector<Slot> slots_of(const Policy &p) {
  std::vector<Slot> s{{false, 0, "default"}};
  for (const RuleDecl *r : p.rules)
    s.push_back({r->shadow, r->index + 1, r->name});
  return s;
}

std::vector<bpftest::CounterValue> snapshot(bpftest::CompiledPolicy &k,
                                            const std::vector<Slot> &slots) {
  std::vector<bpftest::CounterValue> v;
  for (const Slot &s : slots)
    v.push_back(s.shadow ? k.shadow_counter(s.id) : k.rule_counter(s.id));
  return v;
}

std::string verdict_name(uint32_t retval) {
  return retval == 1   ? "drop"
         : retval == 2 ? "pass"
                       : "XDP_" + std::to_string(retval);
}

// "drop by r2; count r0; shadow r1" from counter changes.
std::string describe(const std::string &verdict, const std::vector<Slot> &slots,
                     const std::vector<uint64_t> &packets,
                     const std::vector<uint64_t> &bytes, const Policy &p) {
  std::string decided, counted, shadowed, odd;
  for (size_t i = 0; i < slots.size(); ++i) {
    if (!packets[i] && !bytes[i])
      continue;
    std::string n = slots[i].name;
    if (packets[i] != 1)
      odd += " " + n + "+" + std::to_string(packets[i]) + "pkts";
    const RuleDecl *r = i ? p.rules[i - 1] : nullptr;
    if (!r || (!r->shadow && r->action != Action::Count))
      decided += (decided.empty() ? "" : ",") + n;
    else if (r->shadow)
      shadowed += " " + n;
    else
      counted += " " + n;
  }
  std::string s =
      verdict + " by " + (decided.empty() ? "(no counter)" : decided);
  if (!counted.empty())
    s += "; count" + counted;
  if (!shadowed.empty())
    s += "; shadow" + shadowed;
  if (!odd.empty())
    s += "; odd counter changes:" + odd;
  return s;
}

} // namespace

namespace {

Outcome compare(bpftest::CompiledPolicy &k,
                const std::vector<SetEntry> &entries,
                const std::vector<TimedFrame> &packets) {
  Outcome out;
  const Policy &policy = k.policy();
  std::unique_ptr<interp::Interpreter> in;
  try {
    in = std::make_unique<interp::Interpreter>(policy);
  } catch (const interp::InterpError &e) {
    out.kind = Outcome::Kind::BuildFailure;
    out.detail =
        std::string("the interpreter refuses a policy the compiler built: ") +
        e.what();
    return out;
  }
  for (const auto &r : k.artifact().classifier.rules) {
    out.rules++;
    out.rules_in_maps += r.in_code ? 0 : 1;
  }
  for (const auto &s : k.artifact().classifier.rate_slots)
    out.rules_in_rate_groups += s.moved ? 0 : 1;
  k.clear_rate_buckets();
  add_entries(k, *in, entries);
  const std::vector<Slot> slots = slots_of(policy);
  std::vector<bpftest::CounterValue> before = snapshot(k, slots);
  for (size_t i = 0; i < packets.size(); ++i) {
    const TimedFrame &pkt = packets[i];
    interp::Decision d =
        in->evaluate_frame(pkt.bytes.data(), pkt.bytes.size(), pkt.time_ns);
    k.set_clock(pkt.time_ns);
    backend::TestRunResult r = k.run_raw(pkt.bytes);
    std::vector<bpftest::CounterValue> after = snapshot(k, slots);
    out.packets_run = i + 1;
    out.decided_by_rule += d.rule ? 1 : 0;

    // What the interpreter says each slot should have gained.
    const uint64_t len = pkt.bytes.size();
    std::vector<uint64_t> want_p(slots.size()), want_b(slots.size()),
        got_p(slots.size()), got_b(slots.size());
    want_p[d.rule ? d.rule->index + 1 : 0] = 1;
    for (const RuleDecl *c : d.counted)
      want_p[c->index + 1] = 1;
    for (const RuleDecl *s : d.shadow_hits)
      want_p[s->index + 1] = 1;
    for (size_t s = 0; s < slots.size(); ++s) {
      want_b[s] = want_p[s] * len;
      got_p[s] = after[s].packets - before[s].packets;
      got_b[s] = after[s].bytes - before[s].bytes;
    }
    before = std::move(after);
    const std::string want_v = d.verdict == Action::Drop ? "drop" : "pass";
    const std::string got_v = verdict_name(r.retval);
    if (want_v != got_v || want_p != got_p || want_b != got_b) {
      out.kind = Outcome::Kind::Mismatch;
      out.bad_packet = i;
      out.detail =
          "kernel: " + describe(got_v, slots, got_p, got_b, policy) +
          "\ninterp: " + describe(want_v, slots, want_p, want_b, policy);
      if (want_b != got_b && want_p == got_p)
        out.detail += "\n(byte counters differ: frame is " +
                      std::to_string(len) + " bytes)";
      return out;
    }
  }
  return out;
}

} // namespace

Outcome run_compiled(bpftest::CompiledPolicy &k,
                     const std::vector<SetEntry> &entries,
                     const std::vector<TimedFrame> &packets) {
  try {
    return compare(k, entries, packets);
  } catch (const std::exception &e) {
    // A map write or test run the kernel refused: as much a failure of
    // the compiled program as a verifier rejection.
    Outcome out;
    out.kind = Outcome::Kind::BuildFailure;
    out.stage = bpftest::BuildStage::Load;
    out.detail = std::string("kernel operation failed: ") + e.what();
    return out;
  }
}

backend::PolicyBuildOptions build_options(bool split_class_tables,
                                          CaseLowering lowering) {
  codegen::PolicyBuildOptions o;
  using Mode = lower::CostOptions::Mode;
  switch (lowering) {
  case CaseLowering::Auto:
    break;
  case CaseLowering::Maps:
    o.lower.cost.mode = Mode::Maps;
    break;
  case CaseLowering::Code:
    o.lower.cost.mode = Mode::Code;
    break;
  case CaseLowering::TightBudgets:
    o.lower.cost.max_code_tests = kTightCodeTests;
    o.lower.cost.max_tree_leaves = kTightTreeLeaves;
    break;
  }
  // The groups' hash maps are laid out as perfect hashes by default
  // (GroupLimits::perfect_hash_min_entries); the unsplit cases forced to
  // maps keep kernel hashes, so both lookups stay compared.
  if (!split_class_tables && lowering == CaseLowering::Maps)
    o.lower.groups.perfect_hash_min_entries = SIZE_MAX;
  if (split_class_tables) {
    o.lower.groups.ipv4_split_min_prefixes = 0;
    o.lower.groups.ipv6_split_min_prefixes = 0;
    // Buckets of 2 or more longer prefixes get slots, the others not.
    o.lower.groups.ipv6_dense_min_prefixes = 2;
    // Every class-keyed port group gets its bitmap of ports.
    o.lower.groups.value_filter_min_entries = 0;
  }
  return o;
}

Outcome run_case(const std::string &policy_text,
                 const std::vector<SetEntry> &entries,
                 const std::vector<TimedFrame> &packets,
                 bool split_class_tables, CaseLowering lowering) {
  bpftest::BuildFailure failure;
  auto k = bpftest::CompiledPolicy::build(
      policy_text, &failure, build_options(split_class_tables, lowering));
  if (!k) {
    Outcome out;
    out.stage = failure.stage;
    out.kind = failure.stage == bpftest::BuildStage::Check
                   ? Outcome::Kind::InvalidCase
               : failure.stage == bpftest::BuildStage::Lower
                   ? Outcome::Kind::Rejected
                   : Outcome::Kind::BuildFailure;
    out.detail = std::string(bpftest::build_stage_name(failure.stage)) + ": " +
                 failure.message;
    return out;
  }
  return run_compiled(*k, entries, packets);
}

} // namespace psl::difftest
