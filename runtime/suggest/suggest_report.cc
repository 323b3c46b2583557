#include "suggest/suggest_report.h"

#include <cstdio>
#include <sstream>

#include "analyze/evidence.h"
#include "analyze/llm/http_client.h"
#include "ast/value.h"
#include "govern/evidence_match.h"

namespace psr::suggest {

namespace {

using nlohmann::json;

using psr::govern::short_number;

// A ttl or period in PSL's spelling; 0 (none given) is the set's own.
std::string ms_text(uint64_t ms) {
  return ms == 0 ? "the set's own" : psl::duration_text(ms * 1000000ull);
}

std::string indented(const std::string &text, const std::string &prefix) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out += prefix + line + "\n";
  return out;
}

std::string evidence_text(const analyze::Evidence &e) {
  std::string out = e.cited ? "cited" : "not cited (every window shown)";
  if (!e.windows.empty()) {
    out += "; windows";
    for (size_t i = 0; i < e.windows.size() && i < 12; ++i)
      out += " " + std::to_string(e.windows[i].seq);
    if (e.windows.size() > 12)
      out += " and " + std::to_string(e.windows.size() - 12) + " more";
  }
  out += "\n";
  for (size_t i = 0; i < e.counters.size() && i < 8; ++i)
    out += "    " + e.counters[i].name + " = " +
           short_number(e.counters[i].value) + " (window " +
           std::to_string(e.counters[i].window) + ")\n";
  if (e.counters.size() > 8)
    out +=
        "    and " + std::to_string(e.counters.size() - 8) + " more counters\n";
  analyze::CitedRate c = analyze::cited_rate(e);
  out += c.known ? "    cited rate: " + short_number(c.pps) +
                       " packets/s (window " + std::to_string(c.window) + ")\n"
                 : "    cited rate: none (no packet counter cited)\n";
  return out;
}

std::string verdict_head(const govern::Verdict &v,
                         const govern::GovernorOptions &g,
                         analyze::Origin origin) {
  if (!v.accepted)
    return std::string("REFUSED (") + govern::reason_code(v.reason) + ")";
  if (v.mode == govern::RuleMode::Shadow)
    return "ACCEPTED (shadow for " +
           ms_text(g.shadow_period_ns(origin) / 1000000) +
           ", then enforced on evidence)";
  return "ACCEPTED (enforced)";
}

std::string rounds_text(const analyze::LlmRecord &rec) {
  std::string out;
  for (const analyze::LlmRound &r : rec.rounds) {
    out += "    round " + std::to_string(r.round) + ": " +
           std::to_string(r.tokens_in) + " tokens in, " +
           std::to_string(r.tokens_out) + " out, " + short_number(r.latency_s) +
           " s, " + std::to_string(r.attempts) +
           (r.attempts == 1 ? " attempt" : " attempts") + ", " +
           (r.diagnostics.empty() ? "checked" : "diagnostics:") + "\n";
    if (!r.diagnostics.empty())
      out += indented(r.diagnostics, "      ");
  }
  return out;
}

} // namespace

