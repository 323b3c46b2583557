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

// The embedded detector as psd runs it: each window as soon as it is
// built, its proposals reviewed at once, and accepted set inserts put into
// the replayed program's sets, so the next windows show them dropping
// (psd's fast path). Accepted rules are not swapped into the replay: the
// windows after one still show the traffic it would drop.
class DetectorRun {
public:
  DetectorRun(const SuggestOptions &o, SuggestResult &out)
      : out_(out), detector_(o.detector), reviewer_(o, out),
        block_sets_(analyze::find_block_sets(out.op->policy())) {
    for (const psl::RuleDecl *r : out.op->policy().rules)
      operator_rules_.push_back(r->name);
  }

  be::Status window(const summary::Summary &w, ReplaySets &sets) {
    analyze::DetectorContext ctx;
    ctx.block_sets = block_sets_;
    ctx.blocked = reviewer_.blocked();
    ctx.rules_in_force = operator_rules_;
    for (const govern::GeneratedRule &g : out_.rules)
      ctx.rules_in_force.push_back(g.name);
    ctx.now_unix_ms = static_cast<int64_t>(w.window.end_unix_ms);
    ctx.now_ns = w.window.end_ns;
    const Clock::time_point t = Clock::now();
    std::vector<analyze::Proposal> proposals = detector_.analyze(w, ctx);
    out_.analyze_s += seconds_since(t);
    for (analyze::Proposal &p : proposals) {
      const size_t before = out_.inserts.size();
      reviewer_.review(std::move(p), &w);
      for (size_t i = before; i < out_.inserts.size(); ++i) {
        const analyze::SetInsert &ins = out_.inserts[i];
        for (const std::string &v : ins.values)
          if (be::Status s = sets.add(ins.set, v, ins.ttl_ms * 1000000);
              !s.ok())
            return s;
      }
    }
    return be::Status::success();
  }

private:
  SuggestResult &out_;
  analyze::EmbeddedDetector detector_;
  Reviewer reviewer_;
  std::vector<analyze::BlockSet> block_sets_;
  std::vector<std::string> operator_rules_;
};

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

Expected<SuggestResult> run_suggest(const SuggestOptions &options) {
  govern::OperatorLoad load =
      govern::load_operator_policy(options.policy_path, options.policy_text);
  if (!load.policy)
    return Error::user("the operator policy " + options.policy_path +
                           " is refused: " + load.message,
                       load.diagnostics.text);
  if (options.analyzer != AnalyzerKind::Embedded) {
    analyze::llm::LlmConfig config = options.llm;
    config.provider = options.analyzer == AnalyzerKind::Ollama
                          ? analyze::llm::Provider::Ollama
                          : analyze::llm::Provider::OpenAi;
    if (be::Status s = analyze::llm::validate(config); !s.ok())
      return Error::user(s.error().message);
  }
  SuggestOptions o = options;
  if (!o.unix_ms)
    o.unix_ms = wall_ms;
  SuggestResult out;
  out.analyzer = o.analyzer;
  out.op = load.policy;

  // The detector reads each window as the replay makes it; the LLM reads
  // them all once the replay is over.
  ReplayOptions replay = o.replay;
  std::optional<DetectorRun> detector;
  if (o.analyzer == AnalyzerKind::Embedded) {
    detector.emplace(o, out);
    replay.on_window = [&detector](const summary::Summary &w,
                                   ReplaySets &sets) {
      return detector->window(w, sets);
    };
  }
  const psl::Module &m = out.op->checked->module;
  auto capture = summarize_capture(*m.policy, m.file.get(), o.pcap, replay);
  if (!capture)
    return capture.error();
  out.windows = capture->windows.size();
  out.frames = capture->frames;
  out.frames_after = capture->frames_after;
  out.first_ns = capture->first_ns;
  out.end_ns = capture->end_ns;
  if (o.analyzer != AnalyzerKind::Embedded)
    if (auto r = run_llm(o, *capture, out); !r)
      return r.error();

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
    out.message =
        "the answer is refused (" + out.llm->reason + "): " + out.llm->message;
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
  if (!out.rules.empty())
    out.composed = govern::compose_policy(
        *out.op, out.rules, govern::exemption_clause(*out.op, nullptr));
  return out;
}

} // namespace psr::suggest
