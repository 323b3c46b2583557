#include "analyze/detector/proposal_text.h"

#include "ast/value.h"
#include "summary/labels.h"

namespace psr::analyze {

std::string psl_duration(std::chrono::milliseconds d) {
  return psl::duration_text(static_cast<uint64_t>(d.count()) * 1000000ull);
}

std::string psl_rate(uint64_t per_s) { return std::to_string(per_s) + "/s"; }

std::optional<std::string> canonical_address(const std::string &text) {
  uint8_t family = 0;
  auto a = summary::parse_address(text, &family);
  if (!a)
    return std::nullopt;
  return summary::format_address(*a, family);
}

std::string ip_set(const std::vector<std::string> &addresses) {
  std::string out = "{ ";
  for (size_t i = 0; i < addresses.size(); ++i)
    out += (i ? ", " : "") + addresses[i];
  return out + " }";
}

std::string generated_policy(const std::string &name,
                             const std::vector<GeneratedRule> &rules,
                             std::chrono::milliseconds ttl) {
  std::string out = "policy " + name + " {\n";
  for (const GeneratedRule &r : rules)
    out += "  rule " + r.name + ": " + r.condition + " => drop ttl " +
           psl_duration(ttl) + "\n";
  return out + "}\n";
}

} // namespace psr::analyze
