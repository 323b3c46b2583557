// What a packet costs in the kernel: ns/packet of XDP programs under
// BPF_PROG_TEST_RUN, side by side in one run, on the same frames:
//
//   xdp-drop    a program that drops without reading the packet: the floor
//               of this machine (tests/bench/bpf/xdp_drop.c);
//   psl         the generated policies (gen_policy.py: every shape at 1,
//               100, 1k, 10k and 100k rules) built and loaded in process
//               (check_source, build_policy, load_policy: what psc load does);
//   psl-maps    the same with the cost model off (psc build --lowering
//               maps: every rule that fits a map in one), to show what the
//               model's choice of code and trees saves; only with
//               PSC_BENCH_COMPARE_MAPS=1, up to 1,000 rules;
//   psl-prebuilt the same with the packet parser called, prebuilt, rather
//               than inlined and cut to the policy (psc build --parser
//               prebuilt), right after the same policy's `psl` cases;
//               only with PSC_BENCH_COMPARE_PARSER=1;
//   xdp-filter  Debian's xdp-tools filter, for the rule sets it can express
//               (exact source addresses, ports): loaded by `xdp-filter
//               load` on a veth in a namespace this benchmark creates, its
//               pinned maps filled directly (the CLI takes one entry per
//               process), and its attached program run by id;
//   naive-c     the mixed policies as one `if (...) return ...;` per rule
//               over a straightforward parse (gen_policy.py --naive-c),
//               compiled by the clang command line.
//
// Each benchmark runs one packet, the sidecar's `hit` (matches a rule) or
// `miss` (the default), and checks its verdict once before timing. An
// iteration is one BPF_PROG_TEST_RUN with PSC_BENCH_REPEAT (default 1M)
// repeats. The time is this thread's CPU time over the call divided by the
// repeat count: the kernel's own mean (the kernel_ns counter) is truncated
// to whole nanoseconds, too coarse for programs that take tens of ns, and
// the thread's CPU time, unlike wall time, leaves out preemption on a
// shared machine. Both include the kernel's per-repeat loop, as the floor
// does. ns_per_packet is the median of the iterations (Time: their mean).
//
// Counters: ns_per_packet, kernel_ns, xlated_insns and jited_bytes (from
// bpf_obj_get_info_by_fd), build_ms (text to loaded program), rules.
// A program that cannot be built or loaded (a naive program too large to
// compile in time or to verify, a rule set xdp-filter cannot express)
// shows as a skipped benchmark with the reason as its error message.
#include <arpa/inet.h>
#include <net/if.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "backend/bpf_features.h"
#include "backend/bpf_object.h"
#include "backend/clang_compiler.h"
#include "backend/test_run.h"
#include "backend/testing/netns.h"
#include "bench_packets.h"
#include "clang_command_line.h"
#include "codegen/policy_build.h"
#include "driver.h"

