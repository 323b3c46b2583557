#include "llm_analyzer.h"

#include <time.h>

#include <deque>
#include <optional>
#include <set>
#include <utility>

#include "analyze/llm/background.h"
#include "analyze/llm/health.h"
#include "summary/summary_json.h"

namespace psd {

namespace analyze = psr::analyze;
namespace llm = psr::analyze::llm;

namespace {

int64_t wall_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

class LlmSeam : public Analyzer {
public:
  LlmSeam(const LlmAnalyzerOptions &o, LlmShared &shared)
      : options_(o), shared_(shared),
        embedded_(make_embedded_analyzer(o.detector)), health_(o.max_refusals),
        worker_(o.config, shared.key, shared.budget, hooks(shared)) {}

  const char *name() const override {
    return llm::provider_name(options_.config.provider);
  }

  std::vector<analyze::Proposal> analyze(const AnalyzerInput &in) override {
    iface_ = in.iface;
    const uint64_t now = in.context.now_ns;
    if (first_ns_ == 0) {
      first_ns_ = now;
      shared_.monitor->asking(iface_, false);
    }
    keep(*in.window, now);

    std::vector<analyze::Proposal> out;
    if (std::optional<llm::AnalyzerResult> r = worker_.take()) {
      shared_.monitor->asking(iface_, false);
      if (std::optional<analyze::Proposal> p = finished(std::move(*r)))
        out.push_back(std::move(*p));
    }
    if (options_.embedded_with_llm || health_.fallback())
      for (analyze::Proposal &p : embedded_->analyze(in))
        out.push_back(std::move(p));
    ask(in, now);
    return out;
  }

  void verdict(const analyze::Proposal &p, bool accepted,
               const std::string &reason, const std::string &message) override {
    if (pending_.erase(p.id) == 0)
      return; // not one of the LLM's (the detector's, a proposals file's)
    shared_.monitor->verdict(accepted, reason);
    if (!accepted)
      shared_.log->warn("{}: the LLM's proposal {} was refused by the "
                        "governor: {}: {}",
                        iface_, p.id, reason, message);
    announce(health_.on_verdict(accepted, reason, message));
  }

private:
  static llm::AnalyzerHooks hooks(LlmShared &shared) {
    llm::AnalyzerHooks h;
    auto log = shared.log;
    h.chat.log = [log](const std::string &line) { log->info("{}", line); };
    if (shared.unix_ms)
      h.unix_ms = shared.unix_ms;
    return h;
  }

  uint64_t now_unix_ms() const {
    return static_cast<uint64_t>(shared_.unix_ms ? shared_.unix_ms()
                                                 : wall_ms());
  }

  // Windows end to end: one is kept when it starts where the last kept
  // one ended (the tick's windows overlap: each is analyzer.window long,
  // one per tick).
  void keep(const psr::summary::Summary &w, uint64_t now) {
    if (kept_.empty() || w.window.start_ns >= kept_end_ns_) {
      kept_.push_back({w.window.end_ns,
                       nlohmann::json::parse(psr::summary::to_json_text(w))});
      kept_end_ns_ = w.window.end_ns;
    }
    const uint64_t span =
        static_cast<uint64_t>(options_.window.count()) * 1'000'000u;
    while (!kept_.empty() && kept_.front().end_ns + span < now)
      kept_.pop_front();
    // Rule hits of the newest window, for the prompt's rules in force.
    hits_.clear();
    for (const psr::summary::InterfaceSummary &i : w.interfaces)
      if (i.name == iface_)
        for (const psr::summary::RuleSummary &r : i.rules)
          hits_[r.name] = {r.shadow ? r.shadow_hits.per_s : r.hits.per_s,
                           r.shadow ? r.shadow_total : r.total_packets};
  }

