// The prompt templates (runtime/analyze/prompts/*.v1.md) and the example
// policies the prompt shows (policies/), embedded at build time.
#pragma once

#include <string_view>

namespace psr::analyze::llm::prompts {

std::string_view system_v1();
std::string_view context_v1();
std::string_view repair_v1();

std::string_view example_syn_flood();
std::string_view example_udp_reflection();
std::string_view example_port_scan();

} // namespace psr::analyze::llm::prompts
