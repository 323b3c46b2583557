// End to end, the psc binary: what load, status, set and unload tell the
// operator, and what survives a loader killed with -9 half-way, on veth
// pairs in network namespaces the test creates (psc0 192.0.2.1, the XDP
// side; psc1 192.0.2.2, where pings come from).
//
// psc enters the namespace itself (--netns), so the process the test
// starts is psc: the test can stop it at a step of the load
// (PSC_TEST_STOP_AT makes it SIGSTOP itself there) and kill it with -9
// exactly there, deterministically.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "policy/program_state.h"
#include "policy/rule_expiry.h"
#include "psc_cli_fixture.h"

namespace {

using psc_e2e::kNoPing;
using psl::backend::testing::CommandResult;
using psl::backend::testing::run_command;
using psl::backend::testing::ScopedNetns;
using psl::backend::testing::VethPair;
namespace pp = psr::policy;

const char *const kOpen = R"(policy open {
  rule tcp9: tcp.dport == 9 => drop
  default pass
}
)";

class PolicyE2e : public psc_e2e::PscCliFixture {
protected:
  PolicyE2e() : PscCliFixture("pe2e") {}

  void SetUp() override {
    PscCliFixture::SetUp();
    if (IsSkipped() || HasFatalFailure())
      return;
    pair(0);
  }

  void TearDown() override {
    for (auto &p : pairs_)
      psc("unload --netns " + p->ns() + " --dev psc0");
    pairs_.clear();
    PscCliFixture::TearDown();
  }

  VethPair &pair(size_t i) {
    while (pairs_.size() <= i) {
      auto p = VethPair::create();
      EXPECT_TRUE(p.ok()) << p.error().message;
      pairs_.push_back(std::move(p.value()));
      pairs_.back()->run_in_peer(std::string("ping -c 1 -W 1 ") +
                                 VethPair::address());
    }
    return *pairs_[i];
  }

  // A verb on psc0 of pair i.
  CommandResult on(size_t i, const std::string &verb,
                   const std::string &args = "") {
    return psc(verb + " --netns " + pair(i).ns() + " --dev psc0 " + args);
  }
  CommandResult load(size_t i, const std::string &path,
                     const std::string &flags = "") {
    return on(i, "load", path + " " + flags);
  }
  nlohmann::json status(size_t i = 0) {
    CommandResult r = on(i, "status", "--format json");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    auto j = nlohmann::json::parse(r.output, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.output;
    return j.is_discarded() ? nlohmann::json::object() : j;
  }
  int pings(size_t i = 0, int count = 3) { return pair(i).peer_pings(count); }
  pp::Target target(size_t i) {
    ScopedNetns in(pair(i).ns());
    auto t = pp::Target::in_current_netns("psc0");
    EXPECT_TRUE(t.ok());
    return t.ok() ? *t : pp::Target{};
  }

  // psc load started in the background with PSC_TEST_STOP_AT=step; returns
  // once it has stopped itself there.
  pid_t load_stopped_at(const std::string &step, const std::string &path) {
    const std::string out = dir_ + "/bg.out";
    pid_t pid = ::fork();
    if (pid == 0) {
      int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::setenv("PSC_PIN_ROOT", pin_root_.c_str(), 1);
      ::setenv("PSC_STATE_DIR", (dir_ + "/state").c_str(), 1);
      ::setenv("PSC_TEST_STOP_AT", step.c_str(), 1);
      const std::string ns = pair(0).ns();
      ::execl(PSC_BINARY, PSC_BINARY, "load", "--netns", ns.c_str(), "--dev",
              "psc0", path.c_str(), static_cast<char *>(nullptr));
      ::_exit(127);
    }
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      int st = 0;
      if (::waitpid(pid, &st, WUNTRACED | WNOHANG) == pid) {
        if (WIFSTOPPED(st))
          return pid;
        ADD_FAILURE() << "psc load ended before '" << step
                      << "': " << run_command("cat " + out).output;
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    ADD_FAILURE() << "psc load did not reach '" << step << "'";
    return -1;
  }
  static void kill9(pid_t pid) {
    ASSERT_GT(pid, 0);
    ::kill(pid, SIGKILL);
    int st = 0;
    ::waitpid(pid, &st, 0);
    EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  }
  size_t program_dirs() { return pp::program_dirs(layout(), target(0)).size(); }

  std::vector<std::unique_ptr<VethPair>> pairs_;
};

TEST_F(PolicyE2e, UnloadInOneNamespaceLeavesTheOther) {
  std::string p = write_policy("no_ping", kNoPing);
  ASSERT_EQ(load(0, p).exit_code, 0);
  ASSERT_EQ(load(1, p).exit_code, 0);
  EXPECT_EQ(pings(0), 0);
  EXPECT_EQ(pings(1), 0);
  nlohmann::json a = status(0), b = status(1);
  EXPECT_NE(a["netns"], b["netns"]);
  CommandResult r = on(0, "unload");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "unloaded policy 'no_ping' from psc0\n");
  EXPECT_EQ(pings(0), 3);
  EXPECT_EQ(pings(1), 0);
  EXPECT_TRUE(status(1).value("attached", false));
  EXPECT_FALSE(status(0).value("attached", true));
  // Both are listed, each under its namespace.
  CommandResult all = psc("status --all-namespaces");
  EXPECT_EQ(all.exit_code, 0) << all.output;
  EXPECT_NE(all.output.find("psc0 (" + b["netns"].get<std::string>() +
                            "): policy 'no_ping'"),
            std::string::npos)
      << all.output;
  r = on(0, "unload");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "psc unload: no PacketScope policy on 'psc0'\n");
}

