// link_bpf_objects and the prebuilt parser: a policy compiled with
// PSL_PARSE_PREBUILT and linked with psl_parse_prebuilt.bpf.o must decode
// packets exactly as the same C compiled with the parser inlined. The
// kernel tests skip without BPF (fail instead with PSC_REQUIRE_BPF=1).
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backend/bpf_features.h"
#include "backend/bpf_object.h"
#include "backend/clang_compiler.h"
#include "backend/prebuilt_objects.h"
#include "backend/static_link.h"
#include "backend/test_run.h"
#include "backend/testing/bpf_test_support.h"
#include "backend/testing/packets.h"

namespace psl::backend {
namespace {

std::string test_data(const std::string &name) {
  std::ifstream in(std::string(PSC_BACKEND_TEST_DATA) + "/" + name);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// templates_udp9.c (drop UDP to port 9, through psl_parse) compiled as psc
// compiles policies: -mcpu=v3, and with `prebuilt` the parser only declared.
std::vector<uint8_t> compile_udp9(bool prebuilt) {
  CompileOptions options;
  options.include_dirs.push_back(PSC_BPF_TEMPLATES_DIR);
  options.cpu = "v3";
  if (prebuilt)
    options.defines.emplace_back("PSL_PARSE_PREBUILT", "");
  CompileResult result =
      BpfCompiler(options).compile(test_data("templates_udp9.c"), "udp9.c");
  EXPECT_TRUE(result.ok()) << result.format_diagnostics();
  return result.object;
}

ObjectBytes bytes_of(const std::vector<uint8_t> &v) {
  return {v.data(), v.size()};
}

Expected<std::vector<uint8_t>>
link_with_parser(const std::vector<uint8_t> &policy) {
  return link_bpf_objects(
      {{"udp9.o", bytes_of(policy)},
       {"psl_parse_prebuilt.bpf.o", prebuilt_parser_object()}});
}

// The linkage BTF gives the function `name` in `elf`; -1 if it has none.
// Read with btf__parse_elf from a memfd: bpf_object__open_mem would refuse
// an object with an unresolved extern function.
int btf_linkage(const std::vector<uint8_t> &elf, const char *name) {
  UniqueFd fd(::memfd_create("btf-linkage.o", MFD_CLOEXEC));
  if (!fd || ::write(fd.get(), elf.data(), elf.size()) !=
                 static_cast<ssize_t>(elf.size()))
    return -1;
  const std::string path = "/proc/self/fd/" + std::to_string(fd.get());
  btf *b = btf__parse_elf(path.c_str(), nullptr);
  if (b == nullptr)
    return -1;
  int linkage = -1;
  const int id = btf__find_by_name_kind(b, name, BTF_KIND_FUNC);
  if (id > 0)
    // A FUNC keeps its linkage in vlen (libbpf's btf_func_linkage(),
    // whose name C++ takes for the enum of the same name).
    linkage = btf_vlen(btf__type_by_id(b, id));
  btf__free(b);
  return linkage;
}

TEST(StaticLinkTest, PrebuiltParserIsAGlobalFunction) {
  const std::vector<uint8_t> policy = compile_udp9(/*prebuilt=*/true);
  ASSERT_FALSE(policy.empty());
  // Compiled with PSL_PARSE_PREBUILT the policy only refers to psl_parse.
  EXPECT_EQ(btf_linkage(policy, "psl_parse"), BTF_FUNC_EXTERN);

  auto linked = link_with_parser(policy);
  ASSERT_TRUE(linked.ok()) << linked.error().message << "\n"
                           << linked.error().detail;
  EXPECT_EQ(btf_linkage(*linked, "psl_parse"), BTF_FUNC_GLOBAL);
  // The linked object is smaller than the parts: DWARF is dropped.
  EXPECT_LT(linked->size(), policy.size() + prebuilt_parser_object().size);
}

// The XDP observation's sampled path (bpf/runtime/pso_xdp_sample.bpf.c) is
// a global function in its object, with the maps only it uses; the
// observation counts and events it writes are tested in tests/trace.
TEST(StaticLinkTest, PrebuiltSampledPathIsAGlobalFunctionWithItsMaps) {
  const ObjectBytes sample = prebuilt_observation_object();
  const std::vector<uint8_t> elf(sample.data, sample.data + sample.size);
  EXPECT_EQ(btf_linkage(elf, "pso_xdp_sample"), BTF_FUNC_GLOBAL);
  // Linked after the parser, as every policy is: no global of one
  // conflicts with the other's.
  auto linked = link_bpf_objects(prebuilt_link_inputs());
  ASSERT_TRUE(linked.ok()) << linked.error().message << "\n"
                           << linked.error().detail;
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "prebuilt");
  bpf_object *obj = bpf_object__open_mem(linked->data(), linked->size(), &opts);
  ASSERT_NE(obj, nullptr);
  for (const char *map : {"pso_budget", "pso_scratch", "pso_events"})
    EXPECT_NE(bpf_object__find_map_by_name(obj, map), nullptr) << map;
  // pso_cfg is the policy's (pso_xdp.h); the sampled path gets its entry
  // as an argument.
  EXPECT_EQ(bpf_object__find_map_by_name(obj, "pso_cfg"), nullptr);
  bpf_object__close(obj);
}

TEST(StaticLinkTest, TwoDefinitionsOfAGlobalAreAnError) {
  const ObjectBytes parser = prebuilt_parser_object();
  auto linked = link_bpf_objects({{"first.o", parser}, {"second.o", parser}});
  ASSERT_FALSE(linked.ok());
  EXPECT_NE(linked.error().message.find("cannot link 'second.o'"),
            std::string::npos)
      << linked.error().message;
  // Either of the prebuilt object's globals, psl_parse or psl_ip6_chain.
  EXPECT_NE(linked.error().detail.find("psl_"), std::string::npos)
      << linked.error().detail;
}

TEST(StaticLinkTest, AnInputThatIsNotAnObjectIsNamed) {
  const std::vector<uint8_t> junk = {'n', 'o', 't', ' ', 'e', 'l', 'f'};
  auto linked = link_bpf_objects({{"junk.o", bytes_of(junk)}});
  ASSERT_FALSE(linked.ok());
  EXPECT_NE(linked.error().message.find("cannot link 'junk.o'"),
            std::string::npos)
      << linked.error().message;
  EXPECT_NE(linked.error().message.find("not a BPF object file"),
            std::string::npos)
      << linked.error().message;
}

TEST(StaticLinkTest, NoInputsIsAnError) {
  auto linked = link_bpf_objects({});
  ASSERT_FALSE(linked.ok());
  EXPECT_EQ(linked.error().message, "nothing to link");
}

class StaticLinkKernelTest : public ::testing::Test {
protected:
  void SetUp() override {
    PSC_REQUIRE_OR_SKIP(bpf_features().load);
    PSC_REQUIRE_OR_SKIP(bpf_features().xdp_test_run);
  }

