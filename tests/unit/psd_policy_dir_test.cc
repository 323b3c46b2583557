// psd's policy directory (which file each interface gets), the check
// every policy passes, and the startup checks (--check-config, the token
// file against the listen address).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "command_line.h"
#include "policy_dir.h"
#include "startup_checks.h"

namespace psd {
namespace {

const char *const kPolicy = R"(policy site {
  rule no_telnet: tcp.dport == 23 => drop
  default pass
}
)";

const char *const kBroken = R"(policy broken {
  rule a: tcp.dprot == 22 => drop
}
)";

class PolicyDirTest : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/psd-policies-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    ::chmod(dir_.c_str(), 0700);
    EXPECT_EQ(std::system(("rm -rf '" + dir_ + "'").c_str()), 0);
  }
  void write(const std::string &name, const std::string &text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  std::string dir_;
};

TEST_F(PolicyDirTest, OwnFileThenPolicyPslThenTheDefault) {
  write("eth1.psl", kPolicy);
  auto none = find_operator_policies(dir_, true, {"eth0", "eth1"});
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_EQ((*none)[0].from, "default");
  EXPECT_EQ((*none)[0].path, kDefaultPolicyPath);
  EXPECT_EQ((*none)[0].text, default_policy_text());
  EXPECT_EQ((*none)[1].from, "policy-dir");
  EXPECT_EQ((*none)[1].path, dir_ + "/eth1.psl");
  EXPECT_EQ((*none)[1].text, kPolicy);

  write("policy.psl", "policy all { default pass }\n");
  auto both = find_operator_policies(dir_, true, {"eth0", "eth1"});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ((*both)[0].path, dir_ + "/policy.psl");
  EXPECT_EQ((*both)[1].path, dir_ + "/eth1.psl");
}

TEST_F(PolicyDirTest, TheBuiltInDefaultIsPoliciesDefaultPsl) {
  std::ifstream in(PSD_DEFAULT_POLICY);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(default_policy_text(), ss.str());
  PolicyCheck c = check_policy(
      {"eth0", kDefaultPolicyPath, "default", default_policy_text()});
  EXPECT_TRUE(c.ok) << c.diagnostics;
  EXPECT_EQ(c.warnings, 0u) << c.diagnostics;
}

TEST_F(PolicyDirTest, AStrayPolicyFileIsAnError) {
  write("eht0.psl", kPolicy);
  auto r = find_operator_policies(dir_, true, {"eth0", "eth1"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "'" + dir_ +
                "/eht0.psl' is neither policy.psl nor IFACE.psl for an "
                "interface psd manages (eth0, eth1); rename or remove it");
}

TEST_F(PolicyDirTest, AMissingDirectory) {
  std::string missing = dir_ + "/nope";
  auto given = find_operator_policies(missing, true, {"eth0"});
  ASSERT_FALSE(given.ok());
  EXPECT_EQ(given.error().message, "cannot read the policy directory '" +
                                       missing +
                                       "': No such file or directory");
  // The default directory, not given: no policies there, the default.
  auto not_given = find_operator_policies(missing, false, {"eth0"});
  ASSERT_TRUE(not_given.ok());
  EXPECT_EQ((*not_given)[0].from, "default");
}

TEST_F(PolicyDirTest, UnreadableFilesAndDirectoriesNamedPsl) {
  ::mkdir((dir_ + "/policy.psl").c_str(), 0700);
  auto r = find_operator_policies(dir_, true, {"eth0"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "'" + dir_ + "/policy.psl' is not a regular file");
}

TEST_F(PolicyDirTest, ChecksLikePscCheck) {
  PolicyCheck bad =
      check_policy({"eth0", "/etc/p/policy.psl", "policy-dir", kBroken});
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.errors, 1u);
  EXPECT_NE(bad.diagnostics.find("/etc/p/policy.psl:2:11: error[E0202]: "
                                 "unknown field 'tcp.dprot'"),
            std::string::npos)
      << bad.diagnostics;
  EXPECT_NE(bad.diagnostics.find("did you mean 'tcp.dport'?"),
            std::string::npos);
  PolicyCheck good = check_policy({"eth0", "p.psl", "policy-dir", kPolicy});
  EXPECT_TRUE(good.ok) << good.diagnostics;
  PolicyCheck empty = check_policy({"eth0", "p.psl", "policy-dir", ""});
  EXPECT_FALSE(empty.ok);
  PolicyCheck junk =
      check_policy({"eth0", "p.psl", "policy-dir", std::string("\0\xff\n", 3)});
  EXPECT_FALSE(junk.ok);
}

PsdOptions options_for(const std::string &dir) {
  PsdOptions o;
  o.interfaces = {"eth0"};
  o.policy_dir = dir;
  o.policy_dir_given = true;
  return o;
}

TEST_F(PolicyDirTest, TokenFileAgainstTheListenAddress) {
  PsdOptions o = options_for(dir_);
  auto loopback = load_api_token(o);
  ASSERT_TRUE(loopback.ok());
  EXPECT_FALSE(loopback->has_value());
  o.listen = "0.0.0.0:9477";
  auto open = load_api_token(o);
  ASSERT_FALSE(open.ok());
  EXPECT_EQ(open.error().message,
            "psd will not listen on 0.0.0.0:9477, which is not a loopback "
            "address, without a token file: give --token-file FILE (mode "
            "0600), or listen on 127.0.0.1");
  std::string token = dir_ + "/token";
  std::ofstream(token) << "an-api-token-of-some-length\n";
  ::chmod(token.c_str(), 0644);
  o.token_file = token;
  auto loose = load_api_token(o);
  ASSERT_FALSE(loose.ok());
  EXPECT_NE(loose.error().message.find("has mode 0644"), std::string::npos);
  EXPECT_EQ(loose.error().message.find("an-api-token"), std::string::npos);
  ::chmod(token.c_str(), 0600);
  auto ok = load_api_token(o);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(**ok, "an-api-token-of-some-length");
}

TEST_F(PolicyDirTest, CheckConfigurationReportsEachInterface) {
  write("policy.psl", kPolicy);
  PsdOptions o = options_for(dir_);
  o.interfaces = {"eth0", "eth1"};
  std::ostringstream out, err;
  EXPECT_EQ(check_configuration(o, out, err), kExitOk) << err.str();
  EXPECT_EQ(out.str(), "api: 127.0.0.1:9477 (no token: read-only API)\n"
                       "analyzer: embedded\n"
                       "eth0: " +
                           dir_ + "/policy.psl: ok\neth1: " + dir_ +
                           "/policy.psl: ok\nthe configuration is valid\n");

  write("eth1.psl", kBroken);
  std::ostringstream out2, err2;
  EXPECT_EQ(check_configuration(o, out2, err2), kExitUsage);
  EXPECT_NE(out2.str().find("eth1: " + dir_ + "/eth1.psl: 1 error\n"),
            std::string::npos)
      << out2.str();
  EXPECT_NE(err2.str().find(dir_ + "/eth1.psl:2:11: error[E0202]"),
            std::string::npos)
      << err2.str();
  EXPECT_NE(out2.str().find("the configuration has errors"), std::string::npos);
}

} // namespace
} // namespace psd
