#include "api/routes.h"

#include <time.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "api/query.h"
#include "summary/summary_json.h"

namespace psr::api {

namespace {

using Json = nlohmann::ordered_json;

std::string dump(const Json &j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

uint64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t unix_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000u +
         static_cast<uint64_t>(ts.tv_nsec) / 1'000'000u;
}

Response no_summary_yet() {
  Response r = error_response(
      503, "no summary yet: the first one comes one window after psd started");
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

Response metrics(const ApiBackend &b, const Request &req) {
  QueryReader q(req, {});
  if (!q.ok())
    return q.bad_request();
  auto latest = b.latest();
  Response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = render_metrics(latest.get(), b.metrics(), b.metrics_options);
  return r;
}

Json analyzer_json(const AnalyzerStatus &a) {
  Json j{{"name", a.name}, {"embedded", a.embedded}};
  if (a.name != "openai" && a.name != "ollama")
    return j;
  j["model"] = a.model;
  j["url"] = a.url;
  j["state"] = a.state;
  j["reason"] = a.reason;
  j["message"] = a.message;
  j["since_unix_ms"] = a.since_unix_ms;
  Json list = Json::array();
  for (const AnalyzerStatus::Interface &i : a.interfaces)
    list.push_back({{"name", i.name},
                    {"state", i.state},
                    {"reason", i.reason},
                    {"message", i.message},
                    {"since_unix_ms", i.since_unix_ms},
                    {"asking", i.asking},
                    {"last_outcome", i.last_outcome},
                    {"last_unix_ms", i.last_unix_ms}});
  j["interfaces"] = std::move(list);
  return j;
}

Response status(const ApiBackend &b, const Request &req) {
  QueryReader q(req, {});
  if (!q.ok())
    return q.bad_request();
  DaemonStatus d = b.status();
  auto latest = b.latest();
  Json interfaces = Json::array();
  for (const InterfaceStatus &i : d.interfaces) {
    Json j{{"name", i.name},
           {"protected", i.protected_},
           {"governed", i.governed},
           {"policy_file", i.policy_file},
           {"policy_from", i.policy_from},
           {"last_error", i.last_error},
           {"last_change_unix_ms", i.last_change_unix_ms}};
    const summary::PolicyView *view = nullptr;
    if (latest)
      for (const summary::PolicyView &p : latest->policies)
        if (p.iface == i.name)
          view = &p;
    j["policy"] = view ? view->policy : "";
    j["attached"] = view ? view->attached : false;
    j["program_id"] = view ? view->program_id : 0;
    j["mode"] = view ? view->mode : "";
    j["rules"] = view ? view->rules.size() : 0;
    interfaces.push_back(std::move(j));
  }
  Json hooks = Json::array();
  if (latest)
    for (const trace::HookStatus &h : latest->snapshot.hooks)
      hooks.push_back({{"name", h.name},
                       {"attach", h.attach},
                       {"missing", h.missing},
                       {"fallback", h.fallback}});
  auto newest = b.ring->latest();
  uint64_t now = unix_ms();
  Json j{
      {"version", d.version},
      {"started_unix_ms", d.started_unix_ms},
      {"uptime_s", now > d.started_unix_ms
                       ? static_cast<double>(now - d.started_unix_ms) / 1000
                       : 0.0},
      {"listen", d.listen},
      {"token_configured", d.token_configured},
      {"detach_on_exit", d.detach_on_exit},
      {"analyzer", analyzer_json(d.analyzer)},
      {"audit_log", d.audit_log},
      {"interfaces", std::move(interfaces)},
      {"hooks", std::move(hooks)},
      {"summaries",
       {{"window_s", d.window_seconds},
        {"kept", b.ring->size()},
        {"capacity", b.ring->capacity()},
        {"latest_seq", newest ? Json(newest->seq()) : Json()}}},
      {"trace", {{"paths_kept", b.paths->size()}}},
      {"events",
       {{"clients", b.events->clients()},
        {"max_clients", b.events->limits().clients},
        {"published", b.events->published()},
        {"lost", b.events->lost()}}},
  };
  return json_response(dump(j));
}

Response latest_summary(const ApiBackend &b, const Request &req) {
  QueryReader q(req, {});
  if (!q.ok())
    return q.bad_request();
  auto newest = b.ring->latest();
  if (!newest)
    return no_summary_yet();
  return json_response(*newest->json);
}

Response summaries(const ApiBackend &b, const Request &req) {
  QueryReader q(req, {"since", "limit"});
  auto since = q.u64("since");
  auto limit = q.u64("limit", b.max_summaries);
  if (!q.ok())
    return q.bad_request();
  bool more = false;
  std::vector<summary::RingEntry> got = b.ring->since_unix_ms(
      since.value_or(0), limit.value_or(b.max_summaries), &more);
  // The stored texts, joined: no summary is serialized again.
  std::string body = "{\"summaries\":[";
  for (size_t i = 0; i < got.size(); ++i) {
    if (i)
      body += ',';
    body += *got[i].json;
  }
  body += "],\"more\":";
  body += more ? "true" : "false";
  body += '}';
  return json_response(std::move(body));
}

Response rules(const ApiBackend &b, const Request &req) {
  QueryReader q(req, {"iface", "origin", "limit", "offset"});
  auto iface = q.text("iface", 15);
  auto origin = q.text("origin", 16);
  auto limit = q.u64("limit", 100'000);
  auto offset = q.u64("offset");
  if (q.ok() && origin && *origin != "operator" && *origin != "detector" &&
      *origin != "llm")
    return error_response(400, "origin=" + *origin +
                                   ": expected operator, detector or llm");
  if (!q.ok())
    return q.bad_request();
  auto latest = b.latest();
  if (!latest)
    return no_summary_yet();
  auto previous = b.previous();
  double window_s = 0;
  if (previous && latest->snapshot.taken_ns > previous->snapshot.taken_ns)
    window_s = static_cast<double>(latest->snapshot.taken_ns -
                                   previous->snapshot.taken_ns) /
               1e9;
  uint64_t now = monotonic_ns();
  Json interfaces = Json::array();
  bool found = !iface.has_value();
  for (const summary::PolicyView &p : latest->policies) {
    if (iface && p.iface != *iface)
      continue;
    found = true;
    const summary::PolicyView *before = nullptr;
    if (previous)
      for (const summary::PolicyView &x : previous->policies)
        if (x.iface == p.iface)
          before = &x;
    std::vector<summary::RuleSummary> all =
        summary::rule_windows(before, p, now, window_s, nullptr);
    std::map<std::string, std::string> proposals;
    if (b.rule_proposals)
      proposals = b.rule_proposals(p.iface);
    summary::RuleSummary dflt = std::move(all.back());
    all.pop_back();
    Json list = Json::array();
    size_t matching = 0;
    size_t skip = offset.value_or(0);
    size_t cap = limit.value_or(1000);
    for (const summary::RuleSummary &r : all) {
      if (origin && r.origin != *origin)
        continue;
      if (matching++ < skip || list.size() >= cap)
        continue;
      Json rule = summary::to_json(r);
      // Links a generated rule to its decision (/api/v1/decisions?
      // proposal_id=); null for the operator's.
      auto id = proposals.find(r.name);
      rule["proposal_id"] = id == proposals.end() ? Json() : Json(id->second);
      list.push_back(std::move(rule));
    }
    interfaces.push_back({{"name", p.iface},
                          {"policy", p.policy},
                          {"attached", p.attached},
                          {"window_s", window_s},
                          {"rules_total", p.rules.size()},
                          {"rules_matching", matching},
                          {"offset", skip},
                          {"rules", std::move(list)},
                          {"default", summary::to_json(dflt)}});
  }
  if (!found)
    return error_response(404, "psd manages no interface '" + *iface + "'");
  return json_response(dump(Json{{"interfaces", std::move(interfaces)}}));
}

// The operator policy of each interface as its file says, for the web
// view's Policies page.
Response policy_texts(const ApiBackend &b, const Request &req) {
  QueryReader q(req, {"iface"});
  auto iface = q.text("iface", 15);
  if (!q.ok())
    return q.bad_request();
  DaemonStatus d = b.status();
  Json interfaces = Json::array();
  for (const InterfaceStatus &i : d.interfaces) {
    if (iface && i.name != *iface)
      continue;
    interfaces.push_back({{"name", i.name},
                          {"policy_file", i.policy_file},
                          {"policy_from", i.policy_from},
                          {"protected", i.protected_},
                          {"text", i.policy_text}});
  }
  if (iface && interfaces.empty())
    return error_response(404, "psd manages no interface '" + *iface + "'");
  return json_response(dump(Json{{"interfaces", std::move(interfaces)}}));
}

Response trace_paths(const ApiBackend &b, const Request &req) {
  QueryReader q(
      req, {"addr", "src", "dst", "port", "sport", "dport", "proto", "limit"});
  summary::PathFilter f;
  f.addr = q.address("addr");
  f.src = q.address("src");
  f.dst = q.address("dst");
  f.port = q.port("port");
  f.sport = q.port("sport");
  f.dport = q.port("dport");
  f.proto = q.proto("proto");
  auto limit = q.u64("limit", b.max_paths);
  if (!q.ok())
    return q.bad_request();
  f.limit = limit.value_or(std::min<size_t>(100, b.max_paths));
  Json paths = Json::array();
  for (const trace::PacketPath &p : b.paths->find(f))
    paths.push_back(summary::to_json(p));
  return json_response(dump(Json{{"paths", std::move(paths)}}));
}

Response events(const ApiBackend &b, const Request &req) {
  QueryReader q(req, {});
  if (!q.ok())
    return q.bad_request();
  std::optional<uint64_t> last;
  if (auto h = req.header("last-event-id")) {
    last = parse_u64(*h);
    if (!last)
      return error_response(400, "Last-Event-ID: expected the id of an "
                                 "event, a whole number");
  }
  std::shared_ptr<Subscription> sub = b.events->subscribe(last);
  if (!sub) {
    Response r =
        error_response(503, "too many event stream clients (" +
                                std::to_string(b.events->limits().clients) +
                                " at most); try again later");
    r.headers.emplace_back("Retry-After", "5");
    return r;
  }
  Response r;
  r.content_type = "text/event-stream";
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.stream = std::move(sub);
  return r;
}

} // namespace

void add_read_routes(Router &router, const ApiBackend &b) {
  auto route = [&](const char *path,
                   Response (*fn)(const ApiBackend &, const Request &)) {
    // The backend is copied into the handler: it holds pointers and
    // callbacks that outlive the router.
    router.add("GET", path, Access::Open,
               [b, fn](const Request &req) { return fn(b, req); });
  };
  route("/metrics", metrics);
  route("/api/v1/status", status);
  route("/api/v1/summary", latest_summary);
  route("/api/v1/summaries", summaries);
  route("/api/v1/rules", rules);
  route("/api/v1/policy", policy_texts);
  route("/api/v1/trace", trace_paths);
  route("/api/v1/events", events);
}

} // namespace psr::api
