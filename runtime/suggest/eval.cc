#include "suggest/eval.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "driver.h"
#include "frontend/literals.h"
#include "govern/compose.h"
#include "govern/governor.h"
#include "interp/interpreter.h"
#include "interp/pcap_replay.h"

namespace psr::suggest {

namespace {

using be::Error;
using be::Expected;

// A policy text checked and ready for the interpreter.
struct Runner {
  std::unique_ptr<psl::CheckedModule> checked;
  std::unique_ptr<psl::interp::Interpreter> interp;
  Counts counts;
};

Expected<Runner> runner(const std::string &name, const std::string &text) {
  Runner r;
  r.checked =
      std::make_unique<psl::CheckedModule>(psl::check_source(name, text));
  if (!r.checked->ok())
    return Error::internal("the " + name +
                           " policy does not check; its text:\n" + text);
  try {
    r.interp =
        std::make_unique<psl::interp::Interpreter>(*r.checked->module.policy);
  } catch (const psl::interp::InterpError &e) {
    return Error::user("the " + name + " policy cannot run: " + e.what());
  }
  return r;
}

be::Status add_inserts(Runner &r, const std::vector<analyze::SetInsert> &ins,
                       uint64_t now_ns) {
  for (const analyze::SetInsert &s : ins)
    for (const std::string &v : s.values) {
      psl::frontend::LiteralResult lit = psl::frontend::parse_ip_literal(v);
      if (!lit.ok())
        return Error::internal("set value '" + v + "': " + lit.error);
      std::optional<uint64_t> ttl;
      if (s.ttl_ms)
        ttl = s.ttl_ms * 1000000;
      using SetResult = psl::interp::Interpreter::SetResult;
      const SetResult added = r.interp->set_add(s.set, lit.value, now_ns, ttl);
      if (added != SetResult::Added && added != SetResult::Refreshed)
        return Error::internal("cannot add " + v + " to set " + s.set +
                               " on the interpreter");
    }
  return be::Status::success();
}

void count(Counts &c, bool attack, bool dropped) {
  if (attack) {
    ++c.attack;
    c.attack_dropped += dropped;
  } else {
    ++c.benign;
    c.benign_dropped += dropped;
  }
}

std::vector<govern::GeneratedRule>
with_mode(std::vector<govern::GeneratedRule> rules, govern::RuleMode m) {
  for (govern::GeneratedRule &g : rules)
    g.mode = m;
  return rules;
}

} // namespace

double Counts::recall() const {
  return attack ? static_cast<double>(attack_dropped) / attack : 0;
}

double Counts::collateral() const {
  return benign ? static_cast<double>(benign_dropped) / benign : 0;
}

Expected<std::vector<bool>> read_labels(const std::string &path) {
  std::ifstream in(path);
  if (!in)
    return Error::user("cannot read labels " + path);
  std::vector<bool> out;
  size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (line.empty() || line[0] == '#')
      continue;
    if (line == "a")
      out.push_back(true);
    else if (line == "b")
      out.push_back(false);
    else
      return Error::user(path + ":" + std::to_string(n) +
                         ": a label is `a` (attack) or `b` (benign), not '" +
                         line.substr(0, 40) + "'");
  }
  return out;
}

