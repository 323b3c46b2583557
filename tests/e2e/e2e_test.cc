// End-to-end: the psc binary (load, status, set, unload) against real
// traffic on a veth pair between two network namespaces.
//
//   ns()       psc0 192.0.2.1  the XDP side: psc runs here (nsenter --net,
//                              so bpffs stays visible), listeners live here
//   peer_ns()  psc1 192.0.2.2  traffic comes from here
//
// Pins go under /sys/fs/bpf/psc-test-<pid>-e2e (PSC_PIN_ROOT), state under
// a temporary directory (PSC_STATE_DIR), so the tests never touch a real
// PacketScope installation and remove_stale_test_state() cleans up after a
// test process that died.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backend/bpf_features.h"
#include "backend/testing/bpf_test_support.h"
#include "backend/testing/netns.h"
#include "psc_cli_fixture.h"

namespace {

using psl::backend::UniqueFd;
using psl::backend::testing::CommandResult;
using psl::backend::testing::run_command;
using psl::backend::testing::ScopedNetns;
using psl::backend::testing::VethPair;

class E2eTest : public psc_e2e::PscCliFixture {
protected:
  E2eTest() : PscCliFixture("e2e") {}

  void SetUp() override {
    PscCliFixture::SetUp();
    if (IsSkipped() || HasFatalFailure())
      return;
    auto pair = VethPair::create();
    ASSERT_TRUE(pair.ok()) << pair.error().message << "\n"
                           << pair.error().detail;
    veth_ = std::move(pair.value());
    // Resolve the neighbours once so the first packet of a check is not
    // an ARP round trip.
    veth_->run_in_peer(std::string("ping -c 1 -W 1 ") + VethPair::address());
  }

  void TearDown() override {
    if (veth_) {
      psc("unload --dev " + veth_->ifname());
      veth_.reset();
    }
    PscCliFixture::TearDown();
  }

  // psc ARGS run in the XDP side's namespace.
  CommandResult psc(const std::string &args) {
    return run_command(env() + "nsenter --net=/var/run/netns/" + veth_->ns() +
                       " " + PSC_BINARY + " " + args);
  }
  CommandResult load(const std::string &path) {
    return psc("load " + path + " --dev " + veth_->ifname());
  }
  nlohmann::json status() {
    CommandResult r = psc("status --format json --dev " + veth_->ifname());
    EXPECT_EQ(r.exit_code, 0) << r.output;
    auto j = nlohmann::json::parse(r.output, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.output;
    return j.is_discarded() ? nlohmann::json::object() : j;
  }
  static uint64_t rule_packets(const nlohmann::json &st,
                               const std::string &rule) {
    for (const auto &r : st.value("rules", nlohmann::json::array()))
      if (r.value("name", std::string()) == rule)
        return r.value("packets", uint64_t{0});
    ADD_FAILURE() << "no rule '" << rule << "' in " << st.dump();
    return 0;
  }

  // How many of `count` pings from the peer got an answer.
  int pings(int count = 3) { return veth_->peer_pings(count); }

  // A TCP listener on 192.0.2.1:port in the XDP side's namespace.
  UniqueFd listen_on(uint16_t port) {
    UniqueFd fd = veth_->listen_tcp(port);
    EXPECT_TRUE(fd) << "cannot listen on port " << port << " in "
                    << veth_->ns();
    return fd;
  }

  // connect() from the peer namespace; true if it completed within 1 s.
  bool connects(uint16_t port) {
    const std::optional<bool> ok = veth_->peer_connects(port);
    EXPECT_TRUE(ok.has_value()) << "cannot enter " << veth_->peer_ns();
    return ok.value_or(false);
  }

  std::unique_ptr<VethPair> veth_;
};

const char *const kNoPing = R"(policy no_ping {
  rule no_ping: ip.proto == icmp => drop
  default pass
}
)";

