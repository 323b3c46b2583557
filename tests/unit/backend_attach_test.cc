// XdpAttacher on a real veth pair in network namespaces the test creates:
// attach, status, atomic swap under traffic, detach. Skips without BPF,
// XDP links or namespaces (fails instead with PSC_REQUIRE_BPF=1).
#include <chrono>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/bpf_features.h"
#include "backend/bpf_object.h"
#include "backend/clang_compiler.h"
#include "backend/testing/bpf_test_support.h"
#include "backend/testing/netns.h"
#include "backend/xdp_attach.h"

namespace psl::backend {
namespace {

using testing::CommandResult;
using testing::ScopedNetns;
using testing::VethPair;

std::string test_data(const std::string &name) {
  std::ifstream in(std::string(PSC_BACKEND_TEST_DATA) + "/" + name);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool exists(const std::string &path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

struct PingResult {
  int transmitted = -1;
  int received = -1;
  std::string output;
};

PingResult parse_ping(const CommandResult &r) {
  PingResult p;
  p.output = r.output;
  std::smatch m;
  static const std::regex summary(
      R"((\d+) packets transmitted, (\d+) (packets )?received)");
  if (std::regex_search(r.output, m, summary)) {
    p.transmitted = std::stoi(m[1]);
    p.received = std::stoi(m[2]);
  }
  return p;
}

FeatureProbe ping_available() {
  CommandResult r = testing::run_command("ping -V");
  if (r.exit_code == 0)
    return FeatureProbe{true, {}};
  return FeatureProbe{false, "the 'ping' tool (iputils-ping) is missing"};
}

class XdpAttachTest : public ::testing::Test {
protected:
  void SetUp() override {
    PSC_REQUIRE_OR_SKIP(bpf_features().load);
    PSC_REQUIRE_OR_SKIP(bpf_features().xdp_link);
    PSC_REQUIRE_OR_SKIP(bpf_features().netns);
    PSC_REQUIRE_OR_SKIP(ping_available());
    testing::remove_stale_test_state();

    Expected<std::unique_ptr<VethPair>> pair = VethPair::create();
    ASSERT_TRUE(pair.ok()) << pair.error().message;
    veth_ = std::move(*pair);
    netns_ = std::make_unique<ScopedNetns>(veth_->ns());
    ASSERT_TRUE(netns_->ok()) << netns_->error();

    options_.pin_root = pin_root_;
    attacher_ = std::make_unique<XdpAttacher>(options_);
    object_ = compile("xdp_count.c");
    ASSERT_FALSE(object_.empty());
  }

  void TearDown() override {
    if (attacher_ && veth_)
      (void)attacher_->detach(ifname());
    netns_.reset(); // leave the namespace before it is deleted
    veth_.reset();
    ::rmdir(pin_root_.c_str());
  }

  static std::vector<uint8_t> compile(const std::string &file) {
    CompileResult result = BpfCompiler().compile(test_data(file), file);
    EXPECT_TRUE(result.ok()) << result.format_diagnostics();
    return result.object;
  }

  // A loaded copy of xdp_count.c returning `verdict`.
  BpfObject load_count(uint32_t verdict = XDP_PASS,
                       const std::string &reuse_maps_dir = {}) {
    Expected<BpfObject> object = BpfObject::open(object_, "count");
    EXPECT_TRUE(object.ok()) << object.error().message;
    EXPECT_TRUE(object->set_global("verdict", verdict).ok());
    BpfLoadOptions options;
    options.reuse_maps_dir = reuse_maps_dir;
    Status loaded = object->load(options);
    EXPECT_TRUE(loaded.ok()) << loaded.error().message << "\n"
                             << loaded.error().detail;
    return std::move(*object);
  }

  static uint64_t seen(const BpfObject &object) {
    const uint32_t slot = 0;
    uint64_t n = 0;
    EXPECT_TRUE(object.map_lookup("seen", &slot, 4, &n, 8).ok());
    return n;
  }

  static uint32_t prog_id(const BpfObject &object) {
    Expected<ProgramInfo> info = program_info(object.program_fd());
    EXPECT_TRUE(info.ok());
    return info.ok() ? info->id : 0;
  }

  PingResult ping(int count, const char *interval = "0.2") {
    return parse_ping(
        veth_->run_in_peer("ping -n -q -c " + std::to_string(count) + " -i " +
                           interval + " -W 1 " + VethPair::address()));
  }

  const std::string &ifname() const { return veth_->ifname(); }

  const std::string pin_root_ =
      "/sys/fs/bpf/psc-test-" + std::to_string(::getpid());
  XdpAttachOptions options_;
  std::unique_ptr<VethPair> veth_;
  std::unique_ptr<ScopedNetns> netns_;
  std::unique_ptr<XdpAttacher> attacher_;
  std::vector<uint8_t> object_;
};

TEST_F(XdpAttachTest, AttachStatusDetach) {
  BpfObject program = load_count();
  Expected<XdpAttachment> attached = attacher_->attach(ifname(), program);
  ASSERT_TRUE(attached.ok()) << attached.error().message;
  EXPECT_EQ(attached->replaced_prog_id, 0u);
  EXPECT_EQ(attached->prog_id, prog_id(program));
  EXPECT_EQ(attached->mode, XdpMode::Native); // veth does driver-mode XDP
  EXPECT_EQ(attached->link_pin, pin_root_ + "/psc0/link");
  EXPECT_TRUE(exists(attached->link_pin));
  EXPECT_EQ(attached->pinned_maps, std::vector<std::string>{"seen"});
  EXPECT_TRUE(exists(pin_root_ + "/psc0/maps/seen"));

  Expected<XdpStatus> status = attacher_->status(ifname());
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_TRUE(status->attached);
  EXPECT_EQ(status->program.id, prog_id(program));
  EXPECT_EQ(status->program.name, "xdp_count");
  EXPECT_EQ(status->link_id, attached->link_id);
  EXPECT_EQ(status->mode, XdpMode::Native);

  PingResult before = ping(3);
  EXPECT_EQ(before.received, 3) << before.output;
  EXPECT_GE(seen(program), 3u) << "the program saw the echo requests";

  ASSERT_TRUE(attacher_->detach(ifname()).ok());
  Expected<XdpStatus> after = attacher_->status(ifname());
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->attached);
  EXPECT_FALSE(exists(pin_root_ + "/psc0"));
  const uint64_t seen_at_detach = seen(program);
  EXPECT_EQ(ping(2).received, 2);
  EXPECT_EQ(seen(program), seen_at_detach) << "detached: sees nothing";

  Status again = attacher_->detach(ifname());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message,
            "no PacketScope program is attached to 'psc0'");
}

TEST_F(XdpAttachTest, ProgramOutlivesTheLoadingObject) {
  uint32_t id = 0;
  {
    BpfObject program = load_count();
    id = prog_id(program);
    ASSERT_TRUE(attacher_->attach(ifname(), program).ok());
  } // the object is closed; the pinned link holds the program
  Expected<XdpStatus> status = attacher_->status(ifname());
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->attached);
  EXPECT_EQ(status->program.id, id);
  EXPECT_EQ(ping(2).received, 2);
}

// The point of the link: swapping programs while traffic flows loses no
// packet. ~400 echo requests 5 ms apart while the program is replaced by
// freshly loaded ones every 40 ms.
TEST_F(XdpAttachTest, AtomicSwapUnderPingLosesNothing) {
  std::vector<BpfObject> programs;
  programs.push_back(load_count());
  ASSERT_TRUE(attacher_->attach(ifname(), programs.back()).ok());
  ASSERT_EQ(ping(1).received, 1); // ARP resolved before timing starts

  PingResult result;
  std::thread pinger([&] { result = ping(400, "0.005"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto stop_at =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(1600);
  while (std::chrono::steady_clock::now() < stop_at) {
    const uint32_t previous = prog_id(programs.back());
    programs.push_back(load_count());
    Expected<XdpAttachment> swapped =
        attacher_->attach(ifname(), programs.back());
    ASSERT_TRUE(swapped.ok()) << swapped.error().message;
    EXPECT_EQ(swapped->replaced_prog_id, previous);
    EXPECT_EQ(swapped->prog_id, prog_id(programs.back()));
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
  }
  pinger.join();

  RecordProperty("swaps", static_cast<int>(programs.size() - 1));
  RecordProperty("echo_requests", result.transmitted);
  RecordProperty("echo_replies", result.received);
  EXPECT_EQ(result.transmitted, 400) << result.output;
  EXPECT_EQ(result.received, 400) << result.output;
  EXPECT_GE(programs.size(), 10u);
  uint64_t total = 0;
  size_t programs_that_saw_traffic = 0;
  for (const BpfObject &p : programs) {
    total += seen(p);
    programs_that_saw_traffic += seen(p) > 0;
  }
  EXPECT_GE(total, 400u);
  EXPECT_GE(programs_that_saw_traffic, programs.size() / 2);
  EXPECT_EQ(attacher_->status(ifname())->program.id, prog_id(programs.back()));
}

TEST_F(XdpAttachTest, SwapCarriesPinnedMapState) {
  BpfObject first = load_count();
  ASSERT_TRUE(attacher_->attach(ifname(), first).ok());
  EXPECT_EQ(ping(3).received, 3);
  const uint64_t counted = seen(first);
  ASSERT_GE(counted, 3u);

  BpfObject second = load_count(XDP_PASS, attacher_->maps_pin_dir(ifname()));
  EXPECT_EQ(second.reused_maps(), std::vector<std::string>{"seen"});
  EXPECT_EQ(seen(second), counted);
  ASSERT_TRUE(attacher_->attach(ifname(), second).ok());
  EXPECT_EQ(ping(3).received, 3);
  EXPECT_GE(seen(second), counted + 3);
}

TEST_F(XdpAttachTest, DropProgramIsEnforcedAndSwappedOut) {
  BpfObject drop = load_count(XDP_DROP);
  ASSERT_TRUE(attacher_->attach(ifname(), drop).ok());
  EXPECT_EQ(ping(2).received, 0);
  EXPECT_GE(seen(drop), 2u);

  BpfObject pass = load_count(XDP_PASS);
  Expected<XdpAttachment> swapped = attacher_->attach(ifname(), pass);
  ASSERT_TRUE(swapped.ok()) << swapped.error().message;
  EXPECT_EQ(swapped->replaced_prog_id, prog_id(drop));
  EXPECT_EQ(ping(2).received, 2);
}

TEST_F(XdpAttachTest, FailedSwapLeavesTheOldProgramInForce) {
  BpfObject program = load_count();
  ASSERT_TRUE(attacher_->attach(ifname(), program).ok());

  // Not a program: the kernel refuses the update.
  Expected<XdpAttachment> bad =
      attacher_->attach_fd(ifname(), program.map_fd("seen"), nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("the previous program stays attached"),
            std::string::npos)
      << bad.error().message;

  Expected<XdpStatus> status = attacher_->status(ifname());
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->attached);
  EXPECT_EQ(status->program.id, prog_id(program));
  EXPECT_TRUE(exists(pin_root_ + "/psc0/maps/seen"));
  EXPECT_EQ(ping(2).received, 2);
}

TEST_F(XdpAttachTest, GenericModeCanBeForced) {
  XdpAttachOptions options = options_;
  options.mode = XdpMode::Generic;
  XdpAttacher generic(options);
  BpfObject program = load_count();
  Expected<XdpAttachment> attached = generic.attach(ifname(), program);
  ASSERT_TRUE(attached.ok()) << attached.error().message;
  EXPECT_EQ(attached->mode, XdpMode::Generic);
  EXPECT_EQ(generic.status(ifname())->mode, XdpMode::Generic);
  EXPECT_EQ(ping(2).received, 2);
  EXPECT_GE(seen(program), 2u);
}

TEST_F(XdpAttachTest, StaleLinkOfADeletedInterfaceIsReplaced) {
  BpfObject first = load_count();
  ASSERT_TRUE(attacher_->attach(ifname(), first).ok());
  // Delete the veth pair and make a new one with the same names.
  ASSERT_EQ(testing::run_command("ip link del " + ifname()).exit_code, 0);
  const std::string peer_ns = veth_->peer_ns();
  for (const std::string &step :
       {"ip link add psc0 type veth peer name psc1 netns " + peer_ns,
        std::string("ip addr add 192.0.2.1/24 dev psc0"),
        std::string("ip link set psc0 up"),
        "ip -n " + peer_ns + " addr add 192.0.2.2/24 dev psc1",
        "ip -n " + peer_ns + " link set psc1 up"}) {
    CommandResult r = testing::run_command(step);
    ASSERT_EQ(r.exit_code, 0) << step << ": " << r.output;
  }
  Expected<XdpStatus> stale = attacher_->status(ifname());
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(stale->attached);

  BpfObject second = load_count();
  Expected<XdpAttachment> attached = attacher_->attach(ifname(), second);
  ASSERT_TRUE(attached.ok()) << attached.error().message;
  EXPECT_EQ(attached->replaced_prog_id, 0u) << "a new link, not an update";
  EXPECT_TRUE(attacher_->status(ifname())->attached);
  EXPECT_EQ(ping(2).received, 2);
  EXPECT_GE(seen(second), 2u);
}

TEST_F(XdpAttachTest, UserFacingErrors) {
  BpfObject program = load_count();
  Expected<XdpAttachment> missing = attacher_->attach("nope0", program);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "interface 'nope0' not found");

  Expected<XdpAttachment> bad_name = attacher_->attach("../x", program);
  ASSERT_FALSE(bad_name.ok());
  EXPECT_EQ(bad_name.error().message, "'../x' is not a valid interface name");

  Expected<XdpStatus> none = attacher_->status(ifname());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->attached);

  Expected<BpfObject> unloaded = BpfObject::open(object_, "unloaded");
  ASSERT_TRUE(unloaded.ok());
  Expected<XdpAttachment> not_loaded = attacher_->attach(ifname(), *unloaded);
  ASSERT_FALSE(not_loaded.ok());
  EXPECT_EQ(not_loaded.error().message, "BPF object 'unloaded' is not loaded");
}

} // namespace
} // namespace psl::backend
