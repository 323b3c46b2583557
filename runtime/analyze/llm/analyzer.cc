#include "analyze/llm/analyzer.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "analyze/evidence.h"
#include "analyze/llm/answer.h"
#include "analyze/llm/answer_check.h"
#include "grammar_export/grammar_export.h"

namespace psr::analyze::llm {

const char *outcome_name(AnalyzerResult::Outcome o) {
  switch (o) {
  case AnalyzerResult::Outcome::Proposal:
    return "proposal";
  case AnalyzerResult::Outcome::NoChange:
    return "no_change";
  case AnalyzerResult::Outcome::Refused:
    return "refused";
  case AnalyzerResult::Outcome::Failed:
    return "failed";
  }
  return "failed";
}

namespace {

// What goes back to the model of its own answer in a repair round.
constexpr size_t kEchoBytes = 32 << 10;
// The model's words kept in a result.
constexpr size_t kAnalysisBytes = 4096;

std::string grammar_for(OutputMode mode) {
  if (mode != OutputMode::Gbnf && mode != OutputMode::VllmGrammar)
    return "";
  psl::grammar::ExportOptions o;
  o.format = mode == OutputMode::Gbnf ? psl::grammar::Format::Gbnf
                                      : psl::grammar::Format::Ebnf;
  o.generated_only = true;
  return psl::grammar::export_grammar(o);
}

} // namespace

LlmAnalyzer::LlmAnalyzer(LlmConfig config, ApiKey key, Budget &budget,
                         AnalyzerHooks hooks)
    : config_(config),
      chat_(std::move(config), std::move(key), budget, hooks.chat),
      hooks_(std::move(hooks)) {
  if (!hooks_.unix_ms)
    hooks_.unix_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
}

std::string LlmAnalyzer::next_id(int64_t now_ms) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "llm-%lld-%04llx",
                static_cast<long long>(now_ms),
                static_cast<unsigned long long>(++serial_ & 0xffff));
  return buf;
}

