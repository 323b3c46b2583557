// ChatClient against the scripted fake server on loopback: real HTTP(S),
// real retries. Waits go through a recording sleep hook, so a test sees
// the backoff and Retry-After it would have waited without waiting.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "analyze/llm/chat_client.h"
#include "fake_llm_server.h"

namespace {

using namespace psr::analyze::llm;
using namespace std::chrono_literals;
using psl::testing::FakeApi;
using psl::testing::FakeLlmServer;
using psl::testing::Step;

const char *const kKey = "sk-PLANTED-KEY-4f1c9e7a2b6d8e0f";

struct Harness {
  explicit Harness(FakeLlmServer &server, Provider p = Provider::OpenAi)
      : budget({0, 0}) {
    config.provider = p;
    config.url = server.url();
    config.model = "fake-model";
    config.backoff_base = 100ms;
    config.backoff_max = 1000ms;
    config.timeout = 2000ms;
    hooks.sleep = [this](std::chrono::milliseconds d) { waits.push_back(d); };
    hooks.random = [] { return uint64_t{0}; };
    hooks.log = [this](const std::string &l) { logs.push_back(l); };
  }
  ChatClient client(std::string key = kKey) {
    return ChatClient(config, *make_api_key(key, "test"), budget, hooks);
  }
  ChatResult ask(const std::string &question = "hello") {
    return client().chat({{ChatMessage::Role::User, question}});
  }
  LlmConfig config;
  Budget budget;
  ChatHooks hooks;
  std::vector<std::chrono::milliseconds> waits;
  std::vector<std::string> logs;
};

TEST(LlmClient, OpenAiAnswer) {
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({psl::testing::reply("the answer")});
  Harness h(server);
  ChatResult r = h.ask("the question");
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.reply->content, "the answer");
  EXPECT_EQ(r.reply->tokens_in, 1000u);
  EXPECT_EQ(r.reply->tokens_out, 200u);
  EXPECT_FALSE(r.reply->tokens_estimated);
  ASSERT_EQ(r.stats.attempts.size(), 1u);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path, "/v1/chat/completions");
  EXPECT_EQ(reqs[0].headers["authorization"], std::string("Bearer ") + kKey);
  EXPECT_EQ(reqs[0].headers["content-type"], "application/json");
  auto body = reqs[0].json();
  EXPECT_EQ(body["model"], "fake-model");
  EXPECT_EQ(body["messages"][0]["content"], "the question");
  EXPECT_EQ(body["response_format"]["type"], "json_schema");
}

TEST(LlmClient, OllamaAnswerWithoutKey) {
  FakeLlmServer server(FakeApi::Ollama);
  server.script({psl::testing::reply("from ollama")});
  Harness h(server, Provider::Ollama);
  ChatResult r = ChatClient(h.config, ApiKey(), h.budget, h.hooks)
                     .chat({{ChatMessage::Role::User, "q"}});
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.reply->content, "from ollama");
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path, "/api/chat");
  EXPECT_EQ(reqs[0].headers.count("authorization"), 0u);
  EXPECT_EQ(reqs[0].json()["stream"], false);
  EXPECT_TRUE(reqs[0].json()["format"].is_object());
}

TEST(LlmClient, RetryAfterSecondsIsHonoured) {
  FakeLlmServer server(FakeApi::OpenAi);
  server.script(
      {psl::testing::status(429, "3"), psl::testing::reply("after the wait")});
  Harness h(server);
  ChatResult r = h.ask();
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_EQ(h.waits.size(), 1u);
  EXPECT_EQ(h.waits[0], 3000ms); // Retry-After beats the 50-100 ms backoff
  ASSERT_EQ(r.stats.attempts.size(), 2u);
  EXPECT_EQ(r.stats.attempts[0].status, 429);
  EXPECT_EQ(r.stats.attempts[0].wait_after, 3000ms);
  EXPECT_EQ(server.requests().size(), 2u);
  ASSERT_EQ(h.logs.size(), 1u);
  EXPECT_NE(h.logs[0].find("HTTP 429"), std::string::npos) << h.logs[0];
  EXPECT_NE(h.logs[0].find("retrying in 3.0s (attempt 2 of 4)"),
            std::string::npos)
      << h.logs[0];
}

