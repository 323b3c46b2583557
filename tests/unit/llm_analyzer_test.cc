// The LLM analyzer end to end against the scripted fake server on
// loopback: each test scripts the model's answers and asserts what
// happened -- a proposal (after how many rounds), no change, a refusal
// and its reason, a failure the daemon falls back on -- and what was sent.
#include <chrono>

#include <gtest/gtest.h>

#include "analyze/llm/analyzer.h"
#include "analyze/llm/prompt.h"
#include "fake_llm_server.h"
#include "grammar_export/grammar_export.h"
#include "summary_fixture.h"

namespace {

using namespace psr::analyze::llm;
using namespace std::chrono_literals;
using nlohmann::json;
using Outcome = AnalyzerResult::Outcome;
using psl::testing::FakeApi;
using psl::testing::FakeLlmServer;
using psl::testing::reply;
using psl::testing::Step;

const char *const kKey = "sk-PLANTED-KEY-7d3e9a1c5b2f4e6a";

const char *const kOperator = "policy edge {\n"
                              "  const trusted = { 10.0.0.0/8 }\n"
                              "  protect ip.src in trusted\n"
                              "  rule allow_web: tcp.dport == 443 => pass\n"
                              "}\n";

const char *const kGoodPolicy =
    "policy syn_guard {\n"
    "  const flooder = 203.0.113.66\n"
    "  rule syn_flooder: ip.src == flooder and tcp.syn and not tcp.ack => "
    "drop ttl 10m\n"
    "}";

std::string answer(const std::string &policy,
                   std::vector<uint64_t> windows = {21, 22},
                   const std::string &analysis = "a SYN flood") {
  json counters = json::array();
  for (uint64_t w : windows)
    counters.push_back({{"window", w},
                        {"name", "talkers.top[203.0.113.66].tcp_syn"},
                        {"value", 59000}});
  return json{{"analysis", analysis},
              {"policy", policy},
              {"evidence", {{"windows", windows}, {"counters", counters}}}}
      .dump();
}

PromptContext context(bool with_operator = true) {
  PromptContext ctx;
  if (with_operator) {
    ctx.operator_path = "edge.psl";
    ctx.operator_text = kOperator;
  }
  for (uint64_t i = 18; i <= 22; ++i) {
    psl::testing::WindowSpec s;
    s.seq = i;
    s.start_unix_ms = 1733500000000 + static_cast<int64_t>(i) * 10000;
    s.talkers = {{"192.0.2.10", 40, 1, 0, 0, 2}};
    if (i >= 20) {
      s.nic_pps = 60000;
      s.half_open = 30000;
      s.talkers.push_back({"203.0.113.66", 59000, 59000, 0, 0, 1});
    }
    ctx.summaries.push_back(psl::testing::make_summary(s));
  }
  return ctx;
}

struct Harness {
  explicit Harness(FakeLlmServer &server, Provider p = Provider::OpenAi,
                   BudgetLimits limits = {})
      : budget(limits) {
    config.provider = p;
    config.url = server.url();
    config.model = "fake-model";
    config.backoff_base = 10ms;
    config.timeout = 5000ms;
    hooks.chat.sleep = [](std::chrono::milliseconds) {};
    hooks.chat.log = [this](const std::string &l) { logs.push_back(l); };
    hooks.unix_ms = [] { return int64_t{1733500300000}; };
    hooks.dump = [this](const std::vector<ChatMessage> &m) {
      for (const ChatMessage &x : m)
        dumps += x.content + "\n";
    };
  }
  AnalyzerResult analyze(const PromptContext &ctx = context()) {
    LlmAnalyzer a(config, *make_api_key(kKey, "test"), budget, hooks);
    return a.analyze(ctx);
  }
  LlmConfig config;
  Budget budget;
  AnalyzerHooks hooks;
  std::vector<std::string> logs;
  std::string dumps;
};

// A model's citations are read again from the windows it was shown: the
// value is the window's whatever the model wrote, the name the canonical
// one, and a counter the window does not have is left out. So the rate
// the governor holds a shadow rule against is measured, not claimed.
TEST(LlmAnalyzer, CitedCountersAreReadFromTheWindows) {
  FakeLlmServer server(FakeApi::OpenAi);
  json a = json::parse(answer(kGoodPolicy, {}));
  a["evidence"]["counters"] = json::array(
      {{{"window", 21},
        {"name", "talkers.top[203.0.113.66].tcp_syn"},
        {"value", 1e12}},
       {{"window", 22},
        {"name", "talkers.top[203.0.113.66].traffic"},
        {"value", 1}},
       {{"window", 22},
        {"name", "talkers.top[198.51.100.1].tcp_syn"},
        {"value", 5}},
       {{"window", 20}, {"name", "totals.everything"}, {"value", 5}}});
  server.script({reply(a.dump())});
  Harness run(server);
  AnalyzerResult r = run.analyze();
  ASSERT_EQ(r.outcome, Outcome::Proposal) << r.reason << ": " << r.message;
  const psr::analyze::Evidence &e = r.proposal->evidence;
  ASSERT_EQ(e.counters.size(), 2u);
  EXPECT_EQ(e.counters[0].window, 21u);
  EXPECT_EQ(e.counters[0].name, "talkers.top[203.0.113.66].tcp_syn.per_s");
  EXPECT_EQ(e.counters[0].value, 59000);
  EXPECT_EQ(e.counters[1].name, "talkers.top[203.0.113.66].traffic.pps");
  EXPECT_EQ(e.counters[1].value, 59000);
  EXPECT_EQ(r.counters_discarded, 2u);
  // The counters cite their windows.
  EXPECT_TRUE(e.cited);
  ASSERT_EQ(e.windows.size(), 2u);
  EXPECT_EQ(e.windows[0].seq, 21u);
  EXPECT_EQ(e.windows[1].seq, 22u);
}

TEST(LlmAnalyzer, AGoodPolicyBecomesAProposal) {
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({reply(answer(kGoodPolicy, {21, 22, 99}))});
  Harness run(server);
  AnalyzerResult r = run.analyze();
  ASSERT_EQ(r.outcome, Outcome::Proposal) << r.reason << ": " << r.message;
  ASSERT_TRUE(r.proposal);
  const psr::analyze::Proposal &p = *r.proposal;
  EXPECT_EQ(p.id, "llm-1733500300000-0001");
  EXPECT_EQ(p.origin, psr::analyze::Origin::Llm);
  EXPECT_EQ(p.kind, psr::analyze::Proposal::Kind::Policy);
  EXPECT_EQ(p.policy_name, "syn_guard");
  EXPECT_EQ(p.psl, std::string(kGoodPolicy) + "\n");
  ASSERT_EQ(p.rules.size(), 1u);
  EXPECT_EQ(p.rules[0].ttl_ms, 600000u);
  EXPECT_EQ(p.analysis, "a SYN flood");
  EXPECT_EQ(p.created_unix_ms, 1733500300000);
  // Evidence: the cited windows the model was shown (99 was not).
  EXPECT_TRUE(p.evidence.cited);
  ASSERT_EQ(p.evidence.windows.size(), 2u);
  EXPECT_EQ(p.evidence.windows[0].seq, 21u);
  EXPECT_EQ(p.evidence.windows[0].start_unix_ms, 1733500210000);
  EXPECT_EQ(p.evidence.windows[0].end_unix_ms, 1733500220000);
  EXPECT_EQ(p.evidence.counters.size(), 2u);
  EXPECT_EQ(r.counters_discarded, 1u); // window 99's
  ASSERT_TRUE(p.llm);
  EXPECT_EQ(p.llm->provider, "openai");
  EXPECT_EQ(p.llm->model, "fake-model");
  EXPECT_EQ(p.llm->prompt_version, prompt_version(OutputMode::JsonSchema));
  ASSERT_EQ(p.llm->rounds.size(), 1u);
  EXPECT_EQ(p.llm->tokens_in(), 1000u);
  EXPECT_EQ(p.llm->tokens_out(), 200u);
  EXPECT_EQ(p.llm->rounds[0].diagnostics, "");
  // What went out: the system and user messages, the schema.
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  json body = reqs[0].json();
  ASSERT_EQ(body["messages"].size(), 2u);
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_NE(body["messages"][1]["content"].get<std::string>().find(
                "    protect ip.src in { 10.0.0.0/8 }"),
            std::string::npos);
  EXPECT_EQ(body["response_format"]["json_schema"]["name"], "psl_proposal");
}

TEST(LlmAnalyzer, Ollama) {
  FakeLlmServer server(FakeApi::Ollama);
  server.script({reply(answer(kGoodPolicy))});
  Harness run(server, Provider::Ollama);
  AnalyzerResult r = run.analyze();
  ASSERT_EQ(r.outcome, Outcome::Proposal) << r.message;
  EXPECT_EQ(r.proposal->llm->provider, "ollama");
  EXPECT_EQ(server.requests()[0].path, "/api/chat");
}

TEST(LlmAnalyzer, NoEvidenceCitedMeansTheWindowsShown) {
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({reply(answer(kGoodPolicy, {}))});
  Harness run(server);
  AnalyzerResult r = run.analyze();
  ASSERT_EQ(r.outcome, Outcome::Proposal);
  EXPECT_FALSE(r.proposal->evidence.cited);
  EXPECT_EQ(r.proposal->evidence.windows.size(), 5u);
}

// A broken policy, then a fixed one: the second request carries the
// first answer and the checker's exact diagnostics.
TEST(LlmAnalyzer, ABrokenPolicyIsRepaired) {
  const std::string broken =
      "policy syn_guard {\n  rule syn_flooder: ip.src == 203.0.113.66 and "
      "tcp.sny => drop ttl 10m\n}";
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({reply(answer(broken)), reply(answer(kGoodPolicy))});
  Harness run(server);
  AnalyzerResult r = run.analyze();
  ASSERT_EQ(r.outcome, Outcome::Proposal) << r.reason << ": " << r.message;
  const std::string diagnostics =
      "answer.psl:2:48: error[E0202]: unknown field 'tcp.sny'\n"
      "  rule syn_flooder: ip.src == 203.0.113.66 and tcp.sny => drop ttl "
      "10m\n"
      "                                               ^~~~~~~\n"
      "answer.psl:2:48: note: did you mean 'tcp.syn'?\n";
  ASSERT_EQ(r.proposal->llm->rounds.size(), 2u);
  EXPECT_EQ(r.proposal->llm->rounds[0].diagnostics, diagnostics);
  EXPECT_EQ(r.proposal->llm->rounds[1].diagnostics, "");
  EXPECT_EQ(r.proposal->llm->rounds[1].round, 1u);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  json msgs = reqs[1].json()["messages"];
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(msgs[2]["role"], "assistant");
  EXPECT_EQ(msgs[2]["content"], answer(broken));
  EXPECT_EQ(msgs[3]["role"], "user");
  EXPECT_EQ(msgs[3]["content"], repair_message(diagnostics));
  EXPECT_NE(msgs[3]["content"].get<std::string>().find(diagnostics),
            std::string::npos);
}

TEST(LlmAnalyzer, TwoRepairRoundsThenARefusal) {
  const std::string broken =
      "policy g {\n  rule a: tcp.dprot == 23 => drop ttl 1m\n}";
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({reply(answer(broken)), reply(answer(broken)),
                 reply(answer(broken)), reply(answer(kGoodPolicy))});
  Harness run(server);
  AnalyzerResult r = run.analyze();
  EXPECT_EQ(r.outcome, Outcome::Refused);
  EXPECT_EQ(r.reason, "check_failed");
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(r.record.rounds.size(), 3u);
  EXPECT_NE(r.diagnostics.find("error[E0202]"), std::string::npos);
  EXPECT_NE(r.message.find("after 3 rounds"), std::string::npos) << r.message;
  EXPECT_FALSE(r.fall_back());
}

// The hostile answers of the issue, one by one.

TEST(LlmAnalyzer, HostileDropEverythingOfProtectedTraffic) {
  const std::string all =
      "policy g {\n  rule all: ip.src in { 0.0.0.0/0, ::/0 } => drop ttl 1h\n}";
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({reply(answer(all)), reply(answer(all)), reply(answer(all))});
  Harness run(server);
  AnalyzerResult r = run.analyze();
  EXPECT_EQ(r.outcome, Outcome::Refused);
  EXPECT_EQ(r.reason, "drops_protected");
  EXPECT_NE(r.diagnostics.find("error[E0401]"), std::string::npos);
}

TEST(LlmAnalyzer, HostileDropEverythingWithNothingProtected) {
  const std::string all =
      "policy g {\n  rule all: ip.version == 4 or ip.version == 6 => drop "
      "ttl 1h\n}";
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({reply(answer(all)), reply(answer(all)), reply(answer(all))});
  Harness run(server);
  AnalyzerResult r = run.analyze(context(false));
  EXPECT_EQ(r.outcome, Outcome::Refused);
  EXPECT_EQ(r.reason, "drops_everything");
}

std::string many_rules(int n) {
  std::string p = "policy g {\n";
  for (int i = 0; i < n; ++i)
    p += "  rule r" + std::to_string(i) + ": ip.src == 198.51." +
         std::to_string(i / 256 % 256) + "." + std::to_string(i % 256) +
         " => drop ttl 1m\n";
  return p + "}";
}

TEST(LlmAnalyzer, Hostile50000Rules) {
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({reply(answer(many_rules(50000)))});
  Harness run(server);
  AnalyzerResult r = run.analyze();
  EXPECT_EQ(r.outcome, Outcome::Refused);
  EXPECT_EQ(r.reason, "too_large"); // more than 1 MiB: never read whole
  EXPECT_EQ(server.requests().size(), 1u);

  // With room to read it all, the rule count refuses it, at once.
  server.script({reply(answer(many_rules(50000)))});
  run.config.max_response_bytes = 16 << 20;
  run.config.max_policy_bytes = 16 << 20;
  AnalyzerResult counted = run.analyze();
  EXPECT_EQ(counted.outcome, Outcome::Refused);
  EXPECT_EQ(counted.reason, "too_many_rules");
  EXPECT_EQ(counted.message,
            "the policy has 50000 rules, more than the 64 allowed");
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(LlmAnalyzer, HostileNoTtl) {
  const std::string no_ttl =
      "policy g {\n  rule a: ip.src == 203.0.113.66 => drop\n}";
  FakeLlmServer server(FakeApi::OpenAi);
  server.script(
      {reply(answer(no_ttl)), reply(answer(no_ttl)), reply(answer(no_ttl))});
  Harness run(server);
  AnalyzerResult r = run.analyze();
  EXPECT_EQ(r.outcome, Outcome::Refused);
  EXPECT_EQ(r.reason, "missing_ttl");
  EXPECT_NE(r.diagnostics.find("error[E0402]"), std::string::npos);
}

TEST(LlmAnalyzer, HostileCCode) {
  const std::string c = "#include <linux/bpf.h>\nint xdp(void *ctx) { return "
                        "XDP_DROP; }";
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({reply(answer(c)), reply(answer(c)), reply(answer(c))});
  Harness run(server);
  AnalyzerResult r = run.analyze();
  EXPECT_EQ(r.outcome, Outcome::Refused);
  EXPECT_EQ(r.reason, "check_failed");
  EXPECT_NE(r.diagnostics.find("answer.psl:2:1: error[E0"), std::string::npos)
      << r.diagnostics;
}

TEST(LlmAnalyzer, HostileEmptyAnswer) {
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({reply("")});
  Harness run(server);
  AnalyzerResult r = run.analyze();
  EXPECT_EQ(r.outcome, Outcome::Refused);
  EXPECT_EQ(r.reason, "empty_answer");
  EXPECT_FALSE(r.fall_back());
}

TEST(LlmAnalyzer, HostileMegabytesOfText) {
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({reply(std::string(5 << 20, 'z'))});
  Harness run(server);
  AnalyzerResult r = run.analyze();
  EXPECT_EQ(r.outcome, Outcome::Refused);
  EXPECT_EQ(r.reason, "too_large");
  EXPECT_EQ(r.attempts.size(), 1u);
}

TEST(LlmAnalyzer, HostilePolicyNamingTheKey) {
  const std::string leak = std::string("policy g {\n  # ") + kKey +
                           "\n  rule a: ip.src == 203.0.113.66 => drop ttl "
                           "1m\n}";
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({reply(answer(leak, {21}, std::string("my key is ") + kKey))});
  Harness run(server);
  AnalyzerResult r = run.analyze();
  EXPECT_EQ(r.outcome, Outcome::Refused);
  EXPECT_EQ(r.reason, "names_secret");
  EXPECT_EQ(r.message, "the answer contains the API key; it is discarded");
  EXPECT_EQ(r.analysis, "");
  EXPECT_EQ(server.requests().size(), 1u); // not sent back to the model
}

TEST(LlmAnalyzer, NoChange) {
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({reply(answer("", {}, "the traffic is ordinary"))});
  Harness run(server);
  AnalyzerResult r = run.analyze();
  EXPECT_EQ(r.outcome, Outcome::NoChange);
  EXPECT_EQ(r.analysis, "the traffic is ordinary");
  EXPECT_FALSE(r.proposal);
}

TEST(LlmAnalyzer, TextModeTakesAFencedPolicy) {
  FakeLlmServer server(FakeApi::OpenAi);
  server.script({reply("Windows 20 to 22 show a SYN flood.\n\n```psl\n" +
                       std::string(kGoodPolicy) + "\n```\n")});
  Harness run(server);
  run.config.output = OutputMode::Text;
  AnalyzerResult r = run.analyze();
  ASSERT_EQ(r.outcome, Outcome::Proposal) << r.message;
  EXPECT_EQ(r.proposal->analysis, "Windows 20 to 22 show a SYN flood.");
  EXPECT_FALSE(server.requests()[0].json().contains("response_format"));
}

TEST(LlmAnalyzer, GrammarModesSendTheExportedGrammar) {
  for (OutputMode mode : {OutputMode::Gbnf, OutputMode::VllmGrammar}) {
    FakeLlmServer server(FakeApi::OpenAi);
    server.script({reply(kGoodPolicy)});
    Harness run(server);
    run.config.output = mode;
    AnalyzerResult r = run.analyze();
    ASSERT_EQ(r.outcome, Outcome::Proposal) << r.message;
    psl::grammar::ExportOptions o;
    o.generated_only = true;
    o.format = mode == OutputMode::Gbnf ? psl::grammar::Format::Gbnf
                                        : psl::grammar::Format::Ebnf;
    json body = server.requests()[0].json();
    if (mode == OutputMode::Gbnf) {
      EXPECT_EQ(body["grammar"], psl::grammar::export_grammar(o));
    } else {
      EXPECT_EQ(body["structured_outputs"]["grammar"],
                psl::grammar::export_grammar(o));
    }
  }
}

TEST(LlmAnalyzer, FailuresFallBack) {
  int gone = 0;
  {
    FakeLlmServer s(FakeApi::OpenAi);
    gone = s.port();
  }
  FakeLlmServer server(FakeApi::OpenAi);
  Harness run(server);
  run.config.url = "http://127.0.0.1:" + std::to_string(gone) + "/v1";
  run.config.max_attempts = 2;
  AnalyzerResult down = run.analyze();
  EXPECT_EQ(down.outcome, Outcome::Failed);
  EXPECT_EQ(down.reason, "connect");
  EXPECT_TRUE(down.fall_back());
  EXPECT_EQ(down.attempts.size(), 2u);

  Harness unauthorized(server);
  server.script({psl::testing::status(401)});
  AnalyzerResult denied = unauthorized.analyze();
  EXPECT_EQ(denied.reason, "http_status");
  EXPECT_TRUE(denied.fall_back());

  Harness broke(server, Provider::OpenAi, {1, 0});
  server.script(
      {reply(answer("policy g {\n  rule a: tcp.dprot == 1 => drop ttl 1m\n}")),
       reply(answer(kGoodPolicy))});
  AnalyzerResult budget = broke.analyze();
  EXPECT_EQ(budget.outcome, Outcome::Failed);
  EXPECT_EQ(budget.reason, "budget");
  EXPECT_EQ(budget.record.rounds.size(), 1u); // the repair round was refused

  PromptContext bad = context();
  bad.operator_text = "policy edge { rule a: nope => drop }";
  AnalyzerResult op = Harness(server).analyze(bad);
  EXPECT_EQ(op.outcome, Outcome::Failed);
  EXPECT_EQ(op.reason, "operator_policy");
  EXPECT_NE(op.diagnostics.find("edge.psl:1:23: error[E0201]"),
            std::string::npos)
      << op.diagnostics;
}

// The planted key: in every request's Authorization header, and nowhere
// else -- not in a request body, a log line, a prompt dump, a message, a
// diagnostic, an analysis or a proposal -- whatever the server and the
// model send back.
TEST(LlmAnalyzer, TheKeyNeverLeaves) {
  FakeLlmServer server(FakeApi::OpenAi);
  Step echo401 = psl::testing::status(401);
  echo401.body =
      json{{"error",
            {{"message", std::string("Incorrect API key provided: ") + kKey}}}}
          .dump();
  Step echo500 = psl::testing::status(500);
  echo500.body = std::string("upstream said: ") + kKey;
  const std::string broken_with_key =
      std::string("policy g {\n  rule a: tcp.sny => drop ttl 1m # ") + kKey +
      "\n}";
  server.script({
      echo500, reply(answer(kGoodPolicy)), // 1: retry, then a proposal
      echo401,                             // 2: a failure
      reply(answer(broken_with_key)),      // 3: a refusal
      reply(std::string("```psl\n") + kKey + "\n```"), // 4: checked text
  });
  Harness run(server);
  std::vector<AnalyzerResult> results;
  for (int i = 0; i < 4; ++i)
    results.push_back(run.analyze());
  EXPECT_EQ(results[0].outcome, Outcome::Proposal);
  EXPECT_EQ(results[1].outcome, Outcome::Failed);
  EXPECT_EQ(results[2].outcome, Outcome::Refused);
  EXPECT_EQ(results[3].outcome, Outcome::Refused);
  EXPECT_NE(results[1].message.find("[redacted]"), std::string::npos)
      << results[1].message;

  std::string everything = run.dumps;
  for (const std::string &l : run.logs)
    everything += l + "\n";
  for (const AnalyzerResult &r : results) {
    everything += r.message + r.diagnostics + r.analysis + r.reason;
    if (r.proposal)
      everything += psr::analyze::to_json(*r.proposal).dump();
    for (const auto &round : r.record.rounds)
      everything += round.diagnostics;
  }
  const std::string key = kKey;
  EXPECT_EQ(everything.find(key), std::string::npos);
  EXPECT_EQ(everything.find(key.substr(4, 12)), std::string::npos);
  EXPECT_FALSE(run.logs.empty());
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 5u);
  for (const auto &req : reqs) {
    EXPECT_EQ(req.body.find(key), std::string::npos);
    EXPECT_EQ(req.headers.at("authorization"), "Bearer " + key);
    for (const auto &[name, value] : req.headers) {
      if (name != "authorization") {
        EXPECT_EQ(value.find(key), std::string::npos) << name;
      }
    }
  }
}

} // namespace
