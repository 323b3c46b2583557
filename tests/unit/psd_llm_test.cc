// psd's LLM analyzer (llm_analyzer.h) against the scripted model server
// on loopback, no kernel: the question asked on its own cadence and
// thread, its answer handed over at a later tick, the fallback to the
// embedded detector and the return, refusals in a row, the governor's
// verdicts, the status and metrics it feeds, and a stalled request
// cancelled when psd stops.
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "api/prometheus_text.h"
#include "detector_test_util.h"
#include "fake_llm_server.h"
#include "govern/operator_policy.h"
#include "llm_analyzer.h"
#include "llm_monitor.h"

namespace psd {
namespace {

using namespace std::chrono_literals;
using psl::testing::FakeApi;
using psl::testing::FakeLlmServer;
using psl::testing::Step;
using psr::analyze::Origin;
using psr::analyze::Proposal;
using psr::analyze::testing::Sent;
using psr::analyze::testing::WindowBuilder;
using Clock = std::chrono::steady_clock;

const char *const kKey = "sk-planted-0123456789abcdef";

std::string read_file(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// An answer in the json-schema form: a rule against the ICMP flooder,
// citing the newest window the request showed.
std::string good_answer(const std::string &rule = "llm_icmp") {
  return "{\"analysis\": \"198.51.100.7 floods echo requests\", "
         "\"policy\": \"policy llm_answer {\\n  rule " +
         rule +
         ": ip.src == 198.51.100.7 and icmp.type == echo_request => drop "
         "ttl 10m\\n}\", \"evidence\": {\"windows\": [{newest_seq}], "
         "\"counters\": [{\"window\": {newest_seq}, \"name\": "
         "\"talkers.top[198.51.100.7].icmp_echo\", \"value\": 1}]}}";
}

// A rule without a ttl: refused by the answer's checks.
std::string no_ttl_answer() {
  return "{\"analysis\": \"x\", \"policy\": \"policy llm_answer {\\n  rule "
         "llm_x: ip.src == 198.51.100.7 => drop\\n}\", \"evidence\": "
         "{\"windows\": []}}";
}

std::string no_change_answer() {
  return "{\"analysis\": \"nothing to do\", \"policy\": \"\", "
         "\"evidence\": {\"windows\": []}}";
}

class PsdLlm : public ::testing::Test {
protected:
  PsdLlm()
      : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text_)),
        log_(std::make_shared<spdlog::logger>("psd", sink_)) {
    auto op = psr::govern::load_operator_policy("policy.psl",
                                                read_file(PSD_DEFAULT_POLICY));
    EXPECT_TRUE(op.policy) << op.message;
    op_ = op.policy;
    options_.config.url = server_.url();
    options_.config.model = "fake-model";
    options_.config.max_attempts = 1;
    options_.config.repair_rounds = 0;
    options_.config.timeout = 10000ms;
    options_.config.calls_per_minute = 0;
    options_.config.tokens_per_hour = 0;
    options_.interval = 2000ms;
    options_.window = 60000ms;
    options_.max_refusals = 2;
  }

  void start(psr::analyze::llm::BudgetLimits limits = {}) {
    monitor_ =
        std::make_shared<LlmMonitor>("openai", options_.embedded_with_llm,
                                     "fake-model", server_.url(), 1000);
    auto key = psr::analyze::llm::make_api_key(kKey, "test");
    shared_ = std::make_unique<LlmShared>(
        *key, limits, monitor_,
        [this](nlohmann::json r) { records_.push_back(std::move(r)); }, log_);
    analyzer_ = make_llm_analyzer(options_, *shared_);
  }

  // One detection tick on the window `seq` (one second each, end to end:
  // psd's clock is the windows'), with an ICMP flood in it when `flood`.
  std::vector<Proposal> tick(bool flood = false) {
    ++seq_;
    WindowBuilder b(seq_);
    b.top("203.0.113.10", Sent().packets(400).syn(3).dports(2));
    if (flood)
      b.top("198.51.100.7", Sent().echo(9500));
    window_ = b.build();
    AnalyzerInput in;
    in.iface = "eth0";
    in.window = &window_;
    in.op = op_;
    in.context = psr::analyze::testing::default_context(seq_);
    return analyzer_->analyze(in);
  }

