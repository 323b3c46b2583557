// The LLM analyzer's parts that need no server: retry timing, the
// budget, the key and its redaction, configuration checks, the two wire
// formats, the proposal's JSON.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze/llm/api_key.h"
#include "analyze/llm/budget.h"
#include "analyze/llm/config.h"
#include "analyze/llm/health.h"
#include "analyze/llm/provider.h"
#include "analyze/llm/retry.h"
#include "analyze/llm/settings.h"
#include "analyze/proposal.h"

namespace {

using namespace psr::analyze::llm;
using namespace std::chrono_literals;
using psr::analyze::Proposal;

std::chrono::system_clock::time_point at(time_t unix_s) {
  return std::chrono::system_clock::from_time_t(unix_s);
}

TEST(LlmRetry, RetryAfterSecondsAndDates) {
  auto now = at(1445412480); // Wed, 21 Oct 2015 07:28:00 GMT
  EXPECT_EQ(parse_retry_after("120", now), std::chrono::milliseconds(120000));
  EXPECT_EQ(parse_retry_after(" 0 ", now), std::chrono::milliseconds(0));
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            std::chrono::milliseconds(30000));
  // A date in the past: no wait.
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            std::chrono::milliseconds(0));
  EXPECT_FALSE(parse_retry_after("", now));
  EXPECT_FALSE(parse_retry_after("soon", now));
  EXPECT_FALSE(parse_retry_after("-5", now));
  EXPECT_FALSE(parse_retry_after("21 Oct 2015", now));
}

TEST(LlmRetry, BackoffDoublesWithJitterAndACap) {
  for (uint64_t r : {uint64_t{0}, uint64_t{12345}, ~uint64_t{0}}) {
    auto d1 = backoff(1, 500ms, 30s, r);
    auto d2 = backoff(2, 500ms, 30s, r);
    auto d4 = backoff(4, 500ms, 30s, r);
    auto d20 = backoff(20, 500ms, 30s, r);
    EXPECT_GE(d1, 250ms);
    EXPECT_LE(d1, 500ms);
    EXPECT_GE(d2, 500ms);
    EXPECT_LE(d2, 1000ms);
    EXPECT_GE(d4, 2000ms);
    EXPECT_LE(d4, 4000ms);
    EXPECT_GE(d20, 15s);
    EXPECT_LE(d20, 30s);
  }
  // Different draws, different waits: the jitter is there.
  EXPECT_NE(backoff(3, 500ms, 30s, 1), backoff(3, 500ms, 30s, 777));
}

TEST(LlmRetry, WhatIsRetried) {
  HttpResponse r;
  r.transport = Transport::Ok;
  for (long s : {408L, 429L, 500L, 502L, 503L, 504L}) {
    r.status = s;
    EXPECT_TRUE(retryable(r)) << s;
  }
  for (long s : {400L, 401L, 403L, 404L, 413L, 422L}) {
    r.status = s;
    EXPECT_FALSE(retryable(r)) << s;
  }
  for (Transport t :
       {Transport::Connect, Transport::Timeout, Transport::Dropped}) {
    r.transport = t;
    EXPECT_TRUE(retryable(r));
  }
  for (Transport t : {Transport::Tls, Transport::TooLarge, Transport::Other}) {
    r.transport = t;
    EXPECT_FALSE(retryable(r));
  }
}

