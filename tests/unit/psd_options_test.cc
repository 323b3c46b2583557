// psd's options: the TOML config file, flags over it, the settings table,
// the command line and its --help, and that docs/psd.md documents every
// key with its default.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "analyze/llm/settings.h"
#include "command_line.h"
#include "config_file.h"
#include "options.h"

namespace psd {
namespace {

using namespace std::chrono_literals;

Settings config(const std::string &text) {
  auto s = parse_config("psd.toml", text);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? *s : Settings{};
}

std::string config_error(const std::string &text) {
  auto s = parse_config("psd.toml", text);
  if (!s.ok())
    return s.error().message;
  auto o = make_options(*s, {});
  return o.ok() ? "<no error>" : o.error().message;
}

const char *const kFull = R"(# every key
interfaces = ["eth0", "eth1"]
policy_dir = "/srv/policies"
state_dir = "/run/ps"
object_cache_dir = "/var/cache/ps"
pin_root = "/sys/fs/bpf/ps"
xdp_mode = "generic"
detach_on_exit = true
log_level = "debug"

[api]
listen = "[::1]:9999"
token_file = "/etc/ps/token"
threads = 24
max_event_clients = 8
event_queue = 64
read_timeout = "10s"
max_body_bytes = 65536
max_policy_bytes = 32768

[summary]
window = "500ms"
keep = 120
top_talkers = 20
top_fanout = 3
max_rules = 10
max_drops = 8

[trace]
sample_every = 100
sample_max_per_sec = 50
paths_kept = 10
disable = ["skb:consume_skb", "net_dev_xmit"]
timed_per_tick = 0

[metrics]
max_rules = 5
)";

TEST(Config, EveryKey) {
  auto o = make_options(config(kFull), {});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->interfaces, (std::vector<std::string>{"eth0", "eth1"}));
  EXPECT_EQ(o->policy_dir, "/srv/policies");
  EXPECT_TRUE(o->policy_dir_given);
  EXPECT_EQ(o->state_dir, "/run/ps");
  EXPECT_EQ(o->object_cache_dir, "/var/cache/ps");
  EXPECT_EQ(o->pin_root, "/sys/fs/bpf/ps");
  EXPECT_EQ(o->xdp_mode, "generic");
  EXPECT_TRUE(o->detach_on_exit);
  EXPECT_EQ(o->log_level, "debug");
  EXPECT_EQ(o->listen, "[::1]:9999");
  EXPECT_EQ(o->token_file, "/etc/ps/token");
  EXPECT_EQ(o->api_threads, 24u);
  EXPECT_EQ(o->max_event_clients, 8u);
  EXPECT_EQ(o->event_queue, 64u);
  EXPECT_EQ(o->read_timeout, 10s);
  EXPECT_EQ(o->max_body_bytes, 65536u);
  EXPECT_EQ(o->max_policy_bytes, 32768u);
  EXPECT_EQ(o->window, 500ms);
  EXPECT_EQ(o->keep, 120u);
  EXPECT_EQ(o->top_talkers, 20u);
  EXPECT_EQ(o->top_fanout, 3u);
  EXPECT_EQ(o->max_rules, 10u);
  EXPECT_EQ(o->max_drops, 8u);
  EXPECT_EQ(o->sample_every, 100u);
  EXPECT_EQ(o->sample_max_per_sec, 50u);
  EXPECT_EQ(o->paths_kept, 10u);
  EXPECT_EQ(o->trace_disable,
            (std::vector<std::string>{"skb:consume_skb", "net_dev_xmit"}));
  EXPECT_EQ(o->trace_timed_per_tick, 0u);
  EXPECT_EQ(o->metrics_max_rules, 5u);
}

