// The precompiled psl_policy.h (codegen/policy_compile.h) and
// CompileOptions::precompiled_header: policy builds load the embedded PCH,
// it changes nothing in the program, and a PCH Clang refuses costs only
// time. Compiles only: needs no privileges and no BPF in the kernel.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include "backend/clang_compiler.h"
#include "backend/prebuilt_objects.h"
#include "backend/static_link.h"
#include "codegen/policy_build.h"
#include "codegen/policy_compile.h"
#include "driver.h"

namespace psl::backend {

// The policy build (compiler/codegen/) this test drives.
using namespace psl::codegen;
namespace {

// One rule of each kind that reaches the generated code: a host and a
// prefix (a class table), ports (a lookup group), a rate rule in a rate
// group, a code rule and a shadow rule.
constexpr const char kPolicy[] = R"(policy pch {
  default pass
  rule host: ip.src == 192.0.2.1 => drop
  rule net: ip.src in 198.51.100.0/24 and tcp.dport == 22 => drop
  rule ports: udp.dport in {53, 123} => pass
  rule flood: ip.src in 203.0.113.0/24 and rate(ip.src) > 100/s => drop
  rule low_ttl: ip.ttl < 2 => drop
  rule maybe: tcp.dport == 8080 => drop shadow
}
)";

PolicyArtifact build(const PolicyBuildOptions &options = {}) {
  CheckedModule checked = check_source("pch.psl", kPolicy);
  EXPECT_TRUE(checked.ok())
      << checked.diags.error_count() << " errors in the test policy";
  auto built = build_policy(*checked.module.policy,
                            checked.diags.file_ptr().get(), options);
  EXPECT_TRUE(built.ok()) << built.error().message << "\n"
                          << built.error().detail;
  return built.ok() ? std::move(built.value()) : PolicyArtifact{};
}

std::string_view embedded_pch() {
  const ObjectBytes pch = policy_precompiled_header();
  return {reinterpret_cast<const char *>(pch.data), pch.size};
}

// What the kernel gets from an object: each program's instructions and
// each map's definition.
struct Loadable {
  std::vector<std::string> programs; // name + instruction bytes
  std::vector<std::string> maps;     // name, type, sizes
};

// `object` linked with the prebuilt objects, as build_policy() does.
Loadable loadable(const std::vector<uint8_t> &object) {
  Loadable out;
  std::vector<LinkInput> inputs = {{"p.o", {object.data(), object.size()}}};
  for (LinkInput &prebuilt : prebuilt_link_inputs())
    inputs.push_back(std::move(prebuilt));
  auto linked = link_bpf_objects(inputs);
  EXPECT_TRUE(linked.ok()) << linked.error().message << "\n"
                           << linked.error().detail;
  if (!linked.ok())
    return out;
  const std::vector<uint8_t> &elf = linked.value();
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "pch");
  bpf_object *obj = bpf_object__open_mem(elf.data(), elf.size(), &opts);
  EXPECT_NE(obj, nullptr) << "libbpf cannot open the object";
  if (obj == nullptr)
    return out;
  bpf_program *prog;
  bpf_object__for_each_program(prog, obj) {
    const auto *insns =
        reinterpret_cast<const char *>(bpf_program__insns(prog));
    out.programs.push_back(
        std::string(bpf_program__name(prog)) + ":" +
        std::string(insns, bpf_program__insn_cnt(prog) * sizeof(bpf_insn)));
  }
  bpf_map *map;
  bpf_object__for_each_map(map, obj) {
    out.maps.push_back(std::string(bpf_map__name(map)) + " type " +
                       std::to_string(bpf_map__type(map)) + " key " +
                       std::to_string(bpf_map__key_size(map)) + " value " +
                       std::to_string(bpf_map__value_size(map)) + " entries " +
                       std::to_string(bpf_map__max_entries(map)));
  }
  bpf_object__close(obj);
  return out;
}

// A stale or mismatched PCH would still build policies, only slower; this
// is what notices.
TEST(PolicyPchTest, PolicyBuildsLoadTheEmbeddedPch) {
  ASSERT_GT(embedded_pch().size(), 0u);
  const PolicyArtifact a = build();
  EXPECT_TRUE(a.used_precompiled_header) << a.precompiled_header_rejected;
  EXPECT_EQ(a.precompiled_header_rejected, "");
  EXPECT_NE(a.c_source.find("#include \"psl_policy.h\""), std::string::npos);
}

