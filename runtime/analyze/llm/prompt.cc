#include "analyze/llm/prompt.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <sstream>

#include "analyze/llm/language_reference.h"
#include "analyze/llm/prompt_files.h"
#include "diag/diagnostics.h"
#include "fmt/printer.h"
#include "frontend/parser.h"

namespace psr::analyze::llm {

using psl::backend::Error;
using psl::backend::Expected;

namespace {

const char *answer_section(OutputMode m) {
  switch (m) {
  case OutputMode::JsonObject:
  case OutputMode::JsonSchema:
    return "json";
  case OutputMode::Text:
    return "text";
  case OutputMode::Gbnf:
  case OutputMode::VllmGrammar:
    return "psl";
  }
  return "json";
}

// Keeps the `@@answer NAME` section for this mode, drops the others.
std::string select_sections(std::string_view text, const std::string &keep) {
  std::istringstream in{std::string(text)};
  std::string out, line, section;
  while (std::getline(in, line)) {
    if (line.rfind("@@answer ", 0) == 0) {
      section = line.substr(9);
      continue;
    }
    if (line == "@@end") {
      section.clear();
      continue;
    }
    if (section.empty() || section == keep)
      out += line + "\n";
  }
  return out;
}

// Replaces every {{key}} in one pass over the template (a value is never
// scanned for placeholders). A placeholder without a value, or a value
// the template never uses, is a bug in the templates or here.
std::string fill(std::string_view text,
                 const std::vector<std::pair<std::string, std::string>> &vars) {
  std::string out;
  std::vector<bool> used(vars.size(), false);
  size_t at = 0;
  for (size_t open = text.find("{{"); open != std::string_view::npos;
       open = text.find("{{", at)) {
    size_t close = text.find("}}", open);
    if (close == std::string_view::npos)
      throw psl::InternalError("prompt template has an unclosed '{{'");
    std::string_view key = text.substr(open + 2, close - open - 2);
    size_t i = 0;
    while (i < vars.size() && vars[i].first != key)
      ++i;
    if (i == vars.size())
      throw psl::InternalError("prompt template has no value for {{" +
                               std::string(key) + "}}");
    used[i] = true;
    out.append(text.substr(at, open - at));
    out += vars[i].second;
    at = close + 2;
  }
  out.append(text.substr(at));
  for (size_t i = 0; i < vars.size(); ++i)
    if (!used[i])
      throw psl::InternalError("prompt template has no {{" + vars[i].first +
                               "}}");
  return out;
}

uint64_t fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string random_tag() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

std::string example(std::string_view name, std::string_view text) {
  auto file = std::make_shared<const psl::SourceFile>(std::string(name),
                                                      std::string(text));
  psl::DiagnosticSink diags(file);
  psl::Module m = psl::parse_policy(file, diags);
  if (!m.policy || diags.has_errors())
    throw psl::InternalError("example policy " + std::string(name) +
                             " does not parse");
  m.header_comments.clear();
  m.footer_comments.clear();
  auto &decls = m.policy->decls;
  decls.erase(std::remove_if(decls.begin(), decls.end(),
                             [](const psl::DeclPtr &d) {
                               return d->kind == psl::DeclKind::Test;
                             }),
              decls.end());
  m.policy->tests.clear();
  m.policy->trailing_inner_comments.clear();
  for (auto &d : decls) {
    d->leading_comments.clear();
    d->trailing_comment.reset();
  }
  m.file.reset(); // no blank lines from the source
  return psl::format_module(m);
}

std::string operator_section(const OperatorView &op) {
  if (op.policy.empty())
    return "No operator policy is in force: nothing is protected, and any "
           "name is free.\n";
  std::ostringstream s;
  s << "Policy `" << op.policy << "`.\n\n";
  s << "Names it declares (do not use them): ";
  for (size_t i = 0; i < op.names.size(); ++i)
    s << (i ? ", " : "") << "`" << op.names[i] << "`";
  s << (op.names.empty() ? "none.\n\n" : ".\n\n");
  if (op.protects.empty() && op.runtime_protects.empty()) {
    s << "It protects nothing.\n";
  } else {
    s << "Traffic it protects (no rule of yours may drop any of it):\n\n";
    for (const std::string &p : op.protects)
      s << "    protect " << p << "\n";
    for (const std::string &p : op.runtime_protects)
      s << "    protect " << p << "    # a dynamic set: its members change\n";
  }
  if (!op.dynamic_sets.empty()) {
    s << "\nIts dynamic sets (filled at run time): ";
    for (size_t i = 0; i < op.dynamic_sets.size(); ++i)
      s << (i ? ", " : "") << "`" << op.dynamic_sets[i] << "`";
    s << ".\n";
  }
  return s.str();
}

// A rule's text as the prompt shows it: one line, no comment (a comment
// written by a model must not come back to it as an instruction).
std::string rule_line(const std::string &text) {
  std::string out;
  bool space = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '#') {
      while (i < text.size() && text[i] != '\n')
        ++i;
      space = true;
      continue;
    }
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = true;
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '<')
      continue;
    if (space && !out.empty())
      out += ' ';
    space = false;
    out += c;
  }
  if (out.size() > 400)
    out = out.substr(0, 400) + " ...";
  return out;
}

