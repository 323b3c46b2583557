// psd, the PacketScope daemon: flags and config into options, then the
// daemon over the policy runtime and the tracer. Everything it decides is
// in psd_lib (options, policy directory, daemon loop) and runtime/.
#include <signal.h>
#include <time.h>

#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "allocator/allocator.h"
#include "analyzer.h"
#include "backend/bpf_features.h"
#include "backend/clang_module.h"
#include "command_line.h"
#include "config_file.h"
#include "daemon.h"
#include "govern/audit_log.h"
#include "kernel_policy.h"
#include "kernel_trace.h"
#include "llm_analyzer.h"
#include "startup_checks.h"

namespace {

namespace be = psl::backend;

// SIGTERM, SIGINT and SIGHUP are blocked in every thread (the mask is
// inherited by the threads psd starts) and taken by sigtimedwait() in the
// loop: no handler runs at an arbitrary point.
sigset_t psd_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

psd::Wake wait_for_signal(std::chrono::milliseconds timeout) {
  sigset_t set = psd_signals();
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  ts.tv_nsec = static_cast<long>((timeout.count() % 1000) * 1'000'000);
  int sig = ::sigtimedwait(&set, nullptr, &ts);
  if (sig == SIGTERM || sig == SIGINT)
    return psd::Wake::Stop;
  if (sig == SIGHUP)
    return psd::Wake::Reload;
  return psd::Wake::Timeout;
}

// PSD_KILL_AT_STEP=loaded|state-written|switched: psd kills itself
// (SIGKILL) when a swap reaches that step. For the tests of a psd killed
// mid-swap (docs/testing.md); nothing else reads it.
std::function<void(std::string_view)> kill_at_step() {
  const char *at = std::getenv("PSD_KILL_AT_STEP");
  if (at == nullptr || *at == '\0')
    return nullptr;
  std::string step = at;
  return [step](std::string_view now) {
    if (now == step)
      ::raise(SIGKILL);
  };
}

std::shared_ptr<spdlog::logger> make_logger(const std::string &level) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto log = std::make_shared<spdlog::logger>("psd", sink);
  log->set_pattern("%Y-%m-%d %H:%M:%S.%e psd %l: %v");
  log->set_level(spdlog::level::from_str(level));
  log->flush_on(spdlog::level::trace);
  return log;
}