TEST(Config, DefaultsMatchTheTable) {
  // Every default the table (and so --help and the doc) states is the
  // struct's.
  auto o = make_options(
      {}, {{"interfaces", {std::vector<std::string>{"x"}, "--iface"}}});
  ASSERT_TRUE(o.ok()) << o.error().message;
  PsdOptions d;
  std::string text = "interfaces = [\"x\"]\n";
  std::string section;
  for (const SettingInfo &s : setting_table()) {
    std::string key = s.key;
    if (key == "interfaces")
      continue;
    size_t dot = key.find('.');
    std::string sec = dot == std::string::npos ? "" : key.substr(0, dot);
    if (sec != section) {
      text += "[" + sec + "]\n";
      section = sec;
    }
    text += key.substr(dot == std::string::npos ? 0 : dot + 1) + " = " +
            s.default_value + "\n";
  }
  // token_file "" and the defaults written out give the same options.
  auto written = make_options(config(text), {});
  ASSERT_TRUE(written.ok()) << written.error().message << "\n" << text;
  EXPECT_EQ(written->listen, d.listen);
  EXPECT_EQ(written->policy_dir, d.policy_dir);
  EXPECT_EQ(written->state_dir, d.state_dir);
  EXPECT_EQ(written->pin_root, d.pin_root);
  EXPECT_EQ(written->window, d.window);
  EXPECT_EQ(written->read_timeout, d.read_timeout);
  EXPECT_EQ(written->keep, d.keep);
  EXPECT_EQ(written->api_threads, d.api_threads);
  EXPECT_EQ(written->max_event_clients, d.max_event_clients);
  EXPECT_EQ(written->event_queue, d.event_queue);
  EXPECT_EQ(written->max_body_bytes, d.max_body_bytes);
  EXPECT_EQ(written->top_talkers, d.top_talkers);
  EXPECT_EQ(written->top_fanout, d.top_fanout);
  EXPECT_EQ(written->max_rules, d.max_rules);
  EXPECT_EQ(written->max_drops, d.max_drops);
  EXPECT_EQ(written->sample_every, d.sample_every);
  EXPECT_EQ(written->sample_max_per_sec, d.sample_max_per_sec);
  EXPECT_EQ(written->paths_kept, d.paths_kept);
  EXPECT_EQ(written->trace_disable, d.trace_disable);
  EXPECT_EQ(written->trace_timed_per_tick, d.trace_timed_per_tick);
  EXPECT_EQ(written->metrics_max_rules, d.metrics_max_rules);
  EXPECT_EQ(written->xdp_mode, d.xdp_mode);
  EXPECT_EQ(written->log_level, d.log_level);
  EXPECT_EQ(written->detach_on_exit, d.detach_on_exit);
  EXPECT_EQ(written->token_file, d.token_file);
}

