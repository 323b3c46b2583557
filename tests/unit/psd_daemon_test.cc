// The daemon on fakes: adopting or putting policies in force at start,
// keeping the old policy when a new one fails, reload, the loop with its
// API and event stream, and the stop that keeps protection.
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>

#include "daemon.h"
#include "private_netns.h"
#include "psd_fake_control.h"
#include "summary_test_util.h"

namespace psd {
namespace {

namespace be = psl::backend;
namespace trace = psr::trace;
using namespace std::chrono_literals;

using testing::FakeControl;

uint64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<uint64_t>(ts.tv_nsec);
}

// Counters that grow with every reading.
class FakeTrace : public summary::TraceSource {
public:
  std::atomic<uint64_t> readings{0};
  be::Expected<trace::Snapshot> snapshot() override {
    uint64_t n = ++readings;
    return summary::testing::busy_observation(now_ns(), 1'700'000'000'000 + n,
                                              n)
        .snapshot;
  }
  std::vector<trace::PacketPath> take_paths() override { return {}; }
};

class FakeStatus : public summary::PolicyStatusSource {
public:
  be::Expected<std::vector<summary::PolicyView>> policies() override {
    return summary::testing::busy_observation(now_ns(), 0, 1).policies;
  }
};

const char *const kSite = "policy site {\n  default pass\n}\n";
const char *const kSite2 =
    "policy site {\n  rule no_telnet: tcp.dport == 23 => drop\n  default "
    "pass\n}\n";
const char *const kBroken = "policy broken {\n  rule a: tcp.dprot == 22 => "
                            "drop\n}\n";

class DaemonTest : public ::testing::Test {
protected:
  void SetUp() override {
    // The tests that serve HTTP do it on loopback (port 0): in a network
    // namespace of their own when run as root.
    psr::testing::private_network_once();
    char tmpl[] = "/tmp/psd-daemon-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.interfaces = {"eth0"};
    options_.policy_dir = dir_;
    options_.policy_dir_given = true;
    options_.listen = "127.0.0.1:0";
    options_.window = 100ms;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text_);
    log_ = std::make_shared<spdlog::logger>("psd", sink);
    log_->set_level(spdlog::level::debug);
    audit_ = std::make_unique<psr::govern::AuditLog>(
        psr::govern::AuditOptions{dir_ + "/state/audit.jsonl"});
    control_.audit = audit_.get();
  }
  // A daemon over the fakes; no analyzer unless given one.
  std::unique_ptr<Daemon> daemon(AnalyzerFactory analyzer = nullptr) {
    return std::make_unique<Daemon>(options_, control_, *audit_,
                                    std::move(analyzer), log_);
  }
  void TearDown() override {
    EXPECT_EQ(std::system(("rm -rf '" + dir_ + "'").c_str()), 0);
  }
  void write(const std::string &name, const std::string &text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  std::string log() {
    log_->flush();
    return log_text_.str();
  }

  std::string dir_;
  PsdOptions options_;
  FakeControl control_;
  std::unique_ptr<psr::govern::AuditLog> audit_;
  std::ostringstream log_text_;
  std::shared_ptr<spdlog::logger> log_;
};

TEST_F(DaemonTest, PutsTheOperatorPolicyInForce) {
  write("policy.psl", kSite);
  auto d = daemon();
  ASSERT_TRUE(d->start_policies().ok()) << log();
  ASSERT_EQ(control_.puts.size(), 1u);
  EXPECT_EQ(control_.puts[0], "eth0 <- " + dir_ + "/policy.psl");
  auto st = d->status();
  ASSERT_EQ(st.interfaces.size(), 1u);
  EXPECT_TRUE(st.interfaces[0].protected_);
  EXPECT_EQ(st.interfaces[0].policy_from, "policy-dir");
  EXPECT_EQ(st.interfaces[0].last_error, "");
}

TEST_F(DaemonTest, TheSamePolicyAlreadyInForceIsAdopted) {
  write("policy.psl", kSite);
  control_.in_force_["eth0"] = {true, "site", 77, kSite};
  auto d = daemon();
  ASSERT_TRUE(d->start_policies().ok());
  EXPECT_TRUE(control_.puts.empty());
  EXPECT_EQ(d->status().interfaces[0].policy_from, "adopted");
  EXPECT_NE(log().find("eth0: policy 'site' (program 77) is already in force"),
            std::string::npos)
      << log();
}

TEST_F(DaemonTest, AnotherPolicyInForceIsReplaced) {
  write("policy.psl", kSite2);
  control_.in_force_["eth0"] = {true, "site", 77, kSite};
  auto d = daemon();
  ASSERT_TRUE(d->start_policies().ok());
  ASSERT_EQ(control_.puts.size(), 1u);
  EXPECT_NE(log().find("eth0: replaced the policy from"), std::string::npos);
}

TEST_F(DaemonTest, WithoutAPolicyDirectoryTheDefaultGoesInForce) {
  options_.policy_dir = dir_ + "/none";
  options_.policy_dir_given = false;
  auto d = daemon();
  ASSERT_TRUE(d->start_policies().ok()) << log();
  ASSERT_EQ(control_.puts.size(), 1u);
  EXPECT_EQ(control_.puts[0], std::string("eth0 <- ") + kDefaultPolicyPath);
  EXPECT_EQ(d->status().interfaces[0].policy_from, "default");
}

TEST_F(DaemonTest, ABrokenPolicyWithNothingInForceStopsTheStart) {
  write("policy.psl", kBroken);
  auto d = daemon();
  be::Status st = d->start_policies();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "no policy could be put in force on eth0");
  EXPECT_NE(log().find(dir_ + "/policy.psl:2:11: error[E0202]: unknown field "
                              "'tcp.dprot'"),
            std::string::npos)
      << log();
  EXPECT_TRUE(control_.puts.empty());
}

