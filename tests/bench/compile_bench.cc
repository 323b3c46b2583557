// How long eBPF C takes to become a BPF object: BpfCompiler (Clang 14 in
// this process, memory to memory) against the `clang-14 -O2 -g -target bpf
// -c` command line on the same file, for a 100-rule policy and a tiny
// program (which shows the fixed cost of starting a compiler). Also the
// kernel side, load + verify, when the machine allows BPF.
//
// And for generated policies (gen_policy.py, bench_policies):
//   policy_compile/in_process    build_policy's compile step: Clang in
//                                process on the generated C (parser only
//                                declared) plus the link with the parser
//                                compiled when psc was built; cpu_ms is its
//                                CPU time, to set against child_cpu_ms;
//   policy_compile/command_line  the clang command line on the C that
//                                build_policy keeps (the parser inlined),
//                                to an object file;
//   policy_to_loaded/in_process  PSL text to a loaded program with its maps
//                                written: check_source, build_policy,
//                                load_policy (what psc load does before
//                                attaching);
//   policy_to_loaded/command_line  the same steps with the compile done by
//                                the command line: check, lower and
//                                generate as timed by build_policy, then
//                                clang, then load_policy on its object.
//
// Timings are wall-clock (UseRealTime): the command line's work happens in
// a child process, which CPU time of this process would not see; its
// child_cpu_ms counter is the child's CPU time, to compare with the CPU
// column of in_process when the machine is busy.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "allocator/allocator.h"
#include <time.h>
#include <unistd.h>

#include "backend/bpf_features.h"
#include "backend/bpf_object.h"
#include "backend/clang_compiler.h"
#include "backend/prebuilt_objects.h"
#include "backend/static_link.h"
#include "clang_command_line.h"
#include "codegen/policy_build.h"
#include "driver.h"

