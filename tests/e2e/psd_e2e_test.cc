// End to end: the real psd on a veth pair between two network namespaces,
// with real traffic from the peer.
//
//   ns()       psc0 192.0.2.1  psd runs here (nsenter --net, so bpffs stays
//                              visible), its API on 127.0.0.1:9477 of this
//                              namespace only
//   peer_ns()  psc1 192.0.2.2  traffic comes from here
//
// Pins go under /sys/fs/bpf/psc-test-<pid>-psd, state and policies under a
// temporary directory, so the tests never touch a real installation, and
// remove_stale_test_state() cleans up after a test process that died.
// Counts are exact where they come from the interface's own XDP
// observation (only the test's traffic crosses psc0).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "backend/bpf_features.h"
#include "backend/testing/bpf_test_support.h"
#include "backend/testing/netns.h"

extern char **environ;

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using psl::backend::UniqueFd;
using psl::backend::testing::CommandResult;
using psl::backend::testing::run_command;
using psl::backend::testing::ScopedNetns;
using psl::backend::testing::VethPair;

std::string read_file(const std::string &path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// psd as a child process in a namespace.
class PsdProcess {
public:
  PsdProcess(const std::string &ns, std::vector<std::string> args,
             const std::string &log)
      : ns_(ns), log_(log) {
    std::vector<std::string> argv = {"nsenter", "--net=/var/run/netns/" + ns,
                                     PSD_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char *> c;
    for (std::string &a : argv)
      c.push_back(a.data());
    c.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    // nsenter execs psd: the pid is psd's.
    if (posix_spawnp(&pid_, "nsenter", &fa, nullptr, c.data(), environ) != 0)
      pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~PsdProcess() {
    if (running())
      stop(SIGKILL);
  }
  bool running() {
    if (pid_ <= 0 || exited_)
      return false;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      exited_ = true;
      status_ = st;
      return false;
    }
    return true;
  }
  // Sends `sig` and waits (at most 30 s) for the exit; its exit code, or
  // -1 when it was killed by a signal or did not stop.
  int stop(int sig) {
    if (running())
      ::kill(pid_, sig);
    for (int i = 0; i < 3000 && running(); ++i)
      std::this_thread::sleep_for(10ms);
    if (running()) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
      exited_ = true;
      return -1;
    }
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }
  // Waits for the exit of a psd that stops by itself.
  int wait_exit() {
    for (int i = 0; i < 3000 && running(); ++i)
      std::this_thread::sleep_for(10ms);
    return exited_ && WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }
  pid_t pid() const { return pid_; }
  std::string log() const { return read_file(log_); }

private:
  std::string ns_, log_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = 0;
};

struct Reply {
  int status = 0; // 0: no answer
  std::string body;
  json j() const { return json::parse(body, nullptr, false); }
};

class PsdE2e : public ::testing::Test {
protected:
  void SetUp() override {
    const auto &f = psl::backend::bpf_features();
    PSC_REQUIRE_OR_SKIP(f.load);
    PSC_REQUIRE_OR_SKIP(f.xdp_link);
    PSC_REQUIRE_OR_SKIP(f.netns);
    psl::backend::testing::remove_stale_test_state();
    auto pair = VethPair::create();
    ASSERT_TRUE(pair.ok()) << pair.error().message;
    veth_ = std::move(pair.value());
    pin_root_ = "/sys/fs/bpf/psc-test-" + std::to_string(::getpid()) + "-psd";
    char tmpl[] = "/tmp/psd-e2e-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ::mkdir((dir_ + "/policies").c_str(), 0755);
    veth_->run_in_peer(std::string("ping -c 1 -W 1 ") + VethPair::address());
  }
  void TearDown() override {
    psd_.reset();
    if (veth_) {
      psc("unload --dev " + veth_->ifname());
      veth_.reset();
    }
    if (!pin_root_.empty())
      run_command("rm -rf " + pin_root_);
    if (!dir_.empty() && !HasFailure())
      run_command("rm -rf " + dir_);
    else if (!dir_.empty())
      std::cerr << "psd's files are kept in " << dir_ << "\n";
  }

  void write_policy(const std::string &name, const std::string &text) {
    std::ofstream(dir_ + "/policies/" + name) << text;
  }

  std::vector<std::string> args(std::vector<std::string> extra = {},
                                const std::string &listen = "127.0.0.1:9477") {
    std::vector<std::string> a = {
        "--iface",     veth_->ifname(), "--policy-dir", dir_ + "/policies",
        "--state-dir", dir_ + "/state", "--pin-root",   pin_root_,
        "--window",    "200ms",         "--listen",     listen};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  // Starts psd and waits until its API answers.
  void start(std::vector<std::string> extra = {}) {
    psd_ = std::make_unique<PsdProcess>(veth_->ns(), args(extra),
                                        dir_ + "/psd.log");
    ASSERT_GT(psd_->pid(), 0);
    for (int i = 0; i < 600; ++i) {
      if (!psd_->running())
        FAIL() << "psd exited while starting:\n" << psd_->log();
      if (get("/api/v1/status").status == 200)
        break;
      std::this_thread::sleep_for(50ms);
    }
    if (get("/api/v1/status").status != 200)
      FAIL() << "psd's API did not answer within 30 s:\n" << psd_->log();
    // The first window is complete: psd has taken its first reading, so
    // everything counted from here on is in some window's summary (what
    // comes before the first reading is in none).
    for (int i = 0; i < 600; ++i) {
      if (!psd_->running())
        FAIL() << "psd exited while starting:\n" << psd_->log();
      if (get("/api/v1/summary").status == 200)
        return;
      std::this_thread::sleep_for(50ms);
    }
    FAIL() << "psd gave no summary within 30 s:\n" << psd_->log();
  }

  Reply request(const std::string &method, const std::string &path,
                const std::string &body = {}) {
    ScopedNetns in(veth_->ns());
    EXPECT_TRUE(in.ok()) << in.error();
    httplib::Client c("127.0.0.1", 9477);
    c.set_connection_timeout(5s);
    c.set_read_timeout(10s);
    httplib::Result r = method == "GET"
                            ? c.Get(path.c_str())
                            : c.Post(path.c_str(), body, "application/json");
    Reply out;
    if (r) {
      out.status = r->status;
      out.body = r->body;
    }
    return out;
  }
  Reply get(const std::string &path) { return request("GET", path); }

  // Every summary psd still keeps.
  json summaries() {
    Reply r = get("/api/v1/summaries");
    EXPECT_EQ(r.status, 200) << r.body;
    json j = r.j();
    return j.is_object() ? j["summaries"] : json::array();
  }
  // Waits for one more window than the newest now, so counts that were
  // made before this call are in the summaries.
  void next_windows(int n = 2) {
    json s = get("/api/v1/summary").j();
    int seq = s.is_object() ? s.value("seq", 0) : 0;
    for (int i = 0; i < 200; ++i) {
      json now = get("/api/v1/summary").j();
      if (now.is_object() && now.value("seq", 0) >= seq + n)
        return;
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "no new summaries";
  }

  CommandResult psc(const std::string &verb) {
    return run_command("PSC_PIN_ROOT=" + pin_root_ + " PSC_STATE_DIR=" + dir_ +
                       "/state nsenter --net=/var/run/netns/" + veth_->ns() +
                       " " + PSC_BINARY + " " + verb);
  }

  int pings(int count, const char *interval = "0.05") {
    return veth_->peer_pings(count, interval);
  }

  UniqueFd listen_on(uint16_t port) {
    UniqueFd fd = veth_->listen_tcp(port);
    EXPECT_TRUE(fd) << "cannot listen on port " << port << " in "
                    << veth_->ns();
    return fd;
  }
  bool connects(uint16_t port, int timeout_ms = 1000) {
    const std::optional<bool> ok = veth_->peer_connects(port, timeout_ms);
    EXPECT_TRUE(ok.has_value()) << "cannot enter " << veth_->peer_ns();
    return ok.value_or(false);
  }
  bool xdp_attached() {
    CommandResult r =
        run_command("ip -n " + veth_->ns() + " link show " + veth_->ifname());
    return r.output.find("xdp") != std::string::npos;
  }

  // The window counts of one talker, added over `all`.
  static uint64_t talker_sum(const json &all, const std::string &addr,
                             const char *what) {
    uint64_t n = 0;
    for (const json &s : all)
      for (const json &t : s["talkers"]["top"])
        if (t["addr"] == addr)
          n += std::string(what) == "packets"
                   ? t["traffic"]["packets"].get<uint64_t>()
                   : t[what]["count"].get<uint64_t>();
    return n;
  }
  static uint64_t nic_sum(const json &all, const std::string &proto) {
    uint64_t n = 0;
    for (const json &s : all)
      for (const json &p : s["protocols"])
        if (p["proto"] == proto)
          n += p["nic"]["packets"].get<uint64_t>();
    return n;
  }
  static uint64_t rule_hits(const json &all, const std::string &rule) {
    uint64_t n = 0;
    for (const json &s : all)
      for (const json &i : s["interfaces"])
        for (const json &r : i["rules"])
          if (r["name"] == rule)
            n += r["hits"]["count"].get<uint64_t>();
    return n;
  }

  std::unique_ptr<VethPair> veth_;
  std::unique_ptr<PsdProcess> psd_;
  std::string pin_root_, dir_;
};

TEST_F(PsdE2e, ProtectsObservesAndServesTheDefaultPolicy) {
  start();
  ASSERT_EQ(pings(20), 20);
  next_windows();
  json all = summaries();
  ASSERT_FALSE(all.empty());
  // Exact: only the test's traffic crosses psc0.
  EXPECT_EQ(talker_sum(all, VethPair::peer_address(), "icmp_echo"), 20u)
      << all.back().dump();
  EXPECT_EQ(nic_sum(all, "ipv4/icmp"), 20u);

  json st = get("/api/v1/status").j();
  EXPECT_EQ(st["interfaces"][0]["policy"], "psd_default");
  EXPECT_EQ(st["interfaces"][0]["policy_from"], "default");
  EXPECT_EQ(st["interfaces"][0]["attached"], true);
  json rules = get("/api/v1/rules").j();
  EXPECT_GE(rules["interfaces"][0]["default"]["total_packets"].get<uint64_t>(),
            20u);
  EXPECT_EQ(rules["interfaces"][0]["rules"].size(), 5u);

  // Every summary psd served is valid against the schema.
  std::string jsonl = dir_ + "/summaries.jsonl";
  {
    std::ofstream out(jsonl);
    for (const json &s : all)
      out << s.dump() << "\n";
  }
  CommandResult v = run_command(std::string(PSD_PYTHON) + " " + PSD_VALIDATOR +
                                " " + PSD_SCHEMA + " " + jsonl);
  EXPECT_EQ(v.exit_code, 0) << v.output;

  // The metrics of a real run are clean under promtool.
  Reply m = get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("packetscope_nic_packets_total{protocol=\"ipv4/icmp\"} "
                        "20\n"),
            std::string::npos);
  std::ofstream(dir_ + "/metrics.txt") << m.body;
  CommandResult p = run_command(std::string(PSD_PROMTOOL) +
                                " check metrics < " + dir_ + "/metrics.txt");
  EXPECT_EQ(p.exit_code, 0) << p.output;
  EXPECT_EQ(p.output, "");

  // The event stream carries the next summary.
  std::string events;
  {
    ScopedNetns in(veth_->ns());
    httplib::Client c("127.0.0.1", 9477);
    c.set_read_timeout(10s);
    c.Get("/api/v1/events", [&](const char *d, size_t n) {
      events.append(d, n);
      return events.find("event: summary") == std::string::npos;
    });
  }
  EXPECT_NE(events.find("event: summary\ndata: {\"version\":1,"),
            std::string::npos)
      << events;

  EXPECT_EQ(psd_->stop(SIGTERM), 0) << psd_->log();
}

TEST_F(PsdE2e, TheBlockSetDropsButNotTheManagementPath) {
  start();
  UniqueFd ssh = listen_on(22);
  UniqueFd web = listen_on(8080);
  CommandResult r = psc("set add --dev " + veth_->ifname() + " blocked " +
                        VethPair::peer_address());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(pings(5), 0);
  // Given up on well before the kernel's initial retransmission timeout
  // (1 s): with the 1 s wait, a retransmitted SYN was sometimes sent before
  // the socket closed and counted as a second drop.
  EXPECT_FALSE(connects(8080, 300));
  EXPECT_TRUE(connects(22)) << "the protected management path was dropped";
  next_windows();
  json all = summaries();
  EXPECT_EQ(rule_hits(all, "drop_blocked"), 5u + 1u /* the SYN to 8080 */ + 0u)
      << all.back()["interfaces"].dump();
  EXPECT_GE(talker_sum(all, VethPair::peer_address(), "xdp_drop"), 6u);
  uint64_t dropped = 0;
  for (const json &s : all)
    dropped += s["totals"]["xdp_drop"]["packets"].get<uint64_t>();
  EXPECT_GE(dropped, 6u);
  json latest = get("/api/v1/summary").j();
  EXPECT_EQ(latest["interfaces"][0]["sets"][0]["name"], "blocked");
  EXPECT_EQ(latest["interfaces"][0]["sets"][0]["entries"], 1);
}

TEST_F(PsdE2e, KillMinus9LeavesProtectionAndARestartAdoptsIt) {
  start();
  ASSERT_EQ(psc("set add --dev " + veth_->ifname() + " blocked " +
                VethPair::peer_address())
                .exit_code,
            0);
  EXPECT_EQ(pings(3, "0.2"), 0);
  EXPECT_EQ(psd_->stop(SIGKILL), -1);
  // Nothing of psd runs: the kernel still drops.
  EXPECT_TRUE(xdp_attached());
  EXPECT_EQ(pings(3, "0.2"), 0);

  start();
  EXPECT_NE(psd_->log().find("is already in force from default.psl (built "
                             "into psd): adopted"),
            std::string::npos)
      << psd_->log();
  json st = get("/api/v1/status").j();
  EXPECT_EQ(st["interfaces"][0]["policy_from"], "adopted");
  EXPECT_EQ(pings(3, "0.2"), 0);
  next_windows();
  json latest = get("/api/v1/summary").j();
  EXPECT_EQ(latest["interfaces"][0]["sets"][0]["entries"], 1)
      << "the dynamic set was lost";
  EXPECT_EQ(psd_->stop(SIGTERM), 0);
}

TEST_F(PsdE2e, ACleanStopKeepsProtectionUnlessDetachOnExit) {
  start();
  EXPECT_EQ(psd_->stop(SIGTERM), 0) << psd_->log();
  EXPECT_NE(psd_->log().find("the policies stay in force on psc0"),
            std::string::npos);
  EXPECT_TRUE(xdp_attached());
  start({"--detach-on-exit"});
  EXPECT_EQ(psd_->stop(SIGINT), 0) << psd_->log();
  EXPECT_FALSE(xdp_attached());
  EXPECT_NE(psd_->log().find("psc0: policy taken down (--detach-on-exit)"),
            std::string::npos)
      << psd_->log();
}

const char *const kPassAll = "policy site {\n  default pass\n}\n";
const char *const kNoPing =
    "policy no_ping {\n  rule no_ping: ip.proto == icmp => drop\n  default "
    "pass\n}\n";
const char *const kBroken =
    "policy broken {\n  rule a: tcp.dprot == 22 => drop\n}\n";

TEST_F(PsdE2e, SighupReloadsAndABrokenPolicyLeavesTheOneInForce) {
  write_policy("policy.psl", kPassAll);
  start();
  EXPECT_EQ(pings(3, "0.1"), 3);
  // psd's status once the policy in force is `name` (or after 10 s).
  auto reload_until_policy = [&](const char *text, const char *name) {
    write_policy("policy.psl", text);
    ::kill(psd_->pid(), SIGHUP);
    json st;
    for (int i = 0; i < 200; ++i) {
      st = get("/api/v1/status").j();
      if (st["interfaces"][0]["policy"] == name)
        break;
      std::this_thread::sleep_for(50ms);
    }
    return st;
  };
  json st = reload_until_policy(kNoPing, "no_ping");
  ASSERT_EQ(st["interfaces"][0]["policy"], "no_ping") << psd_->log();
  EXPECT_EQ(pings(3, "0.1"), 0);

  write_policy("policy.psl", kBroken);
  ::kill(psd_->pid(), SIGHUP);
  for (int i = 0; i < 200; ++i) {
    st = get("/api/v1/status").j();
    if (!st["interfaces"][0]["last_error"].get<std::string>().empty())
      break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_NE(st["interfaces"][0]["last_error"].get<std::string>().find(
                "policy.psl: 1 error(s)"),
            std::string::npos)
      << st.dump();
  EXPECT_EQ(st["interfaces"][0]["policy"], "no_ping");
  EXPECT_EQ(pings(3, "0.1"), 0);
  EXPECT_TRUE(psd_->running());
  EXPECT_NE(psd_->log().find("policy.psl:2:11: error[E0202]"),
            std::string::npos)
      << psd_->log();

  // Back to the first policy: its object comes from the object cache
  // (<state_dir>/objects), not from Clang.
  EXPECT_NE(psd_->log().find("compiled policy objects are kept in " + dir_ +
                             "/state/objects"),
            std::string::npos)
      << psd_->log();
  const std::string hit =
      "packetscope_policy_object_cache_lookups_total{result=\"hit\"} ";
  EXPECT_NE(get("/metrics").body.find(hit + "0\n"), std::string::npos);
  st = reload_until_policy(kPassAll, "site");
  ASSERT_EQ(st["interfaces"][0]["policy"], "site") << psd_->log();
  EXPECT_EQ(pings(3, "0.1"), 3);
  const std::string metrics = get("/metrics").body;
  EXPECT_NE(metrics.find(hit + "1\n"), std::string::npos) << metrics;
  EXPECT_EQ(psd_->stop(SIGTERM), 0);
}

TEST_F(PsdE2e, ARuleWithATtlShowsTimeLeftAndExpires) {
  write_policy("policy.psl", "policy temp {\n  rule no_ping_for_now: ip.proto "
                             "== icmp => drop ttl 3s\n  default pass\n}\n");
  start();
  EXPECT_EQ(pings(2, "0.2"), 0);
  json rules = get("/api/v1/rules").j();
  ASSERT_EQ(rules["interfaces"][0]["rules"].size(), 1u) << rules.dump();
  const json &r = rules["interfaces"][0]["rules"][0];
  EXPECT_EQ(r["name"], "no_ping_for_now");
  ASSERT_TRUE(r["ttl_left_ms"].is_number()) << r.dump();
  EXPECT_GT(r["ttl_left_ms"].get<uint64_t>(), 0u);
  EXPECT_LE(r["ttl_left_ms"].get<uint64_t>(), 3000u);
  // psd takes it out once a second after its ttl ran out.
  for (int i = 0; i < 100; ++i) {
    rules = get("/api/v1/rules").j();
    if (rules["interfaces"][0]["rules"].empty())
      break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(rules["interfaces"][0]["rules"].empty()) << rules.dump();
  EXPECT_EQ(pings(2, "0.2"), 2);
  EXPECT_EQ(psd_->stop(SIGTERM), 0) << psd_->log();
}

TEST_F(PsdE2e, ABrokenPolicyWithNothingInForceStopsTheStart) {
  write_policy("policy.psl", kBroken);
  psd_ = std::make_unique<PsdProcess>(veth_->ns(), args(), dir_ + "/psd.log");
  EXPECT_EQ(psd_->wait_exit(), 1);
  std::string log = psd_->log();
  EXPECT_NE(log.find("policy.psl:2:11: error[E0202]: unknown field "
                     "'tcp.dprot'"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("no policy could be put in force on psc0"),
            std::string::npos)
      << log;
  EXPECT_FALSE(xdp_attached());
}

TEST_F(PsdE2e, MalformedRequestsAndManyClientsNeverStopPsd) {
  start();
  const char *const bad[] = {
      "/api/v1/summaries?since=yesterday", "/api/v1/summaries?limit=-1",
      "/api/v1/trace?addr=300.1.1.1",      "/api/v1/trace?port=70000",
      "/api/v1/trace?nonsense=1",          "/api/v1/rules?origin=%00%ff",
      "/api/v1/summaries?since=1&since=2",
  };
  for (const char *path : bad) {
    Reply r = get(path);
    EXPECT_EQ(r.status, 400) << path << " " << r.body;
    EXPECT_TRUE(r.j().contains("error")) << path << " " << r.body;
  }
  EXPECT_EQ(get("/api/v2/nothing").status, 404);
  EXPECT_EQ(request("POST", "/api/v1/summary", "{}").status, 405);
  EXPECT_EQ(get("/api/v1/trace?addr=" + std::string(20000, '1')).status, 414);

  // 64 clients at once, 5 requests each, while 16 connections sit idle.
  std::vector<int> idle;
  {
    ScopedNetns in(veth_->ns());
    for (int i = 0; i < 16; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(9477);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a), 0);
      idle.push_back(fd);
    }
  }
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 64; ++i)
    clients.emplace_back([&] {
      for (int k = 0; k < 5; ++k) {
        Reply r = get(k % 2 ? "/api/v1/summary" : "/metrics");
        if (r.status == 200)
          ++ok;
      }
    });
  for (auto &t : clients)
    t.join();
  for (int fd : idle)
    ::close(fd);
  EXPECT_EQ(ok.load(), 64 * 5);
  EXPECT_TRUE(psd_->running());
  EXPECT_EQ(get("/api/v1/status").status, 200);
  EXPECT_EQ(psd_->stop(SIGTERM), 0) << psd_->log();
}

TEST_F(PsdE2e, SampledPacketPathsAreFilterable) {
  std::ofstream(dir_ + "/psd.toml") << "[trace]\nsample_every = 1\n";
  start({"--config", dir_ + "/psd.toml"});
  ASSERT_EQ(pings(5, "0.1"), 5);
  json paths;
  for (int i = 0; i < 100; ++i) {
    paths =
        get(std::string("/api/v1/trace?addr=") + VethPair::peer_address()).j();
    if (paths.is_object() && paths["paths"].size() >= 5)
      break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_GE(paths["paths"].size(), 5u) << paths.dump();
  bool echo = false;
  for (const json &p : paths["paths"]) {
    EXPECT_TRUE(p["src"] == VethPair::peer_address() ||
                p["dst"] == VethPair::peer_address())
        << p.dump();
    if (p["proto"] == "ipv4/icmp" && p["src"] == VethPair::peer_address()) {
      echo = true;
      EXPECT_EQ(p["steps"][0]["hook"], "xdp") << p.dump();
      // Named from the sidecar of the policy in force.
      EXPECT_EQ(p["steps"][0]["rule"], "default") << p.dump();
    }
  }
  EXPECT_TRUE(echo) << paths.dump();
  json none = get("/api/v1/trace?addr=198.51.100.99").j();
  EXPECT_TRUE(none["paths"].empty());
  EXPECT_EQ(get("/api/v1/trace?addr=not-an-address").status, 400);
}

TEST_F(PsdE2e, ASecondPsdInTheNamespaceIsRefused) {
  start();
  PsdProcess second(veth_->ns(), args({}, "127.0.0.1:9478"),
                    dir_ + "/second.log");
  EXPECT_EQ(second.wait_exit(), 1);
  EXPECT_NE(second.log().find("another process already enforces rule ttls"),
            std::string::npos)
      << second.log();
  EXPECT_TRUE(psd_->running());
}

} // namespace
