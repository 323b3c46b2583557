// BpfObject, test runs and the verifier log, against the running kernel.
// Skips without BPF support (fails instead with PSC_REQUIRE_BPF=1).
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/bpf_features.h"
#include "backend/bpf_object.h"
#include "backend/clang_compiler.h"
#include "backend/test_run.h"
#include "backend/testing/bpf_test_support.h"
#include "backend/testing/packets.h"

namespace psl::backend {
namespace {

using testing::ipv4_frame;
using testing::tcp4;
using testing::udp4;
using testing::udp6;

std::string test_data(const std::string &name) {
  std::ifstream in(std::string(PSC_BACKEND_TEST_DATA) + "/" + name);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<uint8_t> compile_or_die(const std::string &file) {
  CompileOptions options;
  options.include_dirs.push_back(PSC_BPF_TEMPLATES_DIR);
  CompileResult result = BpfCompiler(options).compile(test_data(file), file);
  EXPECT_TRUE(result.ok()) << result.format_diagnostics();
  return result.object;
}

class BpfObjectTest : public ::testing::Test {
protected:
  void SetUp() override { PSC_REQUIRE_OR_SKIP(bpf_features().load); }

  BpfObject load(const std::string &file, const BpfLoadOptions &options = {}) {
    Expected<BpfObject> object = BpfObject::open(compile_or_die(file), "t");
    EXPECT_TRUE(object.ok()) << object.error().message;
    Status loaded = object->load(options);
    EXPECT_TRUE(loaded.ok()) << loaded.error().message << "\n"
                             << loaded.error().detail;
    return std::move(*object);
  }

  uint32_t verdict(const BpfObject &object,
                   const std::vector<uint8_t> &packet) {
    Expected<TestRunResult> run = test_run_xdp(object.program_fd(), packet);
    EXPECT_TRUE(run.ok()) << run.error().message;
    return run.ok() ? run->retval : ~0u;
  }
};

TEST(UniqueFdTest, ClosesOnceAndMoves) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  UniqueFd read_end(pipe_fds[0]);
  {
    UniqueFd write_end(pipe_fds[1]);
    UniqueFd moved = std::move(write_end);
    EXPECT_FALSE(write_end.valid());
    EXPECT_EQ(moved.get(), pipe_fds[1]);
  }
  EXPECT_EQ(::fcntl(pipe_fds[1], F_GETFD), -1); // closed by `moved`
  EXPECT_NE(::fcntl(read_end.get(), F_GETFD), -1);
  int raw = read_end.release();
  EXPECT_FALSE(read_end.valid());
  ::close(raw);
}

TEST_F(BpfObjectTest, TestRunDropsUdpToPort9AndPassesTheRest) {
  PSC_REQUIRE_OR_SKIP(bpf_features().xdp_test_run);
  BpfObject object = load("udp9_drop.c");
  ASSERT_TRUE(object.loaded());
  EXPECT_EQ(object.program_names(), std::vector<std::string>{"udp9_drop"});
  EXPECT_GE(object.program_fd("udp9_drop"), 0);
  EXPECT_EQ(object.program_fd("nope"), -1);

  EXPECT_EQ(verdict(object, udp4(9)), XDP_DROP);
  EXPECT_EQ(verdict(object, udp6(9)), XDP_DROP);
  EXPECT_EQ(verdict(object, udp4(53)), XDP_PASS);
  EXPECT_EQ(verdict(object, udp4(9 << 8)), XDP_PASS); // byte order matters
  EXPECT_EQ(verdict(object, tcp4(9)), XDP_PASS);
  // Cut inside the UDP header: nothing to match, passes.
  std::vector<uint8_t> truncated = udp4(9);
  truncated.resize(14 + 20 + 3);
  EXPECT_EQ(verdict(object, truncated), XDP_PASS);

  // The program counted its verdicts: 2 drops, 4 passes.
  uint64_t drops = 0, passes = 0;
  const uint32_t drop_key = XDP_DROP, pass_key = XDP_PASS;
  ASSERT_TRUE(object.map_lookup("verdicts", &drop_key, 4, &drops, 8).ok());
  ASSERT_TRUE(object.map_lookup("verdicts", &pass_key, 4, &passes, 8).ok());
  EXPECT_EQ(drops, 2u);
  EXPECT_EQ(passes, 4u);
  EXPECT_FALSE(object.map_lookup("nope", &drop_key, 4, &drops, 8).ok());
}

TEST_F(BpfObjectTest, TestRunReturnsDataAndRepeats) {
  PSC_REQUIRE_OR_SKIP(bpf_features().xdp_test_run);
  BpfObject object = load("udp9_drop.c");
  const std::vector<uint8_t> packet = udp4(53);
  TestRunOptions options;
  options.repeat = 1000;
  Expected<TestRunResult> run =
      test_run_xdp(object.program_fd(), packet, options);
  ASSERT_TRUE(run.ok()) << run.error().message;
  EXPECT_EQ(run->action(), XdpAction::Pass);
  EXPECT_EQ(xdp_action_name(run->retval), "XDP_PASS");
  EXPECT_EQ(run->data_out, packet);
  EXPECT_EQ(run->repeat, 1000u);
  EXPECT_GT(run->duration.count(), 0);
  EXPECT_LT(run->duration.count(), 1000000); // well under 1 ms per packet

  uint64_t passes = 0;
  const uint32_t key = XDP_PASS;
  ASSERT_TRUE(object.map_lookup("verdicts", &key, 4, &passes, 8).ok());
  EXPECT_EQ(passes, 1000u);

  Expected<TestRunResult> tiny =
      test_run_xdp(object.program_fd(), std::vector<uint8_t>(10, 0));
  ASSERT_FALSE(tiny.ok());
  EXPECT_NE(tiny.error().message.find("14 bytes"), std::string::npos);
}

TEST_F(BpfObjectTest, TemplatesPolicyDropsAndCountsPerRule) {
  PSC_REQUIRE_OR_SKIP(bpf_features().xdp_test_run);
  BpfObject object = load("templates_udp9.c");
  EXPECT_EQ(verdict(object, udp4(9)), XDP_DROP);
  EXPECT_EQ(verdict(object, udp6(9)), XDP_DROP);
  EXPECT_EQ(verdict(object, udp4(53)), XDP_PASS);
  EXPECT_EQ(verdict(object, tcp4(9)), XDP_PASS);

  // psl_rule_cnt is per CPU: sum the CPUs' slots.
  const int cpus = libbpf_num_possible_cpus();
  ASSERT_GT(cpus, 0);
  auto packets_of = [&](uint32_t rule) {
    std::vector<uint64_t> slots(2 * static_cast<size_t>(cpus));
    EXPECT_TRUE(object
                    .map_lookup("psl_rule_cnt", &rule, 4, slots.data(),
                                slots.size() * 8)
                    .ok());
    uint64_t sum = 0;
    for (int c = 0; c < cpus; ++c)
      sum += slots[2 * static_cast<size_t>(c)];
    return sum;
  };
  EXPECT_EQ(packets_of(1), 2u); // discard
  EXPECT_EQ(packets_of(0), 2u); // default
}

// The compile_bench program: a policy of realistic size verifies.
TEST_F(BpfObjectTest, HundredRulePolicyLoadsAndDecides) {
  PSC_REQUIRE_OR_SKIP(bpf_features().xdp_test_run);
  BpfObject object = load("rules100.c");
  ASSERT_TRUE(object.loaded());
  EXPECT_EQ(verdict(object, udp4(53)), XDP_PASS);
}

TEST_F(BpfObjectTest, VerifierRejectionComesBackWithTheLog) {
  Expected<BpfObject> object =
      BpfObject::open(compile_or_die("oob_read.c"), "oob");
  ASSERT_TRUE(object.ok()) << object.error().message;
  object->add_source("oob_read.c", test_data("oob_read.c"));

  ::testing::internal::CaptureStderr();
  Status loaded = object->load();
  const std::string printed = ::testing::internal::GetCapturedStderr();

  ASSERT_FALSE(loaded.ok());
  EXPECT_FALSE(object->loaded());
  const Error &error = loaded.error();
  EXPECT_NE(error.message.find("verifier rejected program 'oob_read'"),
            std::string::npos)
      << error.message;
  EXPECT_EQ(error.code, EACCES);
  EXPECT_EQ(error.kind, ErrorKind::User); // the input is refused
  // The log shows the offending load and the kernel's reason.
  EXPECT_NE(error.detail.find("invalid access to packet"), std::string::npos)
      << error.detail;
  EXPECT_NE(error.detail.find("*(u8 *)"), std::string::npos) << error.detail;
  // BTF line info points at the C line; add_source() shows its code.
  EXPECT_NE(error.detail.find("; return data[ETH_HLEN] == 0x45 ? XDP_DROP : "
                              "XDP_PASS; @ oob_read.c:18"),
            std::string::npos)
      << error.detail;
  EXPECT_NE(object->verifier_log().find("-- program oob_read --"),
            std::string::npos);
  EXPECT_NE(object->libbpf_log().find("BPF program load failed"),
            std::string::npos);
  EXPECT_EQ(printed, "") << "libbpf must not print";
}

TEST_F(BpfObjectTest, LogBufferGrowsUntilTheWholeLogFits) {
  BpfLoadOptions options;
  options.verifier_log_level = 2; // every path, also on success
  options.initial_log_size = 4096;
  BpfObject object = load("udp9_drop.c", options);
  ASSERT_TRUE(object.loaded());
  EXPECT_GT(object.verifier_log().size(), 4096u);
  // The end of a complete log: "processed N insns ...".
  EXPECT_NE(object.verifier_log().find("processed "), std::string::npos);
}

TEST_F(BpfObjectTest, SetGlobalChangesTheLoadTimeParameter) {
  PSC_REQUIRE_OR_SKIP(bpf_features().xdp_test_run);
  Expected<BpfObject> object =
      BpfObject::open(compile_or_die("xdp_count.c"), "count");
  ASSERT_TRUE(object.ok());
  EXPECT_FALSE(object->set_global("no_such_var", uint32_t{1}).ok());
  Status wrong_size = object->set_global("verdict", uint8_t{1});
  ASSERT_FALSE(wrong_size.ok());
  EXPECT_NE(wrong_size.error().message.find("4 bytes"), std::string::npos);
  ASSERT_TRUE(object->set_global("verdict", uint32_t{XDP_DROP}).ok());
  ASSERT_TRUE(object->load().ok());
  EXPECT_EQ(verdict(*object, udp4(53)), XDP_DROP);
  EXPECT_FALSE(object->set_global("verdict", uint32_t{XDP_PASS}).ok());
}

TEST_F(BpfObjectTest, PinnedMapsAreReusedWhenCompatible) {
  PSC_REQUIRE_OR_SKIP(bpf_features().xdp_test_run);
  const std::string dir =
      "/sys/fs/bpf/psc-test-" + std::to_string(::getpid()) + "-maps";
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0) << std::strerror(errno);
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      ::unlink((dir + "/seen").c_str());
      ::rmdir(dir.c_str());
    }
  } cleanup{dir};

  BpfObject first = load("xdp_count.c");
  const uint32_t slot = 0;
  const uint64_t start = 41;
  ASSERT_TRUE(first.map_update("seen", &slot, 4, &start, 8).ok());
  ASSERT_EQ(bpf_obj_pin(first.map_fd("seen"), (dir + "/seen").c_str()), 0);

  BpfLoadOptions options;
  options.reuse_maps_dir = dir;
  BpfObject second = load("xdp_count.c", options);
  EXPECT_EQ(second.reused_maps(), std::vector<std::string>{"seen"});
  EXPECT_EQ(verdict(second, udp4(1)), XDP_PASS);
  uint64_t count = 0;
  ASSERT_TRUE(first.map_lookup("seen", &slot, 4, &count, 8).ok());
  EXPECT_EQ(count, 42u) << "the second program counted into the first's map";

  // The filter decides which pinned maps a load may reuse.
  options.reuse_map_filter = [](const std::string &name) {
    return name != "seen";
  };
  BpfObject filtered = load("xdp_count.c", options);
  EXPECT_TRUE(filtered.reused_maps().empty());
  options.reuse_map_filter = {};

  // A different shape is not reused: udp9_drop's `verdicts` vs `seen`.
  ASSERT_EQ(::rename((dir + "/seen").c_str(), (dir + "/verdicts").c_str()), 0);
  BpfObject third = load("udp9_drop.c", options);
  EXPECT_TRUE(third.reused_maps().empty());
  EXPECT_NE(third.libbpf_log().find("changed shape"), std::string::npos);
  ::unlink((dir + "/verdicts").c_str());
}

