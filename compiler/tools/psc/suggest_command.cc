// psc suggest: a capture through an analyzer and the governor, nothing
// loaded. The work is runtime/suggest's; this file turns flags into its
// options and prints its report.
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <ostream>
#include <string>

#include "analyze/llm/api_key.h"
#include "analyze/llm/config.h"
#include "analyze/llm/provider.h"
#include "analyze/llm/settings.h"
#include "commands.h"
#include "frontend/literals.h"
#include "suggest/default_policy.h"
#include "suggest/suggest.h"
#include "suggest/suggest_report.h"

namespace psc {

namespace {

namespace sg = psr::suggest;
namespace llm = psr::analyze::llm;

// A PSL duration ("1s", "500ms") in ns; false with a message on `err`.
bool duration(const std::string &flag, const std::string &text, uint64_t &ns,
              std::ostream &err) {
  psl::frontend::LiteralResult d = psl::frontend::parse_duration_literal(text);
  if (!d.ok() || std::get<psl::Duration>(d.value.v).ns == 0) {
    err << "psc suggest: " << flag << " '" << text
        << "' is not a duration longer than 0 (500ms, 1s, 2m)\n";
    return false;
  }
  ns = std::get<psl::Duration>(d.value.v).ns;
  return true;
}

} // namespace

int run_suggest(const SuggestCommandOptions &options, Streams io) {
  sg::SuggestOptions o;
  o.pcap = options.pcap;
  std::optional<sg::AnalyzerKind> kind =
      sg::analyzer_from_name(options.analyzer);
  if (!kind) {
    io.err << "psc suggest: unknown analyzer '" << options.analyzer
           << "' (embedded, openai or ollama)\n";
    return kExitUsage;
  }
  o.analyzer = *kind;
  if (!duration("--window", options.window, o.replay.window_ns, io.err))
    return kExitUsage;
  if (!options.until.empty() &&
      !duration("--until", options.until, o.replay.until_ns, io.err))
    return kExitUsage;

  if (o.analyzer == sg::AnalyzerKind::Embedded) {
    if (!options.llm.empty() || !options.key_file.empty()) {
      io.err << "psc suggest: --llm-"
             << (options.llm.empty() ? std::string("key-file")
                                     : options.llm.front().first)
             << " is for --analyzer openai or ollama\n";
      return kExitUsage;
    }
  } else {
    for (const auto &[key, value] : options.llm)
      if (psl::backend::Status s = llm::apply_setting(o.llm, key, value);
          !s.ok()) {
        io.err << "psc suggest: --llm-" << key << ": " << s.error().message
               << "\n";
        return kExitUsage;
      }
    // The provider is the analyzer's; a missing URL or model is a usage
    // error, found before the capture is replayed.
    o.llm.provider = o.analyzer == sg::AnalyzerKind::Ollama
                         ? llm::Provider::Ollama
                         : llm::Provider::OpenAi;
    if (psl::backend::Status s = llm::validate(o.llm); !s.ok()) {
      io.err << "psc suggest: " << s.error().message << "\n";
      return kExitUsage;
    }
    auto key =
        llm::load_api_key(options.key_file, std::getenv("PSC_LLM_API_KEY"));
    if (!key) {
      io.err << "psc suggest: " << key.error().message << "\n";
      return kExitUsage;
    }
    o.key = std::move(*key);
    if (options.verbose)
      o.dump = [&io](const std::vector<llm::ChatMessage> &messages) {
        for (const llm::ChatMessage &m : messages)
          io.err << "--- " << llm::role_name(m.role) << "\n"
                 << m.content << "\n";
        io.err << "---\n";
      };
  }

  if (options.policy.empty()) {
    o.policy_path = sg::kDefaultPolicyName;
    o.policy_text = std::string(sg::default_policy_text());
  } else {
    std::ifstream in(options.policy, std::ios::binary);
    if (!in) {
      io.err << options.policy << ": error: cannot read the policy\n";
      return kExitFindings;
    }
    o.policy_path = options.policy;
    o.policy_text.assign(std::istreambuf_iterator<char>(in), {});
  }

  auto r = sg::run_suggest(o);
  if (!r) {
    const psl::backend::Error &e = r.error();
    io.err << "psc suggest: " << e.message << "\n";
    if (!e.detail.empty())
      io.err << e.detail << (e.detail.back() == '\n' ? "" : "\n");
    return exit_status(e.kind);
  }
  if (options.format == SuggestCommandOptions::Format::Json)
    io.out << sg::report_json(*r, o).dump(2) << "\n";
  else
    io.out << sg::report_text(*r, o);
  io.out.flush();
  using Outcome = sg::SuggestResult::Outcome;
  return r->outcome == Outcome::Accepted || r->outcome == Outcome::NoChange
             ? kExitOk
             : kExitFindings;
}

} // namespace psc
