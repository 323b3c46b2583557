// KernelEvaluator (codegen/kernel_evaluator.h) and kernel mode of `psc
// test` / `psc run`: the compiled policy in the kernel with
// BPF_PROG_TEST_RUN and the injected clock.
//   - every policy under policies/: its test blocks pass in the kernel, and
//     on every test packet (at its scheduled time) kernel and interpreter
//     agree on the verdict and the deciding rule;
//   - the injected clock and reset(): rate buckets refill with the clock
//     written per packet, reset() empties buckets and counters;
//   - `psc run` on a capture written here with libpcap, with
//     --write-passed: same output as --interp, the passed records copied.
// Skips without BPF (fails instead with PSC_REQUIRE_BPF=1).
#include <gtest/gtest.h>

#include <pcap/pcap.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "backend/bpf_features.h"
#include "backend/testing/bpf_test_support.h"
#include "codegen/kernel_evaluator.h"
#include "interp_test_util.h"
#include "psc_dir_test.h"

#ifndef PSC_POLICIES_DIR
#error "PSC_POLICIES_DIR must name the policies directory"
#endif

namespace {

namespace fs = std::filesystem;
using namespace interp_test;
using psl::codegen::KernelEvaluator;

#define REQUIRE_KERNEL()                                                       \
  do {                                                                         \
    PSC_REQUIRE_OR_SKIP(psl::backend::bpf_features().load);                    \
    PSC_REQUIRE_OR_SKIP(psl::backend::bpf_features().xdp_test_run);            \
  } while (0)

using psc_test::read_file;

// Runs both evaluators on every packet; answers with the interpreter's
// verdict and records where the kernel differs.
class TeeEvaluator final : public PacketEvaluator {
public:
  TeeEvaluator(PacketEvaluator &interp, PacketEvaluator &kernel)
      : a_(interp), b_(kernel) {}
  std::string name() const override { return "tee"; }
  void reset() override {
    a_.reset();
    b_.reset();
  }
  backend::Expected<Evaluation> evaluate(const std::vector<uint8_t> &frame,
                                         uint64_t now_ns) override {
    Evaluation x = a_.evaluate(frame, now_ns).value();
    auto kernel = b_.evaluate(frame, now_ns);
    if (!kernel.ok())
      return kernel;
    Evaluation y = *kernel;
    ++packets;
    if (x.verdict != y.verdict || x.rule != y.rule)
      mismatches.push_back(
          "t=" + std::to_string(now_ns) + ": interp " + action_name(x.verdict) +
          " rule " + std::to_string(x.rule) + ", kernel " +
          action_name(y.verdict) + " rule " + std::to_string(y.rule));
    return x;
  }
  uint64_t packets = 0;
  std::vector<std::string> mismatches;

private:
  PacketEvaluator &a_, &b_;
};

TEST(KernelEval, EveryPolicyPassesAndAgreesWithTheInterpreter) {
  REQUIRE_KERNEL();
  size_t files = 0;
  std::vector<fs::path> paths;
  for (const auto &e : fs::directory_iterator(PSC_POLICIES_DIR))
    if (e.path().extension() == ".psl")
      paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  ASSERT_FALSE(paths.empty());
  for (const auto &path : paths) {
    SCOPED_TRACE(path.string());
    CheckedModule m = check_source(path.string(), read_file(path));
    ASSERT_TRUE(m.ok()) << errors_of(m);
    const Policy &policy = *m.module.policy;
    auto kernel = KernelEvaluator::create(policy, m.diags.file_ptr().get());
    ASSERT_TRUE(kernel.ok()) << kernel.error().message << "\n"
                             << kernel.error().detail;
    // The kernel alone: every test block passes.
    auto ran = run_tests(policy, **kernel);
    ASSERT_TRUE(ran.ok()) << ran.error().message;
    for (const auto &r : *ran)
      EXPECT_TRUE(r.passed()) << format_failures(m.diags.file(), r);
    // Both at once, packet by packet.
    InterpreterEvaluator interp(policy);
    TeeEvaluator tee(interp, **kernel);
    ASSERT_TRUE(run_tests(policy, tee).ok());
    EXPECT_TRUE(tee.mismatches.empty())
        << tee.mismatches.size() << " of " << tee.packets
        << " packets differ; first: " << tee.mismatches.front();
    if (!policy.tests.empty()) {
      EXPECT_GT(tee.packets, 0u);
    }
    ++files;
  }
  EXPECT_EQ(files, paths.size());
}

const char *const kRatePolicy = R"(policy r {
  rule seen: tcp.dport == 80 => count
  rule watch: tcp.dport == 80 => drop shadow
  rule flood: rate(ip.src, burst 5) > 5/s => drop
  default pass
}
)";