TEST_F(BpfObjectTest, GarbageElfIsAnErrorNotACrash) {
  Expected<BpfObject> object =
      BpfObject::open(std::vector<uint8_t>(64, 0x42), "junk");
  ASSERT_FALSE(object.ok());
  EXPECT_NE(object.error().message.find("cannot open BPF object 'junk'"),
            std::string::npos)
      << object.error().message;
}

TEST(BpfFeaturesTest, ProbesAgreeWithEachOther) {
  const BpfFeatures &f = bpf_features();
  if (!f.load) {
    EXPECT_FALSE(f.load.reason.empty());
    EXPECT_FALSE(f.xdp_test_run);
    EXPECT_FALSE(f.xdp_link);
  }
  EXPECT_TRUE(f.recommended_cpu() == "v2" || f.recommended_cpu() == "v3");
  for (const FeatureProbe *p :
       {&f.load, &f.xdp_test_run, &f.xdp_link, &f.jmp32, &f.netns})
    EXPECT_EQ(p->available, p->reason.empty()) << p->reason;
}

TEST_F(BpfObjectTest, RecommendedCpuLoads) {
  CompileOptions options;
  options.cpu = bpf_features().recommended_cpu();
  CompileResult result =
      BpfCompiler(options).compile(test_data("udp9_drop.c"), "udp9_drop.c");
  ASSERT_TRUE(result.ok()) << result.format_diagnostics();
  Expected<BpfObject> object = BpfObject::open(result.object, "cpu");
  ASSERT_TRUE(object.ok());
  Status loaded = object->load();
  EXPECT_TRUE(loaded.ok()) << loaded.error().detail;
}

} // namespace
} // namespace psl::backend