TEST_F(DaemonTest, ABrokenPolicyLeavesTheOneInForce) {
  write("policy.psl", kBroken);
  control_.in_force_["eth0"] = {true, "site", 77, kSite};
  auto d = daemon();
  ASSERT_TRUE(d->start_policies().ok());
  EXPECT_TRUE(control_.puts.empty());
  auto st = d->status();
  EXPECT_TRUE(st.interfaces[0].protected_);
  EXPECT_EQ(st.interfaces[0].last_error,
            dir_ + "/policy.psl: 1 error(s); see the log");
  EXPECT_NE(log().find("the policy in force ('site', program 77) stays"),
            std::string::npos)
      << log();
}

TEST_F(DaemonTest, AFailedLoadLeavesTheOneInForce) {
  write("policy.psl", kSite2);
  control_.in_force_["eth0"] = {true, "site", 77, kSite};
  control_.fail_put["eth0"] = "the kernel rejected the policy";
  auto d = daemon();
  ASSERT_TRUE(d->start_policies().ok());
  EXPECT_EQ(d->status().interfaces[0].last_error,
            "the kernel rejected the policy");
  EXPECT_NE(log().find("verifier log lines"), std::string::npos);
  // With nothing in force, the same failure stops the start.
  control_.in_force_["eth0"] = InForceInfo{};
  auto d2 = daemon();
  EXPECT_FALSE(d2->start_policies().ok());
}

TEST_F(DaemonTest, AStrayFileInThePolicyDirectoryIsReported) {
  write("policy.psl", kSite);
  write("eth7.psl", kSite);
  control_.in_force_["eth0"] = {true, "site", 77, kSite};
  auto d = daemon();
  ASSERT_TRUE(d->start_policies().ok());
  EXPECT_NE(d->status().interfaces[0].last_error.find("eth7.psl' is neither"),
            std::string::npos);
}

TEST_F(DaemonTest, ReloadPutsChangedPoliciesInForceAndKeepsOnFailure) {
  write("policy.psl", kSite);
  auto d = daemon();
  ASSERT_TRUE(d->start_policies().ok());
  d->reload_policies(); // unchanged: adopted, nothing loaded
  EXPECT_EQ(control_.puts.size(), 1u);
  write("policy.psl", kSite2);
  d->reload_policies();
  EXPECT_EQ(control_.puts.size(), 2u);
  EXPECT_EQ(control_.in_force_["eth0"].text, kSite2);
  write("policy.psl", kBroken);
  d->reload_policies();
  EXPECT_EQ(control_.puts.size(), 2u);
  EXPECT_EQ(control_.in_force_["eth0"].text, kSite2);
  EXPECT_TRUE(d->status().interfaces[0].protected_);
  EXPECT_FALSE(d->status().interfaces[0].last_error.empty());
}

