#include "daemon.h"

#include <time.h>

#include <algorithm>
#include <thread>

#include "api/govern_routes.h"
#include "api/listen_address.h"
#include "api/router.h"
#include "api/server.h"
#include "api/web_assets.h"
#include "policy_watch.h"
#include "shared_readings.h"
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

// A schedule of one thing the loop does every `period`.
struct Every {
  std::chrono::milliseconds period;
  Clock::time_point next;
  bool due(Clock::time_point now) const { return now >= next; }
  void done(Clock::time_point now) {
    next += period;
    // Behind by more than a period (the machine stalled, a compile took
    // long): start again from now rather than catch up with periods of
    // no length.
    if (next <= now)
      next = now + period;
  }
};

} // namespace

Daemon::Daemon(PsdOptions options, PolicyControl &control,
               psr::govern::AuditLog &audit, AnalyzerFactory analyzer,
               std::shared_ptr<spdlog::logger> log)
    : options_(std::move(options)), control_(control), audit_(audit),
      analyzer_(std::move(analyzer)), log_(std::move(log)),
      started_unix_ms_(unix_ms()), changes_(options_, control_, stats_, log_) {
  audit_.set_listener([this](const nlohmann::json &record, bool written) {
    on_record(record, written);
  });
}

Daemon::~Daemon() { audit_.set_listener(nullptr); }

void Daemon::on_record(const nlohmann::json &record, bool written) {
  stats_.on_record(record, written);
  if (!written)
    log_->error("the audit log '{}' did not take a '{}' record",
                audit_.options().path, record.value("event", std::string()));
  std::shared_ptr<psr::api::EventHub> hub;
  {
    std::lock_guard<std::mutex> lock(mu_);
    hub = hub_;
  }
  if (hub)
    hub->publish("decision", std::make_shared<const std::string>(record.dump(
                                 -1, ' ', false,
                                 nlohmann::json::error_handler_t::replace)));
}

be::Status Daemon::start_policies() {
  be::Status st = changes_.apply_directory(PolicyChanges::Trigger::Start);
  refresh_generated();
  return st;
}

void Daemon::reload_policies() {
  (void)changes_.apply_directory(PolicyChanges::Trigger::Signal);
  refresh_generated();
}

void Daemon::refresh_generated() {
  std::map<std::string, std::vector<psr::govern::GeneratedRule>> g;
  for (const std::string &iface : options_.interfaces)
    g[iface] = control_.generated(iface);
  std::lock_guard<std::mutex> lock(mu_);
  generated_ = std::move(g);
}

std::map<std::string, std::string>
Daemon::rule_proposals(const std::string &iface) const {
  std::map<std::string, std::string> out;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = generated_.find(iface);
  if (it != generated_.end())
    for (const psr::govern::GeneratedRule &g : it->second)
      out[g.name] = g.proposal_id;
  return out;
}