TEST(LlmClient, RetryAfterDateIsHonoured) {
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({psl::testing::status(503, "Wed, 21 Oct 2015 07:28:05 GMT"),
                 psl::testing::reply("ok")});
  Harness h(server);
  h.hooks.wall_clock = [] {
    return std::chrono::system_clock::from_time_t(1445412480); // 07:28:00
  };
  ChatResult r = h.ask();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(h.waits.size(), 1u);
  EXPECT_EQ(h.waits[0], 5000ms);
}

TEST(LlmClient, RetryAfterTooLongEndsTheCall) {
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({psl::testing::status(429, "3600")});
  Harness h(server);
  ChatResult r = h.ask();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure, ChatFailure::RateLimited);
  EXPECT_TRUE(h.waits.empty());
  EXPECT_NE(r.message.find("retry after 3600.0s"), std::string::npos)
      << r.message;
}

TEST(LlmClient, ServerErrorsAreRetriedWithBackoff) {
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({psl::testing::status(500), psl::testing::status(502),
                 psl::testing::status(503), psl::testing::reply("finally")});
  Harness h(server);
  ChatResult r = h.ask();
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.stats.attempts.size(), 4u);
  // random() is 0: the lower end of each jitter range, doubling.
  EXPECT_EQ(h.waits,
            (std::vector<std::chrono::milliseconds>{50ms, 100ms, 200ms}));
}

TEST(LlmClient, ServerErrorsUntilTheAttemptsRunOut) {
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({psl::testing::status(500), psl::testing::status(500),
                 psl::testing::status(500), psl::testing::status(500),
                 psl::testing::reply("never read")});
  Harness h(server);
  ChatResult r = h.ask();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure, ChatFailure::ServerError);
  EXPECT_EQ(r.http_status, 500);
  EXPECT_EQ(r.stats.attempts.size(), 4u);
  EXPECT_EQ(server.requests().size(), 4u);
  EXPECT_NE(r.message.find("(4 attempts)"), std::string::npos) << r.message;
}

TEST(LlmClient, ClientErrorsAreNotRetried) {
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({psl::testing::status(401), psl::testing::reply("no")});
  Harness h(server);
  ChatResult r = h.ask();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure, ChatFailure::HttpStatus);
  EXPECT_EQ(r.http_status, 401);
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_NE(r.message.find("scripted status 401"), std::string::npos);
}

TEST(LlmClient, TimeoutIsRetried) {
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({psl::testing::delayed(1500ms, psl::testing::reply("late")),
                 psl::testing::reply("in time")});
  Harness h(server);
  h.config.timeout = 300ms;
  ChatResult r = h.ask();
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.reply->content, "in time");
  ASSERT_EQ(r.stats.attempts.size(), 2u);
  EXPECT_EQ(r.stats.attempts[0].transport, Transport::Timeout);
}

TEST(LlmClient, TimeoutsUntilTheAttemptsRunOut) {
  FakeLlmServer server(FakeApi::OpenAi);
  std::vector<Step> slow(
      3, psl::testing::delayed(1000ms, psl::testing::reply("late")));
  server.script(slow);
  Harness h(server);
  h.config.timeout = 200ms;
  h.config.max_attempts = 3;
  ChatResult r = h.ask();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure, ChatFailure::Timeout);
  EXPECT_EQ(r.stats.attempts.size(), 3u);
}

