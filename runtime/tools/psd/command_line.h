// psd's command line: flags into Settings (they override the config
// file), plus --config and --check-config. --help explains every flag,
// every config key with its default, the signals and the exit statuses.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "options.h"

namespace psd {

// Exit statuses of psd.
enum ExitStatus : int {
  kExitOk = 0,      // stopped cleanly (SIGTERM/SIGINT), or the config checks
  kExitFailure = 1, // could not start or keep running: no policy could be
                    // put in force, the API address could not be bound,
                    // tracing could not start
  kExitUsage = 2,   // bad command line or config file
};

struct CommandLine {
  Settings flags;
  std::string config_path; // empty: no config file
  bool check_config = false;
};

// Parses argv. --help and --version print to `out` and give an exit
// status; so does a bad command line (message on `err`, kExitUsage).
// Otherwise the parsed command line.
std::optional<CommandLine> parse_command_line(int argc, const char *const *argv,
                                              std::ostream &out,
                                              std::ostream &err,
                                              int *exit_status);

// The text of --help.
std::string help_text();

} // namespace psd
