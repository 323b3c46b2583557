// The psc binary as users and CI run it: exit statuses, standard input,
// directories, unreadable and binary inputs, output formats, and fmt
// (--check, -w atomicity, refusing files with syntax errors).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "psc_dir_test.h"

using namespace std::string_literals;

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using psc_test::quote;
using psc_test::read_file;
using psc_test::Result;
using psc_test::write_file;

class PscTest : public psc_test::PscDirTest {};

const char *const kClean = "policy p {\n"
                           "  rule ssh: tcp.dport == 22 => drop\n"
                           "  default pass\n"
                           "}\n";
// An unknown field: an error from name resolution.
const char *const kBad = "policy p {\n"
                         "  rule ssh: tcp.dprot == 22 => drop\n"
                         "}\n";
const char *const kSyntaxError = "policy p {\n"
                                 "  rule ssh tcp.dport == 22 => drop\n"
                                 "}\n";
// The second rule can never decide: a lint warning and nothing else.
const char *const kWarning = "policy p {\n"
                             "  rule a: tcp.dport == 22 => drop\n"
                             "  rule b: tcp.dport == 22 => pass\n"
                             "}\n";
const char *const kMessy = "policy   p{\n"
                           "rule ssh:tcp.dport==22=>drop   # no ssh\n"
                           "\n\n\n"
                           "    default pass\n"
                           "}\n";
const char *const kMessyFormatted =
    "policy p {\n"
    "  rule ssh: tcp.dport == 22 => drop  # no ssh\n"
    "\n"
    "  default pass\n"
    "}\n";

// ------------------------------------------------------------ command line

TEST_F(PscTest, Version) {
  Result r = psc("--version");
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(
      std::regex_match(r.out, std::regex("psc [0-9]+\\.[0-9]+\\.[0-9]+\n")))
      << r.out;
}

TEST_F(PscTest, HelpExplainsVerbsOptionsAndExitStatuses) {
  Result top = psc("--help");
  EXPECT_EQ(top.status, 0);
  for (const char *s : {"check", "fmt", "Exit status", "Examples"})
    EXPECT_NE(top.out.find(s), std::string::npos) << s << "\n" << top.out;

  Result check = psc("check --help");
  EXPECT_EQ(check.status, 0);
  for (const char *s : {"--format", "--werror", "--generated", "--color",
                        "sarif", "<stdin>", "Examples", "Exit status", "  2  "})
    EXPECT_NE(check.out.find(s), std::string::npos) << s << "\n" << check.out;

  Result fmt = psc("fmt --help");
  EXPECT_EQ(fmt.status, 0);
  for (const char *s : {"--check", "-w", "Examples", "Exit status"})
    EXPECT_NE(fmt.out.find(s), std::string::npos) << s << "\n" << fmt.out;
}

TEST_F(PscTest, UsageErrorsExitTwo) {
  write("a.psl", kClean);
  write("b.psl", kClean);
  for (const char *args :
       {"", "bogus", "check", "check --format xml a.psl",
        "check --color sometimes a.psl", "check --frobnicate a.psl", "fmt",
        "fmt --check -w a.psl", "fmt a.psl b.psl", "fmt -w -"}) {
    Result r = psc(args);
    EXPECT_EQ(r.status, 2) << "psc " << args << "\n" << r.out << r.err;
    EXPECT_FALSE(r.err.empty()) << "psc " << args;
  }
}