TEST_F(E2eTest, IcmpDropRuleDropsPingTcpPasses) {
  UniqueFd listener = listen_on(8080);
  ASSERT_EQ(pings(), 3);
  ASSERT_TRUE(connects(8080));
  CommandResult r = load(write_policy("no_ping", kNoPing));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(pings(), 0);
  EXPECT_TRUE(connects(8080));

  // status: the policy, its program, and hits that match what was sent.
  nlohmann::json st = status();
  EXPECT_EQ(st.value("policy", std::string()), "no_ping");
  EXPECT_TRUE(st.value("attached", false));
  EXPECT_GT(st.value("program_id", 0u), 0u);
  EXPECT_EQ(rule_packets(st, "no_ping"), 3u);
  EXPECT_GE(st["default"].value("packets", uint64_t{0}),
            2u); // the TCP handshake
  EXPECT_EQ(pings(2), 0);
  EXPECT_EQ(rule_packets(status(), "no_ping"), 5u);
  CommandResult text = psc("status --dev " + veth_->ifname());
  EXPECT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("no_ping"), std::string::npos) << text.output;

  // unload restores traffic.
  r = psc("unload --dev " + veth_->ifname());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(pings(), 3);
  EXPECT_FALSE(status().value("attached", true));
}

TEST_F(E2eTest, SynDropOnOnePortOnly) {
  UniqueFd a = listen_on(8081), b = listen_on(8082);
  CommandResult r = load(write_policy("syn", R"(policy syn_guard {
  rule block_8081: tcp.dport == 8081 and tcp.syn and not tcp.ack => drop
  default pass
}
)"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(connects(8081));
  EXPECT_TRUE(connects(8082));
  EXPECT_GE(rule_packets(status(), "block_8081"), 1u);
}

