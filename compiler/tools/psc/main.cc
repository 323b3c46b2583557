// psc: the PacketScope policy compiler's command line.
#include <algorithm>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <unistd.h>

#include "allocator/allocator.h"
#include "analyze/llm/flags.h"
#include "commands.h"
#include "diag/diagnostics.h"

namespace {

// Exit statuses (commands.h, docs/psc.md): each verb lists the ones it
// can give.
const char *const kExitStatuses = R"(
Exit status (the same numbers for every verb; each verb's --help lists
the ones it can give):
  0  done
  1  the input is refused: errors in a policy, failed tests, a file that
     would be reformatted, an input that cannot be read
  2  bad command line
  3  the machine cannot do it: no BPF support or privileges, an interface
     that does not exist, an output that cannot be written
  4  an internal error in psc (a bug: please report it with the input)
)";

const char *const kCheckExit = R"(
Exit status:
  0  no errors (warnings allowed, unless --werror)
  1  errors found (warnings too with --werror), or an input could not be
     read
  2  bad command line
  4  an internal error in psc (a bug: please report it with the input)
)";

const char *const kFmtExit = R"(
Exit status:
  0  done; with --check, every file is in the canonical layout
  1  a file would be reformatted (--check), has syntax errors, or could
     not be read
  2  bad command line
  3  a file could not be rewritten (-w)
  4  an internal error in psc (a bug: please report it with the input)
)";

const char *const kBuildExit = R"(
Exit status:
  0  the object and its .maps.json were written
  1  the policy does not check, could not be read, or exceeds a limit of
     the lowering; or the --cache-dir directory is not the user's own or
     others can write it
  2  bad command line
  3  an output could not be written, or the --cache-dir directory cannot
     be created
  4  an internal error in psc (generated C that does not compile: a bug,
     please report it with the input)
)";

const char *const kMainFooter = R"(
Examples:
  psc check policies/                 check every .psl file under policies/
  psc check --format sarif . > psc.sarif
  psc fmt -w policies/edge_allowlist.psl        rewrite a file in the canonical layout
  psc fmt --check policies/           list files whose layout differs

Run 'psc VERB --help' for the options of a verb.
)";

const char *const kCheckFooter = R"(
Each PATH is a file, a directory (every *.psl file below it, in sorted
order, skipping hidden directories) or '-' for standard input (shown as
<stdin>).

Text output, one diagnostic per block:
  edge.psl:7:18: error[E0202]: unknown field 'tcp.dprot'
    rule ssh: tcp.dprot == 22 => drop
              ^~~~~~~~~
  edge.psl:7:18: note: did you mean 'tcp.dport'?
A summary ("2 errors, 1 warning in 3 files") goes to standard error.

Examples:
  psc check edge.psl
  psc check --werror policies/
  psc check --format json policies/ | jq '.[] | .code'
  psc check --format sarif --color never . > psc.sarif
  cat generated.psl | psc check --generated -
)";

const char *const kFmtFooter = R"(
Without -w or --check, prints the formatted file (or standard input, '-')
to standard output. A file with syntax errors is left alone and its
diagnostics go to standard error.

Examples:
  psc fmt edge.psl                    print the canonical layout
  psc fmt -w policies/                rewrite every .psl file under policies/
  psc fmt --check policies/           list files that would change (CI)
  psc fmt - < edge.psl
)";

const char *const kTestFooter = R"(
Checks each policy, then runs its test blocks:
  packet { FIELD = VALUE, ... } [x N [within D]] => pass|drop [OP COUNT]
Each packet line becomes a real Ethernet frame, decoded by the same parser
the kernel uses. Fields not given get defaults: IPv4 192.0.2.1 ->
192.0.2.2 (IPv6 2001:db8::1 -> 2001:db8::2), TTL 64, TCP 40000 -> 80 with
no flags, UDP 40000 -> 53; a packet with no transport field and no
ip.proto is IP protocol 253, which no TCP, UDP or ICMP rule matches.