Expected<EvalResult> evaluate_scenario(const SuggestOptions &o,
                                       const std::string &labels_path) {
  auto labels = read_labels(labels_path);
  if (!labels)
    return labels.error();
  if (o.replay.until_ns == 0)
    return Error::user("an evaluation needs a split: the part the analyzer "
                       "sees (ReplayOptions::until_ns)");
  auto s = run_suggest(o);
  if (!s)
    return s.error();
  EvalResult out;
  out.suggest = std::move(*s);
  const SuggestResult &r = out.suggest;
  const govern::OperatorPolicy &op = *r.op;
  const std::string exemption = govern::exemption_clause(op, nullptr);

  auto baseline = runner("operator", op.text);
  auto accepted =
      runner("accepted",
             govern::compose_policy(
                 op, with_mode(r.rules, govern::RuleMode::Enforce), exemption));
  auto shadow =
      runner("shadow", govern::compose_policy(op, r.rules, exemption));
  if (!baseline || !accepted || !shadow)
    return !baseline   ? baseline.error()
           : !accepted ? accepted.error()
                       : shadow.error();
  const uint64_t split = r.first_ns + o.replay.until_ns;
  for (Runner *x : {&*accepted, &*shadow})
    if (be::Status st = add_inserts(*x, r.inserts, split); !st.ok())
      return st.error();

  // The shadow rules of each proposal, and their hits over the first
  // shadow period of the rest.
  std::map<std::string, std::string> proposal_of; // shadow rule -> proposal
  std::map<std::string, govern::ShadowEvidence> evidence;
  uint64_t period_ns = 0;
  for (const govern::GeneratedRule &g : r.rules)
    if (g.mode == govern::RuleMode::Shadow) {
      proposal_of[g.name] = g.proposal_id;
      govern::ShadowEvidence &e = evidence[g.proposal_id];
      e.cited_pps = g.cited_pps;
      e.cited_basis = g.cited_basis;
      period_ns = std::max(period_ns, g.shadow_period_ns);
    }

  uint64_t frames = 0, last_t = 0, rest_end = split;
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> rest;
  std::optional<Error> failed;
  auto err = psl::interp::replay_pcap(
      o.pcap, [&](const psl::interp::CapturedFrame &f) {
        if (failed)
          return;
        ++frames;
        if (f.index > labels->size()) {
          failed = Error::user(labels_path + " has " +
                               std::to_string(labels->size()) +
                               " labels; the capture has more frames");
          return;
        }
        const uint64_t t = std::max(f.time_ns, last_t);
        last_t = t;
        if (t < split)
          return;
        if (out.split_frame == 0)
          out.split_frame = f.index;
        rest_end = t;
        const bool attack = (*labels)[f.index - 1];
        const uint8_t *d = f.frame.data();
        const size_t n = f.frame.size();
        using psl::Action;
        count(baseline->counts, attack,
              baseline->interp->evaluate_frame(d, n, t).verdict ==
                  Action::Drop);
        count(accepted->counts, attack,
              accepted->interp->evaluate_frame(d, n, t).verdict ==
                  Action::Drop);
        if (t < split + period_ns) {
          psl::interp::Decision dec = shadow->interp->evaluate_frame(d, n, t);
          for (const psl::RuleDecl *h : dec.shadow_hits)
            if (auto it = proposal_of.find(h->name); it != proposal_of.end())
              ++evidence[it->second].shadow_packets;
        }
        rest.emplace_back(t, f.frame);
      });
  if (err)
    return Error::user(*err);
  if (failed)
    return *failed;
  if (frames != labels->size())
    return Error::user(labels_path + " has " + std::to_string(labels->size()) +
                       " labels for a capture of " + std::to_string(frames) +
                       " frames");
  out.baseline = baseline->counts;
  out.accepted = accepted->counts;

  // What the lifecycle would do at the end of the shadow period.
  std::set<std::string> dropped_proposals;
  const double period_s =
      static_cast<double>(std::min(period_ns, rest_end - split)) / 1e9;
  for (auto &[id, e] : evidence) {
    e.shadow_s = std::max(period_s, 1e-9);
    ShadowVerdict v{id, govern::judge_shadow(e, o.governor)};
    if (!v.judgement.enforce)
      dropped_proposals.insert(id);
    out.on_evidence.push_back(std::move(v));
  }
  std::vector<govern::GeneratedRule> kept;
  for (const govern::GeneratedRule &g : r.rules)
    if (!dropped_proposals.count(g.proposal_id))
      kept.push_back(g);
  auto enforced =
      runner("enforced",
             govern::compose_policy(
                 op, with_mode(kept, govern::RuleMode::Enforce), exemption));
  if (!enforced)
    return enforced.error();
  if (be::Status st = add_inserts(*enforced, r.inserts, split); !st.ok())
    return st.error();
  size_t i = 0;
  for (const auto &[t, frame] : rest) {
    const bool attack = (*labels)[out.split_frame - 1 + i++];
    count(enforced->counts, attack,
          enforced->interp->evaluate_frame(frame.data(), frame.size(), t)
                  .verdict == psl::Action::Drop);
  }
  out.enforced = enforced->counts;
  return out;
}

} // namespace psr::suggest