// The verbs on an interface refuse a bad command line before they touch
// anything (their other statuses need a kernel: tests/e2e/
// verb_exit_status_test.cc).
TEST_F(PscTest, InterfaceVerbUsageErrorsExitTwo) {
  write("a.psl", kClean);
  struct Case {
    const char *args, *says;
  };
  for (const Case &c : {
           Case{"load a.psl", "--dev is required"},
           Case{"load a.psl --dev eth0 --mode fast", "--mode"},
           Case{"load a.psl --dev a/b", "'a/b' is not an interface name"},
           Case{"load a.psl --dev interface-name-too-long",
                "is not an interface name"},
           Case{"unload", "--dev is required"},
           Case{"unload --dev a/b", "'a/b' is not an interface name"},
           Case{"status --format xml", "--format"},
           Case{"status --dev a/b", "'a/b' is not an interface name"},
           Case{"status --netns blue --all-namespaces", "excludes"},
           Case{"set add banned 10.0.0.1", "--dev is required"},
           Case{"set frob banned --dev eth0", "ACTION"},
           Case{"set add banned --dev eth0", "a VALUE is required"},
           Case{"set del banned --dev eth0", "a VALUE is required"},
           Case{"set del banned 10.0.0.1 --dev eth0 --ttl 1h",
                "--ttl applies to 'add' only"},
           Case{"set list banned --dev eth0 --ttl 1h",
                "--ttl applies to 'add' only"},
           Case{"set add banned 10.0.0.1 --dev a/b",
                "'a/b' is not an interface name"},
       }) {
    Result r = psc(c.args);
    EXPECT_EQ(r.status, 2) << "psc " << c.args << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << "psc " << c.args << "\n"
                                                     << r.err;
  }
}

TEST_F(PscTest, UnknownVerbSuggestsTheNearest) {
  Result r = psc("chek a.psl");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "psc: unknown verb 'chek'; did you mean 'check'?\n"
                   "Run 'psc --help' for the verbs.\n");
  Result far = psc("frobnicate");
  EXPECT_EQ(far.status, 2);
  EXPECT_EQ(far.err, "psc: unknown verb 'frobnicate'\n"
                     "Run 'psc --help' for the verbs.\n");
  EXPECT_EQ(psc("tset --interp a.psl").err.find("did you mean 'test'?") !=
                std::string::npos,
            true);
}

// Each verb's --help lists the exit statuses it can give, and no other.
TEST_F(PscTest, HelpListsTheExitStatusesOfTheVerb) {
  struct Case {
    const char *verb;
    std::vector<int> statuses;
  };
  for (const Case &c :
       {Case{"check", {0, 1, 2, 4}}, Case{"fmt", {0, 1, 2, 3, 4}},
        Case{"build", {0, 1, 2, 3, 4}}, Case{"test", {0, 1, 2, 3, 4}},
        Case{"run", {0, 1, 2, 3, 4}}, Case{"load", {0, 1, 2, 3, 4}},
        Case{"unload", {0, 1, 2, 3, 4}}, Case{"status", {0, 2, 3, 4}},
        Case{"set", {0, 1, 2, 3, 4}}}) {
    Result r = psc(std::string(c.verb) + " --help");
    ASSERT_EQ(r.status, 0) << c.verb;
    size_t at = r.out.find("Exit status:\n");
    ASSERT_NE(at, std::string::npos) << c.verb;
    std::string tail = r.out.substr(at);
    for (int s = 0; s <= 4; ++s) {
      bool listed =
          tail.find("\n  " + std::to_string(s) + "  ") != std::string::npos;
      bool expected = std::find(c.statuses.begin(), c.statuses.end(), s) !=
                      c.statuses.end();
      EXPECT_EQ(listed, expected) << c.verb << " status " << s << "\n" << tail;
    }
  }
}

TEST_F(PscTest, BuildExitStatuses) {
  write("a.psl", kClean);
  write("bad.psl", kBad);
  EXPECT_EQ(psc("build a.psl -o a.o").status, 0);
  EXPECT_EQ(psc("build bad.psl -o bad.o").status, 1);
  // An output that cannot be written: the environment's, 3.
  Result r = psc("build a.psl -o no/such/dir/a.o");
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_NE(r.err.find("cannot write 'no/such/dir/a.o'"), std::string::npos)
      << r.err;
}

