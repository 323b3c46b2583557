#include "suggest/suggest.h"

#include <algorithm>
#include <chrono>

#include "analyze/detector/block_sets.h"
#include "analyze/detector/detector.h"
#include "analyze/llm/budget.h"
#include "govern/compose.h"
#include "govern/governor.h"
#include "summary/summary_json.h"

namespace psr::suggest {

namespace {

using be::Error;
using be::Expected;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Reviews proposals one after the other, as psd's lifecycle would: each
// one against the operator policy and the rules accepted before it.
class Reviewer {
public:
  Reviewer(const SuggestOptions &o, SuggestResult &out) : o_(o), out_(out) {}

  void review(analyze::Proposal p, const summary::Summary *window) {
    govern::GovernorContext ctx;
    ctx.op = out_.op.get();
    ctx.generated = &out_.rules;
    ctx.options = o_.governor;
    if (window != nullptr) {
      ctx.now_ns = window->window.end_ns;
      ctx.boot_now_ns = window->window.end_ns;
      ctx.now_unix_ms = static_cast<int64_t>(window->window.end_unix_ms);
    } else {
      ctx.now_unix_ms = p.created_unix_ms;
    }
    Reviewed r;
    r.verdict = govern::review(p, ctx);
    r.window = window ? window->seq : 0;
    if (r.verdict.accepted) {
      if (p.kind == analyze::Proposal::Kind::Policy) {
        out_.rules.insert(out_.rules.end(), r.verdict.rules.begin(),
                          r.verdict.rules.end());
        out_.composed = r.verdict.composed_text;
      } else {
        analyze::SetInsert ins = p.insert;
        ins.values = r.verdict.values;
        ins.ttl_ms = r.verdict.ttl_ns / 1000000;
        out_.inserts.push_back(std::move(ins));
        for (const std::string &v : r.verdict.values)
          blocked_.push_back(v);
      }
    }
    r.proposal = std::move(p);
    out_.proposals.push_back(std::move(r));
  }

