#include "command_line.h"

#include <memory>
#include <ostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "analyze/llm/flags.h"

namespace psd {

namespace {

const char *const kDescription =
    "psd, the PacketScope daemon: puts the operator policy in force on each\n"
    "interface (XDP), observes traffic through the policy program and the\n"
    "kernel stack's tracepoints, lets an analyzer (the embedded detector, an\n"
    "LLM beside it) propose rules that the governor checks before they go in "
    "force, and\n"
    "serves summaries, rules, decisions, sampled packet paths, metrics and a\n"
    "live event stream over HTTP.";

const char *const kFooterTop = R"(
Policies:
  For each interface, the operator policy is POLICY_DIR/IFACE.psl if it
  exists, else POLICY_DIR/policy.psl, else the default policy built into
  psd (policies/default.psl: passes everything but the sources in its
  dynamic block sets, protects SSH, ARP and neighbor discovery). Any other
  *.psl file in POLICY_DIR is an error. Each policy is checked like
  'psc check' (errors stop psd from starting; warnings are logged).
  A policy already in force (psd restarted, or killed) is adopted when its
  text is the same, else replaced with its state carried over (counters,
  dynamic sets, rate buckets). The directory is watched: a changed policy
  file is read again (reload_debounce after the last change), as SIGHUP
  does. POST /api/v1/policy (with the bearer token) puts a policy in force
  and writes it into the directory.

Analyzer and governor:
  Every analyzer.tick (250ms) psd reads the traffic of the last
  analyzer.window (1s) and the analyzer (--analyzer embedded: the detector,
  offline) proposes rules or set entries. The governor checks each one
  (the compiler in --generated mode, the policy's protects and its own:
  --management addresses, the default gateways, the host's addresses; caps;
  a ttl on everything) before it is composed with the operator policy and
  put in force, or added to a dynamic set. Every proposal, verdict and
  change is written to the audit log (GET /api/v1/decisions) and sent on
  the event stream.

LLM analyzer (--analyzer openai or ollama, docs/llm.md):
  Every llm.interval (30s) a thread of its own asks the model about the
  summaries of the last llm.window (5m); the detection tick never waits for
  it and takes its answer when it is ready. Its rules go through the same
  checks and governor, in shadow first (governor.llm_shadow_period), and
  are enforced when the traffic they would drop matches the evidence they
  cite. The embedded detector keeps running at every tick beside it
  (analyzer.embedded_with_llm = false: only while the LLM fails). When the
  LLM fails (budget spent, server down after its retries, llm.max-refusals
  answers refused in a row) psd runs on the detector alone and says so
  (/api/v1/status, /metrics, the audit log, the log) until the LLM answers
  again. The key: PSC_LLM_API_KEY or --llm-key-file (mode 0600); it never
  appears in a log line, the API or an error.

Config file (TOML, --config FILE); flags override it. Every key with its
default:
)";

const char *const kFooterBottom = R"(
Signals:
  SIGTERM, SIGINT  stop cleanly; the policies stay in force (protection
                   continues without psd) unless --detach-on-exit
  SIGHUP           read the policy directory again and put changed
                   policies in force (with the generated rules in force);
                   a policy that fails to check or load leaves the one in
                   force as it is

Exit status:
  0  stopped cleanly, or --check-config found nothing wrong
  1  could not start: a policy could not be put in force, the HTTP address
     could not be bound, tracing could not start
  2  bad command line or config file (the message names the file, line and
     key)

Examples:
  psd --iface eth0
  psd --iface eth0 eth1 --config /etc/packetscope/psd.toml
  psd --iface eth0 --listen 0.0.0.0:9477 --token-file /etc/packetscope/token
  psd --iface eth0 --management 10.1.0.0/16 --shadow-period 30s
  psd --iface eth0 --analyzer none   # no detector: operator policy only
  PSC_LLM_API_KEY=sk-... psd --iface eth0 --analyzer openai \
      --llm-url https://api.openai.com/v1 --llm-model gpt-4o-mini
  psd --iface eth0 --analyzer ollama --llm-url http://127.0.0.1:11434 \
      --llm-model llama3.1:8b --llm-timeout 300s
  psd --config /etc/packetscope/psd.toml --check-config

Documentation: docs/psd.md (every key, the API, the summary schema).
)";

std::string keys_text() {
  std::ostringstream out;
  std::string section;
  for (const SettingInfo &s : setting_table()) {
    std::string key = s.key;
    size_t dot = key.find('.');
    std::string sec = dot == std::string::npos ? "" : key.substr(0, dot);
    std::string name = dot == std::string::npos ? key : key.substr(dot + 1);
    if (sec != section) {
      section = sec;
      out << "  [" << sec << "]\n";
    }
    std::string line = "  " + name + " = " + s.default_value;
    out << line;
    std::string help = s.help;
    if (s.flag)
      help += " (" + std::string(s.flag) + ")";
    if (line.size() < 34)
      out << std::string(34 - line.size(), ' ');
    else
      out << "\n" << std::string(34, ' ');
    // Wrap the help at 80 columns.
    size_t col = 34;
    std::istringstream words(help);
    std::string w;
    bool first = true;
    while (words >> w) {
      if (!first && col + 1 + w.size() > 79) {
        out << "\n" << std::string(34, ' ');
        col = 34;
        first = true;
      }
      out << (first ? "" : " ") << w;
      col += (first ? 0 : 1) + w.size();
      first = false;
    }
    out << "\n";
  }
  return out.str();
}

struct Parser {
  CLI::App app{kDescription, "psd"};
  std::vector<std::string> ifaces, management;
  std::string config, listen, state_dir, policy_dir, pin_root, token_file,
      xdp_mode, window, log_level, analyzer, shadow_period, llm_interval,
      llm_window;
  bool detach = false, check = false;
  std::unique_ptr<psr::analyze::llm::LlmFlags> llm;