  // Ticks (one window each, 20 ms apart in real time: the model answers
  // in real time) until `done` holds for what a tick returned, or 10 s.
  template <typename Fn>
  std::vector<Proposal> tick_until(Fn done) {
    const auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline) {
      std::vector<Proposal> out = tick();
      if (done(out))
        return out;
      std::this_thread::sleep_for(20ms);
    }
    ADD_FAILURE() << "timed out; log:\n" << log_text_.str();
    return {};
  }

  psr::api::AnalyzerStatus status() const {
    psr::api::AnalyzerStatus s;
    monitor_->fill(s);
    return s;
  }
  psr::api::LlmMetrics metrics() const {
    psr::api::LlmMetrics m;
    monitor_->fill(m);
    return m;
  }
  std::vector<nlohmann::json> records(const std::string &event) const {
    std::vector<nlohmann::json> out;
    for (const nlohmann::json &r : records_)
      if (r.value("event", "") == event)
        out.push_back(r);
    return out;
  }

  FakeLlmServer server_{FakeApi::OpenAi};
  std::ostringstream log_text_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> log_;
  std::shared_ptr<const psr::govern::OperatorPolicy> op_;
  LlmAnalyzerOptions options_;
  std::shared_ptr<LlmMonitor> monitor_;
  std::unique_ptr<LlmShared> shared_;
  std::vector<nlohmann::json> records_;
  std::unique_ptr<Analyzer> analyzer_;
  psr::summary::Summary window_;
  uint64_t seq_ = 0;
};

bool any(const std::vector<Proposal> &v) { return !v.empty(); }

// The question goes out when llm.interval has passed, on its own thread:
// the tick that starts it returns without the answer (the server holds it
// back for 2 s), a later tick hands the proposal over, and no second
// question starts before the interval has passed again.
TEST_F(PsdLlm, AsksOnItsCadenceAndHandsOverAtALaterTick) {
  server_.script(
      {psl::testing::delayed(2000ms, psl::testing::reply(good_answer())),
       psl::testing::delayed(5000ms, psl::testing::reply(no_change_answer()))});
  start();
  EXPECT_TRUE(tick().empty()); // window 1: psd just started
  EXPECT_TRUE(tick().empty()); // window 2: one second in
  EXPECT_EQ(server_.requests().size(), 0u);
  const auto t0 = Clock::now();
  EXPECT_TRUE(tick().empty()); // window 3: two seconds in, the question
  const auto took = Clock::now() - t0;
  EXPECT_LT(took, 1000ms) << "the tick waited for the model";
  auto waiting = Clock::now() + 10s;
  while (server_.requests().empty() && Clock::now() < waiting)
    std::this_thread::sleep_for(5ms);
  ASSERT_EQ(server_.requests().size(), 1u);
  EXPECT_TRUE(status().interfaces.at(0).asking);

  // Ticks go on (each a second of psd's clock, far past the interval)
  // while the question runs: one question at a time.
  std::vector<Proposal> out = tick_until([&](const std::vector<Proposal> &v) {
    EXPECT_EQ(server_.requests().size(), 1u);
    return !v.empty();
  });
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].origin, Origin::Llm);
  ASSERT_EQ(out[0].rules.size(), 1u);
  EXPECT_EQ(out[0].rules[0].name, "llm_icmp");
  EXPECT_TRUE(out[0].evidence.cited);
  // The prompt held the windows kept so far (one per tick, end to end)
  // and the operator policy's protects.
  const std::string prompt = server_.requests()[0].body;
  EXPECT_NE(prompt.find("\\\"seq\\\":3"), std::string::npos);
  EXPECT_NE(prompt.find("protect"), std::string::npos);
  EXPECT_EQ(status().interfaces.at(0).last_outcome, "proposal");
  // The interval passed long ago: the tick that handed the answer over
  // asked the next question.
  EXPECT_TRUE(status().interfaces.at(0).asking);
  analyzer_->verdict(out[0], true, "", "");
  psr::api::LlmMetrics m = metrics();
  EXPECT_EQ(m.tokens_in, 1000u);
  EXPECT_EQ(m.tokens_out, 200u);
  EXPECT_EQ(m.request.count(), 1u);
  EXPECT_GE(m.request.sum(), 1.9);
  EXPECT_EQ((m.analyses[{"proposal", "none"}]), 1u);
  EXPECT_EQ((m.proposals[{"accepted", "none"}]), 1u);
  EXPECT_EQ(m.fallbacks, 0u);
  EXPECT_EQ(status().state, "ok");
}

