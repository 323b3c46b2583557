// The routes of psd's decisions and of the changes an operator makes
// through the API:
//
//   GET    /api/v1/decisions     the audit log, filtered (open: read-only)
//   POST   /api/v1/policy        a new operator policy, PSL in the body
//   DELETE /api/v1/rules/NAME    withdraws a generated rule
//
// The two changes are Access::Token routes (401 without the bearer token,
// 403 when psd has none). This file checks the request (parameters,
// body size, names) and turns what the backend says into the response;
// the backend (psd) decides.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/router.h"
#include "backend/status.h"

namespace psr::api {

// GET /api/v1/decisions?since=&until=&verdict=&origin=&event=&proposal_id=
// &iface=&limit=
struct DecisionQuery {
  std::optional<uint64_t> since_unix_ms, until_unix_ms;
  std::optional<std::string> verdict; // accepted, refused
  std::optional<std::string> origin;  // detector, llm, operator
  std::optional<std::string> event;
  std::optional<std::string> proposal_id;
  std::optional<std::string> iface;
  size_t limit = 1000;
};

struct DecisionPage {
  std::vector<nlohmann::json> records; // oldest first, as the log has them
  size_t skipped = 0;                  // lines that were not records
};

// What a change came to: the status and the JSON body to answer with.
struct ChangeOutcome {
  int status = 200;
  nlohmann::json body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct GovernBackend {
  std::function<psl::backend::Expected<DecisionPage>(const DecisionQuery &)>
      decisions;
  // `iface`: the query's `iface`, if given. `text`: the body.
  std::function<ChangeOutcome(const std::optional<std::string> &iface,
                              const std::string &text)>
      install_policy;
  std::function<ChangeOutcome(const std::optional<std::string> &iface,
                              const std::string &rule)>
      withdraw_rule;
  size_t max_decisions = 10000;        // `limit` at most
  size_t max_policy_bytes = 256 << 10; // a larger body: 413
};

// Every audit event /api/v1/decisions?event= takes (docs/governor.md).
const std::vector<const char *> &decision_events();

void add_govern_routes(Router &router, const GovernBackend &backend);

} // namespace psr::api