TEST(LlmBudget, CallsPerMinuteAndTokensPerHour) {
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(5);
  Budget b({2, 1000}, [&] { return now; });
  std::string why;
  uint64_t t1 = 0, t2 = 0, t3 = 0;
  EXPECT_TRUE(b.admit(100, t1, why));
  EXPECT_TRUE(b.admit(100, t2, why));
  EXPECT_FALSE(b.admit(100, t3, why));
  EXPECT_EQ(why, "2 calls in the last minute (limit 2)");
  now += 61s;
  EXPECT_TRUE(b.admit(100, t3, why));
  b.settle(t1, 400);
  b.settle(t2, 400);
  b.settle(t3, 150); // 950 tokens in the last hour
  EXPECT_EQ(b.usage().tokens_last_hour, 950u);
  now += 61s;
  uint64_t t4 = 0;
  EXPECT_FALSE(b.admit(100, t4, why));
  EXPECT_EQ(why, "950 tokens in the last hour, 100 more expected "
                 "(limit 1000)");
  now += std::chrono::minutes(60);
  EXPECT_TRUE(b.admit(100, t4, why));
  EXPECT_EQ(b.usage().calls_last_minute, 1u);
  Budget unlimited({0, 0});
  for (int i = 0; i < 100; ++i)
    EXPECT_TRUE(unlimited.admit(1000000, t4, why));
}

class KeyFile : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("psc_llm_key_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string &name, const std::string &text,
                    mode_t mode) {
    std::string p = (dir_ / name).string();
    std::ofstream(p) << text;
    ::chmod(p.c_str(), mode);
    return p;
  }
  std::filesystem::path dir_;
};

TEST_F(KeyFile, ReadsAPrivateFile) {
  auto k = load_api_key(write("k", "sk-test-0123456789abcdef\n", 0600), "env");
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_EQ(k->reveal(), "sk-test-0123456789abcdef");
  auto ro = load_api_key(write("ro", "sk-read-only-key\n", 0400), nullptr);
  ASSERT_TRUE(ro);
}

TEST_F(KeyFile, RefusesAFileOthersCanRead) {
  std::string path = write("k", "sk-secret-zzzzzzzzzzzz", 0644);
  auto k = load_api_key(path, nullptr);
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().message,
            "the key file '" + path +
                "' is readable or writable by group or others (mode 0644); "
                "make it 0600: chmod 600 " +
                path);
  EXPECT_EQ(k.error().message.find("sk-secret"), std::string::npos);
  EXPECT_FALSE(load_api_key(write("g", "sk-x", 0640), nullptr));
  EXPECT_FALSE(load_api_key(write("w", "sk-x", 0602), nullptr));
}

TEST_F(KeyFile, RefusesLinksDirectoriesAndBadText) {
  std::string target = write("t", "sk-abc", 0600);
  std::string link = (dir_ / "link").string();
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  EXPECT_FALSE(load_api_key(link, nullptr));
  EXPECT_FALSE(load_api_key(dir_.string(), nullptr));
  EXPECT_FALSE(load_api_key((dir_ / "missing").string(), nullptr));
  auto empty = load_api_key(write("e", "  \n", 0600), nullptr);
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("is empty"), std::string::npos);
  // A key that would split the Authorization header.
  auto crlf = load_api_key(write("c", "sk-abc\r\nX-Evil: 1", 0600), nullptr);
  ASSERT_FALSE(crlf);
  EXPECT_EQ(crlf.error().message.find("Evil"), std::string::npos);
}

TEST(LlmKey, FromTheEnvironmentOrNothing) {
  auto none = load_api_key("", nullptr);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto env = load_api_key("", "  sk-from-env ");
  ASSERT_TRUE(env);
  EXPECT_EQ(env->reveal(), "sk-from-env");
  auto bad = load_api_key("", "sk with space");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("PSC_LLM_API_KEY"), std::string::npos);
}

TEST(LlmKey, RedactorHidesTheKeyAndLongPiecesOfIt) {
  auto key = make_api_key("sk-PLANTED-0123456789abcdefXYZ", "test");
  ASSERT_TRUE(key);
  Redactor r(*key);
  EXPECT_EQ(r("auth failed for sk-PLANTED-0123456789abcdefXYZ, sorry"),
            "auth failed for [redacted], sorry");
  // What an error page shows of a key: a long piece is hidden too.
  EXPECT_EQ(r("Incorrect API key provided: sk-PLANTED-0123****XYZ"),
            "Incorrect API key provided: [redacted]****XYZ");
  EXPECT_TRUE(r.contains_secret("x0123456789ax"));
  EXPECT_FALSE(r.contains_secret("sk-PLAN")); // 7 characters
  EXPECT_EQ(r("nothing here"), "nothing here");
  auto short_key = make_api_key("abc", "test");
  Redactor rs(*short_key);
  EXPECT_EQ(rs("xabcx"), "x[redacted]x");
  Redactor none;
  EXPECT_EQ(none("abc"), "abc");
}

