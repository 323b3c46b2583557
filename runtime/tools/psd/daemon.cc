#include "daemon.h"

#include <time.h>

#include <algorithm>
#include <thread>

#include "api/event_hub.h"
#include "api/listen_address.h"
#include "api/router.h"
#include "api/server.h"
#include "api/web_assets.h"
#include "summary/collector.h"
#include "summary/path_log.h"
#include "summary/ring.h"

namespace psd {

namespace be = psl::backend;
using Clock = std::chrono::steady_clock;

namespace {

uint64_t unix_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000u +
         static_cast<uint64_t>(ts.tv_nsec) / 1'000'000u;
}

// The first line of a multi-line message, for the status.
std::string first_line(const std::string &s) {
  return s.substr(0, s.find('\n'));
}

} // namespace

Daemon::Daemon(PsdOptions options, PolicyControl &control,
               std::shared_ptr<spdlog::logger> log)
    : options_(std::move(options)), control_(control), log_(std::move(log)),
      started_unix_ms_(unix_ms()) {
  for (const std::string &iface : options_.interfaces) {
    psr::api::InterfaceStatus s;
    s.name = iface;
    interfaces_.push_back(s);
    failures_.emplace_back(iface, 0);
  }
}

Daemon::~Daemon() = default;

be::Status Daemon::start_policies() { return apply_policies(true); }

void Daemon::reload_policies() {
  log_->info("reloading the policies from '{}'", options_.policy_dir);
  be::Status st = apply_policies(false);
  if (!st.ok())
    log_->error("reload: {}", st.error().message);
}

be::Status Daemon::apply_policies(bool at_start) {
  auto found = find_operator_policies(
      options_.policy_dir, options_.policy_dir_given, options_.interfaces);
  std::vector<OperatorPolicy> policies;
  std::string dir_error;
  if (found.ok()) {
    policies = std::move(found.value());
  } else {
    dir_error = found.error().message;
  }

  std::vector<std::string> unprotected;
  for (size_t i = 0; i < options_.interfaces.size(); ++i) {
    const std::string &iface = options_.interfaces[i];
    auto in_force = control_.in_force(iface);
    bool protected_now = in_force.ok() && in_force->present;
    std::string error = dir_error;

    if (error.empty()) {
      const OperatorPolicy &p = policies[i];
      PolicyCheck check = check_policy(p);
      if (!check.diagnostics.empty()) {
        if (check.ok)
          log_->warn("{}: {} warning(s):\n{}", p.path, check.warnings,
                     check.diagnostics);
        else
          log_->error("{}:\n{}", p.path, check.diagnostics);
      }
      if (!check.ok) {
        error = p.path + ": " + std::to_string(check.errors) +
                " error(s); see the log";
      } else if (protected_now && in_force->text == p.text) {
        log_->info("{}: policy '{}' (program {}) is already in force from "
                   "{}: adopted",
                   iface, in_force->policy, in_force->prog_id, p.path);
        std::lock_guard<std::mutex> lock(mu_);
        auto &s = interfaces_[i];
        if (s.policy_file.empty() || s.policy_file != p.path) {
          s.policy_from = at_start ? "adopted" : p.from;
          s.last_change_unix_ms = unix_ms();
        }
        s.policy_file = p.path;
        s.policy_text = p.text;
        s.protected_ = true;
        s.last_error.clear();
        continue;
      } else {
        be::Status put = control_.put_in_force(p);
        if (put.ok()) {
          log_->info("{}: {} policy from {}", iface,
                     protected_now ? "replaced the" : "put in force the",
                     p.path);
          std::lock_guard<std::mutex> lock(mu_);
          auto &s = interfaces_[i];
          s.policy_file = p.path;
          s.policy_text = p.text;
          s.policy_from = p.from;
          s.protected_ = true;
          s.last_error.clear();
          s.last_change_unix_ms = unix_ms();
          continue;
        }
        error = put.error().message;
        if (!put.error().detail.empty())
          log_->error("{}: {}\n{}", iface, error, put.error().detail);
      }
    }

    // This interface's new policy failed: what is in force stays.
    {
      std::lock_guard<std::mutex> lock(mu_);
      interfaces_[i].last_error = first_line(error);
      interfaces_[i].protected_ = protected_now;
      ++failures_[i].second;
    }
    if (protected_now) {
      log_->error("{}: {}; the policy in force ('{}', program {}) stays", iface,
                  error, in_force->policy, in_force->prog_id);
    } else {
      log_->error("{}: {}; no policy is in force on it", iface, error);
      unprotected.push_back(iface);
    }
  }
  if (at_start && !unprotected.empty()) {
    std::string list;
    for (const std::string &i : unprotected)
      list += (list.empty() ? "" : ", ") + i;
    return be::Error("no policy could be put in force on " + list);
  }
  return be::Status::success();
}