std::string rules_section(const std::vector<RuleInForce> &rules) {
  if (rules.empty())
    return "None.\n";
  std::ostringstream s;
  s << "Rules proposed earlier (by you or the embedded detector) and in "
       "force now, after the operator's rules:\n\n";
  for (const RuleInForce &r : rules) {
    char hits[64];
    std::snprintf(hits, sizeof hits, "%.4g", r.hits_per_s);
    s << "    " << rule_line(r.text) << "\n        # "
      << (r.mode == "shadow" ? "shadow" : "enforced") << ", " << hits
      << " hits/s in the last window, " << r.hits_total << " in total";
    if (r.ttl_left_ms)
      s << ", expires in " << (*r.ttl_left_ms + 59999) / 60000 << "m";
    s << "\n";
  }
  return s.str();
}

std::string summary_note(const WindowSelection &w, size_t total) {
  std::ostringstream s;
  if (total == 0)
    return "No summaries yet.";
  s << total << " windows; " << w.shown.size()
    << " in detail (the most significant that fit the budget)";
  if (!w.omitted.empty()) {
    s << "; not in detail: ";
    for (size_t i = 0; i < w.omitted.size() && i < 40; ++i)
      s << (i ? ", " : "") << w.omitted[i];
    if (w.omitted.size() > 40)
      s << " and " << w.omitted.size() - 40 << " more";
  }
  if (w.index_lines_dropped)
    s << "; the index leaves out the " << w.index_lines_dropped
      << " oldest windows";
  s << ".";
  return s.str();
}

std::string without_last_newline(std::string s) {
  if (!s.empty() && s.back() == '\n')
    s.pop_back();
  return s;
}

std::string system_text(OutputMode output, size_t max_rules) {
  return fill(select_sections(prompts::system_v1(), answer_section(output)),
              {{"max_rules", std::to_string(max_rules)},
               {"language_reference", language_reference()},
               {"examples", "```psl\n" + example_policies() + "```"}});
}

} // namespace

std::string example_policies() {
  return example("syn_flood.psl", prompts::example_syn_flood()) + "\n" +
         example("udp_reflection.psl", prompts::example_udp_reflection()) +
         "\n" + example("port_scan.psl", prompts::example_port_scan());
}

std::string prompt_version(OutputMode output) {
  uint64_t h = 14695981039346656037ull;
  h = fnv1a(h, prompts::system_v1());
  h = fnv1a(h, prompts::context_v1());
  h = fnv1a(h, prompts::repair_v1());
  h = fnv1a(h, language_reference());
  h = fnv1a(h, example_policies());
  h = fnv1a(h, answer_section(output));
  char buf[32];
  std::snprintf(buf, sizeof buf, "v1-%016llx",
                static_cast<unsigned long long>(h));
  return buf;
}

std::string repair_message(const std::string &diagnostics) {
  return fill(prompts::repair_v1(), {{"diagnostics", diagnostics}});
}

Expected<Prompt> build_prompt(const PromptContext &ctx,
                              const PromptOptions &options) {
  Prompt p;
  if (!ctx.operator_text.empty()) {
    auto op = read_operator_policy(ctx.operator_path, ctx.operator_text);
    if (!op)
      return op.error();
    p.op = std::move(*op);
  }
  p.windows = select_windows(ctx.summaries, options.windows);
  std::string tag = options.nonce.empty() ? random_tag() : options.nonce;
  p.system = system_text(options.output, options.max_rules);
  p.user =
      fill(prompts::context_v1(),
           {{"operator", operator_section(p.op)},
            {"rules_in_force", rules_section(ctx.generated_rules)},
            {"summary_note", summary_note(p.windows, ctx.summaries.size())},
            {"nonce", tag},
            {"index", without_last_newline(p.windows.index)},
            {"details", without_last_newline(p.windows.details)}});
  p.version = prompt_version(options.output);
  return p;
}

} // namespace psr::analyze::llm