TEST(KernelEval, InjectedClockAndReset) {
  REQUIRE_KERNEL();
  CheckedModule m = check_source("r.psl", kRatePolicy);
  ASSERT_TRUE(m.ok()) << errors_of(m);
  const Policy &policy = *m.module.policy;
  auto k = KernelEvaluator::create(policy, m.diags.file_ptr().get());
  ASSERT_TRUE(k.ok()) << k.error().message;
  KernelEvaluator &kernel = **k;
  EXPECT_EQ(kernel.name(), "kernel");
  auto f = frame({{"ip.src", ip("198.51.100.9")}, {"tcp.dport", num(80)}});

  // Ten packets at one instant: the burst of 5 passes, then `flood`.
  const uint64_t t0 = kTestStartNs;
  int passed = 0, dropped = 0;
  for (int i = 0; i < 10; ++i) {
    Evaluation e = kernel.evaluate(f, t0).value();
    if (e.verdict == Action::Pass) {
      ++passed;
      EXPECT_EQ(e.rule, -1);
    } else {
      ++dropped;
      EXPECT_EQ(e.rule, 2);
    }
  }
  EXPECT_EQ(passed, 5);
  EXPECT_EQ(dropped, 5);
  // Ten seconds later by the injected clock the bucket is full again.
  EXPECT_EQ(kernel.evaluate(f, t0 + 10'000'000'000).value().verdict,
            Action::Pass);
  EXPECT_EQ(kernel.rule_counter(0).value().packets, 11u); // count rule
  EXPECT_EQ(kernel.rule_counter(1).value().packets, 11u); // shadow rule
  EXPECT_EQ(kernel.rule_counter(2).value().packets, 5u);
  EXPECT_EQ(kernel.default_counter().value().packets, 6u);
  EXPECT_EQ(kernel.default_counter().value().bytes, 6u * f.size());

  // reset(): empty buckets and zero counters.
  kernel.reset();
  EXPECT_EQ(kernel.default_counter().value().packets, 0u);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(kernel.evaluate(f, t0).value().verdict, Action::Pass) << i;
  EXPECT_EQ(kernel.evaluate(f, t0).value().verdict, Action::Drop);
  EXPECT_EQ(kernel.rule_counter(2).value().packets, 1u);
}

using psc_test::Result;

class KernelRun : public psc_test::PscDirTest {};

TEST_F(KernelRun, PsCTestInTheKernelByDefault) {
  REQUIRE_KERNEL();
  Result r = psc(std::string("test --format json ") + PSC_POLICIES_DIR);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["evaluator"], "kernel");
  EXPECT_EQ(j["failed"], 0);
  EXPECT_GT(j["passed"].get<int>(), 0);
}

