// The exit statuses of psc load, unload, status and set through the psc
// binary, one case per kind of failure (docs/psc.md, "Exit status"): 1 the
// request is refused (the policy, the value, nothing loaded), 3 the
// machine cannot do it (privileges, an interface or namespace that does
// not exist, a lock another change holds). After every failure the policy
// in force is checked to be untouched. Usage errors (2) need no kernel:
// tests/unit/psc_cli_test.cc. An internal error (4) needs a bug in psc:
// its mapping is tested in tests/unit/psc_exit_status_test.cc.
//
// Root only, on a veth pair in namespaces the test creates; skips without
// BPF (fails with PSC_REQUIRE_BPF=1).
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "policy/target_lock.h"
#include "psc_cli_fixture.h"

namespace {

using psc_e2e::has;
using psc_e2e::kNoPing;
using psl::backend::testing::CommandResult;
using psl::backend::testing::run_command;
using psl::backend::testing::ScopedNetns;
using psl::backend::testing::VethPair;
namespace pp = psr::policy;

const char *const kBan = R"(policy ban {
  set banned : ip dynamic capacity 3
  rule drop_banned: ip.src in banned => drop
  default pass
}
)";

// The lines of `text` in order (set list prints in the map's order).
std::vector<std::string> sorted_lines(const std::string &text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}
const std::vector<std::string> kThreeBanned = {"10.0.0.1", "10.0.0.2",
                                               "10.0.0.3"};

class VerbExitStatus : public psc_e2e::PscCliFixture {
protected:
  VerbExitStatus() : PscCliFixture("exit") {}

  void SetUp() override {
    PscCliFixture::SetUp();
    if (IsSkipped() || HasFatalFailure())
      return;
    auto p = VethPair::create();
    ASSERT_TRUE(p.ok()) << p.error().message;
    veth_ = std::move(p.value());
    missing_ns_ = "psc-test-" + std::to_string(::getpid()) + "-nosuch";
  }

  void TearDown() override {
    if (veth_)
      psc("unload --netns " + veth_->ns() + " --dev psc0");
    veth_.reset();
    PscCliFixture::TearDown();
  }

  // VERB on psc0 of the pair's namespace, then ARGS.
  CommandResult on(const std::string &verb, const std::string &args = "") {
    return psc(verb + " --netns " + veth_->ns() + " --dev psc0 " + args);
  }
  // VERB ARGS inside the pair's namespace as nobody, without capabilities.
  CommandResult unprivileged(const std::string &verb,
                             const std::string &args = "") {
    run_command("chmod 755 " + dir_ + " && chmod 644 " + dir_ + "/*.psl");
    return run_command(env() + "nsenter --net=/var/run/netns/" + veth_->ns() +
                       " setpriv --reuid=65534 --regid=65534 --clear-groups "
                       "--inh-caps=-all " +
                       PSC_BINARY + " " + verb + " --dev psc0 " + args);
  }
  // The program in force on psc0 (0: none).
  uint32_t program() {
    CommandResult r = on("status", "--format json");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    auto j = nlohmann::json::parse(r.output, nullptr, false);
    return j.is_discarded() ? 0 : j.value("program_id", 0u);
  }
  pp::Target target() {
    ScopedNetns in(veth_->ns());
    auto t = pp::Target::in_current_netns("psc0");
    EXPECT_TRUE(t.ok());
    return t.ok() ? *t : pp::Target{};
  }
  static bool have_setpriv() {
    return run_command("command -v setpriv").exit_code == 0;
  }

  std::string missing_ns_;
  std::unique_ptr<VethPair> veth_;
};