TEST_F(PolicyE2e, StatusSaysWhatItShows) {
  CommandResult r = psc("status --netns " + pair(0).ns() + " --dev nosuch0");
  EXPECT_EQ(r.exit_code, 3); // the machine has no such interface
  EXPECT_EQ(r.output, "psc status: interface 'nosuch0' does not exist in "
                      "this network namespace (" +
                          target(0).netns + ")\n");
  ASSERT_EQ(load(0, write_policy("no_ping", kNoPing)).exit_code, 0);
  nlohmann::json j = status();
  ASSERT_GT(j.value("link_id", 0u), 0u);
  CommandResult text = on(0, "status");
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.output.find(
                ", program " + std::to_string(j.value("program_id", 0u)) +
                ", link " + std::to_string(j.value("link_id", 0u)) + ", "),
            std::string::npos)
      << text.output;
  EXPECT_NE(text.output.find("psc0 (" + target(0).netns +
                             "): policy "
                             "'no_ping'"),
            std::string::npos)
      << text.output;
}

TEST_F(PolicyE2e, LoadWarnsThatRuleTtlsNeedPsd) {
  std::string p = write_policy("tmp", R"(policy tmp {
  rule no_ping: ip.proto == icmp => drop ttl 10m
  default pass
}
)");
  CommandResult r = load(0, p);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("psc load: warning: rule ttls are enforced by psd, "
                          "which is not running in this network namespace: "
                          "no_ping (ttl 10m) stays in force until psd runs or "
                          "another load replaces the policy\n"),
            std::string::npos)
      << r.output;
  // With an enforcer (what psd holds) in that namespace: no warning.
  auto enforcer = pp::ExpiryEnforcer::acquire(layout(), target(0).netns);
  ASSERT_TRUE(enforcer.ok()) << enforcer.error().message;
  r = load(0, p);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("warning"), std::string::npos) << r.output;
}

TEST_F(PolicyE2e, SetValuesAreWrittenAsInPsl) {
  ASSERT_EQ(load(0, write_policy("sets", R"(policy sets {
  set ports : port dynamic
  set protos : proto dynamic capacity 4
  rule p: tcp.dport in ports => drop
  rule q: ip.proto in protos => drop
  default pass
}
)"))
                .exit_code,
            0);
  EXPECT_EQ(on(0, "set add", "ports 010").exit_code, 0);
  CommandResult r = on(0, "set list", "ports");
  EXPECT_EQ(r.output, "10\n"); // decimal, as in PSL
  EXPECT_EQ(on(0, "set add", "protos tcp").exit_code, 0);
  EXPECT_EQ(on(0, "set add", "protos 47").exit_code, 0);
  r = on(0, "set list", "protos");
  EXPECT_NE(r.output.find("tcp\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("gre\n"), std::string::npos) << r.output;
  r = on(0, "set list", "protos tcp"); // a filter
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, "tcp\n");
  r = on(0, "set list", "protos nope");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "psc set: unknown protocol 'nope' (use icmp, tcp, udp, "
                      "gre, esp, ah, icmpv6, sctp, a number or proto(N)) "
                      "(set 'protos' holds proto values)\n");
  r = on(0, "set add", "ports 80 --ttl 2d");
  EXPECT_EQ(r.exit_code, 1); // a value the set refuses
  EXPECT_EQ(r.output, "psc set: --ttl: unknown duration unit 'd' in '2d' "
                      "(use ms, s, m or h)\n");
  r = on(0, "set add", "ports 80 --ttl 99999999h");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "psc set: --ttl: duration '99999999h' is too long\n");
  r = on(0, "set add", "ports 70000");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "psc set: port '70000' is out of range (0..65535) (set "
                      "'ports' holds port values)\n");
  r = on(0, "set add", "ports 80 --ttl 1h");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = on(0, "set list", "ports 80");
  EXPECT_EQ(r.output, "80  expires in 3600s\n");
  EXPECT_EQ(on(0, "set del", "ports 10").exit_code, 0);
  r = on(0, "set del", "ports 10");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "psc set: '10' is not in set 'ports'\n");
  r = on(0, "set add", "nosuch 1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "psc set: policy 'sets' has no dynamic set 'nosuch' "
                      "(it has 'ports', 'protos')\n");
}