std::string report_text(const SuggestResult &r, const SuggestOptions &o) {
  std::string out;
  out += o.pcap + ": " + std::to_string(r.frames) + " frames in " +
         std::to_string(r.windows) + " windows of " +
         short_number(static_cast<double>(o.replay.window_ns) / 1e9) + " s";
  if (r.frames_after)
    out += " (" + std::to_string(r.frames_after) + " later frames not read)";
  out += "; analyzer " + std::string(analyzer_name(r.analyzer)) +
         "; operator policy " + o.policy_path + "\n";
  if (r.llm) {
    const analyze::llm::AnalyzerResult &l = *r.llm;
    out += "\nllm: " + l.record.provider + " " + l.record.model + ", prompt " +
           l.record.prompt_version + ": " +
           analyze::llm::outcome_name(l.outcome) +
           (l.reason.empty() ? "" : " (" + l.reason + ")") + ", " + l.message +
           "\n";
    out += rounds_text(l.record);
    for (const analyze::llm::Attempt &a : l.attempts)
      if (a.transport != analyze::llm::Transport::Ok || a.status != 200)
        out += "    attempt: " +
               std::string(analyze::llm::transport_name(a.transport)) +
               (a.status ? " " + std::to_string(a.status) : "") + " after " +
               short_number(a.seconds) + " s\n";
    if (l.counters_discarded)
      out += "    " + std::to_string(l.counters_discarded) +
             " cited counters not in their windows, left out\n";
    if (!l.proposal && !l.analysis.empty())
      out += "  analysis: " + l.analysis + "\n";
    if (!l.proposal && !l.diagnostics.empty())
      out += indented(l.diagnostics, "    ");
  }
  for (const Reviewed &rv : r.proposals) {
    const analyze::Proposal &p = rv.proposal;
    out += "\nproposal " + p.id;
    if (rv.window)
      out += " (window " + std::to_string(rv.window) + ")";
    out += ": " + verdict_head(rv.verdict, o.governor, p.origin) + "\n";
    if (p.kind == analyze::Proposal::Kind::Policy) {
      out += indented(p.psl, "  | ");
    } else {
      out += "  | insert into set " + p.insert.set + " (ttl " +
             ms_text(p.insert.ttl_ms) + "):";
      for (const std::string &v : p.insert.values)
        out += " " + v;
      out += "\n";
    }
    if (!p.analysis.empty())
      out += "  analysis: " + p.analysis + "\n";
    out += "  evidence: " + evidence_text(p.evidence);
    out += "  governor: " + rv.verdict.message + "\n";
    if (!rv.verdict.diagnostics_text.empty())
      out += indented(rv.verdict.diagnostics_text, "    ");
  }
  out += "\n" + std::string(outcome_name(r.outcome)) + ": " + r.message + "\n";
  return out;
}

json report_json(const SuggestResult &r, const SuggestOptions &o) {
  json j;
  j["capture"] = {{"path", o.pcap},
                  {"frames", r.frames},
                  {"frames_after", r.frames_after},
                  {"windows", r.windows},
                  {"window_s", static_cast<double>(o.replay.window_ns) / 1e9},
                  {"first_unix_ns", r.first_ns},
                  {"end_unix_ns", r.end_ns}};
  j["analyzer"] = analyzer_name(r.analyzer);
  j["operator_policy"] = o.policy_path;
  j["outcome"] = outcome_name(r.outcome);
  j["message"] = r.message;
  j["analyze_s"] = r.analyze_s;
  json proposals = json::array();
  for (const Reviewed &rv : r.proposals) {
    analyze::CitedRate c = analyze::cited_rate(rv.proposal.evidence);
    proposals.push_back({{"proposal", analyze::to_json(rv.proposal)},
                         {"window", rv.window},
                         {"cited_pps", c.known ? json(c.pps) : json(nullptr)},
                         {"verdict", govern::verdict_json(rv.verdict)}});
  }
  j["proposals"] = std::move(proposals);
  if (r.llm) {
    const analyze::llm::AnalyzerResult &l = *r.llm;
    json attempts = json::array();
    for (const analyze::llm::Attempt &a : l.attempts)
      attempts.push_back(
          {{"transport", analyze::llm::transport_name(a.transport)},
           {"status", a.status},
           {"seconds", a.seconds},
           {"wait_after_ms", a.wait_after.count()}});
    json rounds = json::array();
    for (const analyze::LlmRound &x : l.record.rounds)
      rounds.push_back({{"round", x.round},
                        {"tokens_in", x.tokens_in},
                        {"tokens_out", x.tokens_out},
                        {"latency_s", x.latency_s},
                        {"attempts", x.attempts},
                        {"diagnostics", x.diagnostics}});
    j["llm"] = {{"outcome", analyze::llm::outcome_name(l.outcome)},
                {"reason", l.reason},
                {"message", l.message},
                {"diagnostics", l.diagnostics},
                {"analysis", l.analysis},
                {"provider", l.record.provider},
                {"model", l.record.model},
                {"prompt_version", l.record.prompt_version},
                {"rounds", rounds},
                {"attempts", attempts},
                {"counters_discarded", l.counters_discarded}};
  }
  json rules = json::array();
  for (const govern::GeneratedRule &g : r.rules)
    rules.push_back(govern::rule_json(g));
  j["rules"] = std::move(rules);
  json inserts = json::array();
  for (const analyze::SetInsert &s : r.inserts)
    inserts.push_back(
        {{"set", s.set}, {"values", s.values}, {"ttl_ms", s.ttl_ms}});
  j["inserts"] = std::move(inserts);
  j["composed"] = r.composed;
  return j;
}

} // namespace psr::suggest