TEST_F(E2eTest, BadPolicyLeavesThePreviousOneInForce) {
  CommandResult r = load(write_policy("no_ping", kNoPing));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  uint32_t prog = status().value("program_id", 0u);
  ASSERT_EQ(pings(), 0);

  // A type error: psc check fails, nothing reaches the kernel.
  r = load(write_policy("bad", R"(policy bad {
  rule oops: tcp.dport == 10.0.0.1 => drop
  default pass
}
)"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("nothing changed"), std::string::npos) << r.output;
  // A syntax error.
  r = load(write_policy("broken", "policy broken { rule : => }\n"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  // A file that does not exist.
  r = load(dir_ + "/missing.psl");
  EXPECT_EQ(r.exit_code, 1) << r.output;

  // A failure after the verifier, before the switch: the state cannot be
  // written (the state dir is a file).
  std::ofstream(dir_ + "/not_a_dir") << "x";
  r = run_command("PSC_PIN_ROOT=" + pin_root_ + " PSC_STATE_DIR=" + dir_ +
                  "/not_a_dir nsenter --net=/var/run/netns/" + veth_->ns() +
                  " " + PSC_BINARY + " load " +
                  write_policy("open", "policy open {\n  default pass\n}\n") +
                  " --dev " + veth_->ifname());
  EXPECT_EQ(r.exit_code, 3) << r.output; // a failed system call
  EXPECT_NE(r.output.find("nothing changed"), std::string::npos) << r.output;

  nlohmann::json st = status();
  EXPECT_EQ(st.value("program_id", 0u), prog);
  EXPECT_EQ(st.value("policy", std::string()), "no_ping");
  EXPECT_EQ(pings(), 0);
}

// 100 replacements while a UDP stream flows: every datagram arrives.
TEST_F(E2eTest, HundredReplacementsLoseNoAllowedTraffic) {
  std::string pa = write_policy("a", R"(policy swap_a {
  rule no_ping: ip.proto == icmp => drop
  rule udp9: udp.dport == 9 => drop
  default pass
}
)");
  std::string pb = write_policy("b", R"(policy swap_b {
  rule no_ping: ip.proto == icmp => drop
  rule tcp9: tcp.dport == 9 => drop
  default pass
}
)");
  CommandResult r = load(pa);
  ASSERT_EQ(r.exit_code, 0) << r.output;

  UniqueFd rx, tx;
  {
    ScopedNetns in(veth_->ns());
    ASSERT_TRUE(in.ok()) << in.error();
    rx = UniqueFd(::socket(AF_INET, SOCK_DGRAM, 0));
    int big = 4 << 20;
    // FORCE: past rmem_max (root); the receiver drains it anyway.
    if (::setsockopt(rx.get(), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) !=
        0)
      ::setsockopt(rx.get(), SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(5555);
    ::inet_pton(AF_INET, VethPair::address(), &a.sin_addr);
    ASSERT_EQ(::bind(rx.get(), reinterpret_cast<sockaddr *>(&a), sizeof a), 0);
  }
  {
    ScopedNetns in(veth_->peer_ns());
    ASSERT_TRUE(in.ok()) << in.error();
    tx = UniqueFd(::socket(AF_INET, SOCK_DGRAM, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(5555);
    ::inet_pton(AF_INET, VethPair::address(), &a.sin_addr);
    ASSERT_EQ(::connect(tx.get(), reinterpret_cast<sockaddr *>(&a), sizeof a),
              0);
  }
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> sent{0}, received{0};
  std::thread receiver([&] {
    char buf[64];
    while (true) {
      pollfd p{rx.get(), POLLIN, 0};
      int n = ::poll(&p, 1, 500);
      if (n == 0 && stop)
        break;
      if (n == 1 && ::recv(rx.get(), buf, sizeof buf, 0) > 0)
        ++received;
    }
  });
  std::thread sender([&] {
    uint64_t seq = 0;
    while (!stop) {
      if (::send(tx.get(), &seq, sizeof seq, 0) == sizeof seq)
        ++sent;
      ++seq;
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  });
  int failures = 0;
  for (int i = 0; i < 100; ++i) {
    r = load(i % 2 == 0 ? pb : pa);
    if (r.exit_code != 0 && ++failures <= 3)
      ADD_FAILURE() << "load " << i << ": " << r.output;
  }
  stop = true;
  sender.join();
  receiver.join();
  EXPECT_EQ(failures, 0);
  EXPECT_GT(sent.load(), 1000u);
  EXPECT_EQ(received.load(), sent.load());
  EXPECT_EQ(status().value("policy", std::string()), "swap_a");
  EXPECT_EQ(pings(), 0);
}

TEST_F(E2eTest, DynamicSetAddMakesTheRuleBite) {
  CommandResult r = load(write_policy("ban", R"(policy ban {
  set banned : ip dynamic capacity 1024
  rule drop_banned: ip.src in banned => drop
  default pass
}
)"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(pings(), 3);
  std::string dev = " --dev " + veth_->ifname();
  r = psc("set add banned " + std::string(VethPair::peer_address()) + dev);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(pings(), 0);
  r = psc("set list banned" + dev);
  EXPECT_NE(r.output.find(VethPair::peer_address()), std::string::npos)
      << r.output;
  EXPECT_EQ(rule_packets(status(), "drop_banned"), 3u);
  r = psc("set del banned " + std::string(VethPair::peer_address()) + dev);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(pings(), 3);

  // An entry with a ttl stops biting once it expires.
  r = psc("set add banned " + std::string(VethPair::peer_address()) +
          " --ttl 1s" + dev);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(pings(1), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(pings(), 3);

  // Errors: no such set, a value of the wrong type.
  r = psc("set add nosuch 1.2.3.4" + dev);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  r = psc("set add banned notanip" + dev);
  EXPECT_EQ(r.exit_code, 1) << r.output;
}

// Without privileges psc says what is missing and changes nothing.
TEST_F(E2eTest, WithoutPrivilegesSaysWhatIsMissing) {
  if (run_command("command -v setpriv").exit_code != 0)
    GTEST_SKIP() << "needs setpriv (util-linux)";
  CommandResult r = load(write_policy("no_ping", kNoPing));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  uint32_t prog = status().value("program_id", 0u);
  run_command("chmod 755 " + dir_ + " && chmod 644 " + dir_ + "/no_ping.psl");
  r = run_command(
      "PSC_PIN_ROOT=" + pin_root_ + " PSC_STATE_DIR=" + dir_ +
      "/state nsenter --net=/var/run/netns/" + veth_->ns() +
      " setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all " +
      PSC_BINARY + " load " + dir_ + "/no_ping.psl --dev " + veth_->ifname());
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("cannot load BPF programs"), std::string::npos)
      << r.output;
  EXPECT_EQ(status().value("program_id", 0u), prog);
  EXPECT_EQ(pings(), 0);
}

} // namespace
