// What `psc suggest` prints: the proposals with their PSL (or set
// values), analysis, evidence, the checker's rounds and the governor's
// verdict, then the outcome. Text for people, JSON for scripts (the
// members are documented in docs/llm.md, "psc suggest").
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "suggest/suggest.h"

namespace psr::suggest {

std::string report_text(const SuggestResult &r, const SuggestOptions &o);
nlohmann::json report_json(const SuggestResult &r, const SuggestOptions &o);

} // namespace psr::suggest