  Parser() {
    app.set_version_flag("--version", std::string("psd ") + PSD_VERSION);
    app.add_option("--iface", ifaces,
                   "interfaces to protect and observe; repeat or list "
                   "several (config: interfaces)")
        ->type_name("IFACE");
    app.add_option("--config", config, "the config file (TOML)")
        ->type_name("FILE");
    app.add_option("--listen", listen,
                   "the HTTP API's address (default 127.0.0.1:9477); beyond "
                   "loopback only with --token-file")
        ->type_name("HOST:PORT");
    app.add_option("--token-file", token_file,
                   "file (mode 0600) with the API's bearer token")
        ->type_name("FILE");
    app.add_option("--policy-dir", policy_dir,
                   "where the operator policies are (default "
                   "/etc/packetscope/policies)")
        ->type_name("DIR");
    app.add_option("--state-dir", state_dir,
                   "the policy runtime's state, shared with psc (default "
                   "/run/packetscope)")
        ->type_name("DIR");
    app.add_option("--pin-root", pin_root,
                   "bpffs directory for the pinned links and maps (default "
                   "/sys/fs/bpf/packetscope)")
        ->type_name("DIR");
    app.add_option("--xdp-mode", xdp_mode,
                   "auto, native or generic (default auto)")
        ->type_name("MODE");
    app.add_option("--window", window,
                   "summary window, e.g. 1s or 500ms (default 1s)")
        ->type_name("DURATION");
    app.add_option("--log-level", log_level,
                   "trace, debug, info, warn or error (default info)")
        ->type_name("LEVEL");
    app.add_option("--analyzer", analyzer,
                   "embedded (the detector, the default), openai or "
                   "ollama (an LLM, with the detector beside it), or none")
        ->type_name("KIND");
    app.add_option("--management", management,
                   "addresses and prefixes the governor never lets a "
                   "generated rule drop; repeat or list several (config: "
                   "governor.management)")
        ->type_name("ADDR");
    app.add_option("--shadow-period", shadow_period,
                   "how long the detector's drops only count before they "
                   "are enforced, e.g. 30s (default 0s: at once)")
        ->type_name("DURATION");
    llm = std::make_unique<psr::analyze::llm::LlmFlags>(app);
    app.add_option("--llm-interval", llm_interval,
                   "how often the LLM is asked (default 30s)")
        ->type_name("DURATION")
        ->group(psr::analyze::llm::kLlmFlagGroup);
    app.add_option("--llm-window", llm_window,
                   "the traffic the LLM sees: the last this long (default "
                   "5m)")
        ->type_name("DURATION")
        ->group(psr::analyze::llm::kLlmFlagGroup);
    app.add_flag("--detach-on-exit", detach,
                 "take the policies down when psd stops (by default they "
                 "stay in force)");
    app.add_flag("--check-config", check,
                 "check the flags, the config file, the token file and the "
                 "policies, print the result and exit (for CI and before a "
                 "restart)");
    app.footer(std::string(kFooterTop) + keys_text() + kFooterBottom);
  }
};

} // namespace

std::string help_text() {
  Parser p;
  return p.app.help();
}

std::optional<CommandLine> parse_command_line(int argc, const char *const *argv,
                                              std::ostream &out,
                                              std::ostream &err,
                                              int *exit_status) {
  Parser p;
  try {
    p.app.parse(argc, argv);
  } catch (const CLI::CallForHelp &) {
    out << p.app.help();
    *exit_status = kExitOk;
    return std::nullopt;
  } catch (const CLI::CallForVersion &) {
    out << "psd " << PSD_VERSION << "\n";
    *exit_status = kExitOk;
    return std::nullopt;
  } catch (const CLI::ParseError &e) {
    err << "psd: " << e.what() << "\nRun 'psd --help' for the options.\n";
    *exit_status = kExitUsage;
    return std::nullopt;
  }
  CommandLine cl;
  cl.config_path = p.config;
  cl.check_config = p.check;
  auto text = [&](const char *key, const std::string &v, const char *flag) {
    if (p.app.count(flag) > 0)
      cl.flags[key] = SettingValue{v, flag};
  };
  if (p.app.count("--iface") > 0)
    cl.flags["interfaces"] = SettingValue{p.ifaces, "--iface"};
  text("api.listen", p.listen, "--listen");
  text("api.token_file", p.token_file, "--token-file");
  text("policy_dir", p.policy_dir, "--policy-dir");
  text("state_dir", p.state_dir, "--state-dir");
  text("pin_root", p.pin_root, "--pin-root");
  text("xdp_mode", p.xdp_mode, "--xdp-mode");
  text("summary.window", p.window, "--window");
  text("log_level", p.log_level, "--log-level");
  text("analyzer.kind", p.analyzer, "--analyzer");
  text("governor.detector_shadow_period", p.shadow_period, "--shadow-period");
  text("llm.interval", p.llm_interval, "--llm-interval");
  text("llm.window", p.llm_window, "--llm-window");
  for (const auto &[key, value] : p.llm->given())
    cl.flags["llm." + key] = SettingValue{value, "--llm-" + key};
  if (p.llm->key_file_given())
    cl.flags["llm.key-file"] =
        SettingValue{p.llm->key_file(), "--llm-key-file"};
  if (p.app.count("--management") > 0)
    cl.flags["governor.management"] =
        SettingValue{p.management, "--management"};
  if (p.detach)
    cl.flags["detach_on_exit"] = SettingValue{true, "--detach-on-exit"};
  return cl;
}

} // namespace psd
