#include "analyze/proposal.h"

namespace psr::analyze {

using nlohmann::json;
using psl::backend::Error;
using psl::backend::Expected;

const char *origin_name(Origin o) {
  return o == Origin::Detector ? "detector" : "llm";
}

uint64_t LlmRecord::tokens_in() const {
  uint64_t n = 0;
  for (const LlmRound &r : rounds)
    n += r.tokens_in;
  return n;
}

uint64_t LlmRecord::tokens_out() const {
  uint64_t n = 0;
  for (const LlmRound &r : rounds)
    n += r.tokens_out;
  return n;
}

double LlmRecord::latency_s() const {
  double s = 0;
  for (const LlmRound &r : rounds)
    s += r.latency_s;
  return s;
}

json to_json(const Proposal &p) {
  json j;
  j["id"] = p.id;
  j["origin"] = origin_name(p.origin);
  j["kind"] = p.kind == Proposal::Kind::Policy ? "policy" : "set_insert";
  if (p.kind == Proposal::Kind::Policy) {
    j["psl"] = p.psl;
    j["policy_name"] = p.policy_name;
    json rules = json::array();
    for (const ProposedRule &r : p.rules)
      rules.push_back({{"name", r.name},
                       {"action", r.action},
                       {"ttl_ms", r.ttl_ms},
                       {"shadow", r.shadow}});
    j["rules"] = rules;
  } else {
    j["insert"] = {{"set", p.insert.set},
                   {"values", p.insert.values},
                   {"ttl_ms", p.insert.ttl_ms}};
  }
  j["analysis"] = p.analysis;
  json windows = json::array();
  for (const EvidenceWindow &w : p.evidence.windows)
    windows.push_back({{"seq", w.seq},
                       {"start_unix_ms", w.start_unix_ms},
                       {"end_unix_ms", w.end_unix_ms}});
  json counters = json::array();
  for (const EvidenceCounter &c : p.evidence.counters)
    counters.push_back(
        {{"window", c.window}, {"name", c.name}, {"value", c.value}});
  j["evidence"] = {{"windows", windows},
                   {"counters", counters},
                   {"cited", p.evidence.cited}};
  j["created_unix_ms"] = p.created_unix_ms;
  if (p.llm) {
    json rounds = json::array();
    for (const LlmRound &r : p.llm->rounds)
      rounds.push_back({{"round", r.round},
                        {"tokens_in", r.tokens_in},
                        {"tokens_out", r.tokens_out},
                        {"latency_s", r.latency_s},
                        {"attempts", r.attempts},
                        {"diagnostics", r.diagnostics}});
    j["llm"] = {{"provider", p.llm->provider},
                {"model", p.llm->model},
                {"prompt_version", p.llm->prompt_version},
                {"rounds", rounds},
                {"tokens_in", p.llm->tokens_in()},
                {"tokens_out", p.llm->tokens_out()},
                {"latency_s", p.llm->latency_s()}};
  }
  return j;
}

namespace {

// Reads member `key` of `j` into `out`; an error names the member.
template <class T>
bool get(const json &j, const char *key, T &out, std::string &error) {
  auto it = j.find(key);
  if (it == j.end()) {
    error = std::string("missing member '") + key + "'";
    return false;
  }
  try {
    out = it->get<T>();
  } catch (const json::exception &) {
    error = std::string("member '") + key + "' has the wrong type";
    return false;
  }
  return true;
}

} // namespace

Expected<Proposal> proposal_from_json(const json &j) {
  std::string err;
  auto fail = [&]() { return Error("proposal: " + err); };
  if (!j.is_object()) {
    err = "not a JSON object";
    return fail();
  }
  Proposal p;
  std::string origin, kind;
  if (!get(j, "id", p.id, err) || !get(j, "origin", origin, err) ||
      !get(j, "kind", kind, err) || !get(j, "analysis", p.analysis, err) ||
      !get(j, "created_unix_ms", p.created_unix_ms, err))
    return fail();
  if (origin == "detector") {
    p.origin = Origin::Detector;
  } else if (origin == "llm") {
    p.origin = Origin::Llm;
  } else {
    err = "unknown origin '" + origin + "'";
    return fail();
  }
  if (kind == "policy") {
    p.kind = Proposal::Kind::Policy;
    json rules;
    if (!get(j, "psl", p.psl, err) ||
        !get(j, "policy_name", p.policy_name, err) ||
        !get(j, "rules", rules, err))
      return fail();
    for (const json &r : rules) {
      ProposedRule pr;
      if (!get(r, "name", pr.name, err) || !get(r, "action", pr.action, err) ||
          !get(r, "ttl_ms", pr.ttl_ms, err) ||
          !get(r, "shadow", pr.shadow, err))
        return fail();
      p.rules.push_back(pr);
    }
  } else if (kind == "set_insert") {
    p.kind = Proposal::Kind::SetInsert;
    json ins;
    if (!get(j, "insert", ins, err) || !get(ins, "set", p.insert.set, err) ||
        !get(ins, "values", p.insert.values, err) ||
        !get(ins, "ttl_ms", p.insert.ttl_ms, err))
      return fail();
  } else {
    err = "unknown kind '" + kind + "'";
    return fail();
  }
  json ev, windows, counters;
  if (!get(j, "evidence", ev, err) || !get(ev, "windows", windows, err) ||
      !get(ev, "counters", counters, err) ||
      !get(ev, "cited", p.evidence.cited, err))
    return fail();
  for (const json &w : windows) {
    EvidenceWindow ew;
    if (!get(w, "seq", ew.seq, err) ||
        !get(w, "start_unix_ms", ew.start_unix_ms, err) ||
        !get(w, "end_unix_ms", ew.end_unix_ms, err))
      return fail();
    p.evidence.windows.push_back(ew);
  }
  for (const json &c : counters) {
    EvidenceCounter ec;
    if (!get(c, "window", ec.window, err) || !get(c, "name", ec.name, err) ||
        !get(c, "value", ec.value, err))
      return fail();
    p.evidence.counters.push_back(ec);
  }
  if (auto it = j.find("llm"); it != j.end()) {
    LlmRecord rec;
    json rounds;
    if (!get(*it, "provider", rec.provider, err) ||
        !get(*it, "model", rec.model, err) ||
        !get(*it, "prompt_version", rec.prompt_version, err) ||
        !get(*it, "rounds", rounds, err))
      return fail();
    for (const json &r : rounds) {
      LlmRound lr;
      if (!get(r, "round", lr.round, err) ||
          !get(r, "tokens_in", lr.tokens_in, err) ||
          !get(r, "tokens_out", lr.tokens_out, err) ||
          !get(r, "latency_s", lr.latency_s, err) ||
          !get(r, "attempts", lr.attempts, err) ||
          !get(r, "diagnostics", lr.diagnostics, err))
        return fail();
      rec.rounds.push_back(lr);
    }
    p.llm = rec;
  }
  return p;
}

} // namespace psr::analyze