TEST(LlmConfig, Validation) {
  LlmConfig c;
  c.model = "m";
  c.url = "https://api.openai.com/v1";
  EXPECT_TRUE(validate(c).ok());
  EXPECT_EQ(endpoint(c), "https://api.openai.com/v1/chat/completions");
  c.url = "https://api.openai.com/v1/";
  EXPECT_EQ(endpoint(c), "https://api.openai.com/v1/chat/completions");
  c.url = "https://api.openai.com";
  EXPECT_NE(validate(c).error().message.find("must end in /v1"),
            std::string::npos);
  c.url = "http://10.1.2.3:8000/v1";
  EXPECT_NE(validate(c).error().message.find("unencrypted"), std::string::npos);
  c.allow_plain_http = true;
  EXPECT_TRUE(validate(c).ok());
  c.allow_plain_http = false;
  for (const char *loop : {"http://127.0.0.1:8000/v1", "http://localhost/v1",
                           "http://[::1]:8000/v1"}) {
    c.url = loop;
    EXPECT_TRUE(validate(c).ok()) << loop;
  }
  c.url = "ftp://x/v1";
  EXPECT_FALSE(validate(c).ok());
  c.url = "http://127.0.0.1:11434";
  c.provider = Provider::Ollama;
  EXPECT_TRUE(validate(c).ok());
  EXPECT_EQ(endpoint(c), "http://127.0.0.1:11434/api/chat");
  c.output = OutputMode::Gbnf;
  EXPECT_FALSE(validate(c).ok());
  c.output = OutputMode::JsonSchema;
  c.model.clear();
  EXPECT_FALSE(validate(c).ok());
}

TEST(LlmProvider, OpenAiRequestBodies) {
  LlmConfig c;
  c.model = "gpt-test";
  c.temperature = 0.3;
  c.max_tokens = 777;
  std::vector<ChatMessage> msgs{{ChatMessage::Role::System, "s"},
                                {ChatMessage::Role::User, "u"}};
  auto body = request_body(c, msgs, "");
  EXPECT_EQ(body["model"], "gpt-test");
  EXPECT_EQ(body["stream"], false);
  EXPECT_EQ(body["max_tokens"], 777);
  EXPECT_DOUBLE_EQ(body["temperature"].get<double>(), 0.3);
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_EQ(body["messages"][1]["content"], "u");
  EXPECT_EQ(body["response_format"]["type"], "json_schema");
  EXPECT_EQ(body["response_format"]["json_schema"]["schema"], answer_schema());
  EXPECT_EQ(body["response_format"]["json_schema"]["strict"], true);
  c.output = OutputMode::JsonObject;
  EXPECT_EQ(request_body(c, msgs, "")["response_format"]["type"],
            "json_object");
  c.output = OutputMode::Text;
  EXPECT_FALSE(request_body(c, msgs, "").contains("response_format"));
  c.output = OutputMode::Gbnf;
  EXPECT_EQ(request_body(c, msgs, "root ::= x")["grammar"], "root ::= x");
  c.output = OutputMode::VllmGrammar;
  EXPECT_EQ(
      request_body(c, msgs, "root ::= y")["structured_outputs"]["grammar"],
      "root ::= y");
}

TEST(LlmProvider, OllamaRequestBodies) {
  LlmConfig c;
  c.provider = Provider::Ollama;
  c.model = "llama3";
  c.max_tokens = 99;
  auto body = request_body(c, {{ChatMessage::Role::User, "u"}}, "");
  EXPECT_EQ(body["stream"], false);
  EXPECT_EQ(body["options"]["num_predict"], 99);
  EXPECT_EQ(body["format"], answer_schema());
  EXPECT_FALSE(body.contains("max_tokens"));
  c.output = OutputMode::JsonObject;
  EXPECT_EQ(request_body(c, {}, "")["format"], "json");
}