void Daemon::fill_governance(psr::api::GovernanceMetrics &m) const {
  m.enabled = true;
  m.analyzer = options_.analyzer;
  stats_.fill(m);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto &[iface, rules] : generated_) {
    std::map<std::pair<std::string, std::string>, uint64_t> n;
    for (const psr::govern::GeneratedRule &g : rules)
      ++n[{psr::analyze::origin_name(g.origin),
           g.mode == psr::govern::RuleMode::Shadow ? "shadow" : "enforced"}];
    for (const auto &[k, count] : n)
      m.generated.push_back({iface, k.first, k.second, count});
  }
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
  // The collector reads through the detection's readings (one reading
  // serves both when their times meet).
  SharedReadings readings(trace, policy_status, std::chrono::milliseconds(50));
  summary::Collector collector(readings, readings, ring, paths, so);
  auto hub = api::EventHub::create(
      {options_.event_queue, options_.max_event_clients, 64});

  DetectionOptions dopt;
  dopt.window = options_.detect_window;
  dopt.summary = so;
  dopt.proposals_file = options_.proposals_file;
  Detection detection(dopt, options_.interfaces, control_, analyzer_, stats_,
                      log_);

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
  backend.rule_proposals = [this](const std::string &iface) {
    return rule_proposals(iface);
  };
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
    m.policy_failures = changes_.failures();
    if (auto cache = control_.object_cache_stats()) {
      m.object_cache = true;
      m.object_cache_hits = cache->hits;
      m.object_cache_misses = cache->misses;
      m.object_cache_rejected = cache->rejected;
      m.object_cache_store_failures = cache->store_failures;
    }
    m.process = api::read_process_stats();
    fill_governance(m.governance);
    if (llm_)
      llm_->fill(m.llm);
    return m;
  };
  api::add_read_routes(router, backend);
  api::add_web_routes(router);

  api::GovernBackend governed;
  governed.max_policy_bytes = options_.max_policy_bytes;
  governed.decisions =
      [this](const api::DecisionQuery &q) -> be::Expected<api::DecisionPage> {
    psr::govern::AuditFilter f;
    if (q.since_unix_ms)
      f.since_unix_ms = static_cast<int64_t>(*q.since_unix_ms);
    if (q.until_unix_ms)
      f.until_unix_ms = static_cast<int64_t>(*q.until_unix_ms);
    f.verdict = q.verdict;
    f.origin = q.origin;
    f.event = q.event;
    f.proposal_id = q.proposal_id;
    f.ifname = q.iface;
    f.limit = q.limit;
    api::DecisionPage page;
    auto records = audit_.read(f, &page.skipped);
    if (!records.ok())
      return records.error();
    page.records = std::move(records.value());
    return page;
  };
  governed.install_policy = [this](const std::optional<std::string> &iface,
                                   const std::string &text) {
    api::ChangeOutcome o = changes_.install(iface, text);
    refresh_generated();
    return o;
  };
  governed.withdraw_rule = [this](const std::optional<std::string> &iface,
                                  const std::string &rule) {
    api::ChangeOutcome o = changes_.withdraw(iface, rule);
    refresh_generated();
    return o;
  };
  api::add_govern_routes(router, governed);

  server = std::make_unique<api::ApiServer>(std::move(router), server_options);
  be::Status started = server->start();
  if (!started.ok())
    return started;
  {
    std::lock_guard<std::mutex> lock(mu_);
    port_ = server->port();
    hub_ = hub;
  }
  log_->info("serving the API on {}{}{}", listen->text(),
             listen->loopback ? "" : " (every request needs the token)",
             token ? "" : "; no token: the API cannot change policies");
  if (options_.uses_llm())
    log_->info("analyzer: {} (model '{}' at {}), asked every {} ms about the "
               "last {} ms, {}; a tick every {} ms on the last {} ms{}",
               options_.analyzer, options_.llm.model, options_.llm.url,
               options_.llm_interval.count(), options_.llm_window.count(),
               options_.embedded_with_llm
                   ? "with the embedded detector beside it"
                   : "the embedded detector only while it fails",
               options_.detect_tick.count(), options_.detect_window.count(),
               options_.proposals_file.empty()
                   ? ""
                   : "; proposals also from " + options_.proposals_file);
  else
    log_->info("analyzer: {}, a tick every {} ms on the last {} ms{}",
               options_.analyzer, options_.detect_tick.count(),
               options_.detect_window.count(),
               options_.proposals_file.empty()
                   ? ""
                   : "; proposals also from " + options_.proposals_file);
  for (const std::string &key : options_.llm_unused)
    log_->warn("{} is set but not used: the analyzer is {}, not openai or "
               "ollama",
               key, options_.analyzer);

  std::optional<PolicyDirWatch> watch;
  if (options_.watch_policy_dir) {
    watch.emplace(options_.policy_dir, options_.reload_debounce);
    if (!watch->watching())
      log_->info("the policy directory is not watched now: {} (looked for "
                 "again every second)",
                 watch->problem());
  }

  auto summarize = [&] {
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
    refresh_generated();
  };
  auto detect = [&] {
    std::shared_ptr<const summary::Observation> reading;
    if (detection.analyzes())
      reading = readings.fresh();
    detection.tick(std::move(reading));
  };

  const auto start = Clock::now();
  Every windows{options_.window, start + options_.window};
  Every seconds{std::chrono::milliseconds(1000),
                start + std::chrono::milliseconds(1000)};
  Every ticks{options_.detect_tick, start};
  summarize(); // the first reading starts the first window
  for (;;) {
    auto now = Clock::now();
    auto until = std::min({windows.next, seconds.next, ticks.next});
    auto timeout =
        until > now
            ? std::chrono::duration_cast<std::chrono::milliseconds>(until - now)
            : std::chrono::milliseconds(0);
    // Wake at least every 100 ms for the path events and the watch.
    Wake w = wait(std::min(timeout, std::chrono::milliseconds(100)));
    if (w == Wake::Stop)
      break;
    if (w == Wake::Reload)
      reload_policies();
    now = Clock::now();
    if (watch && watch->settled(now)) {
      (void)changes_.apply_directory(PolicyChanges::Trigger::Watch);
      refresh_generated();
    }
    if (seconds.due(now)) {
      maintain();
      seconds.done(now);
    }
    // Detection first: a summary due now takes its reading.
    if (ticks.due(now)) {
      detect();
      ticks.done(Clock::now());
    }
    if (windows.due(now)) {
      summarize();
      windows.done(Clock::now());
    }
  }
  log_->info("stopping: ending {} event stream(s) and the API", hub->clients());
  {
    std::lock_guard<std::mutex> lock(mu_);
    hub_.reset();
  }
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
  if (llm_)
    llm_->fill(d.analyzer);
  d.analyzer.name = options_.analyzer;
  d.analyzer.embedded = options_.analyzer == "embedded" ||
                        (options_.uses_llm() && options_.embedded_with_llm);
  d.audit_log = audit_.options().path;
  d.interfaces = changes_.status();
  return d;
}

uint16_t Daemon::api_port() const {
  std::lock_guard<std::mutex> lock(mu_);
  return port_;
}

} // namespace psd