TEST(Config, MistakesNameFileLineAndKey) {
  struct Case {
    const char *text, *error;
  } cases[] = {
      {"interfaces = [\"eth0\"]\n[summary]\nwindw = \"1s\"\n",
       "psd.toml:3:1: unknown setting 'summary.windw'; did you mean "
       "'summary.window'?"},
      {"interfaces = [\"eth0\"]\n[sumary]\nwindow = \"1s\"\n",
       "psd.toml:3:1: unknown setting 'sumary.window'; did you mean "
       "'summary.window'?"},
      {"interfaces = [\"eth0\"]\nbanana = 1\n",
       "psd.toml:2:1: unknown setting 'banana'"},
      {"interfaces = [\"eth0\"]\n[summary]\nwindow = \"fast\"\n",
       "psd.toml:3:1: summary.window: expected a duration such as \"1s\" or "
       "\"500ms\", got \"fast\""},
      {"interfaces = [\"eth0\"]\n[summary]\nwindow = 1\n",
       "psd.toml:3:1: summary.window: expected a duration such as \"1s\" or "
       "\"500ms\", got 1"},
      {"interfaces = [\"eth0\"]\n[summary]\nwindow = \"10ms\"\n",
       "psd.toml:3:1: summary.window: expected a duration from 100ms to 1h, "
       "got \"10ms\""},
      {"interfaces = [\"eth0\"]\n[summary]\nkeep = 0\n",
       "psd.toml:3:1: summary.keep: expected a number from 1 to 86400, got 0"},
      {"interfaces = [\"eth0\"]\n[summary]\nkeep = \"600\"\n",
       "psd.toml:3:1: summary.keep: expected a whole number, got \"600\""},
      {"interfaces = [\"eth0\"]\n[summary]\nkeep = 1.5\n",
       "psd.toml:3:1: summary.keep: expected a whole number, got \"1.5\""},
      {"interfaces = \"eth0\"\n",
       "psd.toml:1:1: interfaces: expected a list of strings, got \"eth0\""},
      {"interfaces = [\"eth0\", 7]\n",
       "psd.toml:1:23: interfaces: expected a list of strings"},
      {"interfaces = [\"eth0\", \"eth0\"]\n",
       "psd.toml:1:1: interfaces: 'eth0' is given twice"},
      {"interfaces = [\"a/b\"]\n",
       "psd.toml:1:1: interfaces: 'a/b' cannot be an interface name"},
      {"interfaces = [\"eth0\"]\nxdp_mode = \"fast\"\n",
       "psd.toml:2:1: xdp_mode: expected one of auto, native, generic, got "
       "\"fast\""},
      {"interfaces = [\"eth0\"]\ndetach_on_exit = \"yes\"\n",
       "psd.toml:2:1: detach_on_exit: expected true or false, got \"yes\""},
      {"interfaces = [\"eth0\"]\n[api]\nlisten = \"9477\"\n",
       "psd.toml:3:1: api.listen: '9477': expected HOST:PORT (IPv6 as "
       "[ADDR]:PORT)"},
      {"interfaces = [\"eth0\"]\n[api]\nthreads = 4\nmax_event_clients = 4\n",
       "psd.toml:4:1: api.max_event_clients (4) must be below api.threads "
       "(4): each event stream client holds a thread"},
      {"interfaces = [\"eth0\"]\n[summary.deep]\nx = 1\n",
       "psd.toml:2:10: summary.deep: psd's settings are one table deep"},
      {"interfaces = [\"eth0\"]\n[trace]\ndisable = [\"consume\"]\n",
       "psd.toml:3:1: trace.disable: no tracing hook is called 'consume' "
       "(docs/tracing.md lists them)"},
      {"interfaces = [\"eth0\"]\nstate_dir = \"\"\n",
       "psd.toml:2:1: state_dir: expected a path, got \"\""},
      {"interfaces = [\"eth0\"]\nobject_cache_dir = \"cache\"\n",
       "psd.toml:2:1: object_cache_dir: an absolute path, \"off\" or \"\" "
       "(<state_dir>/objects)"},
      {"policy_dir = \"/x\"\n",
       "no interface to protect: give --iface IFACE (or interfaces = "
       "[\"IFACE\"] in the config file)"},
  };
  for (const Case &c : cases)
    EXPECT_EQ(config_error(c.text), c.error) << c.text;
}

TEST(Config, SyntaxErrorsHaveTheirPlace) {
  std::string e = config_error("interfaces = [\"eth0\"\n[api\n");
  EXPECT_EQ(e.rfind("psd.toml:", 0), 0u) << e;
  EXPECT_NE(e.find(": error: "), std::string::npos) << e;
  e = config_error("interfaces = [\"eth0\"]\ninterfaces = [\"eth1\"]\n");
  EXPECT_EQ(e.rfind("psd.toml:2:", 0), 0u) << e;
}

TEST(Config, AMissingFileIsAClearError) {
  auto s = read_config_file("/nonexistent/psd.toml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "cannot read the config file "
                               "'/nonexistent/psd.toml': No such file or "
                               "directory");
  s = read_config_file("/");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "the config file '/' is not a regular file");
}

TEST(Config, FlagsOverrideTheFile) {
  Settings file = config("interfaces = [\"eth0\"]\n[api]\nlisten = "
                         "\"127.0.0.1:1\"\n[summary]\nwindow = \"2s\"\n");
  Settings flags;
  flags["interfaces"] = {std::vector<std::string>{"veth9"}, "--iface"};
  flags["summary.window"] = {std::string("250ms"), "--window"};
  auto o = make_options(file, flags);
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->interfaces, std::vector<std::string>{"veth9"});
  EXPECT_EQ(o->window, 250ms);
  EXPECT_EQ(o->listen, "127.0.0.1:1");
  // A bad flag names the flag.
  flags["summary.window"] = {std::string("soon"), "--window"};
  o = make_options(file, flags);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().message,
            "--window: summary.window: expected a duration such as \"1s\" or "
            "\"500ms\", got \"soon\"");
}

