#include "codegen/verifier_rules.h"

#include <algorithm>
#include <cstdlib>
#include <regex>

namespace psl::codegen {

using namespace backend;

std::string rule_at_line(const std::string &c_source, uint32_t line) {
  // Where each of the first `line` lines starts.
  std::vector<size_t> starts{0};
  for (size_t p = c_source.find('\n');
       p != std::string::npos && starts.size() < line;
       p = c_source.find('\n', p + 1))
    starts.push_back(p + 1);
  if (line == 0 || starts.size() < line || starts.back() >= c_source.size())
    return {};
  // The generator's section heads: rules and rate helpers name their rule;
  // groups and the entry's fixed parts end the search without a rule.
  static const std::regex rule_head(
      R"(^\s*/\* (?:rule [0-9]+|rate [0-9]+ of rule) '([^']+)')");
  static const std::regex other_head(
      R"(^\s*/\* (?:group [0-9]+|Missing, truncated)\b)");
  for (size_t i = line; i-- > 0;) {
    const size_t end = c_source.find('\n', starts[i]);
    const std::string text =
        c_source.substr(starts[i], end == std::string::npos ? std::string::npos
                                                            : end - starts[i]);
    std::smatch m;
    if (std::regex_search(text, m, rule_head))
      return m[1].str();
    if (std::regex_search(text, other_head))
      return {};
  }
  return {};
}

VerifierStop find_verifier_stop(const std::string &log,
                                const std::string &c_source,
                                const std::string &c_file) {
  VerifierStop stop;
  // "@ policy.c:123" — the file name must be followed by ':' and a number;
  // a longer name that merely ends in c_file does not count.
  const std::string tag = "@ " + c_file + ":";
  for (size_t pos = log.find(tag); pos != std::string::npos;
       pos = log.find(tag, pos + 1)) {
    char *end = nullptr;
    unsigned long n = std::strtoul(log.c_str() + pos + tag.size(), &end, 10);
    if (end != log.c_str() + pos + tag.size() && n > 0)
      stop.line = static_cast<uint32_t>(n);
  }
  if (stop.line == 0)
    return stop;
  std::string rule = rule_at_line(c_source, stop.line);
  if (!rule.empty())
    stop.rules.push_back(std::move(rule));
  return stop;
}

std::vector<ErrorNote>
verifier_stop_notes(const std::string &log, const std::string &c_source,
                    const std::string &c_file,
                    const std::vector<lower::RuleInfo> &rules,
                    const std::string &policy_file) {
  std::vector<ErrorNote> notes;
  for (const std::string &name :
       find_verifier_stop(log, c_source, c_file).rules) {
    ErrorNote note;
    note.rule = name;
    note.file = policy_file;
    note.message = "the verifier stopped in the code of rule '" + name + "'";
    auto it =
        std::find_if(rules.begin(), rules.end(),
                     [&](const lower::RuleInfo &r) { return r.name == name; });
    if (it != rules.end() && it->range.valid()) {
      note.line = it->range.begin.line;
      note.column = it->range.begin.column;
    }
    notes.push_back(std::move(note));
  }
  return notes;
}

} // namespace psl::codegen