namespace psl::bench {
namespace {

namespace fs = std::filesystem;
using backend::BpfObject;
using backend::Error;
using backend::Expected;
using json = nlohmann::json;

const std::vector<std::string> kShapes = {"exact", "prefix", "port", "mixed",
                                          "rate"};
const std::vector<int> kSizes = {1, 100, 1000, 10000, 100000};

uint64_t env_number(const char *name, uint64_t fallback) {
  const char *v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}
const uint32_t kRepeat =
    static_cast<uint32_t>(env_number("PSC_BENCH_REPEAT", 1000000));
const int kIterations = static_cast<int>(env_number("PSC_BENCH_ITERATIONS", 5));
// The clang command line on the naive C of 100k rules runs for a long time
// (superlinear in the rule count); past this it counts as not compiling.
const int kNaiveCompileTimeoutS =
    static_cast<int>(env_number("PSC_BENCH_NAIVE_TIMEOUT_S", 240));

const bool kCompareMaps = env_number("PSC_BENCH_COMPARE_MAPS", 0) != 0;
const bool kCompareParser = env_number("PSC_BENCH_COMPARE_PARSER", 0) != 0;
// PSC_BENCH_COMPARE_HASH=1: each `psl` case is followed by the same policy
// with its groups' hash maps left kernel hashes (`psl-kernel-hash`:
// GroupLimits::perfect_hash_min_entries off), side by side in one run.
const bool kCompareHash = env_number("PSC_BENCH_COMPARE_HASH", 0) != 0;

// The `psl` system's lowering: PSC_BENCH_LOWERING=maps|code forces the
// cost model's choice (psc build --lowering); default auto. `psl-maps`
// is always maps.
codegen::PolicyBuildOptions build_options(bool maps, bool prebuilt_parser,
                                          bool kernel_hash) {
  codegen::PolicyBuildOptions o;
  if (kernel_hash)
    o.lower.groups.perfect_hash_min_entries = SIZE_MAX;
  o.parser = prebuilt_parser ? codegen::ParserChoice::Prebuilt
                             : codegen::ParserChoice::Inline;
  const char *v = std::getenv("PSC_BENCH_LOWERING");
  const std::string mode = maps ? "maps" : v ? v : "auto";
  using Mode = lower::CostOptions::Mode;
  o.lower.cost.mode = mode == "maps"   ? Mode::Maps
                      : mode == "code" ? Mode::Code
                                       : Mode::Auto;
  // PSC_BENCH_OPT_LEVEL=1|2: Clang's -O (psc build --opt-level).
  o.opt_level = static_cast<int>(
      env_number("PSC_BENCH_OPT_LEVEL", backend::kDefaultOptLevel));
  return o;
}

fs::path policy_dir() {
  const char *env = std::getenv("PSC_BENCH_POLICY_DIR");
  return env && *env ? env : PSC_BENCH_POLICY_DIR;
}

std::string read_text(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

Error error(std::string message) { return Error(std::move(message)); }

// Why the verifier rejected a program: the last line of its log that is
// not part of the closing summary ("processed N insns ...", "verification
// time ...", ...), e.g. "BPF program is too large. Processed 1000001 insn"
// or "jump out of range from insn 2057 to -5465".
std::string verifier_reason(const std::string &log) {
  static const char *const summary[] = {"processed ", "verification time",
                                        "stack depth", "-- ", "func#"};
  std::istringstream lines(log);
  std::string line, reason;
  while (std::getline(lines, line)) {
    const bool is_summary =
        std::any_of(std::begin(summary), std::end(summary),
                    [&](const char *s) { return line.rfind(s, 0) == 0; });
    if (!line.empty() && !is_summary)
      reason = line;
  }
  return reason;
}

// --- the programs under test -----------------------------------------------

// A loaded program and whatever keeps it alive. Subclasses own the kernel
// objects (a BpfObject, or an xdp-filter attachment in a namespace).
class Program {
public:
  virtual ~Program() = default;
  virtual int fd() const = 0;
  double build_ms = 0;
};

class ObjectProgram : public Program {
public:
  ObjectProgram(BpfObject object, std::string name)
      : object_(std::move(object)), name_(std::move(name)) {}
  int fd() const override { return object_.program_fd(name_); }

private:
  BpfObject object_;
  std::string name_;
};

Expected<BpfObject> load_elf(std::vector<uint8_t> elf,
                             const std::string &name) {
  Expected<BpfObject> object = BpfObject::open(std::move(elf), name);
  if (!object)
    return object.error();
  if (backend::Status s = object->load(); !s.ok()) {
    const std::string why = verifier_reason(s.error().detail);
    return error(s.error().message + (why.empty() ? "" : ": " + why));
  }
  return object;
}

Expected<std::unique_ptr<Program>> load_xdp_drop() {
  auto start = std::chrono::steady_clock::now();
  backend::CompileOptions options;
  const fs::path file = fs::path(PSC_BENCH_BPF_DIR) / "xdp_drop.c";
  backend::CompileResult compiled = backend::BpfCompiler(options).compile(
      read_text(file), file.filename().string());
  if (!compiled.ok())
    return error(compiled.format_diagnostics());
  Expected<BpfObject> object = load_elf(std::move(compiled.object), "xdp_drop");
  if (!object)
    return object.error();
  auto program =
      std::make_unique<ObjectProgram>(std::move(*object), "xdp_drop");
  program->build_ms = ms_since(start);
  return std::unique_ptr<Program>(std::move(program));
}

// PSL text to loaded program, as psc load does it (without attaching).
Expected<std::unique_ptr<Program>> load_psl(const std::string &shape, int rules,
                                            bool maps = false,
                                            bool prebuilt_parser = false,
                                            bool kernel_hash = false) {
  const fs::path file =
      policy_dir() / (shape + "_" + std::to_string(rules) + ".psl");
  if (!fs::exists(file))
    return error(file.string() + ": missing (build the bench_policies target)");
  auto start = std::chrono::steady_clock::now();
  CheckedModule checked = check_source(file.string(), read_text(file));
  if (!checked.ok())
    return error(file.string() + ": does not check");
  Expected<codegen::PolicyArtifact> built = codegen::build_policy(
      *checked.module.policy, checked.diags.file_ptr().get(),
      build_options(maps, prebuilt_parser, kernel_hash));
  if (!built)
    return error("build: " + built.error().message);
  Expected<BpfObject> object = codegen::load_policy(*built);
  if (!object)
    return error("load: " + object.error().message);
  auto program =
      std::make_unique<ObjectProgram>(std::move(*object), built->program);
  program->build_ms = ms_since(start);
  return std::unique_ptr<Program>(std::move(program));
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

// Runs the clang command line with a deadline; returns the object.
Expected<std::vector<uint8_t>> clang_command_line(const fs::path &source,
                                                  int timeout_s) {
  int out_fd = -1;
  const std::string out = make_temp_file(".o", &out_fd);
  if (out_fd < 0)
    return error("cannot create a temporary file for the object");
  close(out_fd);
  // The flags psc compiles policies with (PolicyBuildOptions: -mcpu=v3).
  backend::CompileOptions options;
  options.cpu = codegen::PolicyBuildOptions{}.cpu;
  options.include_dirs = {PSC_BENCH_BPF_DIR};
  options.system_include_dirs =
      backend::BpfCompiler::default_system_include_dirs();
  const ChildResult child =
      run_child(clang_command(options, source.string(), out), timeout_s);
  if (!child.started)
    return error("cannot start " PSC_CLANG_EXECUTABLE);
  if (child.timed_out) {
    unlink(out.c_str());
    return error("the clang command line did not finish in " +
                 std::to_string(timeout_s) + " s");
  }
  std::string object = read_text(out);
  unlink(out.c_str());
  if (!child.succeeded)
    return error("the clang command line failed on " +
                 source.filename().string());
  return std::vector<uint8_t>(object.begin(), object.end());
}

Expected<std::unique_ptr<Program>>
compile_and_load_naive(const fs::path &file) {
  auto start = std::chrono::steady_clock::now();
  Expected<std::vector<uint8_t>> elf =
      clang_command_line(file, kNaiveCompileTimeoutS);
  if (!elf)
    return elf.error();
  Expected<BpfObject> object = load_elf(std::move(*elf), "naive");
  if (!object) // the verifier's last words say why (too large, too complex)
    return error("load: " + object.error().message);
  auto program =
      std::make_unique<ObjectProgram>(std::move(*object), "naive_policy");
  program->build_ms = ms_since(start);
  return std::unique_ptr<Program>(std::move(program));
}

// The one-if C of a policy. Sizes come in increasing order; once two sizes
// in a row have failed (rejected by the verifier, or clang past the
// deadline), a larger program fails the same way, and compiling it would
// take most of the run (minutes for 10k rules): it is reported as not
// attempted, naming the failures.
Expected<std::unique_ptr<Program>> load_naive(const std::string &shape,
                                              int rules) {
  static std::vector<std::string> failures_in_a_row;
  if (failures_in_a_row.size() >= 2)
    return error("not attempted: smaller one-if programs failed (" +
                 failures_in_a_row.front() + "; " + failures_in_a_row.back() +
                 ")");
  const std::string name = shape + "_" + std::to_string(rules);
  const fs::path file = policy_dir() / (name + ".naive.c");
  if (!fs::exists(file))
    return error(file.string() + ": missing (build the bench_policies target)");
  Expected<std::unique_ptr<Program>> program = compile_and_load_naive(file);
  if (program)
    failures_in_a_row.clear();
  else
    failures_in_a_row.push_back(std::to_string(rules) +
                                " rules: " + program.error().message);
  return program;
}

// xdp-filter on a veth in its own namespace, loaded by the real CLI. The
// maps it pins (bpffs, directory "xdp-filter") are filled here; the
// attached program is found through the interface. LIBXDP_SKIP_DISPATCHER
// attaches xdp-filter's program itself rather than libxdp's dispatcher
// calling it, so the benchmark times the filter without the dispatcher's
// extra call.
class XdpFilterProgram : public Program {
public:
  static Expected<std::unique_ptr<Program>> load(const json &config) {
    if (config.contains("unsupported"))
      return error(config["unsupported"].get<std::string>());
    const fs::path pins = fs::path("/sys/fs/bpf") / "xdp-filter";
    if (fs::exists(pins))
      return error(pins.string() +
                   " exists: xdp-filter is loaded elsewhere (or a run " +
                   "was killed); `xdp-filter unload --all` first");
    auto start = std::chrono::steady_clock::now();
    auto veth = backend::testing::VethPair::create();
    if (!veth)
      return veth.error();
    std::unique_ptr<XdpFilterProgram> p(new XdpFilterProgram());
    p->veth_ = std::move(*veth);
    backend::testing::ScopedNetns in_ns(p->veth_->ns());
    if (!in_ns.ok())
      return error(in_ns.error());
    // popen forks from this thread, so the command runs in the namespace.
    backend::testing::CommandResult r = backend::testing::run_command(
        "LIBXDP_SKIP_DISPATCHER=1 xdp-filter load -m native -p " +
        config["mode"].get<std::string>() + " -f " +
        config["features"].get<std::string>() + " " + p->veth_->ifname());
    if (r.exit_code != 0)
      return error("xdp-filter load: " + r.output);
    p->loaded_ = true;
    if (backend::Status s = p->fill_maps(pins, config); !s.ok())
      return s.error();
    uint32_t id = 0;
    if (bpf_xdp_query_id(
            static_cast<int>(if_nametoindex(p->veth_->ifname().c_str())), 0,
            &id) != 0 ||
        id == 0)
      return error("no XDP program on " + p->veth_->ifname() +
                   " after xdp-filter load");
    p->fd_ = backend::UniqueFd(bpf_prog_get_fd_by_id(id));
    if (!p->fd_)
      return error("bpf_prog_get_fd_by_id failed");
    p->build_ms = ms_since(start);
    return std::unique_ptr<Program>(std::move(p));
  }

  ~XdpFilterProgram() override {
    if (loaded_) {
      backend::testing::ScopedNetns in_ns(veth_->ns());
      backend::testing::run_command("xdp-filter unload " + veth_->ifname());
    }
  }

  int fd() const override { return fd_.get(); }

private:
  XdpFilterProgram() = default;

  // The flag bits of xdp-filter's map values (its common_kern_user.h).
  static constexpr uint64_t kFlagSrc = 1 << 0, kFlagDst = 1 << 1,
                            kFlagTcp = 1 << 2, kFlagUdp = 1 << 3;

  // Every map is per-CPU: one value per possible CPU.
  static backend::Status update(int map_fd, const void *key, uint64_t flags) {
    std::vector<uint64_t> values(
        static_cast<size_t>(libbpf_num_possible_cpus()), flags);
    if (bpf_map_update_elem(map_fd, key, values.data(), BPF_ANY) != 0)
      return error("xdp-filter map update: " +
                   std::string(std::strerror(errno)));
    return {};
  }

  backend::Status fill_maps(const fs::path &pins, const json &config) {
    auto open_map = [&](const char *name) {
      return backend::UniqueFd(bpf_obj_get((pins / name).c_str()));
    };
    if (config.contains("ipv4_src")) {
      backend::UniqueFd v4 = open_map("filter_ipv4"),
                        v6 = open_map("filter_ipv6");
      if (!v4 || !v6)
        return error("xdp-filter's address maps are not pinned under " +
                     pins.string());
      for (const auto &a : config["ipv4_src"]) {
        in_addr key{};
        inet_pton(AF_INET, a.get<std::string>().c_str(), &key);
        if (backend::Status s = update(v4.get(), &key, kFlagSrc); !s.ok())
          return s;
      }
      for (const auto &a : config["ipv6_src"]) {
        in6_addr key{};
        inet_pton(AF_INET6, a.get<std::string>().c_str(), &key);
        if (backend::Status s = update(v6.get(), &key, kFlagSrc); !s.ok())
          return s;
      }
    }
    if (config.contains("ports")) {
      backend::UniqueFd ports = open_map("filter_ports");
      if (!ports)
        return error("xdp-filter's port map is not pinned under " +
                     pins.string());
      std::map<uint16_t, uint64_t>
          flags; // a port may be listed for TCP and UDP
      for (const auto &e : config["ports"])
        flags[e["port"].get<uint16_t>()] |=
            kFlagDst |
            (e["proto"].get<std::string>() == "tcp" ? kFlagTcp : kFlagUdp);
      for (const auto &[port, f] : flags) {
        uint32_t key = htons(port); // the program's key: the header's field
        if (backend::Status s = update(ports.get(), &key, f); !s.ok())
          return s;
      }
    }
    return {};
  }

  std::unique_ptr<backend::testing::VethPair> veth_;
  bool loaded_ = false;
  backend::UniqueFd fd_;
};

// The program of one (system, shape, size), built on first use. Benchmarks
// are registered grouped by program, so keeping only the latest bounds the
// kernel memory held (and xdp-filter can be loaded once at a time).
class ProgramCache {
public:
  using Loader = std::function<Expected<std::unique_ptr<Program>>()>;
  const Expected<std::unique_ptr<Program>> &get(const std::string &key,
                                                const Loader &load) {
    if (key != key_) {
      current_.reset(); // release the previous program first
      key_ = key;
      current_.emplace(load());
    }
    return *current_;
  }

private:
  std::string key_;
  std::optional<Expected<std::unique_ptr<Program>>> current_;
};
ProgramCache cache;

// --- cases -----------------------------------------------------------------

struct Case {
  std::string system, shape;
  int rules = 0;
  std::string packet; // "hit" / "miss"
  json spec;          // the sidecar's packet
  ProgramCache::Loader load;
};

struct ProgramSizes {
  uint32_t xlated_insns = 0, jited_bytes = 0;
};
ProgramSizes program_sizes(int fd) {
  bpf_prog_info info = {};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
    return {};
  return {info.xlated_prog_len / 8, info.jited_prog_len};
}

double thread_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

void run_case(benchmark::State &state, const Case &c) {
  if (!backend::bpf_features().load) {
    state.SkipWithError(backend::bpf_features().load.reason.c_str());
    return;
  }
  const auto &program = cache.get(
      c.system + "/" + c.shape + "/" + std::to_string(c.rules), c.load);
  if (!program) {
    state.SkipWithError(program.error().message.c_str());
    return;
  }
  const int fd = (*program)->fd();
  const std::vector<uint8_t> frame = bench::frame_of(c.spec);

  // The verdict first: a fast wrong answer is no result.
  Expected<backend::TestRunResult> once = backend::test_run_xdp(fd, frame);
  if (!once) {
    state.SkipWithError(once.error().message.c_str());
    return;
  }
  if (!c.spec["verdict"].is_null()) {
    const auto want = c.spec["verdict"] == "drop" ? backend::XdpAction::Drop
                                                  : backend::XdpAction::Pass;
    if (once->action() != want) {
      state.SkipWithError(("verdict " + backend::xdp_action_name(once->retval) +
                           ", expected " + c.spec["verdict"].get<std::string>())
                              .c_str());
      return;
    }
  }

  backend::TestRunOptions options;
  options.repeat = kRepeat;
  std::vector<double> per_packet_ns;
  double kernel_ns = 0;
  for (auto _ : state) {
    const double before = thread_cpu_ns();
    Expected<backend::TestRunResult> run =
        backend::test_run_xdp(fd, frame, options);
    const double spent = thread_cpu_ns() - before;
    if (!run) {
      state.SkipWithError(run.error().message.c_str());
      return;
    }
    state.SetIterationTime(spent / kRepeat * 1e-9); // seconds per packet
    per_packet_ns.push_back(spent / kRepeat);
    kernel_ns += static_cast<double>(run->duration.count());
  }
  // The median: a measurement that shared its core's caches with a
  // neighbour's compile moves the mean (the Time column), not the median.
  std::sort(per_packet_ns.begin(), per_packet_ns.end());
  const size_t n = per_packet_ns.size();
  const double median =
      n % 2 ? per_packet_ns[n / 2]
            : (per_packet_ns[n / 2 - 1] + per_packet_ns[n / 2]) / 2;
  const ProgramSizes sizes = program_sizes(fd);
  state.counters["ns_per_packet"] = median;
  state.counters["kernel_ns"] = kernel_ns / static_cast<double>(n);
  state.counters["xlated_insns"] = sizes.xlated_insns;
  state.counters["jited_bytes"] = sizes.jited_bytes;
  state.counters["build_ms"] = (*program)->build_ms;
  state.counters["rules"] = c.rules;
  if (c.system != "xdp-drop") // which rule the packet hits
    state.SetLabel(c.spec["rule"].is_null()
                       ? "default"
                       : c.spec["rule"].get<std::string>());
}

void register_all() {
  std::map<std::string, json> sidecars; // "<shape>_<n>"
  for (const std::string &shape : kShapes)
    for (int n : kSizes) {
      const std::string base = shape + "_" + std::to_string(n);
      const fs::path file = policy_dir() / (base + ".json");
      if (!fs::exists(file)) {
        std::fprintf(
            stderr,
            "packet_bench: %s missing (build the bench_policies target)\n",
            file.c_str());
        continue;
      }
      sidecars[base] = json::parse(read_text(file));
    }

  std::vector<Case> all;
  // The floor, on the exact shape's hit packet (any IPv4 UDP frame does).
  if (auto it = sidecars.find("exact_1"); it != sidecars.end())
    all.push_back(
        {"xdp-drop", "none", 0, "hit", it->second["hit"], load_xdp_drop});
  for (const char *system : {"psl", "psl-maps", "xdp-filter", "naive-c"})
    for (const std::string &shape : kShapes) {
      if (std::string(system) == "psl-maps" && !kCompareMaps)
        continue;
      if (std::string(system) == "naive-c" && shape != "mixed")
        continue;
      if (std::string(system) == "xdp-filter" && shape != "exact" &&
          shape != "port")
        continue;
      for (int n : kSizes) {
        auto it = sidecars.find(shape + "_" + std::to_string(n));
        if (it == sidecars.end())
          continue;
        if (std::string(system) == "psl-maps" && n > 1000)
          continue;
        const json &side = it->second;
        ProgramCache::Loader load;
        if (std::string(system) == "psl")
          load = [shape, n] { return load_psl(shape, n); };
        else if (std::string(system) == "psl-maps")
          load = [shape, n] { return load_psl(shape, n, true); };
        else if (std::string(system) == "naive-c")
          load = [shape, n] { return load_naive(shape, n); };
        else
          load = [config = side["xdp_filter"]] {
            return XdpFilterProgram::load(config);
          };
        for (const char *packet : {"hit", "miss"})
          all.push_back({system, shape, n, packet, side[packet], load});
        // Interleaved: right after the same policy's `psl` cases (one
        // program in the cache at a time).
        if (std::string(system) == "psl" && kCompareParser)
          for (const char *packet : {"hit", "miss"})
            all.push_back(
                {"psl-prebuilt", shape, n, packet, side[packet],
                 [shape, n] { return load_psl(shape, n, false, true); }});
        if (std::string(system) == "psl" && kCompareHash)
          for (const char *packet : {"hit", "miss"})
            all.push_back(
                {"psl-kernel-hash", shape, n, packet, side[packet], [shape, n] {
                   return load_psl(shape, n, false, false, true);
                 }});
      }
    }
  for (const Case &c : all) {
    const std::string name = c.system + "/" + c.shape + "/" +
                             std::to_string(c.rules) + "/" + c.packet;
    benchmark::RegisterBenchmark(name.c_str(), run_case, c)
        ->UseManualTime()
        ->Iterations(kIterations)
        ->Unit(benchmark::kNanosecond);
  }
}

} // namespace
} // namespace psl::bench

int main(int argc, char **argv) {
  psl::backend::testing::remove_stale_test_state();
  psl::bench::register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