TEST(Duration, Units) {
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("1s"), 1000ms);
  EXPECT_EQ(parse_duration("5m"), 300000ms);
  EXPECT_EQ(parse_duration("2h"), 7200000ms);
  EXPECT_FALSE(parse_duration("").has_value());
  EXPECT_FALSE(parse_duration("s").has_value());
  EXPECT_FALSE(parse_duration("1 s").has_value());
  EXPECT_FALSE(parse_duration("1d").has_value());
  EXPECT_FALSE(parse_duration("-1s").has_value());
  EXPECT_FALSE(parse_duration("99999999999999s").has_value());
}

TEST(Settings, NearestKey) {
  EXPECT_EQ(nearest_setting("windw"), "summary.window");
  EXPECT_EQ(nearest_setting("api.listn"), "api.listen");
  EXPECT_EQ(nearest_setting("interface"), "interfaces");
  EXPECT_EQ(nearest_setting("zzzzzzzzzz"), "");
}

struct Parsed {
  std::optional<CommandLine> cl;
  int status = -1;
  std::string out, err;
};

Parsed parse(std::vector<const char *> args) {
  args.insert(args.begin(), "psd");
  std::ostringstream out, err;
  Parsed p;
  p.cl = parse_command_line(static_cast<int>(args.size()), args.data(), out,
                            err, &p.status);
  p.out = out.str();
  p.err = err.str();
  return p;
}

TEST(CommandLine, FlagsBecomeSettings) {
  Parsed p = parse({"--iface", "eth0", "eth1", "--listen", "127.0.0.1:1",
                    "--window", "2s", "--detach-on-exit", "--config",
                    "/etc/psd.toml", "--check-config"});
  ASSERT_TRUE(p.cl.has_value()) << p.err;
  EXPECT_EQ(p.cl->config_path, "/etc/psd.toml");
  EXPECT_TRUE(p.cl->check_config);
  auto o = make_options({}, p.cl->flags);
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->interfaces, (std::vector<std::string>{"eth0", "eth1"}));
  EXPECT_EQ(o->listen, "127.0.0.1:1");
  EXPECT_EQ(o->window, 2000ms);
  EXPECT_TRUE(o->detach_on_exit);
  Parsed repeated = parse({"--iface", "a", "--iface", "b"});
  ASSERT_TRUE(repeated.cl.has_value()) << repeated.err;
  o = make_options({}, repeated.cl->flags);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->interfaces, (std::vector<std::string>{"a", "b"}));
}

