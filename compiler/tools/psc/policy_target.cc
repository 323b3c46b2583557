#include "policy_target.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/bpf_features.h"
#include "backend/bpf_object.h"
#include "commands.h"

namespace psc {

namespace {

namespace be = psl::backend;
namespace pp = psr::policy;

// The file of a namespace named `net-<inode>`: a bind mount under
// /var/run/netns, else some process's /proc/PID/ns/net.
std::string file_of_netns_id(const std::string &id) {
  const unsigned long long inode = std::strtoull(id.c_str() + 4, nullptr, 10);
  auto matches = [&](const std::string &path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && st.st_ino == inode;
  };
  for (const char *dir : {"/var/run/netns"}) {
    if (DIR *d = ::opendir(dir)) {
      while (struct dirent *e = ::readdir(d)) {
        std::string p = std::string(dir) + "/" + e->d_name;
        if (e->d_name[0] != '.' && matches(p)) {
          ::closedir(d);
          return p;
        }
      }
      ::closedir(d);
    }
  }
  if (DIR *d = ::opendir("/proc")) {
    while (struct dirent *e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name.find_first_not_of("0123456789") != std::string::npos)
        continue;
      const std::string p = "/proc/" + name + "/ns/net";
      if (matches(p)) {
        ::closedir(d);
        return p;
      }
    }
    ::closedir(d);
  }
  return "";
}

} // namespace

be::Expected<EnteredNetns> enter_netns(const std::string &netns,
                                       bool allow_gone) {
  EnteredNetns out;
  if (!netns.empty()) {
    std::string path;
    if (netns[0] == '/')
      path = netns;
    else if (pp::valid_netns_name(netns))
      path = file_of_netns_id(netns);
    else if (netns.find('/') == std::string::npos && netns != "." &&
             netns != "..")
      path = "/var/run/netns/" + netns;
    if (path.empty() && pp::valid_netns_name(netns)) {
      // Gone: what it left, if anything, can still be shown and removed.
      if (allow_gone &&
          !pp::StateLayout::from_environment().targets(netns).empty()) {
        out.netns = netns;
        out.gone = true;
        return out;
      }
      return be::Error(
          "network namespace " + netns + " does not exist (any more)", ENOENT);
    }
    be::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
      return be::errno_error("cannot open network namespace '" + netns + "' (" +
                                 path + ")",
                             errno);
    if (::setns(fd.get(), CLONE_NEWNET) != 0)
      return be::errno_error("cannot enter network namespace '" + netns + "'",
                             errno);
  }
  be::Expected<pp::NetnsId> id = pp::current_netns();
  if (!id)
    return id.error();
  out.netns = id->name();
  return out;
}

std::optional<TargetChoice> choose_target(const char *verb,
                                          const std::string &dev,
                                          const std::string &netns,
                                          bool allow_gone, std::ostream &err,
                                          int *exit_status) {
  if (be::Status s = pp::check_ifname(dev); !s.ok()) {
    err << "psc " << verb << ": " << s.error().message << "\n";
    *exit_status = kExitUsage;
    return std::nullopt;
  }
  be::Expected<EnteredNetns> ns = enter_netns(netns, allow_gone);
  if (!ns) {
    *exit_status = report_error(verb, ns.error(), err);
    return std::nullopt;
  }
  TargetChoice c;
  c.target = pp::Target{ns->netns, dev};
  c.netns_gone = ns->gone;
  return c;
}

be::Status bpf_ready() {
  const be::BpfFeatures &f = be::bpf_features();
  if (!f.load.available)
    return be::Error("cannot load BPF programs: " + f.load.reason);
  if (!f.xdp_link.available)
    return be::Error("this kernel cannot attach XDP through a bpf_link: " +
                     f.xdp_link.reason);
  return be::Status::success();
}

int error_status(const char *verb, const be::Error &e, std::ostream &err) {
  if (e.kind == be::ErrorKind::Internal)
    err << "psc " << verb
        << ": this is a bug in psc: please report it with the input\n";
  return exit_status(e.kind);
}

int report_error(const char *verb, const be::Error &e, std::ostream &err) {
  err << "psc " << verb << ": " << e.message << "\n"
      << be::format_notes(e.notes) << e.detail
      << (e.detail.empty() || e.detail.back() == '\n' ? "" : "\n");
  return error_status(verb, e, err);
}

namespace {

std::string strftime_utc(uint64_t unix_ns, const char *format) {
  const time_t t = static_cast<time_t>(unix_ns / 1000000000ull);
  struct tm tm;
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

} // namespace

std::string format_time(uint64_t unix_ns) {
  return unix_ns == 0 ? "-" : strftime_utc(unix_ns, "%Y-%m-%d %H:%M:%S UTC");
}

std::string format_time_json(uint64_t unix_ns) {
  return unix_ns == 0 ? "" : strftime_utc(unix_ns, "%Y-%m-%dT%H:%M:%SZ");
}

} // namespace psc