Timing model:
  - every test block starts with empty rate buckets and dynamic sets, at
    the same start time;
  - lines run in order; 'x N within D' sends N copies at t + i*D/N
    (i = 0..N-1), t being the line's start, and the next line starts at
    t + D; 'x N' without 'within' sends the N copies (and the next line
    starts) at the same instant t;
  - without a count every copy must get the verdict; '=> drop >= 850'
    counts the copies that were dropped and compares.

Output: one line per failing packet line (FILE:LINE:COL: test "NAME":
expected vs got, with the rules that decided), then "N passed, M failed"
counting test blocks. A policy that does not check prints its diagnostics
and counts each of its test blocks as failed.

By default each policy is compiled and its test packets run through the
compiled program in the kernel (BPF_PROG_TEST_RUN, the clock injected per
packet; fresh maps for every test block). That needs root (or CAP_BPF and
CAP_NET_ADMIN); without it psc test says what is missing and exits 3.
--interp runs the tests on the reference interpreter instead.

Examples:
  psc test policies/
  psc test --interp --format json policies/ssh_guard.psl

Exit status:
  0  every test passed
  1  a test failed, a policy does not check or could not be read, a path
     holds no policy, or the kernel's verifier refused a policy
  2  bad command line
  3  kernel mode without BPF (not root, no BPF_PROG_TEST_RUN), or a
     kernel operation failed
  4  an internal error in psc (a bug: please report it with the input)
)";

psc::ColorMode color_mode(const std::string &name) {
  if (name == "always")
    return psc::ColorMode::Always;
  if (name == "never")
    return psc::ColorMode::Never;
  return psc::ColorMode::Auto;
}

psc::CheckOptions::Format output_format(const std::string &name) {
  if (name == "json")
    return psc::CheckOptions::Format::Json;
  if (name == "sarif")
    return psc::CheckOptions::Format::Sarif;
  return psc::CheckOptions::Format::Text;
}

// A choice among words, shown as "--color auto|always|never".
CLI::Option *choice(CLI::App *app, const std::string &flag, std::string &value,
                    const std::vector<std::string> &words,
                    const std::string &help) {
  std::string shown;
  for (const std::string &w : words)
    shown += (shown.empty() ? "" : "|") + w;
  return app->add_option(flag, value, help)
      ->check(CLI::IsMember(words).description(""))
      ->type_name(shown);
}

// --no-cache and --cache-dir, for the verbs that compile
// (object_cache_choice.h).
void add_cache_options(CLI::App *app, bool &off, std::string &dir) {
  CLI::Option *no = app->add_flag(
      "--no-cache", off,
      "Compile with Clang even when the object cache holds the object");
  app->add_option("--cache-dir", dir,
                  "The object cache (default: PSC_CACHE_DIR, 'off' for\n"
                  "none, else $XDG_CACHE_HOME/psc or ~/.cache/psc)")
      ->excludes(no)
      ->type_name("DIR");
}

