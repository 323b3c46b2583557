// For tests that serve HTTP on loopback: as root, the calling thread (and
// every thread it starts afterwards) moves into a network namespace of its
// own with `lo` up, so the test's connections never mix with anyone
// else's traffic; otherwise it stays on the host's loopback, on a port the
// kernel picks. Call it before the test starts threads.
#pragma once

#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace psr::testing {

inline bool private_network_once() {
  static bool done = [] {
    if (::geteuid() != 0 || ::unshare(CLONE_NEWNET) != 0)
      return false;
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    bool up = ::ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
    ifr.ifr_flags |= IFF_UP;
    up = up && ::ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
    ::close(fd);
    return up;
  }();
  return done;
}

} // namespace psr::testing