TEST(LlmProvider, ReadsAnswersAndErrors) {
  auto o = parse_reply(Provider::OpenAi,
                       R"({"choices":[{"message":{"content":"hi"},
                           "finish_reason":"stop"}],
                           "usage":{"prompt_tokens":12,"completion_tokens":3}})");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->content, "hi");
  EXPECT_EQ(o->tokens_in, 12u);
  EXPECT_EQ(o->tokens_out, 3u);
  EXPECT_TRUE(o->tokens_reported);
  auto l = parse_reply(Provider::Ollama,
                       R"({"message":{"role":"assistant","content":"yo"},
                           "prompt_eval_count":5,"eval_count":6})");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->content, "yo");
  EXPECT_EQ(l->tokens_out, 6u);
  EXPECT_FALSE(parse_reply(Provider::OpenAi, "not json"));
  EXPECT_FALSE(parse_reply(Provider::OpenAi, R"({"choices":[]})"));
  auto err = parse_reply(Provider::OpenAi, R"({"error":{"message":"bad"}})");
  ASSERT_FALSE(err);
  EXPECT_NE(err.error().message.find("bad"), std::string::npos);
  EXPECT_EQ(error_message(R"({"error":"model not found"})"), "model not found");
  EXPECT_EQ(error_message("<html>"), "");
}

TEST(LlmProposal, JsonRoundTrip) {
  Proposal p;
  p.id = "llm-1-0001";
  p.psl = "policy g {\n  rule a: ip.src == 192.0.2.1 => drop ttl 10m\n}\n";
  p.policy_name = "g";
  p.rules = {{"a", "drop", 600000, false}};
  p.analysis = "a SYN flood from 192.0.2.1";
  p.evidence.windows = {{7, 1000, 11000}};
  p.evidence.counters = {{7, "talkers.top[192.0.2.1].tcp_syn", 5400}};
  p.evidence.cited = true;
  p.created_unix_ms = 1733500000000;
  psr::analyze::LlmRecord rec;
  rec.provider = "openai";
  rec.model = "m";
  rec.prompt_version = "v1-0011223344556677";
  rec.rounds = {{0, 100, 20, 1.5, 2, "answer.psl:1:1: error: x\n"},
                {1, 120, 25, 0.5, 1, ""}};
  p.llm = rec;
  auto j = psr::analyze::to_json(p);
  EXPECT_EQ(j["llm"]["tokens_in"], 220);
  EXPECT_EQ(j["kind"], "policy");
  auto back = psr::analyze::proposal_from_json(j);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(psr::analyze::to_json(*back), j);
  EXPECT_EQ(back->rules, p.rules);
  EXPECT_EQ(back->evidence.windows, p.evidence.windows);

  Proposal s;
  s.id = "detector-1";
  s.origin = psr::analyze::Origin::Detector;
  s.kind = Proposal::Kind::SetInsert;
  s.insert = {"banned", {"203.0.113.7"}, 600000};
  auto js = psr::analyze::to_json(s);
  EXPECT_FALSE(js.contains("llm"));
  EXPECT_FALSE(js.contains("psl"));
  auto sb = psr::analyze::proposal_from_json(js);
  ASSERT_TRUE(sb);
  EXPECT_EQ(sb->insert.values, s.insert.values);
  js.erase("evidence");
  auto broken = psr::analyze::proposal_from_json(js);
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().message, "proposal: missing member 'evidence'");
}

} // namespace

