// One change at a time per target: a put in force, a take down, a set
// edit, a sweep. An advisory lock (flock) on <state dir>/lock, which the
// kernel releases when the holder exits, also after kill -9, so a crashed
// loader never blocks the next one. The holder writes its pid and what it
// is doing into the file, so a process that finds it taken can say "another
// load on 'eth0' is in progress (pid 4242)".
//
// Readers (status, set list) do not take it: everything they read is
// replaced atomically (files by rename, the program by the link update).
//
// Whether a second loader waits is the caller's choice (`wait`): psc load
// refuses at once, set edits wait a few seconds, psd may wait longer.
// A holder that is only editing a set or sweeping (milliseconds) is waited
// for up to 2 s whatever `wait` says, so a load does not fail because psd
// was sweeping at that instant.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "backend/bpf_object.h"
#include "backend/status.h"
#include "policy/layout.h"

namespace psr::policy {

class TargetLock {
public:
  // Takes the lock of `t`, creating its state directory if needed.
  // `purpose` ("load", "unload", "set", "sweep", "expiry") is what others
  // are told. Fails, naming the holder, once `wait` has passed: the
  // environment's error (code EBUSY), nothing in the request is wrong.
  static be::Expected<TargetLock> acquire(const StateLayout &layout,
                                          const Target &t,
                                          const std::string &purpose,
                                          std::chrono::milliseconds wait = {});

  TargetLock(TargetLock &&) noexcept = default;
  TargetLock &operator=(TargetLock &&) noexcept = default;
  ~TargetLock() = default; // closing the descriptor releases the lock

  // Directories acquire() created (a first load): remove_state_dir_if_new
  // removes them again when nothing was put in force.
  const std::vector<std::string> &created_dirs() const { return created_; }
  // Removes the lock file and the target's state directory (and the
  // namespace's, when empty) while still holding the lock: for a take
  // down, or a first load that failed. A process waiting for the lock
  // notices the file is gone and starts over.
  void remove_state_dir();

private:
  TargetLock() = default;
  be::UniqueFd fd_;
  std::string path_, dir_, netns_dir_;
  std::vector<std::string> created_;
};

// Who holds (or last held) a lock: what its file says.
struct LockHolder {
  std::string purpose; // "load"; "change" when unknown
  long pid = 0;        // 0 when unknown
};
LockHolder lock_holder(const std::string &lock_file);

} // namespace psr::policy