int run(const psd::PsdOptions &options, const std::optional<std::string> &token,
        psr::analyze::llm::ApiKey llm_key) {
  auto log = make_logger(options.log_level);
  const be::BpfFeatures &f = be::bpf_features();
  if (!f.load.available) {
    log->error("cannot load BPF programs: {}", f.load.reason);
    return psd::kExitFailure;
  }
  if (!f.xdp_link.available) {
    log->error("this kernel cannot attach XDP through a bpf_link: {}",
               f.xdp_link.reason);
    return psd::kExitFailure;
  }
  psr::govern::AuditOptions ao;
  ao.path = options.audit_log.empty() ? options.state_dir + "/audit.jsonl"
                                      : options.audit_log;
  ao.max_bytes = options.audit_max_bytes;
  ao.keep = options.audit_keep;
  psr::govern::AuditLog audit(ao);
  auto control = psd::KernelPolicy::create(options, audit, kill_at_step());
  if (!control.ok()) {
    log->error("{}", control.error().message);
    return psd::kExitFailure;
  }
  if (const auto &cache = (*control)->object_cache())
    log->info("compiled policy objects are kept in {}", cache->dir());
  else if (!(*control)->object_cache_problem().empty())
    log->warn("{}; policies are compiled without the object cache",
              (*control)->object_cache_problem());
  psd::AnalyzerFactory analyzer;
  if (options.analyzer == "embedded")
    analyzer = [d = options.detector] {
      return psd::make_embedded_analyzer(d);
    };
  // The LLM's shared parts outlive the daemon (and so its analyzers).
  std::optional<psd::LlmShared> llm;
  psd::LlmAnalyzerOptions llm_options;
  if (options.uses_llm()) {
    llm.emplace(
        std::move(llm_key),
        psr::analyze::llm::BudgetLimits{options.llm.calls_per_minute,
                                        options.llm.tokens_per_hour},
        std::make_shared<psd::LlmMonitor>(
            options.analyzer, options.embedded_with_llm, options.llm.model,
            options.llm.url,
            static_cast<uint64_t>(
                std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count())),
        [&audit](nlohmann::json record) {
          (void)audit.append(std::move(record));
        },
        log);
    llm_options.config = options.llm;
    llm_options.interval = options.llm_interval;
    llm_options.window = options.llm_window;
    llm_options.max_refusals = options.llm_max_refusals;
    llm_options.embedded_with_llm = options.embedded_with_llm;
    llm_options.detector = options.detector;
    analyzer = [&llm, &llm_options] {
      return psd::make_llm_analyzer(llm_options, *llm);
    };
  }
  psd::Daemon daemon(options, **control, audit, analyzer, log);
  if (llm)
    daemon.set_llm_monitor(llm->monitor);
  be::Status started = daemon.start_policies();
  if (!started.ok()) {
    log->error("{}", started.error().message);
    return psd::kExitFailure;
  }

  std::vector<std::string> maps;
  for (const std::string &iface : options.interfaces)
    maps.push_back((*control)->maps_dir(iface));
  auto trace = psd::KernelTrace::create(options, maps);
  if (!trace.ok()) {
    log->error("cannot start tracing: {}; the policies stay in force",
               trace.error().message);
    return psd::kExitFailure;
  }
  for (const auto &h : (*trace)->hooks())
    if (!h.missing.empty())
      log->warn("hook {} is not attached: {}", h.name, h.missing);
  // Paths name rules from the first interface's policy: a path event does
  // not say which interface it came from (docs/psd.md, limits).
  psd::KernelPolicy *kp = control->get();
  const std::string first = options.interfaces.front();
  (*trace)->set_rule_names([kp, first] { return kp->program_id(first); },
                           [kp, first] { return kp->rule_namer(first); });

  be::Status served = daemon.serve(**trace, **control, token, wait_for_signal);
  if (!served.ok()) {
    log->error("{}; the policies stay in force", served.error().message);
    return psd::kExitFailure;
  }
  daemon.shutdown();
  return psd::kExitOk;
}

} // namespace

int main(int argc, char **argv) {
  psl::allocator::configure();
  // Before any thread starts, so that every thread inherits the mask.
  sigset_t set = psd_signals();
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN); // a client that went away is a write error

  int status = psd::kExitOk;
  auto cl = psd::parse_command_line(argc, argv, std::cout, std::cerr, &status);
  if (!cl)
    return status;
  psd::Settings file;
  if (!cl->config_path.empty()) {
    auto read = psd::read_config_file(cl->config_path);
    if (!read.ok()) {
      std::cerr << "psd: " << read.error().message << "\n";
      return psd::kExitUsage;
    }
    file = std::move(read.value());
  }
  auto options = psd::make_options(file, cl->flags);
  if (!options.ok()) {
    std::cerr << "psd: " << options.error().message << "\n";
    return psd::kExitUsage;
  }
  options->config_path = cl->config_path;
  // Clang loads on a thread of its own while psd reads its state and
  // policies (psd compiles every policy it puts in force).
  psl::backend::preload_clang();
  // The model server's key: read now, so that a bad key file is a usage
  // error before anything is put in force (and --check-config checks it). Never
  // printed.
  psr::analyze::llm::ApiKey llm_key;
  if (options->uses_llm()) {
    auto key = psr::analyze::llm::load_api_key(
        options->llm_key_file, std::getenv(psr::analyze::llm::kApiKeyEnv));
    if (!key.ok()) {
      std::cerr << "psd: " << key.error().message << "\n";
      return psd::kExitUsage;
    }
    llm_key = std::move(key.value());
  }
  if (cl->check_config)
    return psd::check_configuration(*options, std::cout, std::cerr);
  auto token = psd::load_api_token(*options);
  if (!token.ok()) {
    std::cerr << "psd: " << token.error().message << "\n";
    return psd::kExitUsage;
  }
  try {
    return run(*options, *token, std::move(llm_key));
  } catch (const std::exception &e) {
    std::cerr << "psd: internal error: " << e.what() << "\n";
    return psd::kExitFailure;
  }
}
