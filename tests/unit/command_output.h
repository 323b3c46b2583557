// Runs a shell command from a test and returns what it printed.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace psl::testing {

// What `command` prints on standard output; its exit status in `status`
// (-1 when it did not exit normally).
inline std::string output_of(const std::string &command, int &status) {
  std::string out;
  FILE *pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    status = -1;
    return out;
  }
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
    out.append(buffer, n);
  const int raw = ::pclose(pipe);
  status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return out;
}

} // namespace psl::testing
