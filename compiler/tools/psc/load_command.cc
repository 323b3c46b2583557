// psc load / unload: flags in, the policy runtime (runtime/policy/) does
// the work, text out. What a load carries over from the policy in force,
// and why anything does not, is printed after the "loaded" line.
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <csignal>
#include <unistd.h>

#include "ast/value.h"
#include "backend/clang_module.h"
#include "backend/xdp_attach.h"
#include "codegen/policy_build.h"
#include "commands.h"
#include "object_cache_choice.h"
#include "policy/put_in_force.h"
#include "policy/rule_expiry.h"
#include "policy_target.h"
#include "single_policy.h"

namespace psc {

namespace {

namespace be = psl::backend;
namespace pp = psr::policy;

// The last `n` lines of a log.
std::string tail(const std::string &text, size_t n) {
  size_t pos = text.size();
  while (n > 0 && pos > 0) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) {
      pos = 0;
      break;
    }
    --n;
  }
  return text.substr(pos == 0 ? 0 : pos + 1);
}

std::string join(const std::vector<std::string> &items) {
  std::string s;
  for (const std::string &i : items)
    s += (s.empty() ? "" : ", ") + i;
  return s;
}

// What carried over, in a few lines.
void print_carry(const pp::PutResult &r, std::ostream &out) {
  std::vector<std::string> kept, fresh;
  for (const pp::SetCarry &s : r.sets) {
    if (s.how == pp::CarryHow::Fresh) {
      if (!s.why.empty())
        fresh.push_back("set " + s.name + " (" + s.why + ")");
      continue;
    }
    kept.push_back("set " + s.name + " (" + std::to_string(s.entries) +
                   (s.entries == 1 ? " entry" : " entries") +
                   (s.how == pp::CarryHow::Copy ? ", copied" : "") + ")");
  }
  for (const pp::RateCarry &c : r.rates) {
    if (c.how == pp::CarryHow::Fresh) {
      if (!c.why.empty())
        fresh.push_back("rate state of rule " + c.rule + " (" + c.why + ")");
      continue;
    }
    kept.push_back("rate state of rule " + c.rule +
                   (c.how == pp::CarryHow::Rescale ? " (rescaled to its new "
                                                     "rate)"
                                                   : ""));
  }
  if (!r.counters.carried.empty())
    kept.push_back("counters of " + std::to_string(r.counters.carried.size()) +
                   (r.counters.carried.size() == 1 ? " rule" : " rules"));
  if (!kept.empty())
    out << "  carried over: " << join(kept) << "\n";
  if (!fresh.empty())
    out << "  starts afresh: " << join(fresh) << "\n";
  if (!r.sets_dropped.empty())
    out << "  gone with the old policy: set" +
               std::string(r.sets_dropped.size() == 1 ? " " : "s ")
        << join(r.sets_dropped) << "\n";
  if (!r.counters.dropped.empty())
    out << "  counters of removed rules dropped: " << join(r.counters.dropped)
        << "\n";
}

// PSC_TEST_STOP_AT=STEP (tests only): stop this process (SIGSTOP) when the
// load reaches STEP ("loaded", "state-written", "switched"), so a test can
// kill -9 it exactly there.
std::function<void(std::string_view)> test_stop_hook() {
  const char *at = std::getenv("PSC_TEST_STOP_AT");
  if (at == nullptr || *at == '\0')
    return {};
  const std::string step = at;
  return [step](std::string_view reached) {
    if (reached != step)
      return;
    std::cerr << "psc load: stopping at '" << step << "' (PSC_TEST_STOP_AT)"
              << std::endl;
    ::raise(SIGSTOP);
  };
}

} // namespace