TEST(PolicyPchTest, TheProgramIsTheSameWithAndWithoutIt) {
  const PolicyArtifact a = build();
  ASSERT_FALSE(a.c_source.empty());

  CompileOptions options = policy_compile_options(kPolicyPchCpu);
  const CompileResult without = BpfCompiler(options).compile(a.c_source, "p.c");
  options.precompiled_header = embedded_pch();
  const CompileResult with = BpfCompiler(options).compile(a.c_source, "p.c");
  ASSERT_TRUE(without.ok()) << without.format_diagnostics();
  ASSERT_TRUE(with.ok()) << with.format_diagnostics();
  EXPECT_FALSE(without.used_precompiled_header);
  EXPECT_TRUE(with.used_precompiled_header) << with.precompiled_header_rejected;

  const Loadable l_without = loadable(without.object),
                 l_with = loadable(with.object);
  ASSERT_FALSE(l_with.programs.empty());
  EXPECT_EQ(l_with.programs, l_without.programs);
  EXPECT_EQ(l_with.maps, l_without.maps);
  // The counter maps are sized by the generated code (PSL_COUNTER_MAPS):
  // 6 rules and the default; slots up to the shadow rule's id (6).
  for (const char *counters :
       {"psl_rule_cnt type 6 key 4 value 16 entries 7",
        "psl_shadow_cnt type 6 key 4 value 16 entries 7"})
    EXPECT_NE(std::find(l_with.maps.begin(), l_with.maps.end(), counters),
              l_with.maps.end())
        << counters;
}

TEST(PolicyPchTest, APchClangRefusesOnlyCostsTime) {
  const PolicyArtifact a = build();
  CompileOptions options = policy_compile_options(kPolicyPchCpu);
  options.precompiled_header = "this is not a precompiled header";
  const CompileResult r = BpfCompiler(options).compile(a.c_source, "p.c");
  EXPECT_TRUE(r.ok()) << r.format_diagnostics();
  EXPECT_FALSE(r.used_precompiled_header);
  EXPECT_NE(r.precompiled_header_rejected, "");
  // The refused attempt's messages are not the compile's.
  EXPECT_EQ(r.error_count, 0u);
}

TEST(PolicyPchTest, BrokenCIsReportedOnceWithThePchGiven) {
  CompileOptions options = policy_compile_options(kPolicyPchCpu);
  options.precompiled_header = embedded_pch();
  const CompileResult r = BpfCompiler(options).compile(
      "#include \"psl_policy.h\"\nint f( {\n", "bad.c");
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.used_precompiled_header);
  ASSERT_NE(r.first_error(), nullptr);
  EXPECT_EQ(r.first_error()->file, "bad.c");
  EXPECT_EQ(r.first_error()->line, 2u);
}

// What `psc build --emit-c` writes compiles on its own, as docs/psc.md
// says: no PCH, no PSL_PARSE_PREBUILT (the parser is then inlined), only
// the templates on the include path, as `clang -O2 -g -target bpf -c`.
TEST(PolicyPchTest, TheEmittedCCompilesOnItsOwn) {
  const PolicyArtifact a = build();
  CompileOptions options;
  options.include_dirs.push_back(PSC_BPF_TEMPLATES_DIR);
  options.cpu = kPolicyPchCpu;
  const CompileResult r = BpfCompiler(options).compile(a.c_source, "pch.c");
  ASSERT_TRUE(r.ok()) << r.format_diagnostics();
  EXPECT_FALSE(r.used_precompiled_header);

  // Nothing left to link: libbpf refuses to open an object with the
  // parser only declared (an unresolved extern psl_parse).
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "pch");
  bpf_object *obj =
      bpf_object__open_mem(r.object.data(), r.object.size(), &opts);
  ASSERT_NE(obj, nullptr) << "libbpf cannot open the standalone object";
  EXPECT_NE(bpf_object__find_program_by_name(obj, "psl_policy"), nullptr);
  bpf_object__close(obj);
}

// psc build --opt-level 1: the build still loads the PCH (made at the
// default level), Clang gets -O1 (the program differs from -O2's) and the
// emitted C's compile command says -O1.
TEST(PolicyPchTest, OptLevelOneKeepsThePchAndReachesClang) {
  PolicyBuildOptions options;
  options.opt_level = 1;
  const PolicyArtifact a = build(options);
  EXPECT_TRUE(a.used_precompiled_header) << a.precompiled_header_rejected;
  EXPECT_NE(a.c_source.find("clang -O1 -g"), std::string::npos);
  EXPECT_EQ(build().c_source.find("clang -O1 -g"), std::string::npos);

  CompileOptions o1 = policy_compile_options(kPolicyPchCpu, 1);
  CompileOptions o2 = policy_compile_options(kPolicyPchCpu);
  EXPECT_EQ(o1.opt_level, 1);
  EXPECT_EQ(o2.opt_level, kDefaultOptLevel);
  const CompileResult r1 = BpfCompiler(o1).compile(a.c_source, "p.c");
  const CompileResult r2 = BpfCompiler(o2).compile(a.c_source, "p.c");
  ASSERT_TRUE(r1.ok()) << r1.format_diagnostics();
  ASSERT_TRUE(r2.ok()) << r2.format_diagnostics();
  const Loadable l1 = loadable(r1.object), l2 = loadable(r2.object);
  ASSERT_FALSE(l1.programs.empty());
  EXPECT_NE(l1.programs, l2.programs);
}

// The PCH is made for one -mcpu; a build for another does not try it.
TEST(PolicyPchTest, AnotherCpuBuildsWithoutIt) {
  PolicyBuildOptions options;
  options.cpu = "v2";
  const PolicyArtifact a = build(options);
  EXPECT_FALSE(a.used_precompiled_header);
  EXPECT_EQ(a.precompiled_header_rejected, "");
  EXPECT_FALSE(a.elf.empty());
}

} // namespace
} // namespace psl::backend
