// psc-difftest: random policies and packets, compiled program against the
// reference interpreter (docs/testing.md, "Differential testing").
//
//   psc-difftest --cases 2000 --seed 1 --jobs 2
//   psc-difftest --seed 1 --case 37          one case again, with its report
//
// Exit status: 0 every case agreed, 1 a mismatch, a build failure or an
// invalid case (each printed with a shrunk reproduction), 2 usage error
// or no BPF on this machine.
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "codegen/kernel_evaluator.h"
#include "generator.h"
#include "runner.h"
#include "shrink.h"

namespace {

using namespace psl::difftest;
using Clock = std::chrono::steady_clock;

struct Options {
  uint64_t seed = 1;
  uint64_t cases = 100;
  uint64_t first = 0;
  int jobs = 1;
  int shrink_seconds = 60;
  bool print_cases = false;
  GenOptions gen;
};

void usage(FILE *to) {
  std::fputs("usage: psc-difftest [--cases N] [--seed S] [--first K | --case "
             "K] [--jobs J]\n"
             "                    [--packets P] [--max-rules R] "
             "[--shrink-seconds T] [--print]\n"
             "  --cases N          cases to run (default 100)\n"
             "  --seed S           seed of the run (default 1)\n"
             "  --first K          number of the first case (default 0)\n"
             "  --case K           run case K only (= --first K --cases 1)\n"
             "  --jobs J           worker processes (default 1)\n"
             "  --packets P        packets per case (default 64)\n"
             "  --max-rules R      rules per policy at most (default 12)\n"
             "  --shrink-seconds T time to shrink one failure (default 60)\n"
             "  --print            print every generated policy\n",
             to);
}

// Counts a worker sends up: one line per case, reports as length-prefixed
// blocks.
struct Totals {
  uint64_t cases = 0, packets = 0, agree = 0, mismatches = 0,
           build_failures = 0, rejected = 0, invalid = 0, decided_by_rule = 0,
           rules = 0, rules_in_maps = 0, rules_in_rate_groups = 0;
  bool failed() const { return mismatches || build_failures || invalid; }
};

void count(Totals &t, Outcome::Kind k, uint64_t packets) {
  t.cases++;
  t.packets += packets;
  switch (k) {
  case Outcome::Kind::Agree:
    t.agree++;
    break;
  case Outcome::Kind::Mismatch:
    t.mismatches++;
    break;
  case Outcome::Kind::Rejected:
    t.rejected++;
    break;
  case Outcome::Kind::BuildFailure:
    t.build_failures++;
    break;
  case Outcome::Kind::InvalidCase:
    t.invalid++;
    break;
  }
}

void write_all(int fd, const std::string &s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n <= 0)
      std::exit(3); // the parent is gone
    done += static_cast<size_t>(n);
  }
}

// Runs the cases numbered first + k + i*jobs and reports on `fd`.
void worker(const Options &o, int k, int fd) {
  for (uint64_t n = o.first + static_cast<uint64_t>(k); n < o.first + o.cases;
       n += static_cast<uint64_t>(o.jobs)) {
    Case c = generate_case(o.seed, n, o.gen);
    if (o.print_cases)
      write_all(fd, "T" + std::to_string(c.policy.text().size()) + "\n" +
                        c.policy.text());
    Outcome out = run_case(c.policy.text(), c.entries, c.packets,
                           c.split_class_tables, c.lowering);
    std::string msg = "C " + std::to_string(static_cast<int>(out.kind)) + " " +
                      std::to_string(out.packets_run) + " " +
                      std::to_string(out.decided_by_rule) + " " +
                      std::to_string(out.rules) + " " +
                      std::to_string(out.rules_in_maps) + " " +
                      std::to_string(out.rules_in_rate_groups) + "\n";
    if (out.kind == Outcome::Kind::Rejected) {
      std::string first_line = out.detail.substr(0, out.detail.find('\n'));
      std::string note = "case " + std::to_string(n) + ": " + first_line + "\n";
      msg += "T" + std::to_string(note.size()) + "\n" + note;
    } else if (out.kind != Outcome::Kind::Agree) {
      Repro r{c.policy, c.entries, c.packets, c.split_class_tables, c.lowering};
      ShrinkResult s = shrink(r, out, std::chrono::seconds(o.shrink_seconds));
      std::string report =
          format_report(o.seed, n, out, c.policy.rules.size(), s);
      msg += "T" + std::to_string(report.size()) + "\n" + report;
    }
    write_all(fd, msg);
  }
}

