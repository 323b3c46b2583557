// llm_eval: scripts/llm-eval's measuring tool. For each labelled
// scenario of a manifest (tests/scenarios/scenarios.json), the first
// part of the capture goes to an analyzer (runtime/suggest), the rest
// through what the governor accepted on the reference interpreter
// (suggest/eval.h); one table row per scenario, and every number as
// JSON. This file parses flags and prints; runtime/suggest decides.
//
//   llm_eval --manifest scenarios.json --dir GENERATED [--analyzer A]
//            [--llm-KEY VALUE ...] [--only NAME ...] [--json OUT]
//
// Exit: 0 every scenario measured, 1 one could not be, 2 bad command
// line, 3 no BPF (the replay needs BPF_PROG_TEST_RUN).
//
// --llm-model may hold "{scenario}", replaced by each scenario's name
// (the scripted fake server keeps one script per model name).
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "analyze/llm/settings.h"
#include "suggest/default_policy.h"
#include "suggest/eval.h"

namespace {

namespace sg = psr::suggest;
namespace llm = psr::analyze::llm;
using nlohmann::json;

std::string percent(double v) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(1) << v * 100 << "%";
  return o.str();
}

std::string seconds(double v) {
  std::ostringstream o;
  if (v < 1)
    o << std::fixed << std::setprecision(v < 0.01 ? 2 : 0) << v * 1000 << " ms";
  else
    o << std::fixed << std::setprecision(2) << v << " s";
  return o.str();
}

