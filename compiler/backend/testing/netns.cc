#include "backend/testing/netns.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace psl::backend::testing {

CommandResult run_command(const std::string &command) {
  CommandResult result;
  const std::string with_stderr = command + " 2>&1";
  FILE *pipe = ::popen(with_stderr.c_str(), "r");
  if (pipe == nullptr) {
    result.output = "popen failed: " + std::string(std::strerror(errno));
    return result;
  }
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
    result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

namespace {

// The pid in "psc-test-<pid>...", or 0.
long owner_pid(const std::string &name) {
  static const std::string prefix = "psc-test-";
  if (name.compare(0, prefix.size(), prefix) != 0)
    return 0;
  return std::strtol(name.c_str() + prefix.size(), nullptr, 10);
}

bool owner_is_gone(long pid) {
  return pid > 0 && pid != ::getpid() &&
         ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

std::vector<std::string> entries(const std::string &dir) {
  std::vector<std::string> names;
  if (DIR *d = ::opendir(dir.c_str())) {
    while (struct dirent *e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..")
        names.push_back(name);
    }
    ::closedir(d);
  }
  return names;
}

// bpffs pins nest a few levels deep (<root>/<ifname>/maps/<map>).
void remove_tree(const std::string &path, int depth) {
  if (::unlink(path.c_str()) == 0 || depth == 0)
    return;
  for (const std::string &name : entries(path))
    remove_tree(path + "/" + name, depth - 1);
  ::rmdir(path.c_str());
}

} // namespace

void remove_stale_test_state() {
  for (const std::string &name : entries("/var/run/netns"))
    if (owner_is_gone(owner_pid(name)))
      run_command("ip netns del " + name);
  for (const std::string &name : entries("/sys/fs/bpf"))
    if (owner_is_gone(owner_pid(name)))
      remove_tree("/sys/fs/bpf/" + name, 4);
}

Expected<std::unique_ptr<VethPair>> VethPair::create() {
  static std::atomic<int> counter{0};
  std::unique_ptr<VethPair> pair(new VethPair());
  const std::string base = "psc-test-" + std::to_string(::getpid()) + "-" +
                           std::to_string(counter++);
  pair->ns_ = base;
  pair->peer_ns_ = base + "-peer";
  const std::string &a = pair->ns_, &b = pair->peer_ns_;
  const std::string &ia = pair->ifname_, &ib = pair->peer_ifname_;
  const std::string steps[] = {
      "ip netns add " + a,
      "ip netns add " + b,
      "ip -n " + a + " link add " + ia + " type veth peer name " + ib +
          " netns " + b,
      "ip -n " + a + " addr add " + address() + "/24 dev " + ia,
      "ip -n " + b + " addr add " + peer_address() + "/24 dev " + ib,
      "ip -n " + a + " link set lo up",
      "ip -n " + b + " link set lo up",
      "ip -n " + a + " link set " + ia + " up",
      "ip -n " + b + " link set " + ib + " up",
  };
  for (const std::string &step : steps) {
    CommandResult r = run_command(step);
    if (r.exit_code != 0)
      return Error{"'" + step + "' failed: " + r.output}; // dtor cleans up
  }
  return pair;
}

VethPair::~VethPair() {
  if (!peer_ns_.empty())
    run_command("ip netns del " + peer_ns_);
  if (!ns_.empty())
    run_command("ip netns del " + ns_);
}

std::optional<bool> VethPair::peer_connects(uint16_t port,
                                            int timeout_ms) const {
  ScopedNetns in(peer_ns_);
  if (!in.ok())
    return std::nullopt;
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, address(), &a.sin_addr);
  int rc = ::connect(fd.get(), reinterpret_cast<sockaddr *>(&a), sizeof a);
  if (rc == 0)
    return true;
  if (errno != EINPROGRESS)
    return false;
  pollfd p{fd.get(), POLLOUT, 0};
  if (::poll(&p, 1, timeout_ms) != 1)
    return false;
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  return err == 0;
}

int VethPair::peer_pings(int count, const std::string &interval,
                         const std::string &source) const {
  CommandResult r = run_in_peer(
      "ping -n -q -c " + std::to_string(count) + " -i " + interval + " -W 1 " +
      (source.empty() ? "" : "-I " + source + " ") + address());
  const auto pos = r.output.find("packets transmitted");
  if (pos == std::string::npos)
    return -1;
  const auto line = r.output.rfind('\n', pos);
  int sent = 0, received = 0;
  std::sscanf(r.output.c_str() + (line == std::string::npos ? 0 : line + 1),
              "%d packets transmitted, %d received", &sent, &received);
  return received;
}

UniqueFd VethPair::listen_tcp(uint16_t port) const {
  ScopedNetns in(ns_);
  if (!in.ok())
    return UniqueFd();
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, address(), &a.sin_addr);
  if (::bind(fd.get(), reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 ||
      ::listen(fd.get(), 16) != 0)
    return UniqueFd();
  return fd;
}

CommandResult VethPair::run_in_peer(const std::string &command) const {
  return run_command("ip netns exec " + peer_ns_ + " " + command);
}

ScopedNetns::ScopedNetns(const std::string &name) {
  previous_.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!previous_) {
    error_ = "cannot open this thread's network namespace: " +
             std::string(std::strerror(errno));
    return;
  }
  const std::string path = "/var/run/netns/" + name;
  UniqueFd target(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!target || ::setns(target.get(), CLONE_NEWNET) != 0) {
    error_ = "cannot enter network namespace '" + name +
             "': " + std::strerror(errno);
    previous_.reset();
  }
}

ScopedNetns::~ScopedNetns() {
  if (previous_)
    ::setns(previous_.get(), CLONE_NEWNET);
}

} // namespace psl::backend::testing