  void ask(const AnalyzerInput &in, uint64_t now) {
    const uint64_t interval =
        static_cast<uint64_t>(options_.interval.count()) * 1'000'000u;
    const uint64_t due =
        last_ask_ns_ ? last_ask_ns_ + interval : first_ns_ + interval;
    if (now < due || kept_.empty() || !in.op || worker_.busy())
      return;
    llm::PromptContext ctx;
    ctx.operator_path = in.op->path;
    ctx.operator_text = in.op->text;
    for (const psr::govern::GeneratedRule &g : in.generated) {
      llm::RuleInForce r;
      r.text = g.text();
      r.mode = g.mode == psr::govern::RuleMode::Shadow ? "shadow" : "enforced";
      if (auto h = hits_.find(g.name); h != hits_.end()) {
        r.hits_per_s = h->second.first;
        r.hits_total = h->second.second;
      }
      if (g.ttl_ns && g.accepted_unix_ms) {
        const int64_t left = g.accepted_unix_ms +
                             static_cast<int64_t>(g.ttl_ns / 1'000'000u) -
                             static_cast<int64_t>(now_unix_ms());
        r.ttl_left_ms = left > 0 ? left : 0;
      }
      ctx.generated_rules.push_back(std::move(r));
    }
    for (const Kept &k : kept_)
      ctx.summaries.push_back(k.json);
    if (worker_.start(std::move(ctx))) {
      last_ask_ns_ = now;
      shared_.monitor->asking(iface_, true);
      shared_.log->debug("{}: asking the LLM about {} windows", iface_,
                         kept_.size());
    }
  }

  std::optional<analyze::Proposal> finished(llm::AnalyzerResult r) {
    using O = llm::AnalyzerResult::Outcome;
    shared_.monitor->result(iface_, r, now_unix_ms());
    const char *outcome = llm::outcome_name(r.outcome);
    if (r.outcome == O::Refused || r.outcome == O::Failed) {
      shared_.log->warn("{}: the LLM's answer: {}: {}: {}", iface_, outcome,
                        r.reason, r.message);
      uint64_t in = 0, out = 0;
      for (const analyze::LlmRound &round : r.record.rounds)
        in += round.tokens_in, out += round.tokens_out;
      shared_.record({{"event", "llm_answer"},
                      {"target", {{"ifname", iface_}}},
                      {"proposal_id", ""},
                      {"origin", "llm"},
                      {"outcome", outcome},
                      {"reason", r.reason},
                      {"message", r.message},
                      {"diagnostics", r.diagnostics},
                      {"rounds", r.record.rounds.size()},
                      {"tokens_in", in},
                      {"tokens_out", out},
                      {"model", options_.config.model},
                      {"prompt_version", r.record.prompt_version}});
    } else {
      shared_.log->info("{}: the LLM's answer: {}", iface_, r.message);
    }
    announce(health_.on_result(r));
    if (r.outcome != O::Proposal || !r.proposal)
      return std::nullopt;
    pending_.insert(r.proposal->id);
    return std::move(r.proposal);
  }

  void announce(const std::optional<llm::HealthChange> &c) {
    if (!c)
      return;
    const uint64_t now = now_unix_ms();
    shared_.monitor->state(iface_, c->fallback, c->reason, c->message, now);
    if (c->fallback)
      shared_.log->warn("{}: the {} analyzer fails ({}: {}); the embedded "
                        "detector runs alone until it answers again",
                        iface_, name(), c->reason, c->message);
    else
      shared_.log->info("{}: the {} analyzer answers again; back to the LLM{}",
                        iface_, name(),
                        options_.embedded_with_llm
                            ? " with the embedded detector beside it"
                            : " alone");
    shared_.record({{"event", "analyzer"},
                    {"target", {{"ifname", iface_}}},
                    {"proposal_id", ""},
                    {"origin", "llm"},
                    {"analyzer", name()},
                    {"state", c->fallback ? "fallback" : "ok"},
                    {"reason", c->reason},
                    {"message", c->message}});
  }

  struct Kept {
    uint64_t end_ns;
    nlohmann::json json;
  };

  LlmAnalyzerOptions options_;
  LlmShared &shared_;
  std::unique_ptr<Analyzer> embedded_;
  llm::LlmHealth health_;
  std::string iface_;
  std::deque<Kept> kept_;
  uint64_t kept_end_ns_ = 0;
  std::map<std::string, std::pair<double, uint64_t>> hits_;
  uint64_t first_ns_ = 0, last_ask_ns_ = 0;
  std::set<std::string> pending_; // proposals the governor has not judged
  // Last: its thread stops (and a question in flight is cancelled) before
  // anything above goes.
  llm::BackgroundAnalyzer worker_;
};

} // namespace

std::unique_ptr<Analyzer> make_llm_analyzer(const LlmAnalyzerOptions &options,
                                            LlmShared &shared) {
  return std::make_unique<LlmSeam>(options, shared);
}

} // namespace psd