// A stopping psd cancels the request in flight: the transfer ends at the
// next poll (100 ms), not at its timeout, and is not retried.
TEST(LlmClient, CancelledWhileTheServerHoldsTheAnswer) {
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({psl::testing::delayed(30000ms, psl::testing::reply("late")),
                 psl::testing::reply("never asked")});
  Harness h(server);
  h.config.timeout = 60000ms;
  h.config.max_attempts = 4;
  std::atomic<bool> stop{false};
  h.hooks.cancelled = [&stop] { return stop.load(); };
  std::thread stopper([&] {
    while (server.requests().empty())
      std::this_thread::sleep_for(5ms);
    std::this_thread::sleep_for(100ms);
    stop = true;
  });
  ChatResult r = h.ask();
  stopper.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure, ChatFailure::Cancelled);
  EXPECT_STREQ(failure_name(r.failure), "cancelled");
  ASSERT_EQ(r.stats.attempts.size(), 1u);
  EXPECT_EQ(r.stats.attempts[0].transport, Transport::Cancelled);
  EXPECT_LT(r.stats.attempts[0].seconds, 5.0);
  EXPECT_EQ(server.requests().size(), 1u);
  // Cancelled before it starts: nothing is sent.
  ChatResult again = h.ask();
  EXPECT_EQ(again.failure, ChatFailure::Cancelled);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(LlmClient, DroppedConnectionIsRetried) {
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({psl::testing::dropped(), psl::testing::reply("whole")});
  Harness h(server);
  ChatResult r = h.ask();
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.reply->content, "whole");
  ASSERT_EQ(r.stats.attempts.size(), 2u);
  EXPECT_EQ(r.stats.attempts[0].transport, Transport::Dropped);
}

TEST(LlmClient, RefusedConnection) {
  int port = 0;
  {
    FakeLlmServer gone(FakeApi::OpenAi);
    port = gone.port();
  }
  LlmConfig c;
  c.url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  c.model = "m";
  c.max_attempts = 2;
  c.backoff_base = 10ms;
  Budget b({0, 0});
  std::vector<std::chrono::milliseconds> waits;
  ChatHooks hooks;
  hooks.sleep = [&](std::chrono::milliseconds d) { waits.push_back(d); };
  ChatResult r =
      ChatClient(c, ApiKey(), b, hooks).chat({{ChatMessage::Role::User, "q"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure, ChatFailure::Connect);
  EXPECT_EQ(r.stats.attempts.size(), 2u);
  EXPECT_EQ(waits.size(), 1u);
}

TEST(LlmClient, AnAnswerTooLargeIsNotRead) {
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({psl::testing::reply(std::string(3 << 20, 'a'))});
  Harness h(server);
  ChatResult r = h.ask();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure, ChatFailure::TooLarge);
  EXPECT_EQ(r.stats.attempts.size(), 1u);
  EXPECT_NE(r.message.find("larger than 1048576 bytes"), std::string::npos);
}

TEST(LlmClient, NotTheApisAnswer) {
  FakeLlmServer server(FakeApi::OpenAi);
  Step html;
  html.body = "<html>gateway</html>";
  server.script({html});
  Harness h(server);
  ChatResult r = h.ask();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure, ChatFailure::BadResponse);
}

TEST(LlmClient, BudgetExhaustedSendsNothing) {
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({psl::testing::reply("1"), psl::testing::reply("2"),
                 psl::testing::reply("3")});
  Harness h(server);
  Budget two({2, 0});
  auto ask = [&] {
    return ChatClient(h.config, ApiKey(), two, h.hooks)
        .chat({{ChatMessage::Role::User, "q"}});
  };
  EXPECT_TRUE(ask().ok());
  EXPECT_TRUE(ask().ok());
  ChatResult r = ask();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure, ChatFailure::Budget);
  EXPECT_EQ(r.message, "LLM budget exhausted: 2 calls in the last minute "
                       "(limit 2)");
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(two.usage().tokens_last_hour, 2400u); // 2 x (1000 + 200)
}