  const std::vector<std::string> &blocked() const { return blocked_; }

private:
  const SuggestOptions &o_;
  SuggestResult &out_;
  std::vector<std::string> blocked_;
};

void run_detector(const SuggestOptions &o, const CaptureSummary &capture,
                  SuggestResult &out) {
  analyze::EmbeddedDetector detector(o.detector);
  Reviewer reviewer(o, out);
  const std::vector<analyze::BlockSet> block_sets =
      analyze::find_block_sets(out.op->policy());
  std::vector<std::string> operator_rules;
  for (const psl::RuleDecl *r : out.op->policy().rules)
    operator_rules.push_back(r->name);
  for (const summary::Summary &w : capture.windows) {
    analyze::DetectorContext ctx;
    ctx.block_sets = block_sets;
    ctx.blocked = reviewer.blocked();
    ctx.rules_in_force = operator_rules;
    for (const govern::GeneratedRule &g : out.rules)
      ctx.rules_in_force.push_back(g.name);
    ctx.now_unix_ms = static_cast<int64_t>(w.window.end_unix_ms);
    ctx.now_ns = w.window.end_ns;
    const Clock::time_point t = Clock::now();
    std::vector<analyze::Proposal> proposals = detector.analyze(w, ctx);
    out.analyze_s += seconds_since(t);
    for (analyze::Proposal &p : proposals)
      reviewer.review(std::move(p), &w);
  }
}

Expected<bool> run_llm(const SuggestOptions &o, const CaptureSummary &capture,
                       SuggestResult &out) {
  analyze::llm::LlmConfig config = o.llm;
  config.provider = o.analyzer == AnalyzerKind::Ollama
                        ? analyze::llm::Provider::Ollama
                        : analyze::llm::Provider::OpenAi;
  if (be::Status s = analyze::llm::validate(config); !s.ok())
    return Error::user(s.error().message);
  analyze::llm::Budget budget(
      {config.calls_per_minute, config.tokens_per_hour});
  analyze::llm::AnalyzerHooks hooks;
  hooks.dump = o.dump;
  if (o.unix_ms)
    hooks.unix_ms = o.unix_ms;
  analyze::llm::LlmAnalyzer analyzer(config, o.key, budget, hooks);

  analyze::llm::PromptContext ctx;
  ctx.operator_path = out.op->path;
  ctx.operator_text = out.op->text;
  for (const summary::Summary &w : capture.windows)
    ctx.summaries.push_back(nlohmann::json::parse(summary::to_json_text(w)));
  const Clock::time_point t = Clock::now();
  analyze::llm::AnalyzerResult r = analyzer.analyze(ctx);
  out.analyze_s = seconds_since(t);
  if (r.proposal) {
    Reviewer reviewer(o, out);
    reviewer.review(*r.proposal, nullptr);
  }
  out.llm = std::move(r);
  return true;
}

} // namespace

const char *analyzer_name(AnalyzerKind k) {
  switch (k) {
  case AnalyzerKind::Embedded:
    return "embedded";
  case AnalyzerKind::OpenAi:
    return "openai";
  case AnalyzerKind::Ollama:
    return "ollama";
  }
  return "embedded";
}

std::optional<AnalyzerKind> analyzer_from_name(const std::string &name) {
  if (name == "embedded")
    return AnalyzerKind::Embedded;
  if (name == "openai")
    return AnalyzerKind::OpenAi;
  if (name == "ollama")
    return AnalyzerKind::Ollama;
  return std::nullopt;
}

const char *outcome_name(SuggestResult::Outcome o) {
  switch (o) {
  case SuggestResult::Outcome::Accepted:
    return "accepted";
  case SuggestResult::Outcome::NoChange:
    return "no_change";
  case SuggestResult::Outcome::Refused:
    return "refused";
  case SuggestResult::Outcome::Failed:
    return "failed";
  }
  return "failed";
}

Expected<SuggestResult> analyze_windows(const SuggestOptions &o,
                                        const CaptureSummary &capture) {
  SuggestResult out;
  out.analyzer = o.analyzer;
  out.windows = capture.windows.size();
  out.frames = capture.frames;
  out.frames_after = capture.frames_after;
  out.first_ns = capture.first_ns;
  out.end_ns = capture.end_ns;
  govern::OperatorLoad load =
      govern::load_operator_policy(o.policy_path, o.policy_text);
  if (!load.policy)
    return Error::user("the operator policy " + o.policy_path +
                           " is refused: " + load.message,
                       load.diagnostics.text);
  out.op = load.policy;

  if (o.analyzer == AnalyzerKind::Embedded) {
    run_detector(o, capture, out);
  } else if (auto r = run_llm(o, capture, out); !r) {
    return r.error();
  }

  size_t accepted = 0, refused = 0;
  for (const Reviewed &r : out.proposals)
    (r.verdict.accepted ? accepted : refused) += 1;
  using Outcome = SuggestResult::Outcome;
  using LlmOutcome = analyze::llm::AnalyzerResult::Outcome;
  if (out.llm && out.llm->outcome == LlmOutcome::Failed) {
    out.outcome = Outcome::Failed;
    out.message = "the " + std::string(analyzer_name(o.analyzer)) +
                  " analyzer failed (" + out.llm->reason +
                  "): " + out.llm->message;
  } else if (out.llm && out.llm->outcome == LlmOutcome::Refused) {
    out.outcome = Outcome::Refused;
    out.message = "the answer is refused (" + out.llm->reason +
                  "): " + out.llm->message;
  } else if (refused > 0) {
    out.outcome = Outcome::Refused;
    out.message = std::to_string(refused) + " of " +
                  std::to_string(out.proposals.size()) +
                  " proposals refused by the governor";
  } else if (accepted > 0) {
    out.outcome = Outcome::Accepted;
    out.message = std::to_string(accepted) +
                  (accepted == 1 ? " proposal" : " proposals") +
                  " accepted by the governor";
  } else {
    out.outcome = Outcome::NoChange;
    out.message = out.llm ? "the model proposes no change"
                          : "the detector proposes nothing";
  }
  if (out.composed.empty() && !out.rules.empty())
    out.composed = govern::compose_policy(
        *out.op, out.rules, govern::exemption_clause(*out.op, nullptr));
  return out;
}

Expected<SuggestResult> run_suggest(const SuggestOptions &o) {
  govern::OperatorLoad load =
      govern::load_operator_policy(o.policy_path, o.policy_text);
  if (!load.policy)
    return Error::user("the operator policy " + o.policy_path +
                           " is refused: " + load.message,
                       load.diagnostics.text);
  if (o.analyzer != AnalyzerKind::Embedded) {
    analyze::llm::LlmConfig config = o.llm;
    config.provider = o.analyzer == AnalyzerKind::Ollama
                          ? analyze::llm::Provider::Ollama
                          : analyze::llm::Provider::OpenAi;
    if (be::Status s = analyze::llm::validate(config); !s.ok())
      return Error::user(s.error().message);
  }
  const psl::Module &m = load.policy->checked->module;
  auto capture =
      summarize_capture(*m.policy, m.file.get(), o.pcap, o.replay);
  if (!capture)
    return capture.error();
  SuggestOptions with_time = o;
  if (!with_time.unix_ms)
    with_time.unix_ms = wall_ms;
  return analyze_windows(with_time, *capture);
}

} // namespace psr::suggest