AnalyzerResult LlmAnalyzer::analyze(const PromptContext &context) {
  AnalyzerResult result;
  const Redactor &redact = chat_.redactor();
  result.record.provider = provider_name(config_.provider);
  result.record.model = config_.model;

  PromptOptions po;
  po.output = config_.output;
  po.max_rules = config_.max_rules;
  po.windows.token_budget = config_.summary_token_budget;
  auto prompt = build_prompt(context, po);
  if (!prompt) {
    result.outcome = AnalyzerResult::Outcome::Failed;
    result.reason = "operator_policy";
    result.message = redact(prompt.error().message);
    result.diagnostics = redact(prompt.error().detail);
    return result;
  }
  result.record.prompt_version = prompt->version;
  const std::string grammar = grammar_for(config_.output);

  std::vector<ChatMessage> messages{{ChatMessage::Role::System, prompt->system},
                                    {ChatMessage::Role::User, prompt->user}};
  CheckLimits limits{config_.max_policy_bytes, config_.max_rules};

  for (unsigned round = 0;; ++round) {
    if (hooks_.dump) {
      std::vector<ChatMessage> shown = messages;
      for (ChatMessage &m : shown)
        m.content = redact(m.content);
      hooks_.dump(shown);
    }
    ChatResult chat = chat_.chat(messages, grammar);
    result.attempts.insert(result.attempts.end(), chat.stats.attempts.begin(),
                           chat.stats.attempts.end());
    if (!chat.ok()) {
      bool answer_too_big = chat.failure == ChatFailure::TooLarge;
      result.outcome = answer_too_big ? AnalyzerResult::Outcome::Refused
                                      : AnalyzerResult::Outcome::Failed;
      result.reason = failure_name(chat.failure);
      result.message = chat.message;
      return result;
    }
    LlmRound rec;
    rec.round = round;
    rec.tokens_in = chat.reply->tokens_in;
    rec.tokens_out = chat.reply->tokens_out;
    rec.latency_s = chat.stats.latency_s;
    rec.attempts = static_cast<unsigned>(chat.stats.attempts.size());
    const std::string &content = chat.reply->content;

    auto refuse = [&](std::string reason, std::string message) {
      result.record.rounds.push_back(rec);
      result.outcome = AnalyzerResult::Outcome::Refused;
      result.reason = std::move(reason);
      result.message = redact(message);
      return result;
    };
    if (redact.contains_secret(content))
      return refuse("names_secret",
                    "the answer contains the API key; it is discarded");

    ExtractedAnswer answer = extract_answer(content);
    result.analysis = clean_text(answer.analysis, kAnalysisBytes);
    if (answer.kind == ExtractedAnswer::Kind::Empty)
      return refuse("empty_answer", "the model's answer is empty");
    if (answer.kind == ExtractedAnswer::Kind::NoPolicy) {
      result.record.rounds.push_back(rec);
      result.outcome = AnalyzerResult::Outcome::NoChange;
      result.message = "the model proposes no change";
      return result;
    }

    CheckOutcome check = check_policy_answer(answer.policy, "answer.psl",
                                             prompt->op, limits, redact);
    rec.diagnostics = check.diagnostics;
    if (check.accepted) {
      result.record.rounds.push_back(rec);
      Proposal p;
      p.created_unix_ms = hooks_.unix_ms();
      p.id = next_id(p.created_unix_ms);
      p.origin = Origin::Llm;
      p.kind = Proposal::Kind::Policy;
      p.psl = check.psl;
      p.policy_name = check.policy_name;
      p.rules = check.rules;
      p.analysis = result.analysis;
      // Evidence: what the model cited among the windows of its context
      // (in detail or in the index), its counters read again from those
      // windows (evidence.h): a name the window does not have is left out,
      // a value is the window's, whatever the model wrote. A counter cites
      // its window. A window of the index counts: what the governor holds
      // a shadow rule against is the window's measurement, never the
      // model's word.
      std::set<uint64_t> cited(answer.windows.begin(), answer.windows.end());
      std::map<uint64_t, const nlohmann::json *> known;
      for (const nlohmann::json &s : context.summaries)
        if (s.is_object() && s.contains("seq") && s["seq"].is_number_unsigned())
          known[s["seq"].get<uint64_t>()] = &s;
      for (const EvidenceCounter &c : answer.counters) {
        auto window = known.find(c.window);
        std::optional<ResolvedCounter> real;
        if (window != known.end())
          real = resolve_counter(*window->second, c.name);
        if (!real) {
          ++result.counters_discarded;
          continue;
        }
        cited.insert(c.window);
        p.evidence.counters.push_back(
            {c.window, clean_text(redact(real->name), 200), real->value});
      }
      for (uint64_t seq : cited) {
        auto window = known.find(seq);
        if (window == known.end())
          continue;
        const nlohmann::json w =
            window->second->value("window", nlohmann::json::object());
        p.evidence.windows.push_back({seq, w.value("start_unix_ms", int64_t{0}),
                                      w.value("end_unix_ms", int64_t{0})});
      }
      p.evidence.cited = !p.evidence.windows.empty();
      if (!p.evidence.cited)
        p.evidence.windows = prompt->windows.shown;
      p.llm = result.record;
      result.outcome = AnalyzerResult::Outcome::Proposal;
      result.message = "proposal " + p.id + " (" +
                       std::to_string(p.rules.size()) + " rules) after " +
                       std::to_string(round + 1) + " round" +
                       (round ? "s" : "");
      result.proposal = std::move(p);
      return result;
    }
    if (!check.repairable || round >= config_.repair_rounds) {
      result.diagnostics = check.diagnostics;
      return refuse(check.reason,
                    check.message +
                        (check.repairable
                             ? " after " + std::to_string(round + 1) + " rounds"
                             : ""));
    }
    result.record.rounds.push_back(rec);
    messages.push_back({ChatMessage::Role::Assistant,
                        clean_text(redact(content), kEchoBytes)});
    messages.push_back(
        {ChatMessage::Role::User, repair_message(check.diagnostics)});
  }
}

} // namespace psr::analyze::llm
