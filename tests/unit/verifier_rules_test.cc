// A verifier rejection is reported against the rule whose code the verifier
// was in (codegen/verifier_rules.h):
//   - find_verifier_stop on hand-written logs: the last line of the
//     generated C wins, rate helpers name their rule, group code names none,
//     other files' line info is ignored;
//   - verifier_stop_notes: the rule's note at its place in the policy;
//   - a real rejection: the generated C of a policy with an out-of-bounds
//     packet read planted in one rule's code, compiled and loaded through
//     load_policy (the load path of psc load, test, run and the benches);
//     the kernel refuses it and the Error carries the note on that rule,
//     which format_notes prints as every psc verb does.
#include <gtest/gtest.h>

#include <string>

#include "backend/bpf_features.h"
#include "backend/clang_compiler.h"
#include "backend/testing/bpf_test_support.h"
#include "codegen/policy_build.h"
#include "codegen/verifier_rules.h"
#include "driver.h"

#ifndef PSC_BPF_TEMPLATE_DIR
#error "PSC_BPF_TEMPLATE_DIR must name bpf/templates"
#endif

namespace {

using psl::codegen::find_verifier_stop;
using psl::codegen::rule_at_line;
using psl::codegen::verifier_stop_notes;

const char *kSource = R"(/* header */
SEC("xdp") int psl_policy(struct xdp_md *ctx) {
  /* group 0: lpm ip.src */
  if (x) {
    lookup();
  }
  /* rule 1 'limit_udp' (drop): udp.dport == 53 --
   * code because it uses rate()
   */
  if (best > 5u && y) {
    best = 5u;
  }
  /* rule 2 'count_icmp' (count): icmp.type == echo_request */
  if (z) {
    psl_count(3, len);
  }
}
/* rate 0 of rule 'limit_udp': 1 if the packet is over 10/s */
int psl_rate_0(void) {
  return over();
}
)";

TEST(VerifierStop, LastLineOfTheGeneratedCNamesTheRule) {
  const std::string log = "0: (b7) r0 = 0\n"
                          "; if (x) { @ policy.c:4\n"
                          "; psl_count(3, len); @ policy.c:14\n"
                          "R1 invalid mem access 'scalar'\n";
  auto stop = find_verifier_stop(log, kSource);
  EXPECT_EQ(stop.line, 14u);
  ASSERT_EQ(stop.rules.size(), 1u);
  EXPECT_EQ(stop.rules[0], "count_icmp");
}

TEST(VerifierStop, ARateHelperNamesItsRule) {
  auto stop = find_verifier_stop("; return over(); @ policy.c:19\n", kSource);
  ASSERT_EQ(stop.rules.size(), 1u);
  EXPECT_EQ(stop.rules[0], "limit_udp");
}

TEST(VerifierStop, GroupCodeAndOtherFilesNameNoRule) {
  // Inside a lookup group: shared by many rules, so no rule is named.
  auto in_group = find_verifier_stop("; lookup(); @ policy.c:5\n", kSource);
  EXPECT_EQ(in_group.line, 5u);
  EXPECT_TRUE(in_group.rules.empty());
  // Line info of another file (the parser's) does not move the stop, and a
  // file name that only ends in "policy.c" is another file.
  auto other = find_verifier_stop("; best = 5u; @ policy.c:10\n"
                                  "; x @ psl_parse.h:300\n"
                                  "; y @ mypolicy.c:14\n",
                                  kSource);
  EXPECT_EQ(other.line, 10u);
  ASSERT_EQ(other.rules.size(), 1u);
  EXPECT_EQ(other.rules[0], "limit_udp");
  // No line info at all, or a line past the end of the source.
  EXPECT_EQ(find_verifier_stop("invalid access\n", kSource).line, 0u);
  EXPECT_TRUE(find_verifier_stop("; @ policy.c:999\n", kSource).rules.empty());
}

TEST(VerifierStop, RuleAtLineStopsAtSectionHeads) {
  EXPECT_EQ(rule_at_line(kSource, 11), "limit_udp"); // inside the rule's block
  EXPECT_EQ(rule_at_line(kSource, 7), "limit_udp");  // the head itself
  EXPECT_EQ(rule_at_line(kSource, 20), "limit_udp"); // its rate helper
  EXPECT_EQ(rule_at_line(kSource, 5), "");           // group code
  EXPECT_EQ(rule_at_line(kSource, 2), "");           // before any head
  EXPECT_EQ(rule_at_line(kSource, 0), "");
  EXPECT_EQ(rule_at_line(kSource, 23), ""); // past the end
}

