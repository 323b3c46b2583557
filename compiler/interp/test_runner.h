// Runs a policy's `test` blocks against a PacketEvaluator: the reference
// interpreter here, a BPF_PROG_TEST_RUN of the compiled program later. The
// runner owns the timing model and the expectations; an evaluator only
// answers "what does this frame get at this time".
//
// Timing model (docs/language.md, "Test blocks"):
//   - Every test block starts from fresh state (evaluator reset(): empty
//     rate buckets, empty dynamic sets) at time kTestStartNs.
//   - Packet lines run in order. A line `x N within D` sends N copies at
//     t + i*D/N for i = 0..N-1 (integer nanoseconds, rounded down), where t
//     is the line's start; the next line starts at t + D, the end of this
//     one. Without `within` the N copies (and the next line) are at the
//     same instant t.
//   - Expectation: without a count every copy must get the verdict;
//     `=> drop >= 850` counts the copies that got `drop` and compares.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ast/ast.h"
#include "backend/status.h"
#include "diag/diagnostics.h"
#include "interp/interpreter.h"

namespace psl::interp {

// The clock value of the first packet of every test block. Not 0, so that
// an expiry of 0 ("never") can never be confused with a real time.
constexpr uint64_t kTestStartNs = 1'000'000'000;

struct Evaluation {
  Action verdict = Action::Pass;
  int rule = -1; // index among the policy's rules; -1 for the default
};

// What runs test packets. The interpreter is one implementation; the
// kernel runner (BPF_PROG_TEST_RUN with the clock map) is another.
class PacketEvaluator {
public:
  virtual ~PacketEvaluator() = default;
  // Short name for reports: "interp", "kernel".
  virtual std::string name() const = 0;
  // Fresh state: empty rate buckets and dynamic sets, zero counters.
  virtual void reset() = 0;
  // One frame (Ethernet, as XDP sees it) at time now_ns. An evaluator
  // that can fail (the kernel's: a load, a test run) says why as a value
  // (backend/status.h); the interpreter never does.
  virtual backend::Expected<Evaluation>
  evaluate(const std::vector<uint8_t> &frame, uint64_t now_ns) = 0;
};

class InterpreterEvaluator final : public PacketEvaluator {
public:
  // See Interpreter(): `policy` must be checked and outlive this object.
  explicit InterpreterEvaluator(const Policy &policy) : interp_(policy) {}
  std::string name() const override { return "interp"; }
  void reset() override { interp_.reset(); }
  backend::Expected<Evaluation> evaluate(const std::vector<uint8_t> &frame,
                                         uint64_t now_ns) override;
  Interpreter &interpreter() { return interp_; }

private:
  Interpreter interp_;
};

// What one packet line got. `message` is empty when the line met its
// expectation.
struct LineResult {
  const TestPacket *packet = nullptr;
  SourceRange range;   // the packet line (a build error: the field)
  std::string message; // one line, without location or test name
  // Filled when the packet ran: copies sent, verdict counts, and which
  // rule decided how many copies (by rule name; "default" for the default).
  uint64_t sent = 0;
  uint64_t passed = 0, dropped = 0;
  std::map<std::string, uint64_t> pass_rules, drop_rules;
  bool build_error = false; // the packet could not be built (message says why)
  bool ok() const { return message.empty(); }
  // "drop 812 (rule 'flood' 812), pass 188 (default 188)"
  std::string tally() const;
};
using PacketFailure = LineResult;

struct TestResult {
  const TestDecl *test = nullptr;
  std::string name;
  SourceRange range;
  uint64_t packets_sent = 0;
  std::vector<LineResult> lines;    // every packet line, in order
  std::vector<LineResult> failures; // the lines that failed
  bool passed() const { return failures.empty(); }
};

// Runs every test block of `policy` in order. An error of the evaluator
// stops the run.
backend::Expected<std::vector<TestResult>>
run_tests(const Policy &policy, PacketEvaluator &evaluator);
// Runs one test block (resets the evaluator first).
backend::Expected<TestResult> run_test(const Policy &policy,
                                       const TestDecl &test,
                                       PacketEvaluator &evaluator);

// The times of the copies of a packet line starting at `start`, and where
// the next line starts. Exposed for tests of the timing model.
struct LineSchedule {
  std::vector<uint64_t> times;
  uint64_t next_start = 0;
};
LineSchedule schedule_line(uint64_t start, uint64_t copies, uint64_t within_ns);

// "FILE:LINE: test "NAME": MESSAGE" for each failure, one per line.
std::string format_failures(const SourceFile &file, const TestResult &result);

} // namespace psl::interp