std::string summary(const Options &o, const Totals &t, double seconds) {
  auto percent = [](uint64_t a, uint64_t b) {
    return b ? 100.0 * static_cast<double>(a) / static_cast<double>(b) : 0.0;
  };
  char buf[720];
  std::snprintf(buf, sizeof buf,
                "seed %llu: %llu/%llu cases, %llu packets, %llu mismatches, "
                "%llu build failures, "
                "%llu invalid, %llu rejected by limits (%.0f s, %.1f cases/s; "
                "%.0f%% of packets "
                "decided by a rule, %.0f%% of rules in lookup maps, %llu "
                "rate() rules in rate groups)",
                static_cast<unsigned long long>(o.seed),
                static_cast<unsigned long long>(t.cases),
                static_cast<unsigned long long>(o.cases),
                static_cast<unsigned long long>(t.packets),
                static_cast<unsigned long long>(t.mismatches),
                static_cast<unsigned long long>(t.build_failures),
                static_cast<unsigned long long>(t.invalid),
                static_cast<unsigned long long>(t.rejected), seconds,
                seconds > 0 ? static_cast<double>(t.cases) / seconds : 0.0,
                percent(t.decided_by_rule, t.packets),
                percent(t.rules_in_maps, t.rules),
                static_cast<unsigned long long>(t.rules_in_rate_groups));
  return buf;
}