std::string replace_all(std::string s, const std::string &from,
                        const std::string &to) {
  for (size_t at = s.find(from); at != std::string::npos;
       at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

json row_json(const std::string &name, const sg::EvalResult &e,
              const sg::SuggestOptions &o) {
  const sg::SuggestResult &r = e.suggest;
  json j;
  j["scenario"] = name;
  j["analyzer"] = sg::analyzer_name(r.analyzer);
  j["model"] = r.llm ? r.llm->record.model : "";
  j["outcome"] = sg::outcome_name(r.outcome);
  j["message"] = r.message;
  size_t accepted = 0;
  json refusals = json::array();
  for (const sg::Reviewed &rv : r.proposals) {
    if (rv.verdict.accepted)
      ++accepted;
    else
      refusals.push_back(psr::govern::reason_code(rv.verdict.reason));
  }
  j["proposals"] = r.proposals.size();
  j["accepted"] = accepted;
  j["governor_refusals"] = refusals;
  if (r.llm) {
    const llm::AnalyzerResult &l = *r.llm;
    j["llm_outcome"] = llm::outcome_name(l.outcome);
    j["llm_reason"] = l.reason;
    j["first_checked"] = !l.record.rounds.empty() &&
                         l.record.rounds.front().diagnostics.empty() &&
                         l.outcome != llm::AnalyzerResult::Outcome::Refused;
    j["rounds"] = l.record.rounds.size();
    j["llm_latency_s"] = l.record.latency_s();
    j["tokens_in"] = l.record.tokens_in();
    j["tokens_out"] = l.record.tokens_out();
    j["attempts"] = l.attempts.size();
  } else {
    j["first_checked"] = nullptr;
    j["rounds"] = nullptr;
  }
  j["analyze_s"] = r.analyze_s;
  j["attack"] = e.accepted.attack;
  j["benign"] = e.accepted.benign;
  j["recall"] = e.accepted.recall();
  j["collateral"] = e.accepted.collateral();
  j["baseline_recall"] = e.baseline.recall();
  j["baseline_collateral"] = e.baseline.collateral();
  j["enforced_recall"] = e.enforced.recall();
  j["enforced_collateral"] = e.enforced.collateral();
  json ev = json::array();
  for (const sg::ShadowVerdict &v : e.on_evidence)
    ev.push_back({{"proposal", v.proposal_id},
                  {"enforce", v.judgement.enforce},
                  {"ratio", v.judgement.ratio},
                  {"why", v.judgement.why}});
  j["on_evidence"] = ev;
  j["split_frame"] = e.split_frame;
  j["composed"] = r.composed;
  (void)o;
  return j;
}

std::string row_text(const json &j) {
  auto opt = [](const json &v, const std::string &yes, const std::string &no) {
    return v.is_null() ? std::string("—") : v.get<bool>() ? yes : no;
  };
  std::string refusals = "0";
  if (!j["governor_refusals"].empty()) {
    std::map<std::string, int> by;
    for (const json &r : j["governor_refusals"])
      ++by[r.get<std::string>()];
    refusals.clear();
    for (const auto &[k, n] : by)
      refusals += (refusals.empty() ? "" : ", ") + std::to_string(n) + " " + k;
  }
  if (j.contains("llm_reason") && j["llm_outcome"] == "refused")
    refusals += " (answer: " + j["llm_reason"].get<std::string>() + ")";
  std::string evidence = "—";
  if (!j["on_evidence"].empty()) {
    int yes = 0;
    for (const json &v : j["on_evidence"])
      yes += v["enforce"].get<bool>();
    evidence = std::to_string(yes) + "/" +
               std::to_string(j["on_evidence"].size()) + " (" +
               percent(j["enforced_recall"].get<double>()) + ")";
  }
  const double latency = j.contains("llm_latency_s")
                             ? j["llm_latency_s"].get<double>()
                             : j["analyze_s"].get<double>();
  std::string outcome = j["outcome"].get<std::string>();
  if (j.contains("llm_outcome") && j["llm_outcome"] == "failed")
    outcome += " (" + j["llm_reason"].get<std::string>() + ")";
  return "| " + j["scenario"].get<std::string>() + " | " + outcome + " | " +
         percent(j["recall"].get<double>()) + " | " +
         percent(j["collateral"].get<double>()) + " | " +
         opt(j["first_checked"], "yes", "no") + " | " +
         (j["rounds"].is_null() ? std::string("—")
                                : std::to_string(j["rounds"].get<int>())) +
         " | " + refusals + " | " + evidence + " | " + seconds(latency) + " |";
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"llm_eval: the analyzers measured on labelled scenarios "
               "(scripts/llm-eval)",
               "llm_eval"};
  std::string manifest, dir, analyzer = "embedded", policy, key_file, out;
  std::vector<std::string> only;
  app.add_option("--manifest", manifest, "tests/scenarios/scenarios.json")
      ->required();
  app.add_option("--dir", dir, "Where generate.py wrote the scenarios")
      ->required();
  app.add_option("--analyzer", analyzer, "embedded, openai or ollama")
      ->check(CLI::IsMember({"embedded", "openai", "ollama"}));
  app.add_option("--policy", policy,
                 "The operator policy (default: policies/default.psl)");
  app.add_option("--only", only, "Only these scenarios");
  app.add_option("--json", out, "Write every number here as JSON");
  std::map<std::string, std::string> values;
  std::vector<std::pair<std::string, CLI::Option *>> flags;
  for (std::string_view key : llm::setting_keys()) {
    if (key == "provider")
      continue;
    std::string k(key);
    flags.emplace_back(k, app.add_option("--llm-" + k, values[k],
                                         "LLM setting (docs/llm.md)"));
  }
  app.add_option("--llm-key-file", key_file, "The API key (mode 0600)");
  CLI11_PARSE(app, argc, argv);

  std::ifstream mf(manifest);
  json m = json::parse(mf, nullptr, false);
  if (!m.is_object() || !m.contains("scenarios")) {
    std::cerr << "llm_eval: " << manifest << ": not a scenario manifest\n";
    return 1;
  }
  sg::SuggestOptions base;
  base.analyzer = *sg::analyzer_from_name(analyzer);
  if (policy.empty()) {
    base.policy_path = sg::kDefaultPolicyName;
    base.policy_text = std::string(sg::default_policy_text());
  } else {
    std::ifstream in(policy);
    if (!in) {
      std::cerr << "llm_eval: cannot read " << policy << "\n";
      return 1;
    }
    base.policy_path = policy;
    base.policy_text.assign(std::istreambuf_iterator<char>(in), {});
  }
  if (base.analyzer != sg::AnalyzerKind::Embedded) {
    auto key = llm::load_api_key(key_file, std::getenv("PSC_LLM_API_KEY"));
    if (!key) {
      std::cerr << "llm_eval: " << key.error().message << "\n";
      return 2;
    }
    base.key = std::move(*key);
  }

  std::cout << "| scenario | outcome | recall | collateral | first answer "
               "checked | rounds | governor refusals | enforced on evidence "
               "(recall) | latency |\n"
               "|---|---|---|---|---|---|---|---|---|\n";
  json rows = json::array();
  int errors = 0;
  for (const json &sc : m["scenarios"]) {
    const std::string name = sc["name"].get<std::string>();
    if (!only.empty() &&
        std::find(only.begin(), only.end(), name) == only.end())
      continue;
    sg::SuggestOptions o = base;
    o.pcap = dir + "/" + name + ".pcap";
    o.replay.until_ns =
        static_cast<uint64_t>(sc["split_s"].get<double>() * 1e9);
    if (o.analyzer != sg::AnalyzerKind::Embedded)
      for (const auto &[key, option] : flags)
        if (option->count() > 0)
          if (auto s = llm::apply_setting(
                  o.llm, key, replace_all(values[key], "{scenario}", name));
              !s.ok()) {
            std::cerr << "llm_eval: --llm-" << key << ": " << s.error().message
                      << "\n";
            return 2;
          }
    auto e = sg::evaluate_scenario(o, dir + "/" + name + ".labels");
    if (!e && e.error().kind == psl::backend::ErrorKind::Environment) {
      std::cerr << "llm_eval: " << e.error().message << "\n";
      return 3;
    }
    if (!e) {
      std::cerr << "llm_eval: " << name << ": " << e.error().message << "\n";
      if (!e.error().detail.empty())
        std::cerr << e.error().detail << "\n";
      rows.push_back({{"scenario", name}, {"error", e.error().message}});
      ++errors;
      continue;
    }
    json row = row_json(name, *e, o);
    std::cout << row_text(row) << std::endl;
    rows.push_back(std::move(row));
  }
  if (!out.empty()) {
    std::ofstream f(out);
    f << json{{"analyzer", analyzer}, {"rows", rows}}.dump(2) << "\n";
    if (!f) {
      std::cerr << "llm_eval: cannot write " << out << "\n";
      return 1;
    }
  }
  return errors ? 1 : 0;
}
