// The PSL text of the detector's proposals: literals (durations, rates,
// address sets) and a generated policy of drop rules with a ttl. Only
// values the detector made itself go into the text: addresses are parsed
// and written again, so nothing from the summary is pasted as it came.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace psr::analyze {

// "10m", "90s", "1500ms": the largest unit that divides it (h, m, s, ms).
std::string psl_duration(std::chrono::milliseconds d);
// "100/s".
std::string psl_rate(uint64_t per_s);
// The canonical text of an IPv4 or IPv6 address ("2001:db8::1"), or none
// when `text` is not one.
std::optional<std::string> canonical_address(const std::string &text);
// "{ 198.51.100.7, 2001:db8::1 }" of canonical addresses.
std::string ip_set(const std::vector<std::string> &addresses);

struct GeneratedRule {
  std::string name;
  std::string
      condition; // PSL, e.g. "udp.sport == 123 and rate(ip.dst) > 500/s"
};

// policy NAME {
//   rule R: CONDITION => drop ttl D
//   ...
// }
std::string generated_policy(const std::string &name,
                             const std::vector<GeneratedRule> &rules,
                             std::chrono::milliseconds ttl);

} // namespace psr::analyze
