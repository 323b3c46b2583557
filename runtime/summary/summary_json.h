// The JSON form of a Summary (docs/summary.schema.json): what the API
// serves, the event stream carries and the analyzers read. Rates are
// rounded to three decimals; member order is the struct's.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "summary/summary.h"

namespace psr::summary {

// nlohmann::ordered_json keeps the members in the order they are written,
// which puts what matters most (the window, the totals) first.
using Json = nlohmann::ordered_json;

Json to_json(const Summary &s);
// Compact text (no spaces), as the API sends it.
std::string to_json_text(const Summary &s);

// Pieces the API reuses for /api/v1/rules.
Json to_json(const Count &c);
Json to_json(const RuleSummary &r);

} // namespace psr::summary