// The LLM fails (the server answers 500): psd says so in status, metrics,
// the audit log and the log, and runs the embedded detector -- here off
// beside the LLM (embedded_with_llm = false), so it runs only now. The
// next answer brings the LLM back and the detector stops again.
TEST_F(PsdLlm, FallsBackToTheDetectorAndReturnsWhenTheLlmAnswers) {
  options_.embedded_with_llm = false;
  server_.script(
      {psl::testing::status(500), psl::testing::reply(no_change_answer())});
  start();
  // Before the fallback the detector does not run: a flood proposes
  // nothing.
  EXPECT_TRUE(tick(true).empty());
  tick_until([&](const std::vector<Proposal> &) {
    return status().state == "fallback";
  });
  psr::api::AnalyzerStatus s = status();
  EXPECT_EQ(s.reason, "server_error");
  EXPECT_NE(s.message.find("HTTP 500"), std::string::npos) << s.message;
  EXPECT_GT(s.since_unix_ms, 0u);
  auto changes = records("analyzer");
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0]["state"], "fallback");
  EXPECT_EQ(changes[0]["reason"], "server_error");
  EXPECT_EQ(changes[0]["target"]["ifname"], "eth0");
  ASSERT_EQ(records("llm_answer").size(), 1u);
  EXPECT_EQ(records("llm_answer")[0]["outcome"], "failed");
  psr::api::LlmMetrics m = metrics();
  EXPECT_EQ(m.fallbacks, 1u);
  EXPECT_TRUE(m.fallback["eth0"]);
  EXPECT_EQ(m.errors["server_error"], 1u);
  EXPECT_EQ((m.analyses[{"failed", "server_error"}]), 1u);
  EXPECT_NE(log_text_.str().find("the embedded detector runs alone"),
            std::string::npos);

  // In fallback the detector blocks the flood.
  std::vector<Proposal> out = tick(true);
  ASSERT_EQ(out.size(), 1u) << log_text_.str();
  EXPECT_EQ(out[0].origin, Origin::Detector);
  EXPECT_EQ(out[0].insert.values, std::vector<std::string>{"198.51.100.7"});

  // The next question is answered: back to ok, the detector off again.
  tick_until(
      [&](const std::vector<Proposal> &) { return status().state == "ok"; });
  changes = records("analyzer");
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1]["state"], "ok");
  EXPECT_FALSE(metrics().fallback["eth0"]);
  EXPECT_EQ(metrics().fallbacks, 1u);
  EXPECT_TRUE(tick(true).empty());
  // The key is in no log line and no record.
  EXPECT_EQ(log_text_.str().find("sk-planted"), std::string::npos);
  for (const nlohmann::json &r : records_)
    EXPECT_EQ(r.dump().find("sk-planted"), std::string::npos);
  // ... and went out in the Authorization header.
  EXPECT_EQ(server_.requests()[0].headers.at("authorization"),
            std::string("Bearer ") + kKey);
}

// A spent budget refuses the question without a request: a fallback with
// reason "budget".
TEST_F(PsdLlm, ASpentBudgetFallsBack) {
  server_.script({psl::testing::reply(no_change_answer())});
  start(psr::analyze::llm::BudgetLimits{1, 0});
  tick_until([&](const std::vector<Proposal> &) {
    return status().interfaces.size() == 1 &&
           status().interfaces[0].last_outcome == "no_change";
  });
  tick_until([&](const std::vector<Proposal> &) {
    return status().state == "fallback";
  });
  EXPECT_EQ(status().reason, "budget");
  EXPECT_EQ(server_.requests().size(), 1u);
  EXPECT_EQ(metrics().errors["budget"], 1u);
}