// The C --emit-c writes names its policy and compiles with the command its
// header prints, run where the C was written.
TEST_F(PscTest, EmittedCCompilesWithTheCommandInItsHeader) {
  write("edge.psl", kClean);
  Result b = psc("build edge.psl -o edge.o --emit-c out.c");
  ASSERT_EQ(b.status, 0) << b.err;
  const std::string c = read_file(path("out.c"));
  EXPECT_EQ(
      c.rfind("/* Generated by psc from policy 'p' in edge.psl (out.c).", 0),
      0u)
      << c.substr(0, 300);
  const std::string marker = "it compiles with:\n *   ";
  size_t at = c.find(marker);
  ASSERT_NE(at, std::string::npos) << c.substr(0, 400);
  at += marker.size();
  const std::string command = c.substr(at, c.find('\n', at) - at);
  EXPECT_NE(command.find(" -c out.c -o out.standalone.o"), std::string::npos)
      << command;
  Result cc = shell(command);
  EXPECT_EQ(cc.status, 0) << command << "\n" << cc.err;
  EXPECT_TRUE(fs::exists(path("out.standalone.o")));
  // psc's own (linked) object is left alone.
  EXPECT_TRUE(fs::exists(path("edge.o")));
}

// ------------------------------------------------------------------- check

TEST_F(PscTest, CleanFileExitsZeroSilently) {
  write("clean.psl", kClean);
  Result r = psc("check clean.psl");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
}

TEST_F(PscTest, ErrorExitsOneWithTextAndSummary) {
  write("bad.psl", kBad);
  Result r = psc("check bad.psl");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(
      r.out.rfind("bad.psl:2:13: error[E0202]: unknown field 'tcp.dprot'\n"
                  "  rule ssh: tcp.dprot == 22 => drop\n"
                  "            ^~~~~~~~~\n",
                  0),
      0u)
      << r.out;
  EXPECT_EQ(r.err, "1 error in 1 file\n");
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos)
      << "no colour when stdout is a file";
}

TEST_F(PscTest, SyntaxErrorExitsOne) {
  write("syntax.psl", kSyntaxError);
  Result r = psc("check syntax.psl");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("syntax.psl:2:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("error[E01"), std::string::npos) << r.out;
}

TEST_F(PscTest, WarningsExitZeroUnlessWerror) {
  write("warn.psl", kWarning);
  Result r = psc("check warn.psl");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(": warning[W"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(": error["), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("warning"), std::string::npos) << r.err;

  Result w = psc("check --werror warn.psl");
  EXPECT_EQ(w.status, 1);
  EXPECT_EQ(w.out, r.out)
      << "--werror keeps warnings as warnings in the output";
}

TEST_F(PscTest, MissingFileIsE0001) {
  write("clean.psl", kClean);
  Result r = psc("check nope.psl clean.psl");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "nope.psl: error[E0001]: cannot read 'nope.psl': No such "
                   "file or directory\n");
  EXPECT_EQ(r.err, "1 error in 2 files\n");
}

TEST_F(PscTest, UnreadableFileIsE0001) {
  write("secret.psl", kClean);
  fs::permissions(path("secret.psl"), fs::perms::none);
  // Root reads any file, so as root run psc as an unprivileged user.
  Result r = ::geteuid() == 0
                 ? shell("setpriv --reuid=65534 --regid=65534 --clear-groups " +
                         quote(PSC_BINARY) + " check secret.psl")
                 : psc("check secret.psl");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "secret.psl: error[E0001]: cannot read 'secret.psl': "
                   "Permission denied\n");
}

TEST_F(PscTest, PathThroughAFileIsE0001) {
  write("clean.psl", kClean);
  Result r = psc("check clean.psl/x.psl");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "clean.psl/x.psl: error[E0001]: cannot read "
                   "'clean.psl/x.psl': Not a directory\n");
}

TEST_F(PscTest, DirectoryWithoutPolicyFilesIsE0001) {
  fs::create_directories(path("empty/sub"));
  write("empty/notes.txt", "not a policy");
  Result r = psc("check empty");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "empty: error[E0001]: cannot read 'empty': directory has no "
                   ".psl files\n");
}

