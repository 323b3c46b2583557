// What the psc end-to-end tests share: a pin root and a state directory
// of their own (named by the pid and a tag, removed after the test), psc
// run with them, policies written to files, and the state layout the psc
// binary uses, for reading what it left. A test adds the veth pairs and
// the verbs it needs.
//
// Skips without BPF, XDP links or namespaces (fails with
// PSC_REQUIRE_BPF=1).
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "backend/bpf_features.h"
#include "backend/testing/bpf_test_support.h"
#include "backend/testing/netns.h"
#include "policy/layout.h"

namespace psc_e2e {

using psl::backend::testing::CommandResult;
using psl::backend::testing::run_command;

inline const char *const kNoPing = R"(policy no_ping {
  rule no_ping: ip.proto == icmp => drop
  default pass
}
)";

inline bool has(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

class PscCliFixture : public ::testing::Test {
protected:
  // `tag` names this test's pin root and temporary directory.
  explicit PscCliFixture(std::string tag) : tag_(std::move(tag)) {}

  void SetUp() override {
    const auto &f = psl::backend::bpf_features();
    PSC_REQUIRE_OR_SKIP(f.load);
    PSC_REQUIRE_OR_SKIP(f.xdp_link);
    PSC_REQUIRE_OR_SKIP(f.netns);
    psl::backend::testing::remove_stale_test_state();
    pin_root_ =
        "/sys/fs/bpf/psc-test-" + std::to_string(::getpid()) + "-" + tag_;
    std::string tmpl = "/tmp/psc-" + tag_ + "-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }

  void TearDown() override {
    if (!pin_root_.empty())
      run_command("rm -rf " + pin_root_);
    if (!dir_.empty())
      run_command("rm -rf " + dir_);
  }

  std::string env() const {
    return "PSC_PIN_ROOT=" + pin_root_ + " PSC_STATE_DIR=" + dir_ + "/state ";
  }
  std::string write_policy(const std::string &name, const std::string &text) {
    std::string path = dir_ + "/" + name + ".psl";
    std::ofstream(path) << text;
    return path;
  }
  CommandResult psc(const std::string &args) {
    return run_command(env() + PSC_BINARY + " " + args);
  }
  psr::policy::StateLayout layout() const {
    psr::policy::StateLayout l;
    l.pin_root = pin_root_;
    l.state_root = dir_ + "/state";
    return l;
  }

  std::string tag_, pin_root_, dir_;
};

} // namespace psc_e2e