  static BpfObject load(std::vector<uint8_t> elf, const std::string &name) {
    Expected<BpfObject> obj = BpfObject::open(std::move(elf), name);
    EXPECT_TRUE(obj.ok()) << obj.error().message;
    Status s = obj->load();
    EXPECT_TRUE(s.ok()) << s.error().message << "\n" << s.error().detail;
    return std::move(*obj);
  }
};

// The global function passes the verifier inside a real policy and gives
// the verdicts the inlined parser gives, over both IP versions and a
// packet the parser rejects.
TEST_F(StaticLinkKernelTest, LinkedParserDecodesLikeTheInlinedOne) {
  auto linked = link_with_parser(compile_udp9(/*prebuilt=*/true));
  ASSERT_TRUE(linked.ok()) << linked.error().message << "\n"
                           << linked.error().detail;
  BpfObject with_prebuilt = load(std::move(*linked), "linked");
  BpfObject with_inline = load(compile_udp9(/*prebuilt=*/false), "inline");
  ASSERT_TRUE(with_prebuilt.loaded() && with_inline.loaded());

  std::vector<uint8_t> truncated = testing::udp4(9);
  truncated.resize(14 + 20 + 4); // the UDP header cut in half

  const struct {
    const char *what;
    std::vector<uint8_t> frame;
    XdpAction expected;
  } cases[] = {
      {"udp4 to 9", testing::udp4(9), XdpAction::Drop},
      {"udp4 to 53", testing::udp4(53), XdpAction::Pass},
      {"tcp4 to 9", testing::tcp4(9), XdpAction::Pass},
      {"udp6 to 9", testing::udp6(9), XdpAction::Drop},
      {"truncated udp4 to 9", truncated, XdpAction::Pass},
  };
  for (const auto &c : cases) {
    auto a = test_run_xdp(with_prebuilt.program_fd(), c.frame);
    auto b = test_run_xdp(with_inline.program_fd(), c.frame);
    ASSERT_TRUE(a.ok() && b.ok()) << c.what;
    EXPECT_EQ(a->action(), c.expected) << c.what;
    EXPECT_EQ(a->retval, b->retval) << c.what;
  }
}

} // namespace
} // namespace psl::backend
