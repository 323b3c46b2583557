#include "govern/generated_rule.h"

#include <cerrno>
#include <cstdio>

#include "policy/files.h"

namespace psr::govern {

using nlohmann::json;

const char *mode_name(RuleMode m) {
  return m == RuleMode::Shadow ? "shadow" : "enforce";
}

std::string GeneratedRule::text() const {
  return "rule " + name + ": " + condition + " => " + action + " ttl " +
         ttl_text;
}

std::string GeneratedRule::declaration(const std::string &exemption) const {
  std::string cond = condition;
  if (exempt && !exemption.empty())
    cond = exemption + " and (" + condition + ")";
  std::string d =
      "rule " + name + ": " + cond + " => " + action + " ttl " + ttl_text;
  if (mode == RuleMode::Shadow)
    d += " shadow";
  return d;
}

json rule_json(const GeneratedRule &r) {
  json consts = json::array();
  for (const GeneratedConst &c : r.consts)
    consts.push_back({{"name", c.name}, {"text", c.text}});
  return {{"name", r.name},
          {"origin", analyze::origin_name(r.origin)},
          {"proposal_id", r.proposal_id},
          {"action", r.action},
          {"condition", r.condition},
          {"ttl_ns", r.ttl_ns},
          {"ttl", r.ttl_text},
          {"exempt", r.exempt},
          {"consts", consts},
          {"mode", mode_name(r.mode)},
          {"accepted_unix_ms", r.accepted_unix_ms},
          {"shadow_since_boottime_ns", r.shadow_since_ns},
          {"shadow_period_ns", r.shadow_period_ns},
          {"cited_pps", r.cited_pps < 0 ? json(nullptr) : json(r.cited_pps)},
          {"cited_basis", r.cited_basis}};
}

be::Expected<GeneratedRule> rule_from_json(const json &j) {
  GeneratedRule r;
  try {
    r.name = j.at("name").get<std::string>();
    const std::string origin = j.at("origin").get<std::string>();
    if (origin == "detector")
      r.origin = analyze::Origin::Detector;
    else if (origin == "llm")
      r.origin = analyze::Origin::Llm;
    else
      return be::Error("rule '" + r.name + "' has an unknown origin '" +
                       origin + "'");
    r.proposal_id = j.at("proposal_id").get<std::string>();
    r.action = j.at("action").get<std::string>();
    r.condition = j.at("condition").get<std::string>();
    r.ttl_ns = j.at("ttl_ns").get<uint64_t>();
    r.ttl_text = j.at("ttl").get<std::string>();
    r.exempt = j.value("exempt", false);
    for (const json &c : j.at("consts"))
      r.consts.push_back(
          {c.at("name").get<std::string>(), c.at("text").get<std::string>()});
    const std::string mode = j.at("mode").get<std::string>();
    if (mode != "enforce" && mode != "shadow")
      return be::Error("rule '" + r.name + "' has an unknown mode '" + mode +
                       "'");
    r.mode = mode == "shadow" ? RuleMode::Shadow : RuleMode::Enforce;
    r.accepted_unix_ms = j.at("accepted_unix_ms").get<int64_t>();
    r.shadow_since_ns = j.value("shadow_since_boottime_ns", uint64_t{0});
    r.shadow_period_ns = j.value("shadow_period_ns", uint64_t{0});
    if (auto c = j.find("cited_pps"); c != j.end() && c->is_number())
      r.cited_pps = c->get<double>();
    r.cited_basis = j.value("cited_basis", std::string());
  } catch (const json::exception &e) {
    return be::Error(std::string("a generated rule is malformed: ") + e.what());
  }
  if (r.name.empty() || r.condition.empty() || r.ttl_text.empty() ||
      (r.action != "drop" && r.action != "count"))
    return be::Error("generated rule '" + r.name +
                     "' has no condition, no ttl or another action than drop "
                     "or count");
  return r;
}

const GeneratedRule *GeneratedStore::find(const std::string &name) const {
  for (const GeneratedRule &r : rules)
    if (r.name == name)
      return &r;
  return nullptr;
}

std::string store_to_json(const GeneratedStore &s) {
  json j;
  j["version"] = 1;
  j["operator_hash"] = s.operator_hash;
  j["operator_expired"] = s.operator_expired;
  json rules = json::array();
  for (const GeneratedRule &r : s.rules)
    rules.push_back(rule_json(r));
  j["rules"] = std::move(rules);
  return j.dump(1) + "\n";
}

be::Expected<GeneratedStore> store_from_json(const std::string &text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return be::Error("not a JSON object");
  if (j.value("version", 0) != 1)
    return be::Error("unknown version");
  GeneratedStore s;
  try {
    s.operator_hash = j.value("operator_hash", std::string());
    s.operator_expired =
        j.value("operator_expired", std::vector<std::string>{});
    for (const json &r : j.at("rules")) {
      be::Expected<GeneratedRule> rule = rule_from_json(r);
      if (!rule)
        return rule.error();
      if (s.find(rule->name) != nullptr)
        return be::Error("rule '" + rule->name + "' is listed twice");
      s.rules.push_back(std::move(*rule));
    }
  } catch (const json::exception &e) {
    return be::Error(std::string("malformed: ") + e.what());
  }
  return s;
}

be::Expected<GeneratedStore> read_store(const std::string &path) {
  if (!policy::path_exists(path))
    return GeneratedStore{};
  std::optional<std::string> text = policy::read_file(path);
  if (!text)
    return be::errno_error("cannot read '" + path + "'", errno);
  be::Expected<GeneratedStore> s = store_from_json(*text);
  if (!s)
    return be::Error("'" + path + "': " + s.error().message);
  return s;
}

be::Status write_store(const std::string &path, const GeneratedStore &s) {
  return policy::write_file_atomically(path, store_to_json(s), 0600);
}

std::string text_hash(const std::string &text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

} // namespace psr::govern