TEST_F(PolicyE2e, ASwapSaysWhatCarriedOverAndResetStartsClean) {
  const char *ban = R"(policy ban {
  set banned : ip dynamic
  rule drop_banned: ip.src in banned => drop
  default pass
}
)";
  std::string p = write_policy("ban", ban);
  ASSERT_EQ(load(0, p).exit_code, 0);
  ASSERT_EQ(on(0, "set add", std::string("banned ") + VethPair::peer_address())
                .exit_code,
            0);
  EXPECT_EQ(pings(), 0);
  CommandResult r = load(0, p);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("  carried over: set banned (1 entry), counters of "
                          "1 rule\n"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(pings(), 0);
  r = load(0, p, "--reset");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(", reset)\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("  starts afresh: set banned (--reset)\n"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(pings(), 3);
  EXPECT_EQ(status()["rules"][0].value("packets", 1u), 0u);
}

TEST_F(PolicyE2e, AnotherModeOnASwapIsRefused) {
  std::string p = write_policy("no_ping", kNoPing);
  ASSERT_EQ(load(0, p, "--mode generic").exit_code, 0);
  CommandResult r = load(0, p, "--mode native");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("psc load: 'psc0' runs its policy in generic mode, "
                          "and a swap keeps the mode"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("psc load: nothing changed on 'psc0'\n"),
            std::string::npos);
  EXPECT_EQ(status().value("mode", ""), "generic");
}

TEST_F(PolicyE2e, LoaderKilledBeforeTheSwitchLeavesTheOldPolicy) {
  ASSERT_EQ(load(0, write_policy("no_ping", kNoPing)).exit_code, 0);
  const uint32_t prog = status().value("program_id", 0u);
  pid_t pid = load_stopped_at("state-written", write_policy("open", kOpen));
  ASSERT_GT(pid, 0);
  // Meanwhile another load is refused, naming the one in progress: the
  // machine is busy, nothing is wrong with the policy (exit 3).
  CommandResult r = load(0, write_policy("open2", kOpen));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.output.find("psc load: another load on 'psc0' is in progress "
                          "(pid " +
                          std::to_string(pid) + ")\n"),
            std::string::npos)
      << r.output;
  kill9(pid);
  // The old policy is in force, with its state.
  nlohmann::json st = status();
  EXPECT_EQ(st.value("program_id", 0u), prog);
  EXPECT_EQ(st.value("policy", ""), "no_ping");
  EXPECT_EQ(pings(), 0);
  EXPECT_EQ(program_dirs(), 2u); // the dead loader's is left over ...
  r = load(0, write_policy("open", kOpen));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("psc load: note: removed the state of program"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(program_dirs(), 1u); // ... until the next change
  EXPECT_EQ(status().value("policy", ""), "open");
  EXPECT_EQ(pings(), 3);
}

TEST_F(PolicyE2e, LoaderKilledAfterTheSwitchIsAdopted) {
  const char *ban = R"(policy ban {
  set banned : ip dynamic
  rule drop_banned: ip.src in banned => drop
  default pass
}
)";
  ASSERT_EQ(load(0, write_policy("no_ping", kNoPing)).exit_code, 0);
  pid_t pid = load_stopped_at("switched", write_policy("ban", ban));
  ASSERT_GT(pid, 0);
  kill9(pid);
  // The new policy is in force, and status knows it.
  nlohmann::json st = status();
  EXPECT_EQ(st.value("policy", ""), "ban");
  EXPECT_EQ(pings(), 3);
  CommandResult r =
      on(0, "set add", std::string("banned ") + VethPair::peer_address());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(pings(), 0);
  // The next load takes over cleanly and keeps the set.
  r = load(0, write_policy("ban2", ban));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("set banned (1 entry)"), std::string::npos)
      << r.output;
  EXPECT_EQ(program_dirs(), 1u);
  EXPECT_EQ(pings(), 0);
}

} // namespace