be::Status Daemon::serve(summary::TraceSource &trace,
                         summary::PolicyStatusSource &policy_status,
                         const std::optional<std::string> &token,
                         const WaitFn &wait) {
  namespace api = psr::api;
  summary::SummaryOptions so;
  so.top_talkers = options_.top_talkers;
  so.top_fanout = options_.top_fanout;
  so.max_rules = options_.max_rules;
  so.max_drops = options_.max_drops;
  summary::SummaryRing ring(options_.keep);
  summary::PathLog paths(options_.paths_kept);
  summary::Collector collector(trace, policy_status, ring, paths, so);
  auto hub = api::EventHub::create(
      {options_.event_queue, options_.max_event_clients, 64});

  auto listen = api::parse_listen_address(options_.listen);
  if (!listen.ok())
    return listen.error();
  api::Router router;
  router.set_token(token);
  router.require_token_everywhere(!listen->loopback);
  api::ServerOptions server_options;
  server_options.listen = *listen;
  server_options.threads = options_.api_threads;
  server_options.read_timeout = options_.read_timeout;
  server_options.keep_alive_timeout = server_options.read_timeout;
  server_options.max_body_bytes = options_.max_body_bytes;
  server_options.log_error = [this](const std::string &line) {
    log_->error("api: {}", line);
  };
  // The server is declared after what its routes read, so it stops first.
  std::unique_ptr<api::ApiServer> server;

  api::ApiBackend backend;
  backend.ring = &ring;
  backend.paths = &paths;
  backend.events = hub;
  backend.latest = [&collector] { return collector.latest(); };
  backend.previous = [&collector] { return collector.previous(); };
  backend.status = [this] { return status(); };
  backend.metrics_options.max_rules = options_.metrics_max_rules;
  backend.max_summaries = options_.keep;
  backend.max_paths = options_.paths_kept;
  backend.metrics = [&, this] {
    api::DaemonMetrics m;
    m.version = PSD_VERSION;
    m.window_seconds = std::chrono::duration<double>(options_.window).count();
    m.windows = collector.windows();
    m.failed_readings = collector.failed_readings();
    m.ring_summaries = ring.size();
    m.ring_bytes = ring.json_bytes();
    m.paths_kept = paths.size();
    m.paths_total = paths.total_added();
    m.event_clients = hub->clients();
    m.events_published = hub->published();
    m.events_lost = hub->lost();
    if (server)
      m.requests = server->request_counts();
    {
      std::lock_guard<std::mutex> lock(mu_);
      m.policy_failures = failures_;
    }
    m.process = api::read_process_stats();
    return m;
  };
  api::add_read_routes(router, backend);
  api::add_web_routes(router);
  server = std::make_unique<api::ApiServer>(std::move(router), server_options);
  be::Status started = server->start();
  if (!started.ok())
    return started;
  {
    std::lock_guard<std::mutex> lock(mu_);
    port_ = server->port();
  }
  log_->info("serving the API on {}{}", listen->text(),
             listen->loopback ? "" : " (every request needs the token)");

  auto tick = [&] {
    auto entry = collector.tick();
    if (!entry.ok()) {
      // Logged every time at debug, at warn only the first time in a row.
      if (collector.failed_readings() == 1)
        log_->warn("reading the tracer failed: {}", entry.error().message);
      else
        log_->debug("reading the tracer failed: {}", entry.error().message);
      return;
    }
    if (entry->has_value())
      hub->publish("summary", (*entry)->json);
  };
  auto maintain = [&] {
    for (const std::string &iface : options_.interfaces) {
      be::Status st = control_.maintain(iface);
      if (!st.ok())
        log_->warn("{}: maintenance: {}", iface, st.error().message);
    }
  };

  const auto window = options_.window;
  const auto second = std::chrono::milliseconds(1000);
  tick(); // the first reading starts the first window
  auto next_tick = Clock::now() + window;
  auto next_maintain = Clock::now() + second;
  for (;;) {
    auto now = Clock::now();
    auto until = std::min(next_tick, next_maintain);
    auto timeout =
        until > now
            ? std::chrono::duration_cast<std::chrono::milliseconds>(until - now)
            : std::chrono::milliseconds(0);
    // Wake at least every 100 ms for the path events.
    Wake w = wait(std::min(timeout, std::chrono::milliseconds(100)));
    if (w == Wake::Stop)
      break;
    if (w == Wake::Reload)
      reload_policies();
    now = Clock::now();
    if (now >= next_maintain) {
      maintain();
      next_maintain += second;
      if (next_maintain <= now)
        next_maintain = now + second;
    }
    if (now >= next_tick) {
      tick();
      next_tick += window;
      // Behind by more than a window (the machine stalled): start again
      // from now rather than catching up with windows of no length.
      if (next_tick <= now)
        next_tick = now + window;
    }
  }
  log_->info("stopping: ending {} event stream(s) and the API", hub->clients());
  hub->close();
  server->stop();
  return be::Status::success();
}

void Daemon::shutdown() {
  if (!options_.detach_on_exit) {
    log_->info("the policies stay in force on {} (protection goes on "
               "without psd; --detach-on-exit takes them down)",
               [&] {
                 std::string l;
                 for (const std::string &i : options_.interfaces)
                   l += (l.empty() ? "" : ", ") + i;
                 return l;
               }());
    return;
  }
  for (const std::string &iface : options_.interfaces) {
    be::Status st = control_.take_down(iface);
    if (st.ok())
      log_->info("{}: policy taken down (--detach-on-exit)", iface);
    else
      log_->error("{}: taking the policy down failed: {}", iface,
                  st.error().message);
  }
}

psr::api::DaemonStatus Daemon::status() const {
  psr::api::DaemonStatus d;
  d.version = PSD_VERSION;
  d.started_unix_ms = started_unix_ms_;
  d.window_seconds = std::chrono::duration<double>(options_.window).count();
  d.listen = options_.listen;
  d.token_configured = !options_.token_file.empty();
  d.detach_on_exit = options_.detach_on_exit;
  std::lock_guard<std::mutex> lock(mu_);
  d.interfaces = interfaces_;
  return d;
}

uint16_t Daemon::api_port() const {
  std::lock_guard<std::mutex> lock(mu_);
  return port_;
}

} // namespace psd
