// How long eBPF C takes to become a BPF object: BpfCompiler (Clang 14 in
// this process, memory to memory) against the `clang-14 -O2 -g -target bpf
// -c` command line on the same file, for a 100-rule policy and a tiny
// program (which shows the fixed cost of starting a compiler). Also the
// kernel side, load + verify, when the machine allows BPF.
//
// Timings are wall-clock (UseRealTime): the command line's work happens in
// a child process, which CPU time of this process would not see; its
// child_cpu_ms counter is the child's CPU time, to compare with the CPU
// column of in_process when the machine is busy.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "backend/bpf_features.h"
#include "backend/bpf_object.h"
#include "backend/clang_compiler.h"

extern char **environ;

namespace psl::backend {
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
  std::vector<std::string> args = {PSC_CLANG_EXECUTABLE,
                                   "-O2",
                                   "-g",
                                   "-target",
                                   "bpf",
                                   "-mcpu=" + compiler.options().cpu};
  for (const std::string &dir : compiler.options().include_dirs)
    args.push_back("-I" + dir);
  for (const std::string &dir : compiler.options().system_include_dirs)
    args.push_back("-idirafter" + dir);
  args.insert(args.end(), {"-c", data_path(file), "-o", "/dev/null"});
  std::vector<char *> argv;
  for (std::string &a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  double child_cpu_seconds = 0;
  for (auto _ : state) {
    pid_t pid;
    if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) !=
        0) {
      state.SkipWithError("cannot start " PSC_CLANG_EXECUTABLE);
      return;
    }
    int status = 0;
    struct rusage usage = {};
    wait4(pid, &status, 0, &usage);
    child_cpu_seconds +=
        usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
        (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
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

} // namespace
} // namespace psl::backend

BENCHMARK_MAIN();
