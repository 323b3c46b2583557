// Real summaries, written by the real JSON writer, against
// docs/summary.schema.json (validated by python3-jsonschema): the schema
// documents what psd serves, both ways (additionalProperties is false).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "summary/builder.h"
#include "summary/summary_json.h"
#include "summary_test_util.h"

namespace psr::summary {
namespace {

using testing::busy_observation;
using testing::kSecond;

struct Validation {
  int exit_code = -1;
  std::string output;
};

class SchemaTest : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/psr-schema-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
  }
  std::string write(const std::string &name, const std::string &text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  Validation validate(const std::vector<std::string> &files) {
    std::string cmd =
        std::string(PSD_PYTHON) + " " + PSD_VALIDATOR + " " + PSD_SCHEMA;
    for (const std::string &f : files)
      cmd += " '" + f + "'";
    cmd += " 2>&1";
    Validation v;
    FILE *p = ::popen(cmd.c_str(), "r");
    if (p == nullptr)
      return v;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
      v.output.append(buf, n);
    int status = ::pclose(p);
    v.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return v;
  }
  std::string dir_;
};

Summary busy() {
  return build_summary(busy_observation(kSecond, 1000, 1),
                       busy_observation(2 * kSecond, 2000, 2), 1);
}

TEST_F(SchemaTest, EverySummaryShapeIsValid) {
  std::vector<std::string> files;
  files.push_back(write("busy.json", to_json_text(busy())));
  // Empty: no traffic, no policy, no hooks.
  Observation none;
  Observation later;
  later.snapshot.taken_ns = kSecond;
  files.push_back(
      write("empty.json", to_json_text(build_summary(none, later, 1))));
  // A restart: notes and counters_reset.
  files.push_back(write(
      "reset.json",
      to_json_text(build_summary(busy_observation(kSecond, 1000, 100),
                                 busy_observation(2 * kSecond, 2000, 1), 2))));
  // No duration: rates 0.
  files.push_back(write(
      "zero.json",
      to_json_text(build_summary(busy_observation(kSecond, 1000, 1),
                                 busy_observation(kSecond, 1000, 2), 3))));
  // Many sources and rules: the lists are cut.
  Observation a, b;
  a.snapshot = testing::snapshot_at(kSecond, 1000);
  b.snapshot = testing::snapshot_at(2 * kSecond, 2000);
  std::vector<RuleView> rules;
  for (int i = 0; i < 300; ++i) {
    trace::SourceStats s = testing::source("2001:db8::" + std::to_string(i + 1),
                                           static_cast<uint64_t>(i + 1));
    s.distinct_dports = static_cast<uint32_t>(i);
    b.snapshot.sources.push_back(s);
    rules.push_back(testing::rule("r" + std::to_string(i), "count", i));
  }
  b.policies.push_back(testing::policy("veth0", "many", rules));
  Summary big = build_summary(a, b, 4);
  EXPECT_EQ(big.talkers.top.size(), 10u);
  EXPECT_EQ(big.talkers.fanout.size(), 5u);
  files.push_back(write("big.json", to_json_text(big)));

  Validation v = validate(files);
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_NE(v.output.find("5 documents checked, 0 violations"),
            std::string::npos)
      << v.output;
}

TEST_F(SchemaTest, TheSchemaRejectsWhatIsNotInIt) {
  // The validator really checks: a member the schema does not know (say,
  // packet bytes), a missing member and a wrong type are all reported.
  nlohmann::json extra = nlohmann::json::parse(to_json_text(busy()));
  extra["talkers"]["top"][0]["payload"] = "45000054";
  nlohmann::json missing = nlohmann::json::parse(to_json_text(busy()));
  missing.erase("tcp");
  nlohmann::json wrong = nlohmann::json::parse(to_json_text(busy()));
  wrong["totals"]["nic"]["pps"] = "fast";
  nlohmann::json version = nlohmann::json::parse(to_json_text(busy()));
  version["version"] = 2;
  Validation v = validate({write("extra.json", extra.dump()),
                           write("missing.json", missing.dump()),
                           write("wrong.json", wrong.dump()),
                           write("version.json", version.dump())});
  EXPECT_EQ(v.exit_code, 1) << v.output;
  EXPECT_NE(v.output.find("extra.json: /talkers/top/0: Additional properties"),
            std::string::npos)
      << v.output;
  EXPECT_NE(v.output.find("missing.json: /: 'tcp' is a required property"),
            std::string::npos)
      << v.output;
  EXPECT_NE(v.output.find("wrong.json: /totals/nic/pps"), std::string::npos)
      << v.output;
  EXPECT_NE(v.output.find("version.json: /version"), std::string::npos)
      << v.output;
}

TEST(SummaryJson, HoldsNoPacketBytesAndAddressesAsText) {
  nlohmann::json j = nlohmann::json::parse(to_json_text(busy()));
  EXPECT_EQ(j["talkers"]["top"][0]["addr"], "198.51.100.7");
  EXPECT_EQ(j["talkers"]["top"][1]["addr"], "2001:db8::9");
  EXPECT_EQ(j["interfaces"][0]["rules"][0]["ttl_left_ms"], 600000);
  EXPECT_TRUE(j["interfaces"][0]["rules"][1]["ttl_left_ms"].is_null());
  EXPECT_EQ(j["interfaces"][0]["rules"][2]["mode"], "shadow");
  // Rates are rounded to three decimals.
  EXPECT_EQ(j["window"]["duration_s"], 1.0);
}

TEST(SummaryJson, OddBytesInNamesDoNotBreakTheSummary) {
  Summary s = busy();
  s.drops.push_back({"BAD\xff\xfeNAME", "core", "other", {1, 1}});
  std::string text = to_json_text(s);
  EXPECT_TRUE(nlohmann::json::accept(text));
}

} // namespace
} // namespace psr::summary
