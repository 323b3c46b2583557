// Benchmarks of `psc check`'s pipeline on generated policies (Google
// Benchmark; not a test: scripts/bench runs it, docs/performance.md keeps
// the numbers).
//
// For each shape (exact, prefix, port, mixed, rate) and size (1k, 10k, 100k
// rules) written by tests/bench/gen_policy.py (the `bench_policies` target):
//   parse/<shape>/<rules>  the frontend alone (text to AST)
//   check/<shape>/<rules>  psl::check_source: parse and every frontend pass
//   lower/<shape>/<rules>  lowering the checked policy to the classifier
//                          (groups, keys, map entries), as psc build and
//                          psc load do before generating the C; the check
//                          runs once, outside the timing
// The difference of the first two is the cost of the passes. Repeated
// iterations reuse memory the first one touched, which a single psc run
// never does: compare these numbers with each other, not with a run.
//
// Counters: rules, rules/s, diagnostics (what the lint said: a generated
// policy is not free of warnings), peak_rss_MiB (the process's peak resident
// set during the benchmark: the kernel's high-water mark is reset before
// each one, so it is not inflated by an earlier, larger benchmark), and
// input_MiB (the size of the policy text).
//
// The policies are read from $PSC_BENCH_POLICY_DIR, or from the directory
// the build wrote them to.
#include <benchmark/benchmark.h>

#include "allocator/allocator.h"

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "driver.h"
#include "frontend/parser.h"
#include "lower/lower.h"

#ifndef PSC_BENCH_POLICY_DIR
#define PSC_BENCH_POLICY_DIR "."
#endif

namespace {

namespace fs = std::filesystem;

// Resets the kernel's peak-RSS mark (VmHWM, which getrusage's ru_maxrss
// reads for a live process) to the current RSS. Linux >= 4.0.
void reset_peak_rss() {
  psl::allocator::release_free_memory(); // or freed memory stays counted
  if (FILE *f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
}

double peak_rss_mib() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0; // ru_maxrss is in KiB
}

std::string read_file(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

struct Input {
  std::string shape;
  int rules;
  fs::path path;
};

void set_common_counters(benchmark::State &state, const Input &in,
                         const std::string &text) {
  state.counters["rules"] = in.rules;
  state.counters["rules/s"] = benchmark::Counter(
      in.rules, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["input_MiB"] =
      static_cast<double>(text.size()) / (1024.0 * 1024.0);
  state.counters["peak_rss_MiB"] = peak_rss_mib();
}

void bm_parse(benchmark::State &state, const Input &in) {
  const std::string text = read_file(in.path);
  reset_peak_rss();
  size_t diagnostics = 0;
  for (auto _ : state) {
    auto file = std::make_shared<const psl::SourceFile>(in.path.string(), text);
    psl::DiagnosticSink diags(file);
    psl::Module m = psl::parse_policy(file, diags);
    if (!m.policy || diags.has_errors()) {
      state.SkipWithError("the generated policy does not parse");
      break;
    }
    diagnostics = diags.diagnostics().size();
    benchmark::DoNotOptimize(m);
  }
  set_common_counters(state, in, text);
  state.counters["diagnostics"] = static_cast<double>(diagnostics);
}

void bm_check(benchmark::State &state, const Input &in) {
  const std::string text = read_file(in.path);
  reset_peak_rss();
  size_t diagnostics = 0;
  for (auto _ : state) {
    psl::CheckedModule m = psl::check_source(in.path.string(), text);
    if (!m.module.policy || m.diags.has_errors()) {
      state.SkipWithError("the generated policy has errors");
      break;
    }
    diagnostics = m.diags.diagnostics().size();
    benchmark::DoNotOptimize(m);
  }
  set_common_counters(state, in, text);
  state.counters["diagnostics"] = static_cast<double>(diagnostics);
}

void bm_lower(benchmark::State &state, const Input &in) {
  const std::string text = read_file(in.path);
  const psl::CheckedModule m = psl::check_source(in.path.string(), text);
  if (!m.ok()) {
    state.SkipWithError("the generated policy has errors");
    return;
  }
  reset_peak_rss();
  size_t entries = 0;
  for (auto _ : state) {
    psl::lower::LowerResult r =
        psl::lower::lower_policy(*m.module.policy, m.module.file.get());
    if (!r.ok()) {
      state.SkipWithError("the generated policy does not lower");
      break;
    }
    entries = r.classifier.entries.size();
    benchmark::DoNotOptimize(r);
  }
  set_common_counters(state, in, text);
  state.counters["map_entries"] = static_cast<double>(entries);
}

} // namespace

int main(int argc, char **argv) {
  psl::allocator::configure();
  benchmark::AddCustomContext("allocator", psl::allocator::describe());
  benchmark::Initialize(&argc, argv);

  const char *env = std::getenv("PSC_BENCH_POLICY_DIR");
  const fs::path dir = env && *env ? env : PSC_BENCH_POLICY_DIR;
  const std::vector<std::string> shapes = {"exact", "prefix", "port", "mixed",
                                           "rate"};
  const std::vector<int> sizes = {1000, 10000, 100000};

  std::vector<Input> inputs;
  for (const std::string &shape : shapes)
    for (int n : sizes) {
      fs::path p = dir / (shape + "_" + std::to_string(n) + ".psl");
      if (fs::exists(p))
        inputs.push_back({shape, n, p});
    }
  if (inputs.empty()) {
    std::fprintf(stderr,
                 "check_bench: no policies in %s (build the bench_policies "
                 "target, or set PSC_BENCH_POLICY_DIR)\n",
                 dir.c_str());
    return 1;
  }

  for (const Input &in : inputs) {
    const std::string suffix = in.shape + "/" + std::to_string(in.rules);
    benchmark::RegisterBenchmark(("parse/" + suffix).c_str(), bm_parse, in)
        ->Unit(benchmark::kMillisecond)
        ->MeasureProcessCPUTime()
        ->UseRealTime();
    benchmark::RegisterBenchmark(("check/" + suffix).c_str(), bm_check, in)
        ->Unit(benchmark::kMillisecond)
        ->MeasureProcessCPUTime()
        ->UseRealTime();
    benchmark::RegisterBenchmark(("lower/" + suffix).c_str(), bm_lower, in)
        ->Unit(benchmark::kMillisecond)
        ->MeasureProcessCPUTime()
        ->UseRealTime();
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