namespace {

TEST(LlmSettings, OneSpellingForFlagsAndConfigKeys) {
  LlmConfig c;
  for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"provider", "ollama"},
           {"url", "http://127.0.0.1:11434"},
           {"model", "llama3.1:8b"},
           {"temperature", "0.5"},
           {"max-tokens", "4096"},
           {"output", "json-object"},
           {"timeout", "90s"},
           {"connect-timeout", "1500ms"},
           {"ca-bundle", "/etc/ssl/private-ca.pem"},
           {"allow-plain-http", "true"},
           {"attempts", "3"},
           {"calls-per-minute", "2"},
           {"tokens-per-hour", "100000"},
           {"repair-rounds", "1"},
           {"max-rules", "20"},
           {"summary-tokens", "9000"}}) {
    auto s = apply_setting(c, k, v);
    EXPECT_TRUE(s.ok()) << k << ": " << (s.ok() ? "" : s.error().message);
  }
  EXPECT_EQ(c.provider, Provider::Ollama);
  EXPECT_EQ(c.model, "llama3.1:8b");
  EXPECT_DOUBLE_EQ(c.temperature, 0.5);
  EXPECT_EQ(c.output, OutputMode::JsonObject);
  EXPECT_EQ(c.timeout, std::chrono::milliseconds(90000));
  EXPECT_EQ(c.connect_timeout, std::chrono::milliseconds(1500));
  EXPECT_TRUE(c.allow_plain_http);
  EXPECT_EQ(c.max_attempts, 3u);
  EXPECT_EQ(c.tokens_per_hour, 100000u);
  EXPECT_EQ(c.summary_token_budget, 9000u);
  EXPECT_EQ(setting_keys().size(), 16u);
  EXPECT_TRUE(validate(c).ok());

  EXPECT_EQ(apply_setting(c, "timeout", "10").error().message,
            "llm setting 'timeout': duration '10' needs a unit (ms, s, m or "
            "h), e.g. '10s'");
  EXPECT_EQ(apply_setting(c, "attempts", "0").error().message,
            "llm setting 'attempts': '0' is not a whole number from 1 to 10");
  EXPECT_FALSE(apply_setting(c, "temperature", "hot").ok());
  EXPECT_FALSE(apply_setting(c, "output", "xml").ok());
  EXPECT_FALSE(apply_setting(c, "provider", "bard").ok());
  EXPECT_NE(
      apply_setting(c, "key", "sk-x").error().message.find("unknown setting"),
      std::string::npos);
}

} // namespace

namespace {

using namespace psr::analyze::llm;

// ok -> fallback on a failure or max_refusals refusals in a row (by the
// checks or the governor); back on "no change" or an accepted proposal;
// a cancelled question changes nothing.
TEST(LlmHealth, FallbackAndReturn) {
  using O = AnalyzerResult::Outcome;
  auto result = [](O o, const char *reason) {
    AnalyzerResult r;
    r.outcome = o;
    r.reason = reason;
    r.message = std::string("because ") + reason;
    return r;
  };
  LlmHealth h(2);
  EXPECT_FALSE(h.fallback());
  EXPECT_FALSE(h.on_result(result(O::Failed, "cancelled")));
  EXPECT_FALSE(h.on_result(result(O::Refused, "no_ttl")));
  EXPECT_FALSE(h.fallback());
  EXPECT_EQ(h.refusals_in_a_row(), 1u);
  auto c = h.on_verdict(false, "whole_protocol", "too broad");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->fallback);
  EXPECT_EQ(c->reason, "refused");
  EXPECT_NE(c->message.find("whole_protocol: too broad"), std::string::npos);
  EXPECT_FALSE(h.on_result(result(O::Proposal, "")));
  c = h.on_verdict(true, "", "");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->fallback);
  EXPECT_EQ(h.refusals_in_a_row(), 0u);
  c = h.on_result(result(O::Failed, "budget"));
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->fallback);
  EXPECT_EQ(c->reason, "budget");
  // Still failing: no new change, the reason follows.
  EXPECT_FALSE(h.on_result(result(O::Failed, "timeout")));
  EXPECT_EQ(h.reason(), "timeout");
  c = h.on_result(result(O::NoChange, ""));
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->fallback);
  // A refusal after an accepted answer starts the count again.
  EXPECT_FALSE(h.on_result(result(O::Refused, "no_ttl")));
  EXPECT_FALSE(h.fallback());
}

} // namespace
