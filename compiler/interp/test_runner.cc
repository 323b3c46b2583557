#include "interp/test_runner.h"

#include <algorithm>

#include "interp/packet_builder.h"

namespace psl::interp {

backend::Expected<Evaluation>
InterpreterEvaluator::evaluate(const std::vector<uint8_t> &frame,
                               uint64_t now_ns) {
  Decision d = interp_.evaluate_frame(frame.data(), frame.size(), now_ns);
  return Evaluation{d.verdict, d.rule_index()};
}

namespace {

uint64_t copy_time(uint64_t start, uint64_t i, uint64_t copies,
                   uint64_t within_ns) {
  if (copies == 0)
    return start;
  return start + static_cast<uint64_t>(static_cast<unsigned __int128>(i) *
                                       within_ns / copies);
}

// The rule's name, or "default" (a keyword, so never a rule's name).
std::string rule_key(const Policy &policy, int rule) {
  if (rule < 0 || static_cast<size_t>(rule) >= policy.rules.size())
    return "default";
  return policy.rules[static_cast<size_t>(rule)]->name;
}

std::string rule_label(const std::string &key) {
  return key == "default" ? key : "rule '" + key + "'";
}

// "drop 812 (rule 'flood' 800, default 12)"
std::string tally(Action verdict, uint64_t n,
                  const std::map<std::string, uint64_t> &rules) {
  std::string out = std::string(action_name(verdict)) + " " + std::to_string(n);
  if (n == 0)
    return out;
  std::vector<std::pair<std::string, uint64_t>> by(rules.begin(), rules.end());
  std::stable_sort(by.begin(), by.end(), [](const auto &a, const auto &b) {
    return a.second > b.second;
  });
  out += " (";
  for (size_t i = 0; i < by.size(); ++i)
    out += (i ? ", " : "") + rule_label(by[i].first) + " " +
           std::to_string(by[i].second);
  return out + ")";
}

bool count_holds(CompareOp op, uint64_t got, uint64_t want) {
  switch (op) {
  case CompareOp::Eq:
    return got == want;
  case CompareOp::Ne:
    return got != want;
  case CompareOp::Lt:
    return got < want;
  case CompareOp::Le:
    return got <= want;
  case CompareOp::Gt:
    return got > want;
  case CompareOp::Ge:
    return got >= want;
  default:
    return false;
  }
}

} // namespace

std::string LineResult::tally() const {
  return interp::tally(Action::Drop, dropped, drop_rules) + ", " +
         interp::tally(Action::Pass, passed, pass_rules);
}

LineSchedule schedule_line(uint64_t start, uint64_t copies,
                           uint64_t within_ns) {
  LineSchedule s;
  s.times.reserve(copies);
  for (uint64_t i = 0; i < copies; ++i)
    s.times.push_back(copy_time(start, i, copies, within_ns));
  s.next_start = start + within_ns;
  return s;
}

backend::Expected<TestResult> run_test(const Policy &policy,
                                       const TestDecl &test,
                                       PacketEvaluator &evaluator) {
  TestResult result;
  result.test = &test;
  result.name = test.name;
  result.range = test.range;
  evaluator.reset();
  uint64_t t = kTestStartNs;

  for (const auto &pp : test.packets) {
    const TestPacket &p = *pp;
    const uint64_t copies = p.repeat.value_or(1);
    const uint64_t within = p.within ? p.within->value.ns : 0;
    const uint64_t start = t;
    t = start + within; // the next line starts where this one ends

    BuiltPacket built = build_packet(p);
    if (!built.ok()) {
      LineResult f;
      f.packet = &p;
      f.range = built.error->range;
      f.message = built.error->message;
      f.build_error = true;
      result.lines.push_back(f);
      result.failures.push_back(std::move(f));
      continue;
    }

    LineResult f;
    f.packet = &p;
    f.range = p.range;
    for (uint64_t i = 0; i < copies; ++i) {
      auto evaluated =
          evaluator.evaluate(built.frame, copy_time(start, i, copies, within));
      if (!evaluated.ok())
        return evaluated.error();
      const Evaluation &e = *evaluated;
      const std::string label = rule_key(policy, e.rule);
      if (e.verdict == Action::Drop) {
        f.dropped++;
        f.drop_rules[label]++;
      } else {
        f.passed++;
        f.pass_rules[label]++;
      }
    }
    f.sent = copies;
    result.packets_sent += copies;

    const uint64_t got = p.expect == Action::Drop ? f.dropped : f.passed;
    const std::string want = action_name(p.expect);
    const std::string results = f.tally();
    if (p.count_op && p.count) {
      if (!count_holds(*p.count_op, got, *p.count))
        f.message = "expected " + want + " " +
                    compare_op_spelling(*p.count_op) + " " +
                    std::to_string(*p.count) + " of " + std::to_string(copies) +
                    " copies, got " + results;
    } else if (got != copies) {
      if (copies == 1) {
        const auto &rules =
            p.expect == Action::Drop ? f.pass_rules : f.drop_rules;
        f.message = "expected " + want + ", got " +
                    action_name(p.expect == Action::Drop ? Action::Pass
                                                         : Action::Drop) +
                    " (" + rule_label(rules.begin()->first) + ")";
      } else {
        f.message = "expected " + want + " for all " + std::to_string(copies) +
                    " copies, got " + results;
      }
    }
    result.lines.push_back(f);
    if (!f.ok())
      result.failures.push_back(std::move(f));
  }
  return result;
}

backend::Expected<std::vector<TestResult>>
run_tests(const Policy &policy, PacketEvaluator &evaluator) {
  std::vector<TestResult> out;
  for (const TestDecl *t : policy.tests) {
    auto r = run_test(policy, *t, evaluator);
    if (!r.ok())
      return r.error();
    out.push_back(std::move(r.value()));
  }
  return out;
}

std::string format_failures(const SourceFile &file, const TestResult &result) {
  std::string out;
  for (const PacketFailure &f : result.failures) {
    out += file.path();
    if (f.range.valid())
      out += ":" + std::to_string(f.range.begin.line) + ":" +
             std::to_string(f.range.begin.column);
    out += ": test \"" + result.name + "\": " + f.message + "\n";
  }
  return out;
}

} // namespace psl::interp
