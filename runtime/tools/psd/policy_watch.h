// Watches the policy directory (inotify) so that psd reads it again when
// a policy file changes, as on SIGHUP. Changes come in bursts (an editor
// writes a temporary file and renames it, a deployment copies several):
// the directory is read once nothing changed for the debounce time.
//
// Only names ending in `.psl` count (editors' swap and backup files do
// not). A directory that does not exist (yet) or was removed is looked
// for again at most once a second; its appearance or removal counts as
// a change.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "backend/bpf_object.h"

namespace psd {

class PolicyDirWatch {
public:
  using Clock = std::chrono::steady_clock;
  PolicyDirWatch(std::string dir, std::chrono::milliseconds debounce);

  // Reads what happened since the last call (never blocks). True once a
  // burst of changes has settled: the caller reads the directory again.
  bool settled(Clock::time_point now);

  bool watching() const { return wd_ >= 0; }
  // Why the directory is not watched ("" while it is).
  const std::string &problem() const { return problem_; }

private:
  void try_watch(Clock::time_point now);
  bool drain(); // true: a change that counts

  std::string dir_;
  std::chrono::milliseconds debounce_;
  psl::backend::UniqueFd fd_;
  int wd_ = -1;
  std::string problem_;
  std::optional<Clock::time_point> last_change_;
  Clock::time_point last_try_{};
};

} // namespace psd