TEST_F(PscTest, DirectoriesAreWalkedRecursivelyInSortedOrder) {
  write("pol/b.psl", kBad);
  write("pol/a.psl", kBad);
  write("pol/sub/c.psl", kBad);
  write("pol/sub/readme.txt", "x");
  write("pol/z.psl.orig", kBad);
  write("pol/.git/hidden.psl", kBad);
  Result r = psc("check --format json pol/");
  EXPECT_EQ(r.status, 1);
  json j = json::parse(r.out);
  std::vector<std::string> files;
  for (const json &d : j)
    if (files.empty() || files.back() != d["file"])
      files.push_back(d["file"]);
  EXPECT_EQ(files, (std::vector<std::string>{"pol/a.psl", "pol/b.psl",
                                             "pol/sub/c.psl"}));
  EXPECT_EQ(r.err, "3 errors in 3 files\n");
}

TEST_F(PscTest, StdinIsShownAsStdin) {
  Result r = psc("check -", kBad);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(
      r.out.rfind("<stdin>:2:13: error[E0202]: unknown field 'tcp.dprot'\n", 0),
      0u)
      << r.out;
  Result clean = psc("check -", kClean);
  EXPECT_EQ(clean.status, 0) << clean.out;
}

TEST_F(PscTest, BinaryInputIsE0002) {
  write("nul.psl", "policy p {\n  default\0pass\n}\n"s);
  Result r = psc("check nul.psl");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "nul.psl:2:10: error[E0002]: input contains a NUL byte\n"
                   "  default?pass\n"
                   "         ^\n");

  write("latin1.psl", "# caf\xe9\npolicy p {}\n");
  Result l = psc("check latin1.psl");
  EXPECT_EQ(l.status, 1);
  EXPECT_EQ(l.out.rfind("latin1.psl:1:6: error[E0002]: input is not valid "
                        "UTF-8 (byte 0xe9)\n",
                        0),
            0u)
      << l.out;

  Result in = psc("check -", "\x7f"
                             "ELF\0\0\0"s);
  EXPECT_EQ(in.status, 1);
  EXPECT_NE(in.out.find("<stdin>:1:5: error[E0002]"), std::string::npos)
      << in.out;
}

TEST_F(PscTest, JsonFormat) {
  write("bad.psl", kBad);
  write("clean.psl", kClean);
  Result r = psc("check --format json clean.psl bad.psl");
  EXPECT_EQ(r.status, 1);
  json j = json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_GE(j.size(), 1u);
  EXPECT_EQ(j[0]["file"], "bad.psl");
  EXPECT_EQ(j[0]["line"], 2);
  EXPECT_EQ(j[0]["column"], 13);
  EXPECT_EQ(j[0]["end_line"], 2);
  EXPECT_EQ(j[0]["end_column"], 22);
  EXPECT_EQ(j[0]["severity"], "error");
  EXPECT_EQ(j[0]["code"], "E0202");
  EXPECT_EQ(j[0]["message"], "unknown field 'tcp.dprot'");
  EXPECT_TRUE(j[0]["notes"].is_array());

  Result clean = psc("check --format json clean.psl");
  EXPECT_EQ(clean.status, 0);
  EXPECT_EQ(json::parse(clean.out), json::array());
}