TEST_F(DaemonTest, StoppingKeepsProtectionUnlessDetachOnExit) {
  write("policy.psl", kSite);
  {
    auto d = daemon();
    ASSERT_TRUE(d->start_policies().ok());
    d->shutdown();
    EXPECT_TRUE(control_.take_downs.empty());
    EXPECT_TRUE(control_.in_force_["eth0"].present);
    EXPECT_NE(log().find("the policies stay in force on eth0"),
              std::string::npos);
  }
  options_.detach_on_exit = true;
  auto d = daemon();
  ASSERT_TRUE(d->start_policies().ok());
  d->shutdown();
  EXPECT_EQ(control_.take_downs, std::vector<std::string>{"eth0"});
}

TEST_F(DaemonTest, ServesSummariesMetricsAndEventsUntilStopped) {
  write("policy.psl", kSite);
  auto d = daemon();
  ASSERT_TRUE(d->start_policies().ok());
  FakeTrace trace;
  FakeStatus status;
  std::atomic<bool> stop{false};
  std::atomic<int> reloads{1};
  be::Status served;
  std::thread loop([&] {
    served =
        d->serve(trace, status, std::nullopt, [&](std::chrono::milliseconds t) {
          if (stop)
            return Wake::Stop;
          if (reloads > 0 && trace.readings > 2) {
            --reloads;
            return Wake::Reload;
          }
          std::this_thread::sleep_for(t);
          return Wake::Timeout;
        });
  });
  for (int i = 0; i < 500 && d->api_port() == 0; ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_NE(d->api_port(), 0);
  httplib::Client c("127.0.0.1", d->api_port());
  c.set_read_timeout(10s);

  // Windows come every 100 ms.
  nlohmann::json summary;
  for (int i = 0; i < 200; ++i) {
    auto r = c.Get("/api/v1/summary");
    ASSERT_TRUE(r);
    if (r->status == 200) {
      summary = nlohmann::json::parse(r->body);
      if (summary["seq"].get<int>() >= 3)
        break;
    }
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_GE(summary.value("seq", 0), 3) << summary.dump();
  EXPECT_EQ(summary["interfaces"][0]["policy"], "edge");

  auto st = c.Get("/api/v1/status");
  ASSERT_TRUE(st);
  auto sj = nlohmann::json::parse(st->body);
  EXPECT_EQ(sj["interfaces"][0]["name"], "eth0");
  EXPECT_EQ(sj["interfaces"][0]["policy_file"], dir_ + "/policy.psl");
  EXPECT_EQ(sj["interfaces"][0]["protected"], true);

  auto m = c.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("packetscope_windows_total "), std::string::npos);
  EXPECT_NE(m->body.find("packetscope_api_requests_total{route=\"/api/v1/"
                         "summary\",code=\"200\"}"),
            std::string::npos);

  // The event stream carries each new summary.
  std::string events;
  httplib::Client sse("127.0.0.1", d->api_port());
  sse.set_read_timeout(10s);
  sse.Get("/api/v1/events", [&](const char *data, size_t n) {
    events.append(data, n);
    return events.find("event: summary") == std::string::npos;
  });
  EXPECT_NE(events.find("event: summary\ndata: {\"version\":1"),
            std::string::npos)
      << events;

  // Maintenance runs once a second; the reload came and went.
  for (int i = 0; i < 300 && control_.maintained == 0; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_GT(control_.maintained.load(), 0);
  EXPECT_EQ(reloads.load(), 0);

  stop = true;
  loop.join();
  EXPECT_TRUE(served.ok()) << served.error().message;
  EXPECT_NE(
      log().find("reading the policy directory '" + dir_ + "' again (SIGHUP)"),
      std::string::npos)
      << log();
  EXPECT_FALSE(c.Get("/api/v1/status")); // the API is gone
}

TEST_F(DaemonTest, ABusyPortIsAnError) {
  write("policy.psl", kSite);
  httplib::Server other;
  int port = other.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  options_.listen = "127.0.0.1:" + std::to_string(port);
  auto d = daemon();
  ASSERT_TRUE(d->start_policies().ok());
  FakeTrace trace;
  FakeStatus status;
  be::Status st =
      d->serve(trace, status, std::nullopt,
               [](std::chrono::milliseconds) { return Wake::Stop; });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message,
            "cannot listen on 127.0.0.1:" + std::to_string(port) +
                ": Address already in use");
}

} // namespace
} // namespace psd