TEST_F(VerbExitStatus, Load) {
  const std::string no_ping = write_policy("no_ping", kNoPing);
  CommandResult r = on("load", no_ping + " --mode generic");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const uint32_t prog = program();
  ASSERT_NE(prog, 0u);

  // 1: the policy does not check.
  r = on("load", write_policy("bad", "policy bad {\n  default nope\n}\n"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(has(r.output, "error")) << r.output;
  EXPECT_TRUE(has(r.output, "psc load: nothing changed on 'psc0'\n"))
      << r.output;
  // 1: a policy that cannot be read.
  r = on("load", dir_ + "/nosuch.psl");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  // 1: past a limit of the lowering (512 rules that need code).
  std::string big = "policy big {\n";
  for (int i = 0; i < 513; ++i)
    big += "  rule r" + std::to_string(i) +
           ": tcp.dport == " + std::to_string(1000 + i) +
           " and ip.ttl == tcp.window => drop\n";
  big += "  default pass\n}\n";
  r = on("load", write_policy("big", big));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(has(r.output, "too large for one program")) << r.output;
  EXPECT_TRUE(has(r.output, "psc load: nothing changed on 'psc0'\n"))
      << r.output;
  // 1: another XDP mode on a swap.
  r = on("load", no_ping + " --mode native");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(has(r.output, "a swap keeps the mode")) << r.output;
  EXPECT_EQ(program(), prog);

  // 3: an interface that does not exist.
  r = psc("load " + no_ping + " --netns " + veth_->ns() + " --dev nosuch0");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(has(r.output, "psc load: interface 'nosuch0' does not exist in "
                            "this network namespace"))
      << r.output;
  // 3: a namespace that does not exist.
  r = psc("load " + no_ping + " --netns " + missing_ns_ + " --dev psc0");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(has(r.output, "cannot open network namespace '" + missing_ns_))
      << r.output;
  // 3: another load holds the interface.
  {
    auto held = pp::TargetLock::acquire(layout(), target(), "load");
    ASSERT_TRUE(held.ok()) << held.error().message;
    r = on("load", no_ping);
    EXPECT_EQ(r.exit_code, 3) << r.output;
    EXPECT_TRUE(has(r.output, "psc load: another load on 'psc0' is in "
                              "progress (pid " +
                                  std::to_string(::getpid()) + ")"))
        << r.output;
  }
  // 3: no privileges.
  if (have_setpriv()) {
    r = unprivileged("load", no_ping);
    EXPECT_EQ(r.exit_code, 3) << r.output;
    EXPECT_TRUE(has(r.output, "psc load: cannot load BPF programs"))
        << r.output;
  }
  EXPECT_EQ(program(), prog);
}

// A swap that would drop live entries of a dynamic set is refused: the
// policy asks for too small a set.
TEST_F(VerbExitStatus, LoadOfASetTooSmallForItsEntries) {
  const std::string ban = write_policy("ban", kBan);
  ASSERT_EQ(on("load", ban).exit_code, 0);
  for (const char *ip : {"10.0.0.1", "10.0.0.2", "10.0.0.3"})
    ASSERT_EQ(on("set add", std::string("banned ") + ip).exit_code, 0);
  const uint32_t prog = program();
  std::string smaller = kBan;
  smaller.replace(smaller.find("capacity 3"), 10, "capacity 2");
  CommandResult r = on("load", write_policy("smaller", smaller));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(has(r.output, "set 'banned' holds 3 live entries, more than "
                            "its new capacity of 2"))
      << r.output;
  EXPECT_EQ(program(), prog);
  EXPECT_EQ(sorted_lines(on("set list", "banned").output), kThreeBanned);
}

TEST_F(VerbExitStatus, Unload) {
  // 1: nothing loaded on an interface that exists.
  CommandResult r = on("unload");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output, "psc unload: no PacketScope policy on 'psc0'\n");
  // 3: an interface that does not exist (and left nothing).
  r = psc("unload --netns " + veth_->ns() + " --dev nosuch0");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(has(r.output, "psc unload: interface 'nosuch0' does not exist "
                            "in this network namespace"))
      << r.output;
  // 3: namespaces that do not exist, by name and as status shows a gone
  // one (net-INODE) that left nothing.
  r = psc("unload --netns " + missing_ns_ + " --dev psc0");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  r = psc("unload --netns net-1 --dev psc0");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_EQ(r.output,
            "psc unload: network namespace net-1 does not exist (any more)\n");

  ASSERT_EQ(on("load", write_policy("no_ping", kNoPing)).exit_code, 0);
  const uint32_t prog = program();
  // 3: no privileges; the policy stays.
  if (have_setpriv()) {
    r = unprivileged("unload");
    EXPECT_EQ(r.exit_code, 3) << r.output;
    EXPECT_TRUE(has(r.output, "psc unload: cannot load BPF programs"))
        << r.output;
    EXPECT_EQ(program(), prog);
  }
  // 0.
  r = on("unload");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "unloaded policy 'no_ping' from psc0\n");
  EXPECT_EQ(program(), 0u);
}

TEST_F(VerbExitStatus, Status) {
  // 0 with nothing loaded, and with a policy.
  CommandResult r = on("status");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = psc("status --netns " + veth_->ns());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "no PacketScope policy loaded")) << r.output;
  ASSERT_EQ(on("load", write_policy("no_ping", kNoPing)).exit_code, 0);
  r = on("status");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "policy 'no_ping'")) << r.output;
  // 3: an interface or a namespace that does not exist.
  r = psc("status --netns " + veth_->ns() + " --dev nosuch0");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  r = psc("status --netns " + missing_ns_);
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(has(r.output, "psc status: cannot open network namespace"))
      << r.output;
  r = psc("status --netns net-1");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  // 3: no privileges.
  if (have_setpriv()) {
    r = unprivileged("status");
    EXPECT_EQ(r.exit_code, 3) << r.output;
    EXPECT_TRUE(has(r.output, "psc status: cannot load BPF programs"))
        << r.output;
  }
}

