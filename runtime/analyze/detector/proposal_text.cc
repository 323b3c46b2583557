#include "analyze/detector/proposal_text.h"

#include "summary/labels.h"

namespace psr::analyze {

std::string psl_duration(std::chrono::milliseconds d) {
  const int64_t ms = d.count();
  struct Unit {
    int64_t ms;
    const char *suffix;
  };
  for (Unit u : {Unit{3'600'000, "h"}, Unit{60'000, "m"}, Unit{1000, "s"}})
    if (ms > 0 && ms % u.ms == 0)
      return std::to_string(ms / u.ms) + u.suffix;
  return std::to_string(ms) + "ms";
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