int run(int argc, char **argv) {
  CLI::App app{"psc: the PacketScope policy compiler", "psc"};
  app.set_version_flag("--version", std::string("psc ") + psc::kVersion,
                       "Print the version and exit");
  app.require_subcommand(1);
  app.footer(std::string(kMainFooter) + kExitStatuses);
  app.get_formatter()->column_width(36);

  psc::CheckOptions check;
  CLI::App *check_cmd = app.add_subcommand(
      "check", "Parse and check policies; report diagnostics");
  std::string format = "text";
  choice(check_cmd, "--format", format, {"text", "json", "sarif"},
         "Output format (default text; sarif is SARIF 2.1.0)");
  check_cmd->add_flag("--werror", check.werror,
                      "Exit 1 on warnings too (still shown as warnings)");
  check_cmd->add_flag("--generated", check.generated,
                      "Rules for generated policies: a drop of protected\n"
                      "traffic is an error (E0401), drops need a ttl (E0402)");
  std::string check_color = "auto";
  choice(check_cmd, "--color", check_color, {"auto", "always", "never"},
         "Colour text output (auto: when stdout is a terminal)");
  check_cmd
      ->add_option("PATH", check.paths,
                   "Files, directories or '-' (standard input)")
      ->required();
  check_cmd->footer(std::string(kCheckFooter) + kCheckExit);

  psc::FmtOptions fmt;
  CLI::App *fmt_cmd =
      app.add_subcommand("fmt", "Print policies in the canonical layout");
  CLI::Option *check_flag = fmt_cmd->add_flag(
      "--check", fmt.check, "List files whose layout differs; exit 1 if any");
  CLI::Option *write_flag = fmt_cmd->add_flag(
      "-w,--write", fmt.write,
      "Rewrite files in place (atomically, keeping the mode)");
  check_flag->excludes(write_flag);
  std::string fmt_color = "auto";
  choice(fmt_cmd, "--color", fmt_color, {"auto", "always", "never"},
         "Colour diagnostics on stderr (auto: when a terminal)");
  fmt_cmd
      ->add_option("FILE", fmt.paths,
                   "Files, directories (with -w or --check) or '-'")
      ->required();
  fmt_cmd->footer(std::string(kFmtFooter) + kFmtExit);

  psc::BuildOptions build;
  CLI::App *build_cmd = app.add_subcommand(
      "build", "Compile a policy to a BPF object (+ OUT.o.maps.json)");
  build_cmd->add_option("FILE", build.path, "The policy (.psl) or '-'")
      ->required();
  build_cmd->add_option("-o,--output", build.output, "The BPF ELF to write")
      ->required();
  build_cmd->add_option("--emit-c", build.emit_c,
                        "Also write the generated C here");
  build_cmd->add_flag("-v,--verbose", build.verbose,
                      "Print the classifier (the cost model's choices, "
                      "trees, groups, code rules) and timings");
  choice(build_cmd, "--lowering", build.lowering, {"auto", "maps", "code"},
         "How rules become code: auto (the cost model's cheapest per part "
         "of the policy), maps (lookups wherever a rule fits one), code "
         "(straight-line tests and decision trees within the budgets)");
  choice(build_cmd, "--parser", build.parser, {"prebuilt", "inline"},
         "The packet parser: prebuilt (the default: a call to the parser "
         "compiled with psc, every layer decoded, as psc load and psd "
         "run it), inline (compiled into the program and cut to the "
         "layers the rules read: no call per packet while the XDP "
         "observation is off, 25-65 ms more to compile)");
  build_cmd
      ->add_option("--opt-level", build.opt_level,
                   "Clang's optimisation level for the policy: 2 (the "
                   "default) or 1 (10-17% less compile time, packets 0-6% "
                   "slower; the verifier refuses some large policies at "
                   "1: docs/performance.md)")
      ->check(CLI::IsMember({1, 2}));
  add_cache_options(build_cmd, build.no_cache, build.cache_dir);
  std::string build_color = "auto";
  choice(build_cmd, "--color", build_color, {"auto", "always", "never"},
         "Colour diagnostics on stderr (auto: when a terminal)");
  build_cmd->footer(std::string(R"(
Writes OUT (the ELF, atomically) and OUT.maps.json: the rule table and the
map contents (lookup-group entries, literal sets) the loader writes into
the maps after load. --emit-c writes the generated C; its header names the
policy, the clang command that compiles it on its own and the cost model's
estimates and choice for each part of the policy (docs/cost-model.md).

The object cache: a policy whose generated C, options and compiler are
those of an earlier build takes the object stored then instead of running
Clang (-v says which). Every check runs as without it. The directory must
be the user's own and not writable by others; entries are checked against
their SHA-256 (docs/psc.md, "The object cache").
)") + kBuildExit);

  psc::TestOptions test;
  CLI::App *test_cmd =
      app.add_subcommand("test", "Run the test blocks of policies");
  test_cmd->add_flag("--interp", test.interp,
                     "Run on the reference interpreter instead of the kernel");
  std::string test_format = "text";
  choice(test_cmd, "--format", test_format, {"text", "json"},
         "Output format (default text)");
  test_cmd->add_flag("-v,--verbose", test.verbose,
                     "Also list the tests that passed");
  add_cache_options(test_cmd, test.no_cache, test.cache_dir);
  std::string test_color = "auto";
  choice(test_cmd, "--color", test_color, {"auto", "always", "never"},
         "Colour diagnostics (auto: when stdout is a terminal)");
  test_cmd
      ->add_option("PATH", test.paths,
                   "Files, directories or '-' (standard input)")
      ->required();
  test_cmd->footer(kTestFooter);

  psc::RunOptions replay;
  CLI::App *run_cmd =
      app.add_subcommand("run", "Replay a packet capture through a policy");
  run_cmd->add_flag("--interp", replay.interp,
                    "Run on the reference interpreter instead of the kernel");
  run_cmd->add_option("FILE", replay.path, "The policy (.psl) or '-'")
      ->required();
  run_cmd->add_option("--pcap", replay.pcap, "The capture (pcap or pcapng)")
      ->required();
  run_cmd->add_option("--write-passed", replay.write_passed,
                      "Write the packets that passed to this capture (same "
                      "link type)");
  std::string run_format = "text";
  choice(run_cmd, "--format", run_format, {"text", "json"},
         "Output format (default text; json: one object per line)");
  add_cache_options(run_cmd, replay.no_cache, replay.cache_dir);
  std::string run_color = "auto";
  choice(run_cmd, "--color", run_color, {"auto", "always", "never"},
         "Colour diagnostics on stderr (auto: when a terminal)");
  run_cmd->footer(R"(
Decodes every frame of the capture with the kernel's parser and evaluates
the policy on it, with the capture timestamps as the clock (rate buckets,
dynamic-set expiry; dynamic sets start empty). Ethernet captures are used
as they are; Linux cooked captures (tcpdump -i any) get an Ethernet header
with the captured source address and protocol. By default the compiled
program runs in the kernel (BPF_PROG_TEST_RUN; needs root, or CAP_BPF and
CAP_NET_ADMIN, else exit 3); --interp uses the reference interpreter. On
the interpreter pkt.len is the length on the wire; the kernel sees the
bytes the capture kept. --write-passed OUT.pcap copies the records that
got `pass` (original bytes, the input's link type) to OUT.pcap.

Text output: "INDEX VERDICT RULE" per packet (INDEX from 1, as Wireshark
numbers frames; RULE the deciding rule or "default"), then the packets and
bytes each rule matched. JSON output: one object per line,
  {"index":1,"verdict":"drop","rule":"syn_per_source"}
then {"summary":{"packets":N,"pass":P,"drop":D,"rules":[...]}}.

Examples:
  psc run policies/syn_flood.psl --pcap capture.pcap
  psc run policies/syn_flood.psl --pcap in.pcap --write-passed clean.pcap
  psc run --interp policies/syn_flood.psl --pcap capture.pcap

Exit status:
  0  the capture was replayed
  1  the policy does not check, the capture cannot be read, or the
     kernel's verifier refused the policy
  2  bad command line
  3  kernel mode without BPF (not root, no BPF_PROG_TEST_RUN), a kernel
     operation failed, or the passed packets cannot be written
  4  an internal error in psc (a bug: please report it with the input)
)");

  psc::LoadOptions load;
  CLI::App *load_cmd = app.add_subcommand(
      "load", "Compile a policy and put it in force on an interface (XDP)");
  load_cmd->add_option("FILE", load.path, "The policy (.psl) or '-'")
      ->required();
  load_cmd->add_option("--dev", load.dev, "The network interface")->required();
  load_cmd->add_option("--netns", load.netns,
                       "The interface's network namespace: a name (ip netns),\n"
                       "a path (/proc/PID/ns/net) or net-INODE (default:\n"
                       "psc's own)");
  choice(load_cmd, "--mode", load.mode, {"auto", "native", "generic"},
         "XDP mode of a new attachment (default auto: native, else\n"
         "generic); a swap keeps the mode in force");
  load_cmd->add_flag("--reset", load.reset,
                     "Start clean: empty dynamic sets, full rate buckets,\n"
                     "counters and rule ttls from zero");
  add_cache_options(load_cmd, load.no_cache, load.cache_dir);
  std::string load_color = "auto";
  choice(load_cmd, "--color", load_color, {"auto", "always", "never"},
         "Colour diagnostics on stderr (auto: when a terminal)");
  load_cmd->footer(std::string(R"(
Checks, compiles and loads the policy (the kernel's verifier), writes its
map contents, then attaches it, or switches the interface's pinned XDP link
to it in one step: traffic is never without a policy. If anything fails
before that switch, the policy in force stays as it was and nothing is left
behind. Needs root (CAP_BPF, CAP_NET_ADMIN).

A swap keeps state: dynamic sets and rate() buckets whose name and layout
are unchanged carry over (a set's entries survive an edit of the policy),
and counters carry over by rule name; the lines after "loaded" say what
carried and what starts afresh, and why. --reset starts clean instead.
A swap keeps the XDP mode; asking for another mode is refused (it needs an
unload, which leaves the interface without a policy).

One change at a time per interface: a second load while one is running is
refused (exit 3), with the process id of the one in progress.

Rule ttls (`drop ttl 10m`) are enforced by psd; psc load warns when psd is
not running in the namespace.

State, per network namespace and interface (docs/psc.md):
  pins   /sys/fs/bpf/packetscope/net-INODE/IFACE/   (PSC_PIN_ROOT)
  state  /run/packetscope/net-INODE/IFACE/          (PSC_STATE_DIR)

Examples:
  psc load policies/edge_allowlist.psl --dev eth0
  psc load policies/edge_allowlist.psl --dev eth0 --mode generic
  psc load edge.psl --dev eth0 --reset
  psc load edge.psl --netns blue --dev veth0

Exit status:
  0  the policy is in force
  1  the policy is refused, nothing changed: it does not check, cannot be
     read, exceeds a limit of the lowering or is refused by the kernel's
     verifier; or the swap is: another XDP mode asked with --mode, a
     dynamic set whose new capacity is below its live entries; or the
     --cache-dir directory is not the user's own or others can write it
  2  bad command line
  3  the machine cannot do it, nothing changed: no BPF support or
     privileges, an interface or network namespace that does not exist,
     another load in progress on the interface, a failed system call
  4  an internal error in psc (a bug: please report it with the input)
)"));

  psc::UnloadOptions unload;
  CLI::App *unload_cmd =
      app.add_subcommand("unload", "Detach the policy from an interface");
  unload_cmd->add_option("--dev", unload.dev, "The network interface")
      ->required();
  unload_cmd->add_option("--netns", unload.netns,
                         "The interface's network namespace (as for load;\n"
                         "net-INODE of a namespace that is gone removes\n"
                         "what it left)");
  unload_cmd->footer(R"(
Detaches the policy from the interface, then removes its pins and state
(only once the detach worked). A policy on an interface of the same name
in another network namespace is a different one. What a policy left on an
interface or in a namespace that is gone is removed too.

Examples:
  psc unload --dev eth0
  psc unload --netns net-4026532329 --dev veth0

Exit status:
  0  the policy is detached, its pins and state removed
  1  there is no PacketScope policy on the interface in this network
     namespace
  2  bad command line
  3  the machine cannot do it: no BPF support or privileges, an interface
     or network namespace that does not exist (and has nothing left to
     remove), another change of the interface that does not end within 5
     seconds, a failed detach (then everything is left as it was)
  4  an internal error in psc (a bug: please report it with the input)
)");

  psc::StatusOptions status;
  CLI::App *status_cmd = app.add_subcommand(
      "status", "Show loaded policies and their per-rule counters");
  status_cmd->add_option(
      "--dev", status.dev,
      "Only this interface (default: every one with a policy)");
  CLI::Option *status_netns = status_cmd->add_option(
      "--netns", status.netns,
      "The network namespace (as for load; default: psc's own)");
  status_cmd
      ->add_flag("--all-namespaces", status.all_namespaces,
                 "Every network namespace with a policy, also ones that\n"
                 "are gone (with --dev: that interface in each)")
      ->excludes(status_netns);
  std::string status_format = "text";
  choice(status_cmd, "--format", status_format, {"text", "json"},
         "Output format (default text)");
  status_cmd->footer(R"(
For each interface with a PacketScope policy in the network namespace: the
namespace (net-INODE, the inode lsns shows), the policy and the file it
came from, its program and link ids, the XDP mode, when it was loaded, and
per rule the packets and bytes it decided (summed over CPUs, carried over
swaps by rule name), the shadow counts, ttls and when they run out, the
default's count, and the live and expired entries of each dynamic set.

Examples:
  psc status
  psc status --dev eth0 --format json
  psc status --all-namespaces

Exit status:
  0  shown (also when no policy is loaded)
  2  bad command line
  3  the machine cannot do it: no BPF support or privileges, an interface
     named with --dev or a network namespace that does not exist (what a
     policy on it left is still shown), a kernel object that cannot be
     read
  4  an internal error in psc (a bug: please report it with the input)
)");

  psc::SetOptions set;
  CLI::App *set_cmd = app.add_subcommand(
      "set", "Add, delete or list entries of a loaded policy's dynamic set");
  set_cmd->add_option("ACTION", set.action, "add, del or list")
      ->required()
      ->check(CLI::IsMember({"add", "del", "list"}).description(""))
      ->type_name("add|del|list");
  set_cmd->add_option("SET", set.set, "The dynamic set's name")->required();
  set_cmd->add_option("VALUE", set.value,
                      "The value (add, del); for list, only entries equal\n"
                      "to it (or, for ip sets, inside a prefix)");
  set_cmd->add_option("--dev", set.dev, "The network interface")->required();
  set_cmd->add_option("--netns", set.netns,
                      "The interface's network namespace (as for load)");
  set_cmd->add_option("--ttl", set.ttl,
                      "Expiry of an added entry, a PSL duration: 500ms 30s\n"
                      "10m 1h, or never (default: the set's ttl, if any)");
  set_cmd->footer(R"(
Values are written as in a policy: addresses (198.51.100.7, 2001:db8::1),
ports and integers in decimal or 0x hex (010 is ten), protocols by name
(tcp, udp, icmp, ...) or number, MAC addresses as aa:bb:cc:dd:ee:ff.
'list' prints the live entries, with the time left for those that expire.

A set whose capacity is reached first drops its expired entries, then
adds. psd removes expired entries every second; without it they stay in
the map (never matching) until an add needs the room.

Examples:
  psc set add --dev eth0 banned 198.51.100.7 --ttl 10m
  psc set del --dev eth0 banned 198.51.100.7
  psc set list --dev eth0 banned
  psc set list --dev eth0 banned 198.51.100.0/24

Exit status:
  0  done
  1  refused: no policy on the interface, no such set, a value or --ttl
     the set refuses, a set full of live entries, a value 'del' does not
     find
  2  bad command line
  3  the machine cannot do it: no BPF support or privileges, an interface
     or network namespace that does not exist, a load that holds the
     interface for more than 5 seconds, a failed system call
  4  an internal error in psc (a bug: please report it with the input)
)");

  psc::GrammarOptions grammar;
  CLI::App *grammar_cmd = app.add_subcommand(
      "grammar", "Print the PSL grammar for grammar-constrained decoding");
  std::string grammar_format = "gbnf";
  choice(grammar_cmd, "--format", grammar_format, {"gbnf", "ebnf", "antlr"},
         "gbnf (llama.cpp), ebnf (vLLM/xgrammar) or antlr (the .g4)");
  grammar_cmd->add_flag("--generated", grammar.generated,
                        "Only const and rule declarations (what an LLM or\n"
                        "the detector may propose)");
  grammar_cmd->add_flag("--any-field", grammar.any_field,
                        "Accept any dotted name as a field, not only the\n"
                        "fields psc knows");
  grammar_cmd->add_option("-o,--output", grammar.output,
                          "Write to this file instead of standard output");
  grammar_cmd->footer(std::string(R"(
Derived from grammar/Policy.g4 as psc was built with it, so it never
drifts from the parser. gbnf and ebnf are character-level grammars: every
sentence they accept is a policy that psc parses without a syntax error
(one policy with a name, rate(FIELD, ..., burst N) and proto(N) as the only
calls, keywords never used as names, whitespace where the lexer needs it);
values are still checked by psc check --generated. Comments are not part
of the exported language.

Examples:
  psc grammar --format gbnf --generated > psl.gbnf      llama.cpp "grammar"
  psc grammar --format ebnf --generated > psl.ebnf      vLLM structured_outputs
  psc grammar --format antlr                            grammar/Policy.g4
)") + kExitStatuses);

  psc::SuggestCommandOptions suggest;
  CLI::App *suggest_cmd = app.add_subcommand(
      "suggest", "Ask an analyzer about a capture; print what it proposes "
                 "and the governor's verdict");
  suggest_cmd
      ->add_option("--pcap", suggest.pcap, "The capture (pcap or pcapng)")
      ->required();
  choice(suggest_cmd, "--analyzer", suggest.analyzer,
         {"embedded", "openai", "ollama"},
         "embedded (the detector, offline; default), openai\n"
         "(chat completions at --llm-url, ending in /v1) or\n"
         "ollama (/api/chat at --llm-url)");
  suggest_cmd->add_option(
      "--policy", suggest.policy,
      "The operator policy (default: policies/default.psl,\n"
      "built in)");
  suggest_cmd->add_option("--window", suggest.window,
                          "Summary window length (default 1s)");
  suggest_cmd->add_option("--until", suggest.until,
                          "Read only this much of the capture, from its\n"
                          "first frame (default: all of it)");
  std::string suggest_format = "text";
  choice(suggest_cmd, "--format", suggest_format, {"text", "json"},
         "Output format (default text)");
  // One flag per LLM setting, spelled as psd's (analyze/llm/flags.h);
  // the provider is --analyzer's.
  psr::analyze::llm::LlmFlags llm_flags(*suggest_cmd);
  suggest_cmd->add_flag("-v,--verbose", suggest.verbose,
                        "Print the messages sent to the model (key redacted)\n"
                        "on stderr");
  suggest_cmd->footer(R"(
Replays the capture through the operator policy in the kernel with the
XDP observation on (BPF_PROG_TEST_RUN, the clock set to each frame's
capture time) and summarizes it in windows, as psd does. Then:
  --analyzer embedded   every window through the embedded detector
  --analyzer openai     the windows as the LLM analyzer's context
  --analyzer ollama     (prompt, answer, check, up to 2 repair rounds)
Each proposal goes to the governor, which reviews it against the operator
policy as psd would (checks, protect, shape, composition built). Nothing
is loaded. An LLM that fails is reported as a failure: there is no
fallback to the detector here.

Output: each proposal with its PSL (or set values), the analysis, the
evidence it cites, the checker's rounds and the governor's verdict, then
the outcome. --format json: one object (docs/llm.md, "psc suggest").
Needs root (or CAP_BPF and CAP_NET_ADMIN) for the replay; the summaries
show the XDP side only (no stack drops, TCP states or ICMP errors).

Examples:
  psc suggest --pcap flood.pcap
  psc suggest --pcap flood.pcap --policy /etc/psd/policy.psl --format json
  PSC_LLM_API_KEY=sk-... psc suggest --pcap scan.pcap --analyzer openai \
      --llm-url https://api.openai.com/v1 --llm-model gpt-4o-mini
  psc suggest --pcap scan.pcap --analyzer ollama \
      --llm-url http://127.0.0.1:11434 --llm-model llama3.1:8b

Exit status:
  0  the analyzer's proposals were all accepted by the governor (printed
     with what would go in force), or it proposes no change
  1  a proposal was refused (by the analyzer's checks or the governor),
     the analyzer failed (no usable answer), the operator policy does not
     check, or the capture cannot be read
  2  bad command line: an unknown analyzer or setting value, --llm-url or
     --llm-model missing for an LLM, --llm-* with the embedded detector, a
     key file that is not 0600
  3  no BPF (not root, no BPF_PROG_TEST_RUN): the capture cannot be
     replayed
  4  an internal error in psc (a bug: please report it with the input)
)");

  // An unknown verb: say so, with the nearest one, instead of CLI11's
  // "The following arguments were not expected".
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> verbs;
    for (const CLI::App *sub : app.get_subcommands({}))
      verbs.push_back(sub->get_name());
    if (std::find(verbs.begin(), verbs.end(), argv[1]) == verbs.end()) {
      std::cerr << "psc: unknown verb '" << argv[1] << "'";
      std::string near = psl::closest_match(argv[1], verbs);
      if (!near.empty())
        std::cerr << "; did you mean '" << near << "'?";
      std::cerr << "\nRun 'psc --help' for the verbs.\n";
      return psc::kExitUsage;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    int code = app.exit(e);
    return code == 0 ? psc::kExitOk : psc::kExitUsage;
  }

  psc::Streams io{std::cin, std::cout, std::cerr};
  if (check_cmd->parsed()) {
    check.format = output_format(format);
    check.color = psc::use_color(color_mode(check_color), STDOUT_FILENO);
    return psc::run_check(check, io);
  }
  if (build_cmd->parsed()) {
    build.color = psc::use_color(color_mode(build_color), STDERR_FILENO);
    return psc::run_build(build, io);
  }
  if (run_cmd->parsed()) {
    replay.format = run_format == "json" ? psc::RunOptions::Format::Json
                                         : psc::RunOptions::Format::Text;
    replay.color = psc::use_color(color_mode(run_color), STDERR_FILENO);
    return psc::run_replay(replay, io);
  }
  if (test_cmd->parsed()) {
    test.format = test_format == "json" ? psc::TestOptions::Format::Json
                                        : psc::TestOptions::Format::Text;
    test.color = psc::use_color(color_mode(test_color), STDOUT_FILENO);
    return psc::run_test(test, io);
  }
  if (grammar_cmd->parsed()) {
    grammar.format =
        grammar_format == "ebnf"    ? psc::GrammarOptions::Format::Ebnf
        : grammar_format == "antlr" ? psc::GrammarOptions::Format::Antlr
                                    : psc::GrammarOptions::Format::Gbnf;
    return psc::run_grammar(grammar, io);
  }
  if (fmt_cmd->parsed()) {
    fmt.color = psc::use_color(color_mode(fmt_color), STDERR_FILENO);
    return psc::run_fmt(fmt, io);
  }
  if (load_cmd->parsed()) {
    load.color = psc::use_color(color_mode(load_color), STDERR_FILENO);
    return psc::run_load(load, io);
  }
  if (unload_cmd->parsed())
    return psc::run_unload(unload, io);
  if (status_cmd->parsed()) {
    status.format = status_format == "json" ? psc::StatusOptions::Format::Json
                                            : psc::StatusOptions::Format::Text;
    return psc::run_status(status, io);
  }
  if (set_cmd->parsed())
    return psc::run_set(set, io);
  if (suggest_cmd->parsed()) {
    suggest.format = suggest_format == "json"
                         ? psc::SuggestCommandOptions::Format::Json
                         : psc::SuggestCommandOptions::Format::Text;
    suggest.llm = llm_flags.given();
    suggest.key_file = llm_flags.key_file();
    return psc::run_suggest(suggest, io);
  }
  std::cerr << app.help();
  return psc::kExitUsage;
}

} // namespace

int main(int argc, char **argv) {
  psl::allocator::configure();
  std::ios::sync_with_stdio(false);
  try {
    return run(argc, argv);
  } catch (const std::exception &e) {
    // psl::InternalError and anything else: a bug in psc, never the
    // user's input.
    std::cout.flush();
    std::cerr << "psc: internal error: " << e.what() << "\n";
  } catch (...) {
    std::cout.flush();
    std::cerr << "psc: internal error: unknown exception\n";
  }
  return psc::kExitInternal;
}
