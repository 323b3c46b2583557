// The verbs of psc. Each takes its parsed options and the process streams
// and returns the exit status; main() owns argument parsing and turns
// exceptions into "internal error" (kExitInternal).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "backend/clang_compiler.h"
#include "backend/status.h"

namespace psc {

// Exit statuses, one per kind of outcome, the same for every verb
// (docs/psc.md). A verb's --help lists the ones it can give.
enum ExitStatus : int {
  kExitOk = 0, // done (warnings allowed unless --werror)
  // The input is refused (ErrorKind::User): errors in a policy, failed
  // tests, a file that would be reformatted, an input that cannot be read,
  // a policy the kernel's verifier refuses, a swap the policy in force
  // refuses (another XDP mode, a set too small), a value a dynamic set
  // refuses, an unload with nothing loaded.
  kExitFindings = 1,
  kExitUsage = 2, // bad command line: unknown verb or option, bad argument
  // The machine cannot do it (ErrorKind::Environment): no BPF support or
  // privileges (kernel-mode test and run, load, unload, status, set), an
  // interface or network namespace that does not exist, a failed system
  // call, a lock another change holds.
  kExitEnvironment = 3,
  kExitInternal = 4, // a bug in psc (ErrorKind::Internal): please report it
};

// The exit status of an error of this kind.
int exit_status(psl::backend::ErrorKind kind);

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
  // The cost model (docs/cost-model.md): "auto" picks maps, code or trees
  // per part of the policy; "maps" and "code" force one way where possible.
  std::string lowering = "auto";
  std::string parser = "prebuilt";                // --parser prebuilt|inline
  int opt_level = psl::backend::kDefaultOptLevel; // --opt-level 1|2
  bool no_cache = false;                          // --no-cache
  std::string cache_dir; // --cache-dir (object_cache_choice.h)
};
int run_build(const BuildOptions &options, Streams io);

// psc test [--interp] FILE|DIR...: runs the policies' `test` blocks and
// prints each failure, then "N passed, M failed" (test blocks). By default
// in the kernel (BPF_PROG_TEST_RUN); without BPF that exits
// kExitEnvironment.
struct TestOptions {
  enum class Format { Text, Json } format = Format::Text;
  bool interp = false;   // run on the reference interpreter
  bool verbose = false;  // also list the tests that passed
  bool color = false;    // for diagnostics of policies that do not check
  bool no_cache = false; // --no-cache
  std::string cache_dir; // --cache-dir (object_cache_choice.h)
  std::vector<std::string> paths;
};
int run_test(const TestOptions &options, Streams io);

// psc run [--interp] FILE --pcap IN.pcap [--write-passed OUT.pcap]:
// replays a capture through the policy, one verdict per packet, then the
// rule counters. By default in the kernel; without BPF that exits
// kExitEnvironment.
struct RunOptions {
  enum class Format { Text, Json } format = Format::Text;
  bool interp = false;      // run on the reference interpreter
  bool color = false;       // for diagnostics on stderr
  std::string path;         // the policy
  std::string pcap;         // the capture
  std::string write_passed; // if set: the packets that passed go here
  bool no_cache = false;    // --no-cache
  std::string cache_dir;    // --cache-dir (object_cache_choice.h)
};
int run_replay(const RunOptions &options, Streams io);

// psc load FILE --dev IFACE [--mode auto|native|generic] [--reset]: check,
// build, then put in force through the policy runtime (runtime/policy/):
// load (the verifier), fill the maps, carry dynamic sets, rate state and
// counters over from the policy in force, and attach or switch the
// interface's pinned XDP link in one step. Any failure before the switch
// leaves the policy in force untouched; its exit status is its kind's.
struct LoadOptions {
  std::string path;
  std::string dev;
  std::string netns; // empty: psc's own network namespace
  std::string mode = "auto";
  bool reset = false;
  bool color = false;    // for diagnostics on stderr
  bool no_cache = false; // --no-cache
  std::string cache_dir; // --cache-dir (object_cache_choice.h)
};
int run_load(const LoadOptions &options, Streams io);

// psc unload --dev IFACE: detaches the policy, then removes pins and state.
struct UnloadOptions {
  std::string dev;
  std::string netns;
};
int run_unload(const UnloadOptions &options, Streams io);

// psc status [--dev IFACE]: per target the policy, program and link ids,
// mode, per rule the packets/bytes (summed over CPUs, carried across
// swaps), shadow counts, ttls, the default and the dynamic sets.
struct StatusOptions {
  enum class Format { Text, Json } format = Format::Text;
  std::string dev; // empty: every interface with PacketScope pins or state
  std::string netns;
  bool all_namespaces = false;
};
int run_status(const StatusOptions &options, Streams io);

// psc set add|del|list --dev IFACE SET [VALUE] [--ttl D]: the dynamic sets
// of the loaded policy (expiry on CLOCK_MONOTONIC, as bpf_ktime_get_ns).
struct SetOptions {
  std::string action; // add, del, list
  std::string dev;
  std::string netns;
  std::string set;
  std::string value; // add/del: the value; list: a filter (optional)
  std::string ttl;   // empty: the set's own ttl
};
int run_set(const SetOptions &options, Streams io);

// psc grammar [--format gbnf|ebnf|antlr] [--generated] [--any-field]
// [-o FILE]: the PSL grammar for grammar-constrained decoding
// (compiler/grammar_export/grammar_export.h).
struct GrammarOptions {
  enum class Format { Gbnf, Ebnf, Antlr } format = Format::Gbnf;
  bool generated = false; // only const and rule declarations
  bool any_field = false; // FIELD as any dotted name, not psc's fields
  std::string output;     // empty: standard output
};
int run_grammar(const GrammarOptions &options, Streams io);

// psc suggest --pcap CAPTURE [--analyzer embedded|openai|ollama]
// [--llm-KEY VALUE ...] [--policy FILE] [--format text|json]: the capture
// summarized as psd would, an analyzer's proposals and the governor's
// verdicts, nothing loaded (runtime/suggest/suggest.h). Exit 0 when every
// proposal is accepted (or none is made), 1 when one is refused or the
// analyzer fails, 2 on a usage error (a missing --llm-url too), 3 without
// BPF.
struct SuggestCommandOptions {
  enum class Format { Text, Json } format = Format::Text;
  std::string pcap;
  std::string analyzer = "embedded";
  std::string policy; // empty: the built-in policies/default.psl
  std::string window = "1s";
  std::string until; // empty: the whole capture
  // --llm-KEY VALUE as given (analyze/llm/settings.h keys).
  std::vector<std::pair<std::string, std::string>> llm;
  std::string key_file;
  bool verbose = false; // the LLM's messages (redacted) on stderr
};
int run_suggest(const SuggestCommandOptions &options, Streams io);

// The text of the SARIF tool.driver fields.
extern const char *const kVersion;
extern const char *const kInformationUri;

} // namespace psc