TEST(CommandLine, BadFlagsAreUsageErrors) {
  Parsed p = parse({"--iface", "eth0", "--bogus"});
  EXPECT_FALSE(p.cl.has_value());
  EXPECT_EQ(p.status, kExitUsage);
  EXPECT_NE(p.err.find("--bogus"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("psd --help"), std::string::npos) << p.err;
  p = parse({"--listen"});
  EXPECT_EQ(p.status, kExitUsage);
}

TEST(CommandLine, HelpExplainsEveryFlagAndKey) {
  Parsed p = parse({"--help"});
  EXPECT_FALSE(p.cl.has_value());
  EXPECT_EQ(p.status, kExitOk);
  for (const char *flag :
       {"--iface", "--config", "--listen", "--token-file", "--policy-dir",
        "--state-dir", "--pin-root", "--xdp-mode", "--window", "--log-level",
        "--detach-on-exit", "--check-config", "--version"})
    EXPECT_NE(p.out.find(flag), std::string::npos) << flag;
  for (const SettingInfo &s : setting_table()) {
    std::string key = s.key;
    std::string name = key.substr(key.find('.') + 1);
    EXPECT_NE(p.out.find("  " + name + " = " + s.default_value),
              std::string::npos)
        << key;
  }
  EXPECT_NE(p.out.find("SIGHUP"), std::string::npos);
  EXPECT_NE(p.out.find("Exit status"), std::string::npos);
  Parsed v = parse({"--version"});
  EXPECT_EQ(v.out, std::string("psd ") + PSD_VERSION + "\n");
}

// The LLM analyzer's settings: psd's flags are psc suggest's (one
// definition, analyze/llm/flags.h), its llm.KEY config keys go through
// the same apply_setting(), psd's own (interval, window, refusals, key
// file) beside them.
TEST(LlmSettings, FlagsAndConfigKeysFillTheLlmConfig) {
  Parsed p = parse({"--iface",
                    "eth0",
                    "--analyzer",
                    "openai",
                    "--llm-url",
                    "http://127.0.0.1:8000/v1",
                    "--llm-model",
                    "qwen",
                    "--llm-temperature",
                    "0.5",
                    "--llm-timeout",
                    "90s",
                    "--llm-output",
                    "vllm-grammar",
                    "--llm-interval",
                    "10s",
                    "--llm-window",
                    "2m",
                    "--llm-key-file",
                    "/etc/ps/llm.key",
                    "--llm-calls-per-minute",
                    "0"});
  ASSERT_TRUE(p.cl.has_value()) << p.err;
  auto o = make_options({}, p.cl->flags);
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_TRUE(o->uses_llm());
  EXPECT_EQ(o->llm.provider, psr::analyze::llm::Provider::OpenAi);
  EXPECT_EQ(o->llm.url, "http://127.0.0.1:8000/v1");
  EXPECT_EQ(o->llm.model, "qwen");
  EXPECT_DOUBLE_EQ(o->llm.temperature, 0.5);
  EXPECT_EQ(o->llm.timeout, 90000ms);
  EXPECT_EQ(o->llm.output, psr::analyze::llm::OutputMode::VllmGrammar);
  EXPECT_EQ(o->llm.calls_per_minute, 0u);
  EXPECT_EQ(o->llm_interval, 10s);
  EXPECT_EQ(o->llm_window, 120s);
  EXPECT_EQ(o->llm_key_file, "/etc/ps/llm.key");
  EXPECT_TRUE(o->embedded_with_llm);

  auto c = make_options(config("interfaces = [\"eth0\"]\n"
                               "[analyzer]\nkind = \"ollama\"\n"
                               "embedded_with_llm = false\n"
                               "[llm]\nurl = \"http://127.0.0.1:11434\"\n"
                               "model = \"llama3.1:8b\"\ntemperature = 0\n"
                               "max-tokens = 512\nallow-plain-http = true\n"
                               "interval = \"1m\"\nwindow = \"10m\"\n"
                               "max-refusals = 5\n"),
                        {});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->llm.provider, psr::analyze::llm::Provider::Ollama);
  EXPECT_EQ(c->llm.model, "llama3.1:8b");
  EXPECT_DOUBLE_EQ(c->llm.temperature, 0);
  EXPECT_EQ(c->llm.max_tokens, 512u);
  EXPECT_TRUE(c->llm.allow_plain_http);
  EXPECT_EQ(c->llm_interval, 60s);
  EXPECT_EQ(c->llm_window, 600s);
  EXPECT_EQ(c->llm_max_refusals, 5u);
  EXPECT_FALSE(c->embedded_with_llm);
  EXPECT_TRUE(c->llm_unused.empty());
}

