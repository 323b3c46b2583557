// The psd binary's front end, run as a subprocess: --help, --version, bad
// flags and config files (exit 2, file:line and key), the token file and
// listen address checks, and --check-config. None of this needs the
// kernel: psd exits before it loads anything.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace {

struct PsdRun {
  int exit_code = -1;
  std::string out, err;
};

class PsdCli : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/psd-cli-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ::mkdir((dir_ + "/policies").c_str(), 0755);
  }
  void TearDown() override {
    EXPECT_EQ(std::system(("rm -rf '" + dir_ + "'").c_str()), 0);
  }
  std::string write(const std::string &name, const std::string &text,
                    mode_t mode = 0644) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }
  // `env`: VAR=VALUE words for env(1) before psd, if any.
  PsdRun psd(const std::string &args, const std::string &env = "") {
    std::string cmd = (env.empty() ? "" : "env " + env + " ") +
                      std::string(PSD_BINARY) + " " + args + " >" + dir_ +
                      "/out 2>" + dir_ + "/err";
    int status = std::system(cmd.c_str());
    PsdRun r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read(dir_ + "/out");
    r.err = read(dir_ + "/err");
    return r;
  }
  static std::string read(const std::string &path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::string dir_;
};

TEST_F(PsdCli, HelpAndVersion) {
  PsdRun h = psd("--help");
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("--iface IFACE"), std::string::npos) << h.out;
  EXPECT_NE(h.out.find("SIGHUP"), std::string::npos);
  PsdRun v = psd("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out, std::string("psd ") + PSD_VERSION + "\n");
}

TEST_F(PsdCli, BadFlagsAreUsageErrors) {
  PsdRun r = psd("--iface eth0 --frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--frobnicate"), std::string::npos) << r.err;
  r = psd("--iface eth0 --window soon");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "psd: --window: summary.window: expected a duration such "
                   "as \"1s\" or \"500ms\", got \"soon\"\n");
  r = psd("");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "psd: no interface to protect: give --iface IFACE (or "
                   "interfaces = [\"IFACE\"] in the config file)\n");
}

TEST_F(PsdCli, BadConfigFilesNameFileLineAndKey) {
  std::string cfg = write("psd.toml", "interfaces = [\"eth0\"]\n\n[summary]\n"
                                      "windw = \"1s\"\n");
  PsdRun r = psd("--config " + cfg);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "psd: " + cfg +
                       ":4:1: unknown setting 'summary.windw'; did you mean "
                       "'summary.window'?\n");
  cfg = write("broken.toml", "interfaces = [\"eth0\"\n");
  r = psd("--config " + cfg);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("psd: " + cfg + ":", 0), 0u) << r.err;
  r = psd("--config " + dir_ + "/absent.toml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "psd: cannot read the config file '" + dir_ +
                       "/absent.toml': No such file or directory\n");
}

TEST_F(PsdCli, BeyondLoopbackOnlyWithAPrivateTokenFile) {
  PsdRun r = psd("--iface eth0 --listen 0.0.0.0:9477 --policy-dir " + dir_ +
                 "/policies");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "psd: psd will not listen on 0.0.0.0:9477, which is not a "
                   "loopback address, without a token file: give "
                   "--token-file FILE (mode 0600), or listen on 127.0.0.1\n");
  std::string token = write("token", "s3cret-token-value-123456\n", 0644);
  r = psd("--iface eth0 --listen 0.0.0.0:9477 --token-file " + token);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "psd: the token file '" + token +
                       "' has mode 0644; it must be readable by its owner "
                       "only (chmod 600 '" +
                       token + "')\n");
  EXPECT_EQ(r.err.find("s3cret"), std::string::npos);
}

// The model server's key: from a 0600 file or PSC_LLM_API_KEY, checked
// before anything starts; an error names the file or the variable, never
// the key.
TEST_F(PsdCli, TheLlmKeyIsCheckedAndNeverShown) {
  const std::string llm = "--iface eth0 --analyzer openai --llm-url "
                          "http://127.0.0.1:9/v1 --llm-model m --policy-dir " +
                          dir_ + "/policies ";
  std::string key = write("llm.key", "sk-planted-key-0123456789\n", 0644);
  PsdRun r = psd(llm + "--llm-key-file " + key + " --check-config");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("chmod 600 " + key), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("sk-planted"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("sk-planted"), std::string::npos) << r.out;
  r = psd(llm + "--llm-key-file " + dir_ + "/absent.key --check-config");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("absent.key"), std::string::npos) << r.err;
  r = psd(llm + "--check-config", "PSC_LLM_API_KEY='sk-planted key'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("PSC_LLM_API_KEY"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("sk-planted"), std::string::npos) << r.err;
  ::chmod(key.c_str(), 0600);
  write("policies/policy.psl", "policy site {\n  default pass\n}\n");
  r = psd(llm + "--llm-key-file " + key + " --check-config");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("analyzer: openai, model 'm' at "
                       "http://127.0.0.1:9/v1, asked every 30 s about the "
                       "last 300 s, with the embedded detector beside it\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ((r.out + r.err).find("sk-planted"), std::string::npos);
}

TEST_F(PsdCli, CheckConfig) {
  write("policies/policy.psl", "policy site {\n  default pass\n}\n");
  std::string token = write("token", "s3cret-token-value-123456\n", 0600);
  std::string cfg = write(
      "psd.toml", "interfaces = [\"eth0\", \"eth1\"]\npolicy_dir = \"" + dir_ +
                      "/policies\"\n[api]\nlisten = "
                      "\"0.0.0.0:9477\"\ntoken_file = \"" +
                      token + "\"\n");
  PsdRun r = psd("--config " + cfg + " --check-config");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "api: 0.0.0.0:9477 (bearer token from " + token +
                       ")\nanalyzer: embedded\neth0: " + dir_ +
                       "/policies/policy.psl: ok\neth1: " + dir_ +
                       "/policies/policy.psl: ok\nthe configuration is "
                       "valid\n");
  EXPECT_EQ(r.out.find("s3cret"), std::string::npos);
  write("policies/eth1.psl", "policy x {\n  rule a: ip.src == 22 => drop\n}\n");
  r = psd("--config " + cfg + " --check-config");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(dir_ + "/policies/eth1.psl:2:21: error[E0301]"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("eth1: " + dir_ + "/policies/eth1.psl: 1 error"),
            std::string::npos)
      << r.out;
  // Flags override the file: eth0 alone has no broken policy.
  r = psd("--config " + cfg + " --iface eth0 --check-config");
  EXPECT_EQ(r.exit_code, 2) << "eth1.psl names no managed interface now";
  EXPECT_NE(r.err.find("eth1.psl' is neither policy.psl nor IFACE.psl"),
            std::string::npos)
      << r.err;
}

} // namespace