TEST_F(KernelRun, ReplayWithWritePassed) {
  REQUIRE_KERNEL();
  std::ofstream(dir_ / "p.psl") << R"(policy p {
  rule ssh: tcp.dport == 22 => drop
  rule flood: udp.dport == 53 and rate(ip.src, burst 2) > 2/s => drop
  default pass
}
)";
  auto ssh = frame({{"tcp.dport", num(22)}});
  auto web = frame({{"tcp.dport", num(443)}});
  auto dns = frame({{"udp.dport", num(53)}});
  struct Rec {
    uint64_t ns;
    std::vector<uint8_t> bytes;
  };
  // 1 ssh (drop), 2 web, 3-5 dns at one instant (third dropped), 6 dns a
  // second later (refilled by the capture clock), 7 web.
  std::vector<Rec> recs = {{5'000'000'000, ssh}, {5'000'000'100, web},
                           {5'100'000'000, dns}, {5'100'000'000, dns},
                           {5'100'000'000, dns}, {6'100'000'000, dns},
                           {6'200'000'000, web}};
  {
    pcap_t *dead = pcap_open_dead_with_tstamp_precision(
        DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
    ASSERT_NE(dead, nullptr);
    pcap_dumper_t *d = pcap_dump_open(dead, (dir_ / "in.pcap").c_str());
    ASSERT_NE(d, nullptr) << pcap_geterr(dead);
    for (const Rec &r : recs) {
      pcap_pkthdr h{};
      h.ts.tv_sec = static_cast<time_t>(r.ns / 1'000'000'000);
      h.ts.tv_usec = static_cast<suseconds_t>(r.ns % 1'000'000'000);
      h.caplen = h.len = static_cast<bpf_u_int32>(r.bytes.size());
      pcap_dump(reinterpret_cast<u_char *>(d), &h, r.bytes.data());
    }
    pcap_dump_close(d);
    pcap_close(dead);
  }

  Result k =
      psc("run p.psl --pcap in.pcap --format json --write-passed out.pcap");
  ASSERT_EQ(k.status, 0) << k.out << k.err;
  Result i = psc("run --interp p.psl --pcap in.pcap --format json");
  ASSERT_EQ(i.status, 0) << i.err;
  EXPECT_EQ(k.out, i.out);

  std::istringstream lines(k.out);
  std::string line;
  std::vector<nlohmann::json> objs;
  while (std::getline(lines, line))
    objs.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(objs.size(), 8u);
  const char *want[] = {"ssh",   "default", "default", "default",
                        "flood", "default", "default"};
  for (size_t n = 0; n < 7; ++n) {
    EXPECT_EQ(objs[n]["index"], n + 1);
    EXPECT_EQ(objs[n]["rule"], want[n]) << n;
  }
  EXPECT_EQ(objs[7]["summary"]["pass"], 5);
  EXPECT_EQ(objs[7]["summary"]["drop"], 2);

  // The passed records, in order, with their times and link type.
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_open_offline_with_tstamp_precision(
      (dir_ / "out.pcap").c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  ASSERT_NE(p, nullptr) << err;
  EXPECT_EQ(pcap_datalink(p), DLT_EN10MB);
  std::vector<size_t> kept = {1, 2, 3, 5, 6}; // 0-based record numbers
  pcap_pkthdr *h;
  const u_char *data;
  size_t n = 0;
  while (pcap_next_ex(p, &h, &data) == 1) {
    ASSERT_LT(n, kept.size());
    const Rec &r = recs[kept[n]];
    EXPECT_EQ(std::vector<uint8_t>(data, data + h->caplen), r.bytes) << n;
    EXPECT_EQ(uint64_t(h->ts.tv_sec) * 1'000'000'000 + uint64_t(h->ts.tv_usec),
              r.ns)
        << n;
    ++n;
  }
  pcap_close(p);
  EXPECT_EQ(n, kept.size());

  // Text output is unchanged from the interpreter's too.
  Result kt = psc("run p.psl --pcap in.pcap");
  Result it = psc("run --interp p.psl --pcap in.pcap");
  EXPECT_EQ(kt.status, 0);
  EXPECT_EQ(kt.out, it.out);
}

} // namespace