// Answers refused in a row -- by the checks or by the governor -- past
// llm.max-refusals: fallback. An accepted proposal brings it back.
TEST_F(PsdLlm, RefusedAnswersInARowFallBack) {
  server_.script({psl::testing::reply(no_ttl_answer()),
                  psl::testing::reply(good_answer("llm_one")),
                  psl::testing::reply(no_ttl_answer()),
                  psl::testing::reply(good_answer("llm_two"))});
  start();
  // 1: refused by the checks (no ttl); nothing is handed over.
  tick_until([&](const std::vector<Proposal> &) {
    return records("llm_answer").size() == 1;
  });
  EXPECT_EQ(records("llm_answer")[0]["outcome"], "refused");
  EXPECT_EQ(status().state, "ok");
  // 2: a proposal the governor refuses: the second refusal in a row.
  std::vector<Proposal> out = tick_until(any);
  ASSERT_EQ(out.size(), 1u);
  analyzer_->verdict(out[0], false, "whole_protocol", "too broad");
  EXPECT_EQ(status().state, "fallback");
  EXPECT_EQ(status().reason, "refused");
  EXPECT_NE(status().message.find("whole_protocol"), std::string::npos);
  // 3: refused again (still fallback), 4: accepted -> ok.
  out = tick_until(any);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].rules.at(0).name, "llm_two");
  EXPECT_EQ(status().state, "fallback");
  analyzer_->verdict(out[0], true, "", "");
  EXPECT_EQ(status().state, "ok");
  psr::api::LlmMetrics m = metrics();
  EXPECT_EQ((m.proposals[{"refused", "whole_protocol"}]), 1u);
  EXPECT_EQ((m.proposals[{"accepted", "none"}]), 1u);
  EXPECT_EQ(m.fallbacks, 1u);
  // A verdict on someone else's proposal changes nothing.
  Proposal other;
  other.id = "detector-1";
  analyzer_->verdict(other, false, "whole_protocol", "");
  EXPECT_EQ(status().state, "ok");
}

// psd stops while the server holds a request: the analyzer goes within a
// second (the request is cancelled), and the cancelled question is not
// an outcome.
TEST_F(PsdLlm, StoppingCancelsAStalledRequest) {
  server_.script(
      {psl::testing::delayed(60000ms, psl::testing::reply(good_answer()))});
  start();
  tick();
  tick();
  tick();
  auto waiting = Clock::now() + 10s;
  while (server_.requests().empty() && Clock::now() < waiting)
    std::this_thread::sleep_for(5ms);
  ASSERT_EQ(server_.requests().size(), 1u);
  std::this_thread::sleep_for(200ms); // well into the wait
  const auto t0 = Clock::now();
  analyzer_.reset();
  const auto took = Clock::now() - t0;
  EXPECT_LT(took, 1000ms);
  EXPECT_EQ(metrics().fallbacks, 0u);
  EXPECT_TRUE(metrics().analyses.empty());
}

// What the monitor renders is Prometheus text with the families the docs
// name (promtool's check is api_routes_test's).
TEST_F(PsdLlm, MetricsFamilies) {
  server_.script({psl::testing::status(503), psl::testing::status(503)});
  start();
  tick_until([&](const std::vector<Proposal> &) {
    return status().state == "fallback";
  });
  psr::api::PrometheusText w;
  psr::api::render_llm(w, metrics());
  const std::string text = w.take();
  for (const char *family :
       {"packetscope_llm_request_seconds", "packetscope_llm_tokens_total",
        "packetscope_llm_errors_total{kind=\"server_error\"} 1",
        "packetscope_llm_analyses_total{outcome=\"failed\",reason=\"server_"
        "error\"} 1",
        "packetscope_llm_proposals_total", "packetscope_llm_fallbacks_total 1",
        "packetscope_llm_fallback{interface=\"eth0\"} 1"})
    EXPECT_NE(text.find(family), std::string::npos) << family << "\n" << text;
}

} // namespace
} // namespace psd
