// The clang command line the benchmarks compare psc's in-process compile
// with, and running it as a child process (CPU time kept, optional
// deadline). Shared by compile_bench and packet_bench.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "backend/clang_compiler.h"

extern char **environ;

namespace psl::bench {

// `clang -O2 -g -target bpf` with `options`' -mcpu, include directories and
// system include directories, compiling `source` to `out`.
inline std::vector<std::string>
clang_command(const backend::CompileOptions &options, const std::string &source,
              const std::string &out) {
  std::vector<std::string> args = {
      PSC_CLANG_EXECUTABLE,  "-O2", "-g", "-target", "bpf",
      "-mcpu=" + options.cpu};
  for (const std::string &dir : options.include_dirs)
    args.push_back("-I" + dir);
  for (const std::string &dir : options.system_include_dirs)
    args.push_back("-idirafter" + dir);
  args.insert(args.end(), {"-c", source, "-o", out});
  return args;
}

struct ChildResult {
  bool started = false;
  bool succeeded = false; // exited with status 0
  bool timed_out = false; // killed at the deadline
  double cpu_seconds = 0; // the child's user + system time
};

// Runs `args` (args[0] a path) to completion. With timeout_s > 0 the child
// gets SIGTERM at the deadline (clang removes its partial output on it),
// then SIGKILL after 2 s.
inline ChildResult run_child(std::vector<std::string> args, int timeout_s = 0) {
  std::vector<char *> argv;
  for (std::string &a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  ChildResult r;
  pid_t pid;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0)
    return r;
  r.started = true;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int status = 0;
  struct rusage usage = {};
  for (;;) {
    const pid_t done = wait4(pid, &status, timeout_s > 0 ? WNOHANG : 0, &usage);
    if (done == pid)
      break;
    if (done < 0 && errno != EINTR)
      return r; // the child is lost: not a success
    if (timeout_s > 0 && std::chrono::steady_clock::now() > deadline) {
      r.timed_out = true;
      kill(pid, SIGTERM);
      for (int i = 0; i < 40 && wait4(pid, &status, WNOHANG, &usage) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (kill(pid, SIGKILL) == 0)
        wait4(pid, &status, 0, &usage);
      break;
    }
    if (done == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  r.cpu_seconds = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
                  (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  r.succeeded = !r.timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return r;
}

} // namespace psl::bench