TEST(VerifierStop, NotesPlaceTheRuleInThePolicy) {
  std::vector<psl::lower::RuleInfo> rules(2);
  rules[0].name = "limit_udp";
  rules[0].range.begin = {7, 3};
  rules[1].name = "count_icmp";
  rules[1].range.begin = {9, 5};
  rules[1].range.end = {9, 40};
  auto notes = verifier_stop_notes("; psl_count(3, len); @ policy.c:14\n",
                                   kSource, "policy.c", rules, "edge.psl");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].rule, "count_icmp");
  EXPECT_EQ(psl::backend::format_notes(notes),
            "edge.psl:9:5: note: the verifier stopped in the code of rule "
            "'count_icmp'\n");
  // The C compiled under another name: its line info is what counts.
  EXPECT_TRUE(verifier_stop_notes("; x @ policy.c:14\n", kSource, "edge.c",
                                  rules, "edge.psl")
                  .empty());
  EXPECT_EQ(verifier_stop_notes("; x @ edge.c:14\n", kSource, "edge.c", rules,
                                "edge.psl")
                .size(),
            1u);
  // A rule the table does not know (a sidecar without ranges): no place.
  auto unplaced = verifier_stop_notes("; x @ policy.c:19\n", kSource,
                                      "policy.c", {}, "edge.psl");
  EXPECT_EQ(
      psl::backend::format_notes(unplaced),
      "edge.psl: note: the verifier stopped in the code of rule 'limit_udp'\n");
}

// Plants `statement` as the first statement of rule `rule`'s code block.
std::string plant(const std::string &c, const std::string &rule,
                  const std::string &statement) {
  size_t head = c.find("/* rule ");
  while (head != std::string::npos &&
         c.compare(c.find('\'', head), rule.size() + 2, "'" + rule + "'") != 0)
    head = c.find("/* rule ", head + 1);
  if (head == std::string::npos)
    return {};
  size_t brace = c.find("{\n", c.find("*/", head));
  if (brace == std::string::npos)
    return {};
  return c.substr(0, brace + 2) + statement + "\n" + c.substr(brace + 2);
}

TEST(VerifierStop, ARealRejectionNamesTheRuleWhoseCodeFailed) {
  PSC_REQUIRE_OR_SKIP(psl::backend::bpf_features().load);
  auto checked = psl::check_source("vr.psl", R"(policy vr {
  rule pass_ssh: tcp.dport == 22 => pass
  rule limit_udp: udp.dport == 53 and rate(ip.src) > 10/s => drop
  rule count_icmp: icmp.type == echo_request => count
  default pass
}
)");
  ASSERT_TRUE(checked.ok());
  auto built = psl::codegen::build_policy(*checked.module.policy,
                                          checked.diags.file_ptr().get());
  ASSERT_TRUE(built.ok()) << built.error().message;
  psl::codegen::PolicyArtifact artifact = std::move(built.value());

  // A read 4000 bytes into the packet without a bounds check: compiles,
  // and the verifier must refuse it.
  artifact.c_source = plant(artifact.c_source, "count_icmp",
                            "    if (*(volatile const __u8 *)((long)ctx->data "
                            "+ 4000) == 7) return XDP_DROP;");
  ASSERT_FALSE(artifact.c_source.empty())
      << "no code block for rule count_icmp";
  psl::backend::CompileOptions options;
  options.include_dirs.push_back(PSC_BPF_TEMPLATE_DIR);
  options.cpu = "v3";
  auto compiled =
      psl::backend::BpfCompiler(options).compile(artifact.c_source, "policy.c");
  ASSERT_TRUE(compiled.ok()) << compiled.format_diagnostics();
  artifact.elf = compiled.object;

  auto loaded = psl::codegen::load_policy(artifact);
  ASSERT_FALSE(loaded.ok()) << "the verifier accepted an unchecked packet read";
  const psl::backend::Error &e = loaded.error();
  EXPECT_NE(e.message.find("verifier rejected"), std::string::npos)
      << e.message;
  EXPECT_NE(e.detail.find("@ policy.c:"), std::string::npos) << e.detail;
  ASSERT_EQ(e.notes.size(), 1u) << e.detail;
  EXPECT_EQ(e.notes[0].rule, "count_icmp");
  EXPECT_EQ(psl::backend::format_notes(e.notes),
            "vr.psl:4:3: note: the verifier stopped in the code of rule "
            "'count_icmp'\n");
}

} // namespace