// An interface named with --dev that is gone, with what its policy left:
// shown, and still 3; unload then removes what was left.
TEST_F(VerbExitStatus, StatusOfAnInterfaceThatIsGone) {
  ASSERT_EQ(on("load", write_policy("no_ping", kNoPing)).exit_code, 0);
  ASSERT_EQ(run_command("ip -n " + veth_->ns() + " link del psc0").exit_code,
            0);
  CommandResult r = on("status");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(has(r.output, "psc status: interface 'psc0' does not exist in "
                            "this network namespace (" +
                                target().netns +
                                "); what a policy on it left:\n"))
      << r.output;
  EXPECT_TRUE(has(r.output, "policy 'no_ping'")) << r.output;
  r = on("unload");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // Now nothing is left: the interface is simply missing.
  r = on("status");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_EQ(r.output, "psc status: interface 'psc0' does not exist in this "
                      "network namespace (" +
                          target().netns + ")\n");
}

TEST_F(VerbExitStatus, Set) {
  // 1: nothing loaded on an interface that exists.
  CommandResult r = on("set add", "banned 10.0.0.1");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output, "psc set: no PacketScope policy on 'psc0'\n");
  r = on("set list", "banned");
  EXPECT_EQ(r.exit_code, 1) << r.output;

  ASSERT_EQ(on("load", write_policy("ban", kBan)).exit_code, 0);
  const uint32_t prog = program();
  // 0.
  EXPECT_EQ(on("set add", "banned 10.0.0.1").exit_code, 0);
  EXPECT_EQ(on("set add", "banned 10.0.0.2 --ttl 1h").exit_code, 0);
  EXPECT_EQ(on("set del", "banned 10.0.0.2").exit_code, 0);
  r = on("set list", "banned");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "10.0.0.1\n");
  // 1: what the request names is refused.
  struct Refused {
    const char *args, *says;
  };
  for (const Refused &c : {
           Refused{"set add nosuch 10.0.0.9", "has no dynamic set 'nosuch'"},
           Refused{"set add banned 10.0.0.300", "(set 'banned' holds ip"},
           Refused{"set add banned 10.0.0.0/8", "is a prefix"},
           Refused{"set add banned 10.0.0.9 --ttl 2d", "--ttl: unknown"},
           Refused{"set add banned 10.0.0.9 --ttl 0s", "--ttl: a ttl must"},
           Refused{"set del banned 10.0.0.9", "is not in set 'banned'"},
           Refused{"set list banned 10.0.0.1/8", "has host bits set"},
       }) {
    const std::string args = c.args;
    const size_t verb_end = args.find(' ', 4);
    r = on(args.substr(0, verb_end), args.substr(verb_end + 1));
    EXPECT_EQ(r.exit_code, 1) << c.args << "\n" << r.output;
    EXPECT_TRUE(has(r.output, c.says)) << c.args << "\n" << r.output;
  }
  // 1: full of live entries.
  ASSERT_EQ(on("set add", "banned 10.0.0.2").exit_code, 0);
  ASSERT_EQ(on("set add", "banned 10.0.0.3").exit_code, 0);
  r = on("set add", "banned 10.0.0.4");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output, "psc set: set 'banned' is full: its 3 entries are all "
                      "live (none has expired)\n");

  // 3: an interface or a namespace that does not exist.
  r = psc("set add banned 10.0.0.9 --netns " + veth_->ns() + " --dev nosuch0");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(has(r.output, "psc set: interface 'nosuch0' does not exist in "
                            "this network namespace"))
      << r.output;
  r = psc("set list banned --netns " + missing_ns_ + " --dev psc0");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  // 3: a load holds the interface for longer than set waits (5 s).
  {
    auto held = pp::TargetLock::acquire(layout(), target(), "load");
    ASSERT_TRUE(held.ok()) << held.error().message;
    r = on("set del", "banned 10.0.0.1");
    EXPECT_EQ(r.exit_code, 3) << r.output;
    EXPECT_TRUE(has(r.output, "psc set: another load on 'psc0' is in "
                              "progress (pid " +
                                  std::to_string(::getpid()) + ")"))
        << r.output;
  }
  // 3: no privileges.
  if (have_setpriv()) {
    r = unprivileged("set add", "banned 10.0.0.9");
    EXPECT_EQ(r.exit_code, 3) << r.output;
    EXPECT_TRUE(has(r.output, "psc set: cannot load BPF programs")) << r.output;
  }
  EXPECT_EQ(program(), prog);
  EXPECT_EQ(sorted_lines(on("set list", "banned").output), kThreeBanned);
}

} // namespace