TEST(LlmSettings, MistakesNameTheFlagOrTheLine) {
  const std::string head = "interfaces = [\"eth0\"]\n[analyzer]\nkind = "
                           "\"openai\"\n[llm]\nurl = "
                           "\"http://127.0.0.1:1/v1\"\nmodel = \"m\"\n";
  struct Case {
    std::string text, error;
  } cases[] = {
      {head + "temperature = 3\n",
       "psd.toml:7:1: llm.temperature: '3' is not a number from 0 to 2"},
      {head + "timeout = \"10\"\n",
       "psd.toml:7:1: llm.timeout: duration '10' needs a unit (ms, s, m or "
       "h), e.g. '10s'"},
      {head + "output = \"yaml\"\n",
       "psd.toml:7:1: llm.output: 'yaml' is not text, json-object, "
       "json-schema, gbnf or vllm-grammar"},
      {head + "modle = \"x\"\n",
       "psd.toml:7:1: unknown setting 'llm.modle'; did you mean 'llm.model'?"},
      {head + "max_tokens = 10\n", "psd.toml:7:1: unknown setting "
                                   "'llm.max_tokens'; did you mean "
                                   "'llm.max-tokens'?"},
      {head + "interval = \"0s\"\n",
       "psd.toml:7:1: llm.interval: expected a duration from 1s to 24h, got "
       "\"0s\""},
      {head + "ca-bundle = [\"a\"]\n",
       "psd.toml:7:1: llm.ca-bundle: expected a value, got a list"},
      {"interfaces = [\"eth0\"]\n[analyzer]\nkind = \"openai\"\n",
       "psd.toml:3:1: the openai analyzer: no LLM URL: set --llm-url (e.g. "
       "https://api.openai.com/v1 or http://127.0.0.1:11434 for Ollama)"},
      {"interfaces = [\"eth0\"]\n[analyzer]\nkind = \"openai\"\n[llm]\n"
       "url = \"http://127.0.0.1:8000\"\nmodel = \"m\"\n",
       "psd.toml:5:1: the openai analyzer: the OpenAI-compatible URL "
       "'http://127.0.0.1:8000' must end in /v1 (e.g. "
       "https://api.openai.com/v1, http://127.0.0.1:8000/v1); requests go "
       "to {url}/chat/completions"},
      {"interfaces = [\"eth0\"]\n[analyzer]\nkind = \"gpt\"\n",
       "psd.toml:3:1: analyzer.kind: expected one of embedded, openai, "
       "ollama, none, got \"gpt\""},
  };
  for (const Case &c : cases)
    EXPECT_EQ(config_error(c.text), c.error) << c.text;

  Parsed p = parse({"--iface", "eth0", "--analyzer", "openai", "--llm-url",
                    "http://127.0.0.1:1/v1", "--llm-model", "m",
                    "--llm-attempts", "0"});
  ASSERT_TRUE(p.cl.has_value()) << p.err;
  auto o = make_options({}, p.cl->flags);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().message, "--llm-attempts: llm.attempts: '0' is not a "
                               "whole number from 1 to 10");
  p = parse({"--iface", "eth0", "--analyzer", "ollama"});
  ASSERT_TRUE(p.cl.has_value()) << p.err;
  o = make_options({}, p.cl->flags);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().message.rfind("--analyzer: the ollama analyzer: no "
                                    "LLM URL",
                                    0),
            0u)
      << o.error().message;
}

TEST(LlmSettings, LlmKeysWithoutAnLlmAreNotUsedAndSaidSo) {
  auto o = make_options(config("interfaces = [\"eth0\"]\n[llm]\n"
                               "model = \"m\"\ninterval = \"1m\"\n"),
                        {});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_FALSE(o->uses_llm());
  EXPECT_EQ(o->llm_unused,
            (std::vector<std::string>{"llm.interval", "llm.model"}));
}

TEST(LlmSettings, EveryLibrarySettingIsAFlagAndAKey) {
  Parsed p = parse({"--help"});
  for (const psr::analyze::llm::SettingDoc &d :
       psr::analyze::llm::setting_docs()) {
    if (d.key == "provider") {
      EXPECT_EQ(find_setting("llm.provider"), nullptr);
      continue;
    }
    const SettingInfo *s = find_setting("llm." + std::string(d.key));
    ASSERT_NE(s, nullptr) << d.key;
    EXPECT_EQ(std::string(s->flag), "--llm-" + std::string(d.key));
    EXPECT_NE(p.out.find("--llm-" + std::string(d.key)), std::string::npos)
        << d.key;
  }
  for (const char *flag : {"--llm-key-file", "--llm-interval", "--llm-window"})
    EXPECT_NE(p.out.find(flag), std::string::npos) << flag;
}

TEST(Docs, EveryKeyIsDocumentedWithItsDefault) {
  std::ifstream in(PSD_DOC);
  ASSERT_TRUE(in) << PSD_DOC;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  for (const SettingInfo &s : setting_table()) {
    // A row of the settings table: | `key` | default | ...
    std::string row =
        std::string("| `") + s.key + "` | `" + s.default_value + "` |";
    EXPECT_NE(doc.find(row), std::string::npos) << "docs/psd.md lacks " << row;
    if (s.flag) {
      EXPECT_NE(doc.find(std::string("`") + s.flag), std::string::npos)
          << s.flag;
    }
  }
}

} // namespace
} // namespace psd
