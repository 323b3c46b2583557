// The verbs of psc. Each takes its parsed options and the process streams
// and returns the exit status; main() owns argument parsing and turns
// exceptions into "internal error" (status 2).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace psc {

// Exit statuses shared by every verb.
enum ExitStatus : int {
  kExitOk = 0,       // clean (warnings allowed unless --werror)
  kExitFindings = 1, // errors found, files unformatted, unreadable input
  kExitUsage = 2,    // bad command line or internal error
};

enum class ColorMode { Auto, Always, Never };

// Whether to colour output written to the file descriptor `fd`: always,
// never, or (auto) when it is a terminal, NO_COLOR is unset and TERM is not
// "dumb".
bool use_color(ColorMode mode, int fd);

struct Streams {
  std::istream &in;
  std::ostream &out;
  std::ostream &err;
};

struct CheckOptions {
  enum class Format { Text, Json, Sarif } format = Format::Text;
  bool werror = false;
  bool generated = false;
  bool color = false; // already decided from ColorMode and stdout
  std::vector<std::string> paths;
};
int run_check(const CheckOptions &options, Streams io);

struct FmtOptions {
  bool check = false; // list files that would change
  bool write = false; // rewrite in place
  bool color = false; // for diagnostics on stderr
  std::vector<std::string> paths;
};
int run_fmt(const FmtOptions &options, Streams io);

// psc build FILE -o OUT.o [--emit-c OUT.c]: the BPF ELF and, beside it,
// OUT.o.maps.json with the map contents and the rule table.
struct BuildOptions {
  std::string path;
  std::string output;
  std::string emit_c; // empty: do not write the C
  bool verbose = false;
  bool color = false; // for diagnostics on stderr
};
int run_build(const BuildOptions &options, Streams io);

// psc test [--interp] FILE|DIR...: runs the policies' `test` blocks and
// prints each failure, then "N passed, M failed" (test blocks). Kernel
// mode (without --interp) does not exist yet and exits with kExitUsage.
struct TestOptions {
  enum class Format { Text, Json } format = Format::Text;
  bool interp = false;  // run on the reference interpreter
  bool verbose = false; // also list the tests that passed
  bool color = false;   // for diagnostics of policies that do not check
  std::vector<std::string> paths;
};
int run_test(const TestOptions &options, Streams io);

// psc run [--interp] FILE --pcap IN.pcap: replays a capture through the
// policy, one verdict per packet, then the rule counters. Kernel mode
// (without --interp) does not exist yet and exits with kExitUsage.
struct RunOptions {
  enum class Format { Text, Json } format = Format::Text;
  bool interp = false; // run on the reference interpreter
  bool color = false;  // for diagnostics on stderr
  std::string path;    // the policy
  std::string pcap;    // the capture
};
int run_replay(const RunOptions &options, Streams io);

// The text of the SARIF tool.driver fields.
extern const char *const kVersion;
extern const char *const kInformationUri;

} // namespace psc