TEST_F(PscTest, SarifFormat) {
  write("pol/bad.psl", kBad);
  Result r = psc("check --format sarif pol");
  EXPECT_EQ(r.status, 1);
  json log = json::parse(r.out);
  EXPECT_EQ(log["version"], "2.1.0");
  EXPECT_TRUE(log.contains("$schema"));
  const json &driver = log["runs"][0]["tool"]["driver"];
  EXPECT_EQ(driver["name"], "psc");
  // No home page is configured by default, and SARIF does not require one.
  EXPECT_EQ(driver.contains("informationUri"),
            std::string(PSC_INFORMATION_URI_DEFAULT) != "");
  EXPECT_TRUE(driver["version"].is_string());
  EXPECT_FALSE(driver["rules"].empty());
  const json &res = log["runs"][0]["results"][0];
  EXPECT_EQ(res["ruleId"], "E0202");
  EXPECT_EQ(driver["rules"][res["ruleIndex"].get<int>()]["id"], "E0202");
  EXPECT_EQ(res["level"], "error");
  const json &loc = res["locations"][0]["physicalLocation"];
  EXPECT_EQ(loc["artifactLocation"]["uri"], "pol/bad.psl");
  EXPECT_EQ(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
  EXPECT_EQ(loc["region"]["startLine"], 2);
  EXPECT_EQ(loc["region"]["startColumn"], 13);

  // An absolute path under the working directory is still relative.
  Result abs =
      psc("check --format sarif " + quote(path("pol/bad.psl").string()));
  json alog = json::parse(abs.out);
  EXPECT_EQ(alog["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
                ["artifactLocation"]["uri"],
            "pol/bad.psl");
}

TEST_F(PscTest, ColorOnlyWhenAsked) {
  write("bad.psl", kBad);
  EXPECT_NE(psc("check --color always bad.psl").out.find("\x1b["),
            std::string::npos);
  EXPECT_EQ(psc("check --color never bad.psl").out.find("\x1b["),
            std::string::npos);
  EXPECT_EQ(psc("check --color auto bad.psl").out.find("\x1b["),
            std::string::npos);
}

TEST_F(PscTest, AutoColorOnATerminal) {
  if (shell("command -v script").status != 0)
    GTEST_SKIP() << "script(1) is needed to give psc a terminal";
  write("bad.psl", kBad);
  // script(1) runs psc on a pseudo-terminal.
  auto on_tty = [&](const std::string &env) {
    return shell("script -qec " +
                 quote(env + " " + quote(PSC_BINARY) + " check bad.psl") +
                 " /dev/null");
  };
  Result tty = on_tty("env -u NO_COLOR TERM=xterm");
  EXPECT_EQ(tty.status, 1);
  EXPECT_NE(tty.out.find("\x1b[1;31merror[E0202]:"), std::string::npos)
      << tty.out;
  EXPECT_EQ(on_tty("env NO_COLOR=1 TERM=xterm").out.find("\x1b["),
            std::string::npos);
  EXPECT_EQ(on_tty("env -u NO_COLOR TERM=dumb").out.find("\x1b["),
            std::string::npos);
  EXPECT_EQ(on_tty("env -u NO_COLOR TERM=xterm").out.find("\x1b["),
            tty.out.find("\x1b["));
  Result never = shell(
      "script -qec " +
      quote(quote(PSC_BINARY) + " check --color never bad.psl") + " /dev/null");
  EXPECT_EQ(never.out.find("\x1b["), std::string::npos);
}

TEST_F(PscTest, GeneratedModeIsPassedToTheChecks) {
  // A drop without a ttl is fine by hand and an error when generated (E0402).
  write("gen.psl", kClean);
  EXPECT_EQ(psc("check gen.psl").status, 0);
  Result r = psc("check --generated gen.psl");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("E0402"), std::string::npos) << r.out;
}

// --------------------------------------------------------------------- fmt

TEST_F(PscTest, FmtPrintsTheCanonicalLayout) {
  write("messy.psl", kMessy);
  Result r = psc("fmt messy.psl");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, kMessyFormatted);
  EXPECT_EQ(read_file(path("messy.psl")), kMessy)
      << "printing never writes the file";

  Result in = psc("fmt -", kMessy);
  EXPECT_EQ(in.status, 0);
  EXPECT_EQ(in.out, kMessyFormatted);

  write("canonical.psl", kMessyFormatted);
  EXPECT_EQ(psc("fmt canonical.psl").out, kMessyFormatted);
}

