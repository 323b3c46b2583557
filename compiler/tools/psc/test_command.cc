// psc test: every input through psl::check_source, then its `test` blocks
// through a PacketEvaluator: by default the compiled policy in the kernel
// (BPF_PROG_TEST_RUN with the injected clock, codegen/kernel_evaluator.h),
// with --interp the reference interpreter. Kernel mode on a machine that
// cannot load and test-run XDP programs says what is missing and exits 2.
#include <algorithm>
#include <memory>
#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/clang_module.h"
#include "codegen/kernel_evaluator.h"
#include "commands.h"
#include "driver.h"
#include "inputs.h"
#include "interp/test_runner.h"
#include "object_cache_choice.h"
#include "report/report.h"

namespace psc {

namespace {

using nlohmann::json;

json location(const psl::SourceRange &r) {
  if (!r.valid())
    return json{{"line", nullptr}, {"column", nullptr}};
  return json{{"line", r.begin.line}, {"column", r.begin.column}};
}

json line_json(const psl::interp::LineResult &f) {
  json j = location(f.range);
  j["ok"] = f.ok();
  if (!f.ok())
    j["message"] = f.message;
  if (f.build_error) {
    j["kind"] = "build";
    return j;
  }
  j["kind"] = "verdict";
  const psl::TestPacket &p = *f.packet;
  j["expected"] = psl::action_name(p.expect);
  if (p.count_op && p.count) {
    j["count_op"] = psl::compare_op_spelling(*p.count_op);
    j["count"] = *p.count;
  }
  j["sent"] = f.sent;
  j["pass"] = f.passed;
  j["drop"] = f.dropped;
  j["pass_rules"] = f.pass_rules;
  j["drop_rules"] = f.drop_rules;
  return j;
}

// An error's notes: the rule the verifier stopped in, at its place.
json notes_json(const std::vector<psl::backend::ErrorNote> &notes) {
  json out = json::array();
  for (const auto &n : notes) {
    json j{{"message", n.message},
           {"line", n.line ? json(n.line) : json(nullptr)},
           {"column", n.column ? json(n.column) : json(nullptr)}};
    if (!n.rule.empty())
      j["rule"] = n.rule;
    out.push_back(std::move(j));
  }
  return out;
}

struct Totals {
  size_t passed = 0;
  size_t failed = 0;
};

} // namespace

int run_test(const TestOptions &options, Streams io) {
  if (!options.interp) {
    std::string missing = psl::codegen::kernel_unavailable_reason();
    if (!missing.empty()) {
      io.err << "psc test: cannot run the tests in the kernel: " << missing
             << "; run 'psc test --interp' to "
                "run them on the reference interpreter\n";
      return kExitEnvironment;
    }
    psl::backend::preload_clang(); // loads while the policy is checked
  }
  psl::codegen::PolicyBuildOptions build;
  if (!options.interp) {
    int status = kExitOk;
    auto cache = open_object_cache({options.no_cache, options.cache_dir},
                                   "test", io, &status);
    if (!cache)
      return status;
    build.object_cache = std::move(*cache);
  }
  const char *evaluator_name = options.interp ? "interp" : "kernel";
  const bool text = options.format == TestOptions::Format::Text;
  psl::TextOptions text_options;
  text_options.color = options.color;

  Totals totals;
  // A policy the kernel could not run for the machine's sake or psc's
  // (not the input's) decides the exit status over failed tests.
  int worst = kExitOk;
  json files = json::array();
  for (const Input &input : expand_inputs(options.paths)) {
    if (input.no_policies) {
      // Nothing to test is not a pass: say so, and exit 1.
      const std::string message =
          "no policies to test: no *.psl file under '" + input.display + "'";
      if (text)
        io.out << input.display << ": error: " << message << "\n";
      files.push_back(json{{"file", input.display},
                           {"status", "error"},
                           {"error", message},
                           {"failed", 0}});
      worst = std::max(worst, int{kExitFindings});
      continue;
    }
    LoadedInput loaded = load_input(input, io.in);
    json file_json{{"file", loaded.file->path()}};
    psl::FileReport report;
    report.file = loaded.file;

    std::optional<psl::CheckedModule> checked;
    if (loaded.problem) {
      report.diagnostics.push_back(std::move(*loaded.problem));
    } else {
      checked.emplace(psl::check_source(loaded.file));
      report.file = checked->diags.file_ptr();
      report.diagnostics = checked->diags.diagnostics();
    }

    // A file that does not check: its diagnostics, and every test block it
    // has (at least one) counts as failed.
    if (!checked || !checked->ok()) {
      size_t tests = checked && checked->module.policy
                         ? checked->module.policy->tests.size()
                         : 0;
      size_t failed = std::max<size_t>(1, tests);
      totals.failed += failed;
      if (text) {
        io.out << psl::render_text(report, text_options);
        io.out << report.file->path() << ": policy does not check; " << failed
               << (failed == 1 ? " test" : " tests") << " not run\n";
      }
      file_json["status"] = "error";
      file_json["diagnostics"] = json::parse(psl::render_json({report}));
      file_json["failed"] = failed;
      files.push_back(std::move(file_json));
      continue;
    }

    const psl::Policy &policy = *checked->module.policy;
    const psl::SourceFile &file = checked->diags.file();
    std::vector<psl::interp::TestResult> results;
    std::optional<psl::backend::Error> run_failure;
    try {
      psl::backend::Expected<std::vector<psl::interp::TestResult>> ran =
          std::vector<psl::interp::TestResult>{};
      if (options.interp) {
        psl::interp::InterpreterEvaluator evaluator(policy);
        ran = psl::interp::run_tests(policy, evaluator);
      } else if (!policy.tests.empty()) {
        auto evaluator =
            psl::codegen::KernelEvaluator::create(policy, &file, build);
        if (!evaluator.ok())
          ran = evaluator.error();
        else
          ran = psl::interp::run_tests(policy, **evaluator);
      }
      if (ran.ok())
        results = std::move(ran.value());
      else
        run_failure = ran.error();
    } catch (const psl::interp::InterpError &e) {
      run_failure = psl::backend::Error::user(e.what());
    }
    if (run_failure) {
      worst = std::max(worst, exit_status(run_failure->kind));
      const std::string &run_error = run_failure->message;
      const std::string &run_detail = run_failure->detail;
      const std::vector<psl::backend::ErrorNote> &run_notes =
          run_failure->notes;
      size_t failed = std::max<size_t>(1, policy.tests.size());
      totals.failed += failed;
      if (text) {
        io.out << file.path() << ": error: cannot run the policy: " << run_error
               << "\n"
               << psl::backend::format_notes(run_notes);
        if (options.verbose && !run_detail.empty())
          io.out << run_detail << (run_detail.back() == '\n' ? "" : "\n");
      }
      file_json["status"] = "error";
      file_json["error"] = run_error;
      if (!run_detail.empty())
        file_json["detail"] = run_detail;
      if (!run_notes.empty())
        file_json["notes"] = notes_json(run_notes);
      file_json["failed"] = failed;
      files.push_back(std::move(file_json));
      continue;
    }

    json tests = json::array();
    for (const auto &r : results) {
      (r.passed() ? totals.passed : totals.failed)++;
      if (text) {
        io.out << psl::interp::format_failures(file, r);
        if (options.verbose) {
          io.out << (r.passed() ? "ok   " : "FAIL ") << file.path()
                 << ": test \"" << r.name << "\" (" << r.packets_sent
                 << (r.packets_sent == 1 ? " packet" : " packets") << ")\n";
          for (const auto &l : r.lines)
            if (!l.build_error)
              io.out << "       " << file.path() << ":" << l.range.begin.line
                     << ": " << l.tally() << "\n";
        }
      }
      json t = location(r.range);
      t["name"] = r.name;
      t["passed"] = r.passed();
      t["packets"] = r.packets_sent;
      json lines = json::array(), failures = json::array();
      for (const auto &l : r.lines) {
        lines.push_back(line_json(l));
        if (!l.ok())
          failures.push_back(lines.back());
      }
      t["lines"] = std::move(lines);
      t["failures"] = std::move(failures);
      tests.push_back(std::move(t));
    }
    file_json["status"] = "ok";
    file_json["tests"] = std::move(tests);
    files.push_back(std::move(file_json));
    if (text)
      io.out.flush();
  }

  const std::string summary = std::to_string(totals.passed) + " passed, " +
                              std::to_string(totals.failed) + " failed";
  if (text) {
    io.out << summary << "\n";
  } else {
    json out{{"evaluator", evaluator_name},
             {"files", std::move(files)},
             {"passed", totals.passed},
             {"failed", totals.failed}};
    io.out << out.dump(2) << "\n";
    io.err << summary << "\n";
  }
  io.out.flush();
  report_store_failures(build.object_cache, "test", io);
  if (worst != kExitOk)
    return worst;
  return totals.failed > 0 ? kExitFindings : kExitOk;
}

} // namespace psc