namespace psl::backend {

// The policy build (compiler/codegen/) this test drives.
using namespace psl::codegen;
namespace {

std::string data_path(const std::string &name) {
  return std::string(PSC_BENCH_DATA) + "/" + name;
}

std::string read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

CompileOptions bench_options() {
  CompileOptions options;
  options.include_dirs.push_back(PSC_BPF_TEMPLATES_DIR);
  return options;
}

void in_process(benchmark::State &state, const char *file) {
  const BpfCompiler compiler(bench_options());
  const std::string text = read_file(data_path(file));
  size_t bytes = 0;
  for (auto _ : state) {
    CompileResult result = compiler.compile(text, file);
    if (!result.ok()) {
      state.SkipWithError(result.format_diagnostics().c_str());
      return;
    }
    bytes = result.object.size();
    benchmark::DoNotOptimize(result.object.data());
  }
  state.counters["object_bytes"] = static_cast<double>(bytes);
}

// The same compile as a subprocess, writing the object to /dev/null.
void command_line(benchmark::State &state, const char *file) {
  const BpfCompiler compiler(bench_options());
  const std::vector<std::string> args =
      bench::clang_command(compiler.options(), data_path(file), "/dev/null");
  double child_cpu_seconds = 0;
  for (auto _ : state) {
    const bench::ChildResult child = bench::run_child(args);
    child_cpu_seconds += child.cpu_seconds;
    if (!child.succeeded) {
      state.SkipWithError("the clang command line failed");
      return;
    }
  }
  // The compiler's own CPU time, comparable with in_process's CPU column.
  state.counters["child_cpu_ms"] = benchmark::Counter(
      child_cpu_seconds * 1e3, benchmark::Counter::kAvgIterations);
}

// Kernel side: open the ELF, create the maps, verify and load.
void load_and_verify(benchmark::State &state, const char *file) {
  if (!bpf_features().load) {
    state.SkipWithError(bpf_features().load.reason.c_str());
    return;
  }
  CompileResult result =
      BpfCompiler(bench_options()).compile(read_file(data_path(file)), file);
  if (!result.ok()) {
    state.SkipWithError(result.format_diagnostics().c_str());
    return;
  }
  for (auto _ : state) {
    Expected<BpfObject> object = BpfObject::open(result.object, "bench");
    if (!object || !object->load().ok()) {
      state.SkipWithError("load failed");
      return;
    }
  }
}

BENCHMARK_CAPTURE(in_process, rules100, "rules100.c")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(command_line, rules100, "rules100.c")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(in_process, tiny, "xdp_count.c")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(command_line, tiny, "xdp_count.c")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(load_and_verify, rules100, "rules100.c")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// --- generated policies ------------------------------------------------------

namespace fs = std::filesystem;

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

struct PolicyCase {
  std::string shape;
  int rules = 0;
  std::string text() const {
    return read_file(std::string(PSC_BENCH_POLICY_DIR) + "/" + shape + "_" +
                     std::to_string(rules) + ".psl");
  }
};

// A checked policy and the artifact build_policy makes of it, or why not.
struct Built {
  CheckedModule checked;
  double check_ms = 0;
  Expected<PolicyArtifact> artifact;
};
Built build(const std::string &text) {
  auto start = std::chrono::steady_clock::now();
  CheckedModule checked = check_source("bench.psl", text);
  const double check_ms = ms_since(start);
  Expected<PolicyArtifact> artifact =
      checked.ok()
          ? build_policy(*checked.module.policy, checked.diags.file_ptr().get())
          : Expected<PolicyArtifact>(Error(
                "the policy does not check (build the bench_policies target)"));
  return Built{std::move(checked), check_ms, std::move(artifact)};
}

// A new file in the temporary directory ($TMPDIR, else the system's), named
// psc-bench-XXXXXX<suffix>; its open descriptor in *fd (-1 on failure).
std::string make_temp_file(const std::string &suffix, int *fd) {
  std::string name =
      (std::filesystem::temp_directory_path() / ("psc-bench-XXXXXX" + suffix))
          .string();
  *fd = mkstemps(name.data(), static_cast<int>(suffix.size()));
  return name;
}

// The generated C in a file, for the command line; removed on destruction.
class TempSource {
public:
  explicit TempSource(const std::string &text) {
    int fd = -1;
    path_ = make_temp_file(".c", &fd);
    if (fd >= 0) {
      ok_ = write(fd, text.data(), text.size()) ==
            static_cast<ssize_t>(text.size());
      close(fd);
    }
  }
  ~TempSource() { std::remove(path_.c_str()); }
  bool ok() const { return ok_; }
  const std::string &path() const { return path_; }

private:
  std::string path_;
  bool ok_ = false;
};

// The options build_policy compiles with (-mcpu=v3, bpf/templates), for
// the command line.
BpfCompiler policy_compiler() {
  CompileOptions options;
  options.cpu = PolicyBuildOptions{}.cpu;
  options.include_dirs.push_back(PSC_BPF_TEMPLATES_DIR);
  return BpfCompiler(options);
}

double thread_cpu_ms() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 +
         static_cast<double>(ts.tv_nsec) / 1e6;
}

// build_policy's compile step alone, on the C it generated: Clang in
// process with PSL_PARSE_PREBUILT, then the link with the prebuilt parser
// (policy_build.cc). Timed here rather than read from the artifact's
// compile_ms so that its CPU time (cpu_ms; Clang runs on this thread) can
// be set against the command line's child_cpu_ms on a busy machine.
void policy_compile_in_process(benchmark::State &state, const PolicyCase &c) {
  Built b = build(c.text());
  if (!b.artifact) {
    state.SkipWithError(b.artifact.error().message.c_str());
    return;
  }
  CompileOptions options = policy_compiler().options();
  options.defines.emplace_back("PSL_PARSE_PREBUILT", "");
  const BpfCompiler compiler(options);
  double cpu_ms = 0, link_ms = 0;
  for (auto _ : state) {
    const double cpu_start = thread_cpu_ms();
    CompileResult compiled = compiler.compile(b.artifact->c_source, "policy.c");
    if (!compiled.ok()) {
      state.SkipWithError(compiled.format_diagnostics().c_str());
      return;
    }
    const auto link_start = std::chrono::steady_clock::now();
    std::vector<LinkInput> inputs = {
        {"policy.o", {compiled.object.data(), compiled.object.size()}}};
    for (LinkInput &prebuilt : prebuilt_link_inputs())
      inputs.push_back(std::move(prebuilt));
    Expected<std::vector<uint8_t>> linked = link_bpf_objects(inputs);
    link_ms += ms_since(link_start);
    cpu_ms += thread_cpu_ms() - cpu_start;
    if (!linked) {
      state.SkipWithError(linked.error().message.c_str());
      return;
    }
  }
  state.counters["cpu_ms"] =
      benchmark::Counter(cpu_ms, benchmark::Counter::kAvgIterations);
  state.counters["link_ms"] =
      benchmark::Counter(link_ms, benchmark::Counter::kAvgIterations);
}

void policy_compile_command_line(benchmark::State &state, const PolicyCase &c) {
  Built b = build(c.text());
  if (!b.artifact) {
    state.SkipWithError(b.artifact.error().message.c_str());
    return;
  }
  TempSource source(b.artifact->c_source);
  if (!source.ok()) {
    state.SkipWithError("cannot write the generated C");
    return;
  }
  const std::vector<std::string> args = bench::clang_command(
      policy_compiler().options(), source.path(), "/dev/null");
  double child_cpu_seconds = 0;
  for (auto _ : state) {
    const bench::ChildResult child = bench::run_child(args);
    child_cpu_seconds += child.cpu_seconds;
    if (!child.succeeded) {
      state.SkipWithError("the clang command line failed on the generated C");
      return;
    }
  }
  state.counters["child_cpu_ms"] = benchmark::Counter(
      child_cpu_seconds * 1e3, benchmark::Counter::kAvgIterations);
  state.counters["c_kib"] =
      static_cast<double>(b.artifact->c_source.size()) / 1024;
}

void policy_to_loaded_in_process(benchmark::State &state, const PolicyCase &c) {
  if (!bpf_features().load) {
    state.SkipWithError(bpf_features().load.reason.c_str());
    return;
  }
  const std::string text = c.text();
  for (auto _ : state) {
    Built b = build(text);
    if (!b.artifact) {
      state.SkipWithError(b.artifact.error().message.c_str());
      return;
    }
    Expected<BpfObject> loaded = load_policy(*b.artifact);
    if (!loaded) {
      state.SkipWithError(loaded.error().message.c_str());
      return;
    }
  }
}

void policy_to_loaded_command_line(benchmark::State &state,
                                   const PolicyCase &c) {
  if (!bpf_features().load) {
    state.SkipWithError(bpf_features().load.reason.c_str());
    return;
  }
  const std::string text = c.text();
  int object_fd = -1;
  const std::string object_name = make_temp_file(".o", &object_fd);
  if (object_fd < 0) {
    state.SkipWithError("mkstemps failed");
    return;
  }
  close(object_fd);
  double child_cpu_seconds = 0;
  for (auto _ : state) {
    Built b = build(text);
    if (!b.artifact) {
      state.SkipWithError(b.artifact.error().message.c_str());
      break;
    }
    // psc's steps before the compile, as timed inside build_policy.
    const double front_ms =
        b.check_ms + b.artifact->lower_ms + b.artifact->generate_ms;
    auto start = std::chrono::steady_clock::now();
    TempSource source(b.artifact->c_source);
    const bench::ChildResult child =
        source.ok()
            ? bench::run_child(bench::clang_command(policy_compiler().options(),
                                                    source.path(), object_name))
            : bench::ChildResult{};
    child_cpu_seconds += child.cpu_seconds;
    if (!child.succeeded) {
      state.SkipWithError("the clang command line failed on the generated C");
      break;
    }
    const std::string elf = read_file(object_name);
    b.artifact->elf.assign(elf.begin(), elf.end());
    Expected<BpfObject> loaded = load_policy(*b.artifact);
    if (!loaded) {
      state.SkipWithError(loaded.error().message.c_str());
      break;
    }
    state.SetIterationTime((front_ms + ms_since(start)) / 1e3);
  }
  std::remove(object_name.c_str());
}

void register_policy_benchmarks() {
  // Every shape at 1k rules; mixed also at the ends of the range.
  const std::vector<PolicyCase> cases = {
      {"mixed", 1},     {"mixed", 1000}, {"mixed", 100000}, {"exact", 1000},
      {"prefix", 1000}, {"port", 1000},  {"rate", 1000}};
  for (const PolicyCase &c : cases) {
    const std::string suffix = c.shape + "/" + std::to_string(c.rules);
    benchmark::RegisterBenchmark(
        ("policy_compile/in_process/" + suffix).c_str(),
        policy_compile_in_process, c)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(
        ("policy_compile/command_line/" + suffix).c_str(),
        policy_compile_command_line, c)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(
        ("policy_to_loaded/in_process/" + suffix).c_str(),
        policy_to_loaded_in_process, c)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(
        ("policy_to_loaded/command_line/" + suffix).c_str(),
        policy_to_loaded_command_line, c)
        ->Unit(benchmark::kMillisecond)
        ->UseManualTime();
  }
}

} // namespace
} // namespace psl::backend

int main(int argc, char **argv) {
  psl::allocator::configure();
  benchmark::AddCustomContext("allocator", psl::allocator::describe());
  psl::backend::register_policy_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