int run_load(const LoadOptions &options, Streams io) {
  int status = kExitOk;
  std::optional<TargetChoice> choice =
      choose_target("load", options.dev, options.netns, /*allow_gone=*/false,
                    io.err, &status);
  if (!choice)
    return status;
  psl::backend::preload_clang(); // loads while the policy is checked
  const pp::Target &target = choice->target;
  const std::string not_loaded =
      "psc load: nothing changed on '" + options.dev + "'\n";
  psl::TextOptions text_options;
  text_options.color = options.color;
  // The build (no kernel needed) runs while the lint and the protect
  // check do; it is thrown away when they find an error, before anything
  // is loaded.
  auto cache = open_object_cache({options.no_cache, options.cache_dir}, "load",
                                 io, &status);
  if (!cache)
    return status;
  be::PolicyBuildOptions build;
  build.object_cache = std::move(*cache);
  std::optional<be::Expected<be::PolicyArtifact>> built;
  auto build_alongside = [&](const psl::Policy &tree,
                             const psl::SourceFile &file) {
    built.emplace(be::build_policy(tree, &file, build));
  };
  std::optional<CheckedPolicy> policy =
      check_single_policy("load", options.path, text_options, io,
                          ShowDiagnostics::All, &status, build_alongside);
  if (!policy) {
    if (status == kExitFindings)
      io.err << not_loaded;
    return status;
  }
  const psl::CheckedModule &checked = policy->checked;
  if (be::Status ready = bpf_ready(); !ready.ok())
    return report_error("load", ready.error(), io.err);

  if (!built) // not reached: a policy that checks got its build alongside
    build_alongside(*checked.module.policy, checked.diags.file());
  if (!built->ok()) {
    const auto &e = built->error();
    io.err << policy->file->path() << ": error: " << e.message << "\n"
           << e.detail << not_loaded;
    return error_status("load", e, io.err);
  }
  if (!built->value().object_cache_error.empty())
    io.err << "psc load: warning: " << built->value().object_cache_error
           << " (the object is built; the next load compiles it again)\n";
  pp::PolicyToLoad load;
  load.artifact = &built->value();
  load.rule_ttls = pp::rule_ttls(*checked.module.policy);
  load.text = policy->file->text();
  {
    char *real = policy->input.path.empty()
                     ? nullptr
                     : ::realpath(policy->input.path.c_str(), nullptr);
    load.source = real != nullptr ? std::string(real) : policy->file->path();
    std::free(real);
  }
  release_tree(*policy);

  pp::PutOptions put;
  put.mode = options.mode == "native"    ? be::XdpMode::Native
             : options.mode == "generic" ? be::XdpMode::Generic
                                         : be::XdpMode::Auto;
  put.reset = options.reset;
  put.on_step = test_stop_hook();
  const pp::StateLayout layout = pp::StateLayout::from_environment();
  be::Expected<pp::PutResult> r = pp::put_in_force(layout, target, load, put);
  if (!r) {
    const be::Error &e = r.error();
    const bool verifier =
        e.message.rfind("the kernel rejected the policy", 0) == 0;
    io.err << (verifier ? policy->file->path() + ": error: "
                        : std::string("psc load: "))
           << e.message << "\n"
           << be::format_notes(e.notes);
    if (!e.detail.empty())
      io.err << (verifier ? "verifier log (last lines):\n" : "")
             << (verifier ? tail(e.detail, 20) : e.detail)
             << (e.detail.back() == '\n' ? "" : "\n");
    io.err << not_loaded;
    return error_status("load", e, io.err);
  }
  io.out << "loaded policy '" << r->policy << "' on " << options.dev << " ("
         << be::xdp_mode_name(r->mode) << ", program " << r->prog_id
         << ", link " << r->link_id
         << (r->replaced_prog_id
                 ? ", replaced program " + std::to_string(r->replaced_prog_id)
                 : std::string())
         << (r->reset ? ", reset" : "") << ")\n";
  print_carry(*r, io.out);
  for (const std::string &n : r->notes)
    io.err << "psc load: note: " << n << "\n";
  std::vector<std::string> ttl_rules;
  for (const auto &[name, ttl] : load.rule_ttls)
    ttl_rules.push_back(name + " (ttl " + psl::duration_text(ttl) + ")");
  if (!ttl_rules.empty() && !pp::expiry_enforced(layout, target.netns))
    io.err << "psc load: warning: rule ttls are enforced by psd, which is "
              "not running in this network namespace: "
           << join(ttl_rules) << (ttl_rules.size() == 1 ? " stays" : " stay")
           << " in force until psd runs or another load replaces the policy\n";
  return kExitOk;
}

int run_unload(const UnloadOptions &options, Streams io) {
  int status = kExitOk;
  std::optional<TargetChoice> choice =
      choose_target("unload", options.dev, options.netns, /*allow_gone=*/true,
                    io.err, &status);
  if (!choice)
    return status;
  if (be::Status ready = bpf_ready(); !ready.ok())
    return report_error("unload", ready.error(), io.err);
  be::Expected<pp::TakeDownResult> r =
      pp::take_down(pp::StateLayout::from_environment(), choice->target);
  if (!r)
    return report_error("unload", r.error(), io.err);
  io.out << "unloaded "
         << (r->policy.empty() ? std::string("the policy")
                               : "policy '" + r->policy + "'")
         << " from " << options.dev << "\n";
  return kExitOk;
}

} // namespace psc
