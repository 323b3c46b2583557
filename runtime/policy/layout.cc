#include "policy/layout.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>

#include <net/if.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/files.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71 // Linux 5.14; older libc headers lack it
#endif

namespace psr::policy {

namespace {

std::string env_or(const char *name, const std::string &fallback) {
  const char *v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

uint64_t inode_of(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_ino) : 0;
}

} // namespace

be::Expected<NetnsId> current_netns() {
  NetnsId id;
  id.inode = inode_of("/proc/thread-self/ns/net");
  if (id.inode == 0)
    return be::errno_error("cannot read this thread's network namespace "
                           "(/proc/thread-self/ns/net)",
                           errno);
  // The cookie of a socket is its namespace's.
  be::UniqueFd sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  uint64_t cookie = 0;
  socklen_t len = sizeof cookie;
  if (sock &&
      ::getsockopt(sock.get(), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) == 0)
    id.cookie = cookie;
  return id;
}

bool netns_alive(const std::string &netns) {
  if (!valid_netns_name(netns))
    return false;
  const uint64_t inode = std::strtoull(netns.c_str() + 4, nullptr, 10);
  for (const std::string &name : list_dir("/var/run/netns"))
    if (inode_of("/var/run/netns/" + name) == inode)
      return true;
  for (const std::string &pid : list_dir("/proc")) {
    if (pid.find_first_not_of("0123456789") != std::string::npos)
      continue;
    if (inode_of("/proc/" + pid + "/ns/net") == inode)
      return true;
  }
  return false;
}

be::Status check_ifname(const std::string &ifname) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ || ifname == "." ||
      ifname == ".." || ifname.find('/') != std::string::npos ||
      ifname.find_first_of(" \t\n:") != std::string::npos)
    return be::Error("'" + ifname + "' is not an interface name", EINVAL, {},
                     be::ErrorKind::User);
  return be::Status::success();
}

be::Error no_such_interface(const Target &t) {
  return be::Error("interface '" + t.ifname +
                       "' does not exist in this network namespace (" +
                       t.netns + ")",
                   ENODEV);
}

be::Status target_exists(const Target &t) {
  be::Expected<NetnsId> ns = current_netns();
  if (!ns)
    return ns.error();
  if (ns->name() == t.netns) {
    if (::if_nametoindex(t.ifname.c_str()) == 0)
      return no_such_interface(t);
    return be::Status::success();
  }
  if (!netns_alive(t.netns))
    return be::Error("network namespace " + t.netns +
                         " does not exist (any "
                         "more)",
                     ENOENT);
  return be::Status::success();
}

bool valid_netns_name(const std::string &netns) {
  return netns.size() > 4 && netns.compare(0, 4, "net-") == 0 &&
         netns.find_first_not_of("0123456789", 4) == std::string::npos;
}

be::Expected<Target> Target::in_current_netns(const std::string &ifname) {
  if (be::Status s = check_ifname(ifname); !s.ok())
    return s.error();
  be::Expected<NetnsId> ns = current_netns();
  if (!ns)
    return ns.error();
  return Target{ns->name(), ifname};
}

StateLayout StateLayout::from_environment() {
  StateLayout l;
  l.pin_root = env_or("PSC_PIN_ROOT", l.pin_root);
  l.state_root = env_or("PSC_STATE_DIR", l.state_root);
  return l;
}

std::string StateLayout::netns_pin_dir(const std::string &netns) const {
  return pin_root + "/" + netns;
}
std::string StateLayout::pin_dir(const Target &t) const {
  return netns_pin_dir(t.netns) + "/" + t.ifname;
}
std::string StateLayout::link_pin(const Target &t) const {
  return pin_dir(t) + "/link";
}
std::string StateLayout::maps_dir(const Target &t) const {
  return pin_dir(t) + "/maps";
}
std::string StateLayout::netns_state_dir(const std::string &netns) const {
  return state_root + "/" + netns;
}
std::string StateLayout::state_dir(const Target &t) const {
  return netns_state_dir(t.netns) + "/" + t.ifname;
}
std::string StateLayout::lock_file(const Target &t) const {
  return state_dir(t) + "/lock";
}
std::string StateLayout::program_dir(const Target &t, uint32_t prog_id) const {
  return state_dir(t) + "/prog-" + std::to_string(prog_id);
}

be::XdpAttacher StateLayout::attacher(const Target &t, be::XdpMode mode) const {
  be::XdpAttachOptions o;
  o.mode = mode;
  o.bpffs = bpffs;
  o.pin_root = netns_pin_dir(t.netns);
  return be::XdpAttacher(o);
}

std::vector<std::string> StateLayout::namespaces() const {
  std::set<std::string> names;
  for (const std::string &root : {pin_root, state_root})
    for (const std::string &n : list_dir(root))
      if (valid_netns_name(n))
        names.insert(n);
  return {names.begin(), names.end()};
}

std::vector<Target> StateLayout::targets(const std::string &netns) const {
  std::set<std::string> names;
  for (const std::string &dir : {netns_pin_dir(netns), netns_state_dir(netns)})
    for (const std::string &n : list_dir(dir))
      if (check_ifname(n).ok())
        names.insert(n);
  std::vector<Target> out;
  for (const std::string &n : names)
    out.push_back(Target{netns, n});
  return out;
}

} // namespace psr::policy