TEST(LlmClient, RetriesCountAgainstTheBudget) {
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({psl::testing::status(500), psl::testing::status(500),
                 psl::testing::reply("3")});
  Harness h(server);
  Budget two({2, 0});
  ChatResult r = ChatClient(h.config, ApiKey(), two, h.hooks)
                     .chat({{ChatMessage::Role::User, "q"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure, ChatFailure::Budget);
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(LlmClient, TokenBudget) {
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({psl::testing::reply("1"), psl::testing::reply("2")});
  Harness h(server);
  h.config.max_tokens = 100;
  Budget tokens({0, 2600});
  auto ask = [&] {
    return ChatClient(h.config, ApiKey(), tokens, h.hooks)
        .chat({{ChatMessage::Role::User, "q"}});
  };
  EXPECT_TRUE(ask().ok()); // 1200 tokens used
  EXPECT_TRUE(ask().ok()); // 2400
  ChatResult r = ask();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure, ChatFailure::Budget);
  EXPECT_NE(r.message.find("2400 tokens in the last hour"), std::string::npos)
      << r.message;
  EXPECT_EQ(server.requests().size(), 2u);
}

class LlmTls : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("psc_llm_tls_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    files_ = psl::testing::make_test_certificate(dir_.string());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  psl::testing::TlsFiles files_;
};

TEST_F(LlmTls, AnUnknownCertificateIsRefused) {
  FakeLlmServer server(FakeApi::OpenAi, &files_);
  server.script({psl::testing::reply("over tls")});
  Harness h(server);
  ASSERT_EQ(h.config.url.rfind("https://", 0), 0u);
  ChatResult r = h.ask();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure, ChatFailure::Tls);
  EXPECT_EQ(r.stats.attempts.size(), 1u); // not retried
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(LlmTls, TheCaBundleOptionTrustsIt) {
  FakeLlmServer server(FakeApi::OpenAi, &files_);
  server.script({psl::testing::reply("over tls")});
  Harness h(server);
  h.config.ca_bundle = files_.cert;
  ChatResult r = h.ask();
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.reply->content, "over tls");
  // The name is checked too: the certificate is for 127.0.0.1, not for
  // another name of this host.
  FakeLlmServer again(FakeApi::OpenAi, &files_);
  again.script({psl::testing::reply("x")});
  Harness h2(again);
  h2.config.ca_bundle = files_.cert;
  h2.config.url = "https://127.0.0.2:" + std::to_string(again.port()) + "/v1";
  ChatResult r2 = h2.ask();
  EXPECT_FALSE(r2.ok());
}

// libcurl reads the proxy variables; no_proxy for loopback keeps local
// servers (and these tests) reachable when a proxy is configured.
class LlmProxyEnv : public ::testing::Test {
protected:
  void SetUp() override {
    for (const char *v : kVars)
      if (const char *old = std::getenv(v))
        saved_.emplace_back(v, old);
  }
  void TearDown() override {
    for (const char *v : kVars)
      ::unsetenv(v);
    for (const auto &[k, v] : saved_)
      ::setenv(k.c_str(), v.c_str(), 1);
  }
  static constexpr const char *kVars[] = {
      "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
      "all_proxy",  "ALL_PROXY",  "no_proxy",    "NO_PROXY"};
  std::vector<std::pair<std::string, std::string>> saved_;
};

TEST_F(LlmProxyEnv, ProxyIsUsedUnlessNoProxyNamesTheHost) {
  // A proxy that does not exist: a port nothing listens on.
  int dead = 0;
  {
    FakeLlmServer gone(FakeApi::OpenAi);
    dead = gone.port();
  }
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({psl::testing::reply("direct")});
  Harness h(server);
  h.config.max_attempts = 1;
  ::setenv("http_proxy", ("http://127.0.0.1:" + std::to_string(dead)).c_str(),
           1);
  ::unsetenv("no_proxy");
  ::unsetenv("NO_PROXY");
  ChatResult through = h.ask();
  EXPECT_FALSE(through.ok()); // went to the dead proxy
  EXPECT_TRUE(server.requests().empty());
  ::setenv("NO_PROXY", "127.0.0.1,localhost", 1);
  ChatResult direct = h.ask();
  ASSERT_TRUE(direct.ok()) << direct.message;
  EXPECT_EQ(direct.reply->content, "direct");
  ::unsetenv("NO_PROXY");
  ::setenv("no_proxy", "127.0.0.1", 1);
  server.script({psl::testing::reply("direct again")});
  EXPECT_TRUE(h.ask().ok());
}

} // namespace
