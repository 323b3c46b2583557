// `psc test` as users and CI run it: exit statuses, the final
// "N passed, M failed" line, failures with file:line, JSON output, policies
// that do not check, and kernel mode (runs, or says what is missing).
#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "psc_dir_test.h"

namespace {

using psc_test::Result;

class PscTestVerb : public psc_test::PscDirTest {};

const char *const kGood = R"(policy good {
  rule ssh: tcp.dport == 22 => drop
  test "ssh is dropped" {
    packet { tcp.dport = 22 } => drop
  }
  test "web passes" {
    packet { tcp.dport = 443 } x 10 within 1s => pass
  }
}
)";

const char *const kBad = R"(policy bad {
  rule ssh: tcp.dport == 22 => drop
  test "wrong" {
    packet { tcp.dport = 22 } => pass
  }
  test "right" {
    packet { tcp.dport = 22 } => drop
  }
}
)";

TEST_F(PscTestVerb, AllPass) {
  write("good.psl", kGood);
  Result r = psc("test --interp good.psl");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "2 passed, 0 failed\n");
}

TEST_F(PscTestVerb, FailuresAndSummary) {
  write("dir/good.psl", kGood);
  write("dir/bad.psl", kBad);
  Result r = psc("test --interp dir");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(
      r.out,
      "dir/bad.psl:4:5: test \"wrong\": expected pass, got drop (rule 'ssh')\n"
      "3 passed, 1 failed\n");
  r = psc("test --interp -v dir/bad.psl");
  EXPECT_NE(r.out.find("FAIL dir/bad.psl: test \"wrong\" (1 packet)\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("ok   dir/bad.psl: test \"right\" (1 packet)\n"),
            std::string::npos);
}

TEST_F(PscTestVerb, PolicyThatDoesNotCheckCountsAsFailed) {
  write("broken.psl", "policy broken {\n  rule a: tcp.dprot == 22 => drop\n"
                      "  test \"one\" { packet {} => pass }\n"
                      "  test \"two\" { packet {} => pass }\n}\n");
  write("nothing.psl", "rule\n");
  Result r = psc("test --interp --color never broken.psl nothing.psl");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(
      r.out.find("broken.psl:2:11: error[E0202]: unknown field 'tcp.dprot'"),
      std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("broken.psl: policy does not check; 2 tests not run\n"),
            std::string::npos);
  EXPECT_NE(r.out.find("nothing.psl: policy does not check; 1 test not run\n"),
            std::string::npos);
  EXPECT_EQ(r.out.substr(r.out.size() - 19), "0 passed, 3 failed\n");
}

TEST_F(PscTestVerb, BuildErrorsAreFailures) {
  write("p.psl", "policy p {\n  test \"t\" {\n    packet { ip.len = 10, "
                 "tcp.dport = 1 } => pass\n"
                 "  }\n}\n");
  Result r = psc("test --interp p.psl");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "p.psl:3:14: test \"t\": cannot build a packet with ip.len "
                   "= 10: the headers "
                   "alone are 40 bytes (IPv4 header 20, TCP header 20)\n"
                   "0 passed, 1 failed\n");
}

TEST_F(PscTestVerb, Json) {
  write("bad.psl", kBad);
  Result r = psc("test --interp --format json bad.psl");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "1 passed, 1 failed\n");
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["passed"], 1);
  EXPECT_EQ(j["failed"], 1);
  EXPECT_EQ(j["evaluator"], "interp");
  const auto &t = j["files"][0]["tests"];
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0]["name"], "wrong");
  EXPECT_EQ(t[0]["passed"], false);
  const auto &f = t[0]["failures"][0];
  EXPECT_EQ(f["line"], 4);
  EXPECT_EQ(f["expected"], "pass");
  EXPECT_EQ(f["drop"], 1);
  EXPECT_EQ(f["drop_rules"]["ssh"], 1);
  EXPECT_EQ(t[1]["passed"], true);
}

// Kernel mode is the default: it runs where BPF works, and elsewhere says
// what is missing and exits 3 (the kernel runs: tests/unit/kernel_eval*).
TEST_F(PscTestVerb, KernelModeRunsOrSaysWhatIsMissing) {
  write("good.psl", kGood);
  Result r = psc("test good.psl");
  if (r.status == 3) {
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("cannot run the tests in the kernel"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("--interp"), std::string::npos);
  } else {
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_EQ(r.out, psc("test --interp good.psl").out);
  }
}

// Without the capabilities BPF needs (root without them, as setpriv
// leaves it): exit 3, the environment's status, for test and run alike.
TEST_F(PscTestVerb, WithoutBpfPrivilegesExitsThree) {
  if (::geteuid() != 0 || ::access("/usr/bin/setpriv", X_OK) != 0)
    GTEST_SKIP() << "needs root and setpriv to drop the capabilities";
  write("good.psl", kGood);
  const std::string drop = "--securebits +noroot,+noroot_locked "
                           "--bounding-set -all --inh-caps -all ";
  auto wrapped = [&](const std::string &args) {
    return shell("/usr/bin/setpriv " + drop + psc_test::quote(PSC_BINARY) +
                 " " + args);
  };
  Result t = wrapped("test good.psl");
  EXPECT_EQ(t.status, 3) << t.out << t.err;
  EXPECT_NE(t.err.find("cannot run the tests in the kernel"), std::string::npos)
      << t.err;
  Result r = wrapped("run good.psl --pcap missing.pcap");
  EXPECT_EQ(r.status, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("cannot run the policy in the kernel"),
            std::string::npos)
      << r.err;
  // The interpreter needs no privileges.
  EXPECT_EQ(wrapped("test --interp good.psl").status, 0);
}

TEST_F(PscTestVerb, DirectoryWithoutPoliciesSaysSo) {
  std::filesystem::create_directory(path("empty"));
  Result r = psc("test --interp empty");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_EQ(r.out, "empty: error: no policies to test: no *.psl file under "
                   "'empty'\n0 passed, 0 failed\n");
}

TEST_F(PscTestVerb, UsageAndHelp) {
  EXPECT_EQ(psc("test --interp").status, 2);
  EXPECT_EQ(psc("test --interp --format xml x.psl").status, 2);
  Result help = psc("test --help");
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("within D"), std::string::npos);
  EXPECT_NE(help.out.find("t + i*D/N"), std::string::npos);
  // The exit statuses test can give, and no other.
  for (const char *line :
       {"  0  every test passed", "  1  a test failed", "  2  bad command line",
        "  3  kernel mode", "  4  an internal error"})
    EXPECT_NE(help.out.find(line), std::string::npos) << line;
}

} // namespace
