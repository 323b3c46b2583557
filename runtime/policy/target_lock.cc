#include "policy/target_lock.h"

#include <cerrno>
#include <cstdlib>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/files.h"

namespace psr::policy {

namespace {

constexpr std::chrono::seconds kBriefHolderWait{2};

bool same_file(int fd, const std::string &path) {
  struct stat a, b;
  return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 &&
         a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

} // namespace

LockHolder lock_holder(const std::string &lock_file) {
  LockHolder h;
  h.purpose = "change";
  // "<pid> <purpose>\n"
  std::optional<std::string> text = read_file(lock_file);
  if (!text)
    return h;
  const size_t space = text->find(' ');
  const size_t end = text->find('\n');
  if (space == std::string::npos || space == 0 || end == std::string::npos ||
      end <= space + 1 || text->find_first_not_of("0123456789") != space)
    return h;
  h.pid = std::strtol(text->c_str(), nullptr, 10);
  h.purpose = text->substr(space + 1, end - space - 1);
  return h;
}

be::Expected<TargetLock> TargetLock::acquire(const StateLayout &layout,
                                             const Target &t,
                                             const std::string &purpose,
                                             std::chrono::milliseconds wait) {
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + wait;
  TargetLock lock;
  lock.path_ = layout.lock_file(t);
  lock.dir_ = layout.state_dir(t);
  lock.netns_dir_ = layout.netns_state_dir(t.netns);
  int vanished = 0;
  for (;;) {
    if (be::Status s = make_dirs(lock.dir_, 0755, &lock.created_); !s.ok()) {
      remove_created_dirs(lock.created_);
      return s.error();
    }
    be::UniqueFd fd(
        ::open(lock.path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    // The holder removed the directory (a take down) after make_dirs:
    // make it again.
    if (!fd && errno == ENOENT && ++vanished < 100)
      continue;
    if (!fd) {
      const int err = errno;
      remove_created_dirs(lock.created_);
      return be::errno_error("cannot open the lock '" + lock.path_ + "'", err);
    }
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
      // The holder before us may have removed the file (a take down)
      // between our open and our lock: then start over on the new one.
      if (!same_file(fd.get(), lock.path_))
        continue;
      const std::string who = std::to_string(::getpid()) + " " + purpose + "\n";
      if (::ftruncate(fd.get(), 0) == 0)
        (void)!::pwrite(fd.get(), who.data(), who.size(), 0);
      lock.fd_ = std::move(fd);
      return lock;
    }
    if (errno != EWOULDBLOCK && errno != EINTR)
      return be::errno_error("cannot lock '" + lock.path_ + "'", errno);
    // Set edits and sweeps hold the lock for milliseconds: worth waiting
    // for even when the caller would not wait for a load.
    const LockHolder h = lock_holder(lock.path_);
    const auto now = std::chrono::steady_clock::now();
    const bool brief = h.purpose == "set" || h.purpose == "sweep";
    if (now >= deadline && (!brief || now >= start + kBriefHolderWait)) {
      return be::Error("another " + h.purpose + " on '" + t.ifname +
                           "' is in progress" +
                           (h.pid > 0 ? " (pid " + std::to_string(h.pid) + ")"
                                      : std::string()),
                       EBUSY);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void TargetLock::remove_state_dir() {
  if (!fd_)
    return;
  // The lock file last, then the directory only if it is empty: a waiter
  // that opens the path once the file is unlinked makes a new lock file
  // there, and that one is its lock, not ours to remove.
  const std::string lock_name = path_.substr(path_.rfind('/') + 1);
  for (const std::string &name : list_dir(dir_))
    if (name != lock_name)
      remove_tree(dir_ + "/" + name, 3);
  ::unlink(path_.c_str());
  ::rmdir(dir_.c_str());
  ::rmdir(netns_dir_.c_str()); // only when no other target is left
}

} // namespace psr::policy