TEST_F(PscTest, FmtCheckListsFilesThatWouldChange) {
  write("messy.psl", kMessy);
  write("canonical.psl", kMessyFormatted);
  Result r = psc("fmt --check canonical.psl messy.psl");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "messy.psl\n");
  EXPECT_EQ(read_file(path("messy.psl")), kMessy);

  Result ok = psc("fmt --check canonical.psl");
  EXPECT_EQ(ok.status, 0);
  EXPECT_EQ(ok.out, "");

  Result in = psc("fmt --check -", kMessy);
  EXPECT_EQ(in.status, 1);
  EXPECT_EQ(in.out, "<stdin>\n");
}

TEST_F(PscTest, FmtWriteReplacesAtomicallyAndKeepsTheMode) {
  write("messy.psl", kMessy);
  write("canonical.psl", kMessyFormatted);
  fs::permissions(path("messy.psl"), fs::perms::owner_read |
                                         fs::perms::owner_write |
                                         fs::perms::group_read);
  struct stat before_canonical;
  ASSERT_EQ(::stat(path("canonical.psl").c_str(), &before_canonical), 0);
  std::vector<std::string> names = listing();

  Result r = psc("fmt -w messy.psl canonical.psl");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(read_file(path("messy.psl")), kMessyFormatted);
  EXPECT_EQ(fs::status(path("messy.psl")).permissions(),
            fs::perms::owner_read | fs::perms::owner_write |
                fs::perms::group_read);
  EXPECT_EQ(listing(), names) << "no temporary file is left behind";

  // An already canonical file is not rewritten.
  struct stat after_canonical;
  ASSERT_EQ(::stat(path("canonical.psl").c_str(), &after_canonical), 0);
  EXPECT_EQ(after_canonical.st_ino, before_canonical.st_ino);

  EXPECT_EQ(psc("fmt --check messy.psl").status, 0);
}

TEST_F(PscTest, FmtWriteFollowsSymlinksAndWalksDirectories) {
  write("pol/real.psl", kMessy);
  write("pol/sub/other.psl", kMessy);
  fs::create_symlink("real.psl", path("pol/link.psl"));
  Result r = psc("fmt -w pol");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(path("pol/link.psl")));
  EXPECT_EQ(read_file(path("pol/real.psl")), kMessyFormatted);
  EXPECT_EQ(read_file(path("pol/sub/other.psl")), kMessyFormatted);
  std::vector<std::string> names;
  for (const auto &e : fs::recursive_directory_iterator(path("pol")))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"link.psl", "other.psl",
                                             "real.psl", "sub"}));
}

TEST_F(PscTest, FmtRefusesFilesWithSyntaxErrors) {
  write("syntax.psl", kSyntaxError);
  write("messy.psl", kMessy);
  Result r = psc("fmt -w syntax.psl messy.psl");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("syntax.psl:2:"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(path("syntax.psl")), kSyntaxError);
  EXPECT_EQ(read_file(path("messy.psl")), kMessyFormatted)
      << "other files are still formatted";

  Result p = psc("fmt syntax.psl");
  EXPECT_EQ(p.status, 1);
  EXPECT_EQ(p.out, "");
  EXPECT_NE(p.err.find("error[E01"), std::string::npos) << p.err;

  Result c = psc("fmt --check syntax.psl");
  EXPECT_EQ(c.status, 1);
}

TEST_F(PscTest, FmtFormatsWhatParsesEvenWithSemanticErrors) {
  // fmt needs only the parse: an unknown field is not its business.
  write("bad.psl", "policy p {\n  rule ssh:   tcp.dprot == 22 => drop\n}\n");
  Result r = psc("fmt bad.psl");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "policy p {\n  rule ssh: tcp.dprot == 22 => drop\n}\n");
}

TEST_F(PscTest, FmtMissingAndBinaryFiles) {
  Result r = psc("fmt --check nope.psl");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "nope.psl: error[E0001]: cannot read 'nope.psl': No such "
                   "file or directory\n");
  write("nul.psl", "policy\0"s);
  Result n = psc("fmt -w nul.psl");
  EXPECT_EQ(n.status, 1);
  EXPECT_NE(n.err.find("E0002"), std::string::npos);
  EXPECT_EQ(read_file(path("nul.psl")), "policy\0"s);
}

} // namespace
