#include "policy_watch.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace psd {

namespace {

constexpr uint32_t kEvents = IN_CLOSE_WRITE | IN_CREATE | IN_DELETE |
                             IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF |
                             IN_MOVE_SELF | IN_ONLYDIR;

bool psl_name(const char *name) {
  const size_t n = std::strlen(name);
  return n > 4 && std::strcmp(name + n - 4, ".psl") == 0;
}

} // namespace

PolicyDirWatch::PolicyDirWatch(std::string dir,
                               std::chrono::milliseconds debounce)
    : dir_(std::move(dir)), debounce_(debounce),
      fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
  if (!fd_) {
    problem_ = std::string("inotify: ") + std::strerror(errno);
    return;
  }
  try_watch(Clock::now());
}

void PolicyDirWatch::try_watch(Clock::time_point now) {
  if (!fd_ || wd_ >= 0)
    return;
  last_try_ = now;
  wd_ = ::inotify_add_watch(fd_.get(), dir_.c_str(), kEvents);
  if (wd_ < 0)
    problem_ = "cannot watch '" + dir_ + "': " + std::strerror(errno);
  else
    problem_.clear();
}

bool PolicyDirWatch::drain() {
  bool changed = false;
  alignas(inotify_event) char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n <= 0)
      break;
    for (char *p = buf; p < buf + n;) {
      auto *e = reinterpret_cast<inotify_event *>(p);
      p += sizeof(inotify_event) + e->len;
      if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
        // The directory went away: psd falls back to the default policy
        // (docs/psd.md) and looks for the directory again.
        if (wd_ >= 0 && !(e->mask & IN_IGNORED))
          ::inotify_rm_watch(fd_.get(), wd_);
        wd_ = -1;
        problem_ = "'" + dir_ + "' was removed";
        changed = true;
        continue;
      }
      if (e->mask & IN_Q_OVERFLOW) {
        changed = true;
        continue;
      }
      if (e->len > 0 && psl_name(e->name))
        changed = true;
    }
  }
  return changed;
}

bool PolicyDirWatch::settled(Clock::time_point now) {
  if (!fd_)
    return false;
  if (wd_ < 0 && now - last_try_ >= std::chrono::seconds(1)) {
    try_watch(now);
    // A directory that appears is a change (it may hold policies).
    if (wd_ >= 0)
      last_change_ = now;
  }
  if (drain())
    last_change_ = now;
  if (last_change_ && now - *last_change_ >= debounce_) {
    last_change_.reset();
    return true;
  }
  return false;
}

} // namespace psd
