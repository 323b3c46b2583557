// The read-only routes over a fake backend (no sockets): what each
// returns, its errors, and /metrics through `promtool check metrics`.
#include <time.h>

#include <cstdio>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/event_hub.h"
#include "api/routes.h"
#include "summary/builder.h"
#include "summary_test_util.h"

namespace psr::api {
namespace {

using nlohmann::json;
using summary::testing::busy_observation;
using summary::testing::kSecond;

uint64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * kSecond +
         static_cast<uint64_t>(ts.tv_nsec);
}

class RoutesTest : public ::testing::Test {
protected:
  void SetUp() override {
    events_ = EventHub::create({4, 2, 8});
    ApiBackend b;
    b.ring = &ring_;
    b.paths = &paths_;
    b.events = events_;
    b.latest = [this] { return latest_; };
    b.previous = [this] { return previous_; };
    b.status = [] {
      DaemonStatus d;
      d.version = "0.1.0";
      d.started_unix_ms = 1'700'000'000'000;
      d.window_seconds = 1;
      d.listen = "127.0.0.1:9477";
      InterfaceStatus i;
      i.name = "eth0";
      i.policy_file = "/etc/packetscope/policies/eth0.psl";
      i.policy_from = "policy-dir";
      i.protected_ = true;
      i.policy_text = "policy edge {\n  default pass\n}\n";
      d.interfaces.push_back(i);
      d.analyzer.name = "openai";
      d.analyzer.embedded = true;
      d.analyzer.model = "gpt-4o-mini";
      d.analyzer.state = "fallback";
      d.analyzer.reason = "budget";
      d.analyzer.message = "LLM budget exhausted";
      d.analyzer.since_unix_ms = 1'700'000'100'000;
      d.analyzer.interfaces.push_back(
          {"eth0", "fallback", "budget", "LLM budget exhausted",
           1'700'000'100'000, "failed", 1'700'000'100'000, false});
      return d;
    };
    b.metrics = [] {
      DaemonMetrics m;
      m.version = "0.1.0";
      m.window_seconds = 1;
      m.requests.push_back({"/api/v1/summary", 200, 12});
      m.requests.push_back({"unmatched", 404, 1});
      m.policy_failures.push_back({"eth0", 1});
      m.object_cache = true;
      m.object_cache_hits = 3;
      m.object_cache_misses = 2;
      m.object_cache_rejected = 1;
      m.process = read_process_stats();
      return m;
    };
    b.max_summaries = 100;
    b.max_paths = 50;
    add_read_routes(router_, b);
  }

  // Two readings a second apart, ending now (so that ttl left is real).
  void observe(uint64_t scale_before, uint64_t scale_after) {
    uint64_t now = now_ns();
    previous_ = std::make_shared<summary::Observation>(
        busy_observation(now - kSecond, 1'700'000'001'000, scale_before));
    latest_ = std::make_shared<summary::Observation>(
        busy_observation(now, 1'700'000'002'000, scale_after));
    ring_.push(summary::build_summary(*previous_, *latest_, ++seq_));
  }

  Response
  get(const std::string &path,
      std::initializer_list<std::pair<const char *, const char *>> query = {}) {
    Request r;
    r.method = "GET";
    r.path = path;
    for (const auto &[k, v] : query)
      r.query.emplace(k, v);
    return router_.dispatch(r);
  }
  static json body(const Response &r) {
    auto j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }

