#include "detect_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <fstream>
#include <sstream>

#include "codegen/policy_build.h"
#include "driver.h"
#include "policy/dynamic_sets.h"
#include "policy/files.h"
#include "policy/put_in_force.h"

namespace psr::detect_test {

namespace be = psl::backend;
using be::testing::run_command;
using be::testing::ScopedNetns;
using be::testing::VethPair;

namespace {

uint64_t clock_ns(clockid_t id) {
  timespec ts{};
  ::clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<uint64_t>(ts.tv_nsec);
}

sockaddr_in address(const char *ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

void set_timeout(int fd, int option, int ms) {
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
}

// A socket of `type` bound to ip:port in the calling thread's namespace.
int bound_socket(int type, const char *ip, uint16_t port) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = address(ip, port);
  if (::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string read_text(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

be::Status command(const std::string &cmd) {
  auto r = run_command(cmd);
  if (r.exit_code != 0)
    return be::Error("'" + cmd + "' failed: " + r.output);
  return be::Status::success();
}

} // namespace

// ------------------------------------------------------------ benign

BenignTraffic::BenignTraffic(const std::string &victim_ns,
                             const std::string &attacker_ns)
    : victim_ns_(victim_ns), attacker_ns_(attacker_ns) {
  {
    ScopedNetns in(victim_ns_);
    if (!in.ok()) {
      error_ = in.error();
      return;
    }
    tcp_listener_ = bound_socket(SOCK_STREAM, kVictim, 80);
    udp_server_ = bound_socket(SOCK_DGRAM, kVictim, 53);
  }
  if (tcp_listener_ < 0 || udp_server_ < 0 ||
      ::listen(tcp_listener_, 1024) != 0) {
    error_ = "cannot open the victim's services on ports 80 and 53";
    return;
  }
  set_timeout(udp_server_, SO_RCVTIMEO, 100);
  threads_.emplace_back([this] { serve_tcp(); });
  threads_.emplace_back([this] { serve_udp(); });
  threads_.emplace_back([this] { clients(); });
}

BenignTraffic::~BenignTraffic() {
  stop_ = true;
  for (std::thread &t : threads_)
    t.join();
  if (tcp_listener_ >= 0)
    ::close(tcp_listener_);
  if (udp_server_ >= 0)
    ::close(udp_server_);
}

void BenignTraffic::serve_tcp() {
  while (!stop_) {
    pollfd p{tcp_listener_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0)
      continue;
    int c = ::accept4(tcp_listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0)
      continue;
    set_timeout(c, SO_RCVTIMEO, 500);
    char buf[64];
    if (::recv(c, buf, sizeof buf, 0) > 0)
      (void)::send(c, "ok\n", 3, MSG_NOSIGNAL);
    ::close(c);
  }
}

void BenignTraffic::serve_udp() {
  while (!stop_) {
    char buf[512];
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n = ::recvfrom(udp_server_, buf, sizeof buf, 0,
                           reinterpret_cast<sockaddr *>(&from), &len);
    if (n > 0)
      (void)::sendto(udp_server_, buf, static_cast<size_t>(n), 0,
                     reinterpret_cast<sockaddr *>(&from), len);
  }
}

// Every 20 ms a TCP request to port 80 and a query to port 53, from
// kClient in the attacker's namespace.
void BenignTraffic::clients() {
  ScopedNetns in(attacker_ns_);
  if (!in.ok())
    return;
  sockaddr_in web = address(kVictim, 80), dns = address(kVictim, 53);
  while (!stop_) {
    auto next =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
    int t = bound_socket(SOCK_STREAM, kClient, 0);
    if (t >= 0) {
      set_timeout(t, SO_SNDTIMEO, 1000);
      set_timeout(t, SO_RCVTIMEO, 1000);
      ++requests_;
      char buf[8];
      if (::connect(t, reinterpret_cast<sockaddr *>(&web), sizeof web) == 0 &&
          ::send(t, "GET\n", 4, MSG_NOSIGNAL) == 4 &&
          ::recv(t, buf, sizeof buf, 0) > 0)
        ++answered_;
      ::close(t);
    }
    int u = bound_socket(SOCK_DGRAM, kClient, 0);
    if (u >= 0) {
      set_timeout(u, SO_RCVTIMEO, 200);
      ++requests_;
      char buf[64];
      if (::sendto(u, "query", 5, 0, reinterpret_cast<sockaddr *>(&dns),
                   sizeof dns) == 5 &&
          ::recv(u, buf, sizeof buf, 0) > 0)
        ++answered_;
      ::close(u);
    }
    std::this_thread::sleep_until(next);
  }
}

// ------------------------------------------------------------ harness

be::Expected<std::unique_ptr<DetectHarness>>
DetectHarness::create(analyze::DetectorOptions options) {
  be::testing::remove_stale_test_state();
  std::unique_ptr<DetectHarness> h(new DetectHarness());
  h->options_ = std::move(options);
  auto veth = VethPair::create();
  if (!veth.ok())
    return veth.error();
  h->veth_ = std::move(veth.value());
  const std::string &v = h->veth_->ns(), &a = h->veth_->peer_ns();
  // No IPv6 chatter (router solicitations, MLD) in either namespace.
  for (const std::string &ns : {v, a})
    if (be::Status s = command("ip netns exec " + ns +
                               " sysctl -qw net.ipv6.conf.all.disable_ipv6=1"
                               " net.ipv6.conf.default.disable_ipv6=1");
        !s.ok())
      return s.error();
  if (be::Status s = command("ip -n " + a + " addr add " + kClient +
                             "/24 dev " + h->veth_->peer_ifname());
      !s.ok())
    return s.error();
  h->veth_->run_in_peer(std::string("ping -c 1 -W 1 ") + kVictim);

  h->layout_.pin_root =
      "/sys/fs/bpf/psc-test-" + std::to_string(::getpid()) + "-detect";
  char tmpl[] = "/tmp/psc-detect-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr)
    return be::errno_error("mkdtemp", errno);
  h->state_dir_ = tmpl;
  h->layout_.state_root = h->state_dir_ + "/state";
  if (be::Status s = h->put_policy_in_force(); !s.ok())
    return s.error();
  {
    ScopedNetns in(v);
    if (!in.ok())
      return be::Error(in.error());
    auto t = trace::Tracer::create();
    if (!t.ok())
      return t.error();
    h->tracer_ = std::move(t.value());
  }
  auto xdp =
      trace::XdpObservation::open_pinned(h->layout_.maps_dir(h->target_));
  if (!xdp.ok())
    return xdp.error();
  h->xdp_ = std::make_unique<trace::XdpObservation>(std::move(xdp.value()));
  return h;
}

DetectHarness::~DetectHarness() {
  tracer_.reset();
  xdp_.reset();
  if (in_force_) {
    ScopedNetns in(veth_->ns());
    (void)policy::take_down(layout_, target_);
  }
  if (!state_dir_.empty())
    policy::remove_tree(state_dir_, 6);
  policy::remove_tree(layout_.pin_root, 5);
  veth_.reset();
}

// psd's default policy, as psd puts it in force.
be::Status DetectHarness::put_policy_in_force() {
  std::string text = read_text(PSD_DEFAULT_POLICY);
  psl::CheckedModule m = psl::check_source(PSD_DEFAULT_POLICY, text);
  if (!m.ok())
    return be::Error("policies/default.psl does not check");
  block_sets_ = analyze::find_block_sets(*m.module.policy);
  for (const psl::RuleDecl *r : m.module.policy->rules)
    rule_names_.push_back(r->name);
  auto artifact = be::build_policy(*m.module.policy, m.diags.file_ptr().get());
  if (!artifact.ok())
    return artifact.error();
  ScopedNetns in(veth_->ns());
  if (!in.ok())
    return be::Error(in.error());
  auto t = policy::Target::in_current_netns(veth_->ifname());
  if (!t.ok())
    return t.error();
  target_ = *t;
  policy::PolicyToLoad load;
  load.artifact = &artifact.value();
  load.text = text;
  load.source = PSD_DEFAULT_POLICY;
  load.rule_ttls = policy::rule_ttls(*m.module.policy);
  auto put = policy::put_in_force(layout_, target_, load);
  if (!put.ok())
    return put.error();
  in_force_ = true;
  return be::Status::success();
}

be::Status DetectHarness::add_victim_addresses() {
  return command("for i in $(seq 101 132); do ip -n " + veth_->ns() +
                 " addr add 192.0.2.$i/32 dev " + veth_->ifname() +
                 " || exit 1; done");
}

const std::string &DetectHarness::victim_ns() const { return veth_->ns(); }
const std::string &DetectHarness::attacker_ns() const {
  return veth_->peer_ns();
}

be::Expected<trace::Snapshot> DetectHarness::read() {
  return tracer_->read(xdp_.get());
}

analyze::DetectorContext DetectHarness::context() const {
  analyze::DetectorContext c;
  c.block_sets = block_sets_;
  for (const analyze::BlockSet &b : block_sets_) {
    auto listing = policy::set_list(layout_, target_, b.name);
    if (listing.ok())
      for (const policy::ListedEntry &e : listing->entries)
        c.blocked.push_back(e.value);
  }
  c.rules_in_force = rule_names_;
  c.now_ns = clock_ns(CLOCK_MONOTONIC);
  c.now_unix_ms = static_cast<int64_t>(clock_ns(CLOCK_REALTIME) / 1'000'000);
  return c;
}

Watched DetectHarness::watch(const std::string &tool, double seconds) {
  using clock = std::chrono::steady_clock;
  constexpr auto kTick = std::chrono::milliseconds(250);
  Watched out;
  BenignTraffic benign(veth_->ns(), veth_->peer_ns());
  if (!benign.ok()) {
    out.tool_output = benign.error();
    return out;
  }
  analyze::EmbeddedDetector detector(options_);
  std::deque<summary::Observation> last; // this tick's reading and 4 before
  auto first = read();
  if (!first.ok()) {
    out.tool_output = first.error().message;
    return out;
  }
  last.push_back({std::move(first.value()), {}, {}});

  std::thread runner([&] {
    if (tool.empty())
      return;
    auto r = run_command("ip netns exec " + veth_->peer_ns() + " " + tool);
    out.tool_output = r.output;
    out.tool_exit = r.exit_code;
  });
  const auto start = clock::now();
  uint64_t seq = 0;
  for (int tick = 1;
       clock::now() - start < std::chrono::duration<double>(seconds); ++tick) {
    std::this_thread::sleep_until(start + tick * kTick);
    auto s = read();
    if (!s.ok())
      continue;
    last.push_back({std::move(s.value()), {}, {}});
    if (last.size() > 5)
      last.pop_front();
    summary::Summary w =
        summary::build_summary(last.front(), last.back(), ++seq);
    for (analyze::Proposal &p : detector.analyze(w, context())) {
      out.proposals.push_back(std::move(p));
      out.proposed_after_s.push_back(
          std::chrono::duration<double>(clock::now() - start).count());
    }
    out.windows.push_back(std::move(w));
  }
  runner.join();
  out.benign_requests = benign.requests();
  out.benign_answered = benign.answered();
  return out;
}

} // namespace psr::detect_test
