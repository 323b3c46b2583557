#include "api/govern_routes.h"

#include "api/query.h"

namespace psr::api {

namespace {

using nlohmann::json;

std::string dump(const json &j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Response respond(ChangeOutcome o) {
  Response r;
  r.status = o.status;
  r.body = dump(o.body);
  r.headers = std::move(o.headers);
  return r;
}

Response decisions(const GovernBackend &b, const Request &req) {
  QueryReader q(req, {"since", "until", "verdict", "origin", "event",
                      "proposal_id", "iface", "limit"});
  DecisionQuery d;
  d.since_unix_ms = q.u64("since");
  d.until_unix_ms = q.u64("until");
  d.verdict = q.one_of("verdict", {"accepted", "refused"});
  d.origin = q.one_of("origin", {"detector", "llm", "operator"});
  d.proposal_id = q.name("proposal_id");
  d.iface = q.text("iface", 15);
  auto limit = q.u64("limit", b.max_decisions);
  std::optional<std::string> event;
  {
    auto it = req.query.find("event");
    if (it != req.query.end()) {
      std::string known;
      bool ok = false;
      for (const char *e : decision_events()) {
        ok = ok || it->second == e;
        known += (known.empty() ? "" : ", ") + std::string(e);
      }
      if (ok)
        event = q.text("event", 64);
      else if (q.ok())
        return error_response(400, "event=" + it->second.substr(0, 40) +
                                       ": expected one of " + known);
    }
  }
  if (!q.ok())
    return q.bad_request();
  d.event = event;
  if (d.since_unix_ms && d.until_unix_ms && *d.since_unix_ms > *d.until_unix_ms)
    return error_response(
        400, "since=" + std::to_string(*d.since_unix_ms) +
                 " is after until=" + std::to_string(*d.until_unix_ms));
  d.limit = limit.value_or(std::min<size_t>(1000, b.max_decisions));
  auto page = b.decisions(d);
  if (!page.ok())
    return error_response(500, "the audit log cannot be read: " +
                                   page.error().message);
  json list = json::array();
  for (json &r : page->records)
    list.push_back(std::move(r));
  const size_t n = list.size();
  return json_response(dump(json{{"decisions", std::move(list)},
                                 {"count", n},
                                 {"limit", d.limit},
                                 {"skipped_lines", page->skipped}}));
}

Response install_policy(const GovernBackend &b, const Request &req) {
  QueryReader q(req, {"iface"});
  auto iface = q.text("iface", 15);
  if (!q.ok())
    return q.bad_request();
  if (req.body.empty())
    return error_response(400, "the request has no body: send the policy's "
                               "PSL text (curl --data-binary @policy.psl)");
  if (req.body.size() > b.max_policy_bytes)
    return error_response(
        413, "the policy is " + std::to_string(req.body.size()) +
                 " bytes; at most " + std::to_string(b.max_policy_bytes) +
                 " are taken (api.max_policy_bytes)");
  return respond(b.install_policy(iface, req.body));
}

Response withdraw_rule(const GovernBackend &b, const Request &req) {
  QueryReader q(req, {"iface"});
  auto iface = q.text("iface", 15);
  if (!q.ok())
    return q.bad_request();
  auto it = req.params.find("name");
  const std::string name = it == req.params.end() ? "" : it->second;
  if (!is_name(name))
    return error_response(400, "'" + name.substr(0, 40) +
                                   "' is not a rule name (letters, digits "
                                   "and '_', starting with a letter or '_')");
  return respond(b.withdraw_rule(iface, name));
}

} // namespace

const std::vector<const char *> &decision_events() {
  static const std::vector<const char *> events = {
      "proposal",        "verdict",
      "applied",         "apply_failed",
      "enforced",        "shadow_dropped",
      "expired",         "withdrawn",
      "dropped",         "recomposed",
      "operator_loaded", "operator_refused",
      "adopted",         "address_discovery_failed",
      "llm_answer",      "analyzer"};
  return events;
}

void add_govern_routes(Router &router, const GovernBackend &b) {
  router.add("GET", "/api/v1/decisions", Access::Open,
             [b](const Request &req) { return decisions(b, req); });
  router.add("POST", "/api/v1/policy", Access::Token,
             [b](const Request &req) { return install_policy(b, req); });
  router.add("DELETE", "/api/v1/rules/:name", Access::Token,
             [b](const Request &req) { return withdraw_rule(b, req); });
}

} // namespace psr::api