  summary::SummaryRing ring_{10};
  summary::PathLog paths_{100};
  std::shared_ptr<EventHub> events_;
  std::shared_ptr<const summary::Observation> latest_, previous_;
  uint64_t seq_ = 0;
  Router router_;
};

TEST_F(RoutesTest, SummaryIs503UntilTheFirstWindow) {
  Response r = get("/api/v1/summary");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(body(r)["error"].get<std::string>().find("no summary yet"),
            std::string::npos);
  observe(1, 2);
  r = get("/api/v1/summary");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(body(r)["seq"], 1);
  EXPECT_EQ(body(r)["version"], summary::kSchemaVersion);
  EXPECT_EQ(get("/api/v1/summary", {{"x", "1"}}).status, 400);
}

TEST_F(RoutesTest, SummariesSinceAndLimit) {
  for (int i = 0; i < 4; ++i)
    observe(1, 2);
  json all = body(get("/api/v1/summaries"));
  ASSERT_EQ(all["summaries"].size(), 4u);
  EXPECT_FALSE(all["more"]);
  EXPECT_EQ(all["summaries"][0]["seq"], 1);
  json two = body(get("/api/v1/summaries", {{"limit", "2"}}));
  ASSERT_EQ(two["summaries"].size(), 2u);
  EXPECT_TRUE(two["more"]);
  // Every window ends at the same wall-clock time in this fixture.
  json none = body(get("/api/v1/summaries", {{"since", "1700000002000"}}));
  EXPECT_TRUE(none["summaries"].empty());
  json some = body(get("/api/v1/summaries", {{"since", "1700000001999"}}));
  EXPECT_EQ(some["summaries"].size(), 4u);
}

TEST_F(RoutesTest, SummariesRejectsBadQueries) {
  Response r = get("/api/v1/summaries", {{"since", "yesterday"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body(r)["error"],
            "since=yesterday: expected a whole number from 0 to "
            "18446744073709551615");
  r = get("/api/v1/summaries", {{"limit", "101"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body(r)["error"],
            "limit=101: expected a whole number from 0 to 100");
  r = get("/api/v1/summaries", {{"from", "5"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body(r)["error"],
            "unknown query parameter 'from' (known: since, limit)");
}

TEST_F(RoutesTest, RulesWithHitsTtlAndOrigin) {
  observe(1, 2);
  Response r = get("/api/v1/rules");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = body(r);
  ASSERT_EQ(j["interfaces"].size(), 1u);
  const json &eth0 = j["interfaces"][0];
  EXPECT_EQ(eth0["name"], "eth0");
  EXPECT_EQ(eth0["policy"], "edge");
  EXPECT_EQ(eth0["rules_total"], 3);
  ASSERT_EQ(eth0["rules"].size(), 3u);
  // Policy order here, not hits order.
  EXPECT_EQ(eth0["rules"][0]["name"], "mgmt");
  const json &flood = eth0["rules"][1];
  EXPECT_EQ(flood["name"], "icmp_flood");
  EXPECT_EQ(flood["origin"], "detector");
  EXPECT_EQ(flood["mode"], "enforced");
  EXPECT_EQ(flood["hits"]["count"], 900);
  EXPECT_EQ(flood["total_packets"], 1800);
  // Expires 600 s after the last reading, which was just now.
  EXPECT_LE(flood["ttl_left_ms"].get<uint64_t>(), 600'000u);
  EXPECT_GT(flood["ttl_left_ms"].get<uint64_t>(), 590'000u);
  EXPECT_TRUE(eth0["rules"][0]["ttl_left_ms"].is_null());
  EXPECT_EQ(eth0["rules"][2]["mode"], "shadow");
  EXPECT_EQ(eth0["default"]["name"], "default");

  json det = body(get("/api/v1/rules", {{"origin", "detector"}}));
  ASSERT_EQ(det["interfaces"][0]["rules"].size(), 1u);
  EXPECT_EQ(det["interfaces"][0]["rules_matching"], 1);
  json page = body(get("/api/v1/rules", {{"offset", "1"}, {"limit", "1"}}));
  ASSERT_EQ(page["interfaces"][0]["rules"].size(), 1u);
  EXPECT_EQ(page["interfaces"][0]["rules"][0]["name"], "icmp_flood");

  r = get("/api/v1/rules", {{"iface", "eth9"}});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(body(r)["error"], "psd manages no interface 'eth9'");
  r = get("/api/v1/rules", {{"origin", "llm"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(body(r)["interfaces"][0]["rules_matching"], 0);
  r = get("/api/v1/rules", {{"origin", "crowd"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body(r)["error"],
            "origin=crowd: expected operator, detector or llm");
}

trace::PacketPath path_from(const std::string &src, uint16_t dport) {
  trace::PacketPath p;
  uint8_t family = 0;
  p.saddr = *summary::parse_address(src, &family);
  p.daddr = *summary::parse_address(family == 4 ? "192.0.2.1" : "2001:db8::1");
  p.family = family;
  p.proto = family == 4 ? trace::Proto::Ipv4Tcp : trace::Proto::Ipv6Tcp;
  p.sport = 40000;
  p.dport = dport;
  p.steps.push_back({1, "xdp", "drop", "icmp_flood", ""});
  p.outcome = "dropped at xdp by rule 'icmp_flood'";
  return p;
}

TEST_F(RoutesTest, TraceFiltersByAddressAndPort) {
  paths_.add({path_from("198.51.100.1", 22), path_from("198.51.100.2", 443),
              path_from("2001:db8::7", 443)});
  json all = body(get("/api/v1/trace"));
  ASSERT_EQ(all["paths"].size(), 3u);
  EXPECT_EQ(all["paths"][0]["src"], "2001:db8::7");
  json one = body(get("/api/v1/trace", {{"addr", "198.51.100.2"}}));
  ASSERT_EQ(one["paths"].size(), 1u);
  EXPECT_EQ(one["paths"][0]["dport"], 443);
  json https = body(get("/api/v1/trace", {{"dport", "443"}, {"limit", "1"}}));
  ASSERT_EQ(https["paths"].size(), 1u);
  json v6 = body(get("/api/v1/trace", {{"proto", "ipv6/tcp"}}));
  ASSERT_EQ(v6["paths"].size(), 1u);
  EXPECT_EQ(get("/api/v1/trace", {{"addr", "nope"}}).status, 400);
  EXPECT_EQ(get("/api/v1/trace", {{"port", "-1"}}).status, 400);
  EXPECT_EQ(get("/api/v1/trace", {{"limit", "51"}}).status, 400);
  Response r = get("/api/v1/trace", {{"host", "x"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body(r)["error"],
            "unknown query parameter 'host' (known: addr, src, dst, port, "
            "sport, dport, proto, limit)");
}

TEST_F(RoutesTest, StatusJoinsPsdsViewWithThePolicyInForce) {
  observe(1, 2);
  json j = body(get("/api/v1/status"));
  EXPECT_EQ(j["version"], "0.1.0");
  ASSERT_EQ(j["interfaces"].size(), 1u);
  EXPECT_EQ(j["interfaces"][0]["policy"], "edge");
  EXPECT_EQ(j["interfaces"][0]["protected"], true);
  EXPECT_EQ(j["interfaces"][0]["program_id"], 42);
  EXPECT_EQ(j["interfaces"][0]["rules"], 3);
  EXPECT_EQ(j["hooks"].size(), 3u);
  EXPECT_EQ(j["summaries"]["latest_seq"], 1);
  EXPECT_EQ(j["events"]["max_clients"], 2);
  EXPECT_EQ(j["analyzer"]["name"], "openai");
  EXPECT_EQ(j["analyzer"]["embedded"], true);
  EXPECT_EQ(j["analyzer"]["state"], "fallback");
  EXPECT_EQ(j["analyzer"]["reason"], "budget");
  EXPECT_EQ(j["analyzer"]["since_unix_ms"], 1'700'000'100'000);
  EXPECT_EQ(j["analyzer"]["interfaces"][0]["last_outcome"], "failed");
}

TEST_F(RoutesTest, PolicyGivesTheOperatorTextPerInterface) {
  json j = body(get("/api/v1/policy"));
  ASSERT_EQ(j["interfaces"].size(), 1u);
  EXPECT_EQ(j["interfaces"][0]["name"], "eth0");
  EXPECT_EQ(j["interfaces"][0]["policy_file"],
            "/etc/packetscope/policies/eth0.psl");
  EXPECT_EQ(j["interfaces"][0]["policy_from"], "policy-dir");
  EXPECT_EQ(j["interfaces"][0]["text"], "policy edge {\n  default pass\n}\n");
  EXPECT_EQ(
      body(get("/api/v1/policy", {{"iface", "eth0"}}))["interfaces"].size(),
      1u);
  EXPECT_EQ(get("/api/v1/policy", {{"iface", "eth9"}}).status, 404);
  EXPECT_EQ(get("/api/v1/policy", {{"ifac", "eth0"}}).status, 400);
}

TEST_F(RoutesTest, EventsSubscribeUpToTheCap) {
  Response a = get("/api/v1/events");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.content_type, "text/event-stream");
  ASSERT_NE(a.stream, nullptr);
  Response b = get("/api/v1/events");
  ASSERT_NE(b.stream, nullptr);
  Response c = get("/api/v1/events");
  EXPECT_EQ(c.status, 503);
  EXPECT_EQ(c.stream, nullptr);
  EXPECT_NE(body(c)["error"].get<std::string>().find("too many"),
            std::string::npos);
  a.stream.reset(); // a client leaves: room for another
  EXPECT_EQ(get("/api/v1/events").status, 200);

  Request bad;
  bad.method = "GET";
  bad.path = "/api/v1/events";
  bad.headers["last-event-id"] = "abc";
  EXPECT_EQ(router_.dispatch(bad).status, 400);
}

std::string run_promtool(const std::string &text, int *exit_code) {
  char tmpl[] = "/tmp/psr-metrics-XXXXXX";
  int fd = ::mkstemp(tmpl);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::write(fd, text.data(), text.size()),
            static_cast<ssize_t>(text.size()));
  ::close(fd);
  std::string cmd =
      std::string(PSD_PROMTOOL) + " check metrics < " + tmpl + " 2>&1";
  std::string out;
  FILE *p = ::popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while (p && (n = std::fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  int status = p ? ::pclose(p) : -1;
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  ::unlink(tmpl);
  return out;
}

TEST_F(RoutesTest, MetricsArePrometheusTextThatPromtoolAccepts) {
  observe(1, 2);
  Response r = get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::string &m = r.body;
  EXPECT_NE(m.find("packetscope_nic_packets_total{protocol=\"ipv4/icmp\"} "
                   "2000\n"),
            std::string::npos);
  EXPECT_NE(m.find("packetscope_xdp_packets_total{protocol=\"ipv4/icmp\","
                   "verdict=\"drop\"} 1800\n"),
            std::string::npos);
  EXPECT_NE(m.find("packetscope_drop_reason_packets_total{layer=\"socket\","
                   "reason=\"NO_SOCKET\",protocol=\"ipv6/tcp\"} 20\n"),
            std::string::npos);
  EXPECT_NE(m.find("packetscope_rule_packets_total{interface=\"eth0\","
                   "rule=\"icmp_flood\",action=\"drop\",origin=\"detector\","
                   "mode=\"enforced\"} 1800\n"),
            std::string::npos);
  EXPECT_NE(m.find("packetscope_stack_latency_seconds_bucket{protocol="
                   "\"ipv4/icmp\",le=\"+Inf\"} 200\n"),
            std::string::npos);
  EXPECT_NE(m.find("packetscope_stack_latency_seconds_count{protocol="
                   "\"ipv4/icmp\"} 200\n"),
            std::string::npos);
  EXPECT_NE(m.find("packetscope_api_requests_total{route=\"/api/v1/summary\","
                   "code=\"200\"} 12\n"),
            std::string::npos);
  EXPECT_NE(m.find("packetscope_rule_ttl_seconds{interface=\"eth0\",rule="
                   "\"icmp_flood\"} "),
            std::string::npos);
  // No address or port is ever a label.
  EXPECT_EQ(m.find("198.51.100.7"), std::string::npos);
  EXPECT_EQ(m.find("2001:db8::9"), std::string::npos);
  EXPECT_EQ(m.find("port=\""), std::string::npos);

  int code = -1;
  std::string out = run_promtool(m, &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "") << out;
}

TEST_F(RoutesTest, MetricsBeforeTheFirstReadingArePsdsOwn) {
  Response r = get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("packetscope_build_info{version=\"0.1.0\"} 1\n"),
            std::string::npos);
  EXPECT_EQ(r.body.find("packetscope_nic_packets_total{"), std::string::npos);
  for (const char *line :
       {"packetscope_policy_object_cache_lookups_total{result=\"hit\"} 3\n",
        "packetscope_policy_object_cache_lookups_total{result=\"miss\"} 2\n",
        "packetscope_policy_object_cache_rejected_total 1\n",
        "packetscope_policy_object_cache_store_failures_total 0\n"})
    EXPECT_NE(r.body.find(line), std::string::npos) << line;
  int code = -1;
  std::string out = run_promtool(r.body, &code);
  EXPECT_EQ(code, 0) << out;
}

TEST_F(RoutesTest, MetricsCapRulesAndEscapeLabels) {
  auto big = std::make_shared<summary::Observation>();
  std::vector<summary::RuleView> rules;
  for (int i = 0; i < 30; ++i)
    rules.push_back(summary::testing::rule("r" + std::to_string(i), "drop", 1));
  big->policies.push_back(summary::testing::policy("eth0", "big", rules));
  big->snapshot.drops.push_back(
      {1, "ODD\"NAME\\", "core", trace::Proto::Other, 3});
  latest_ = big;
  MetricsOptions o;
  o.max_rules = 10;
  DaemonMetrics d;
  std::string m = render_metrics(latest_.get(), d, o);
  EXPECT_NE(m.find("packetscope_rules_omitted{interface=\"eth0\"} 20\n"),
            std::string::npos);
  // No object cache, no series for it.
  EXPECT_EQ(m.find("packetscope_policy_object_cache"), std::string::npos);
  EXPECT_NE(m.find("rule=\"r9\""), std::string::npos);
  EXPECT_EQ(m.find("rule=\"r10\""), std::string::npos);
  EXPECT_NE(m.find("reason=\"ODD\\\"NAME\\\\\""), std::string::npos);
  int code = -1;
  std::string out = run_promtool(m, &code);
  EXPECT_EQ(code, 0) << out;
}

TEST(LlmMetricsText, PromtoolAcceptsIt) {
  DaemonMetrics d;
  d.version = "0.1.0";
  d.llm.enabled = true;
  d.llm.request.observe(1.5);
  d.llm.request.observe(42);
  d.llm.tokens_in = 1000;
  d.llm.tokens_out = 200;
  d.llm.errors["timeout"] = 2;
  d.llm.errors["budget"] = 1;
  d.llm.analyses[{"proposal", "none"}] = 1;
  d.llm.analyses[{"refused", "names_operator_rule"}] = 1;
  d.llm.proposals[{"refused", "whole_protocol"}] = 1;
  d.llm.fallbacks = 1;
  d.llm.fallback["eth0"] = true;
  std::string m = render_metrics(nullptr, d);
  EXPECT_NE(m.find("packetscope_llm_request_seconds_bucket{le=\"2.5\"} 1\n"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("packetscope_llm_request_seconds_count 2\n"),
            std::string::npos);
  EXPECT_NE(m.find("packetscope_llm_tokens_total{direction=\"in\"} 1000\n"),
            std::string::npos);
  EXPECT_NE(m.find("packetscope_llm_fallback{interface=\"eth0\"} 1\n"),
            std::string::npos);
  int code = -1;
  std::string out = run_promtool(m, &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "") << out;
  // Without an LLM analyzer: none of it.
  DaemonMetrics none;
  EXPECT_EQ(render_metrics(nullptr, none).find("packetscope_llm_"),
            std::string::npos);
}

TEST(ProcessStats, ReadsThisProcess) {
  ProcessStats p = read_process_stats();
  EXPECT_GT(p.resident_bytes, 0u);
  EXPECT_GE(p.max_resident_bytes, p.resident_bytes);
  EXPECT_GT(p.start_time_seconds, 1.6e9);
}

} // namespace
} // namespace psr::api