bool parse_args(int argc, char **argv, Options &o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char * {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "psc-difftest: %s needs a value\n", a.c_str());
        return nullptr;
      }
      return argv[++i];
    };
    auto number = [&](uint64_t &out) {
      const char *v = next();
      if (!v)
        return false;
      char *end = nullptr;
      out = std::strtoull(v, &end, 10);
      if (*v == '\0' || *end != '\0') {
        std::fprintf(stderr, "psc-difftest: %s: '%s' is not a number\n",
                     a.c_str(), v);
        return false;
      }
      return true;
    };
    uint64_t n = 0;
    if (a == "--cases") {
      if (!number(o.cases))
        return false;
    } else if (a == "--seed") {
      if (!number(o.seed))
        return false;
    } else if (a == "--first") {
      if (!number(o.first))
        return false;
    } else if (a == "--case") {
      if (!number(o.first))
        return false;
      o.cases = 1;
    } else if (a == "--jobs") {
      if (!number(n) || n == 0 || n > 64)
        return false;
      o.jobs = static_cast<int>(n);
    } else if (a == "--packets") {
      if (!number(n) || n == 0 || n > 100000)
        return false;
      o.gen.packets = static_cast<int>(n);
    } else if (a == "--max-rules") {
      if (!number(n) || n == 0 || n > 500)
        return false;
      o.gen.max_rules = static_cast<int>(n);
    } else if (a == "--shrink-seconds") {
      if (!number(n))
        return false;
      o.shrink_seconds = static_cast<int>(n);
    } else if (a == "--print") {
      o.print_cases = true;
    } else if (a == "-h" || a == "--help") {
      usage(stdout);
      std::exit(0);
    } else {
      std::fprintf(stderr, "psc-difftest: unknown argument '%s'\n", a.c_str());
      return false;
    }
  }
  return true;
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  if (!parse_args(argc, argv, o)) {
    usage(stderr);
    return 2;
  }
  if (std::string why = psl::codegen::kernel_unavailable_reason();
      !why.empty()) {
    std::fprintf(
        stderr, "psc-difftest: this machine cannot run compiled policies: %s\n",
        why.c_str());
    return 2;
  }
  if (static_cast<uint64_t>(o.jobs) > o.cases)
    o.jobs = static_cast<int>(std::max<uint64_t>(1, o.cases));

  // Workers are processes, not threads: each has its own in-process Clang
  // and libbpf state, and a crash names its case.
  struct Worker {
    pid_t pid;
    int fd;
    std::string buf;
  };
  std::vector<Worker> workers;
  for (int k = 0; k < o.jobs; ++k) {
    int p[2];
    if (::pipe(p) != 0) {
      std::perror("psc-difftest: pipe");
      return 2;
    }
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) {
      std::perror("psc-difftest: fork");
      return 2;
    }
    if (pid == 0) {
      ::close(p[0]);
      worker(o, k, p[1]);
      ::close(p[1]);
      std::_Exit(0);
    }
    ::close(p[1]);
    workers.push_back({pid, p[0], {}});
  }

  Totals t;
  const auto start = Clock::now();
  auto last_progress = start;
  auto seconds = [&] {
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  size_t open = workers.size();
  while (open > 0) {
    std::vector<pollfd> fds;
    for (auto &w : workers)
      if (w.fd >= 0)
        fds.push_back({w.fd, POLLIN, 0});
    ::poll(fds.data(), fds.size(), 2000);
    for (auto &w : workers) {
      if (w.fd < 0)
        continue;
      pollfd pf{w.fd, POLLIN, 0};
      if (::poll(&pf, 1, 0) <= 0)
        continue;
      char chunk[65536];
      ssize_t n = ::read(w.fd, chunk, sizeof chunk);
      if (n <= 0) {
        ::close(w.fd);
        w.fd = -1;
        --open;
        continue;
      }
      w.buf.append(chunk, static_cast<size_t>(n));
      // Messages: "C kind packets\n" or "T<len>\n<text>".
      for (;;) {
        size_t nl = w.buf.find('\n');
        if (nl == std::string::npos)
          break;
        if (w.buf[0] == 'C') {
          int kind = 0;
          unsigned long long packets = 0, by_rule = 0, rules = 0, in_maps = 0,
                             in_rate_groups = 0;
          std::sscanf(w.buf.c_str(), "C %d %llu %llu %llu %llu %llu", &kind,
                      &packets, &by_rule, &rules, &in_maps, &in_rate_groups);
          count(t, static_cast<Outcome::Kind>(kind), packets);
          t.decided_by_rule += by_rule;
          t.rules += rules;
          t.rules_in_maps += in_maps;
          t.rules_in_rate_groups += in_rate_groups;
          w.buf.erase(0, nl + 1);
        } else if (w.buf[0] == 'T') {
          size_t len = std::strtoull(w.buf.c_str() + 1, nullptr, 10);
          if (w.buf.size() < nl + 1 + len)
            break;
          std::fwrite(w.buf.data() + nl + 1, 1, len, stdout);
          std::fflush(stdout);
          w.buf.erase(0, nl + 1 + len);
        } else {
          std::fprintf(stderr, "psc-difftest: garbled worker output\n");
          return 2;
        }
      }
    }
    if (Clock::now() - last_progress > std::chrono::seconds(10)) {
      last_progress = Clock::now();
      std::fprintf(stderr, "progress: %s\n", summary(o, t, seconds()).c_str());
    }
  }
  bool crashed = false;
  for (auto &w : workers) {
    int status = 0;
    ::waitpid(w.pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(
          stderr,
          "psc-difftest: a worker died (%s %d); rerun its cases with --case\n",
          WIFSIGNALED(status) ? "signal" : "status",
          WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
      crashed = true;
    }
  }
  std::printf("summary: %s\n", summary(o, t, seconds()).c_str());
  return t.failed() || crashed || t.cases != o.cases ? 1 : 0;
}
