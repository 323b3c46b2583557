#include "codegen/verifier_rules.h"

#include <cstdlib>
#include <regex>
#include <sstream>

namespace psl::backend {

VerifierStop find_verifier_stop(const std::string &log, const std::string &c_source,
                                 const std::string &c_file) {
  VerifierStop stop;
  // "@ policy.c:123" — the file name must be followed by ':' and a number;
  // a longer name that merely ends in c_file does not count.
  const std::string tag = "@ " + c_file + ":";
  for (size_t pos = log.find(tag); pos != std::string::npos; pos = log.find(tag, pos + 1)) {
    char *end = nullptr;
    unsigned long n = std::strtoul(log.c_str() + pos + tag.size(), &end, 10);
    if (end != log.c_str() + pos + tag.size() && n > 0)
      stop.line = static_cast<uint32_t>(n);
  }
  if (stop.line == 0)
    return stop;

  std::vector<std::string> lines;
  {
    std::istringstream in(c_source);
    for (std::string l; std::getline(in, l);)
      lines.push_back(std::move(l));
  }
  if (stop.line > lines.size())
    return stop;
  // The generator's section heads: rules and rate helpers name their rule;
  // groups and the entry's fixed parts end the search without a rule.
  static const std::regex rule_head(R"(^\s*/\* (?:rule [0-9]+|rate [0-9]+ of rule) '([^']+)')");
  static const std::regex other_head(R"(^\s*/\* (?:group [0-9]+|Missing, truncated)\b)");
  for (size_t i = stop.line; i-- > 0;) {
    std::smatch m;
    if (std::regex_search(lines[i], m, rule_head)) {
      stop.rules.push_back(m[1].str());
      break;
    }
    if (std::regex_search(lines[i], other_head))
      break;
  }
  return stop;
}

} // namespace psl::backend
