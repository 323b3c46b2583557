// Policy builds with the object cache (codegen/policy_build.h,
// codegen/policy_object_key.h): a second build of the same policy takes
// the stored object, byte for byte what Clang makes; anything the compile
// reads changes the key; a damaged entry or a cache that cannot store
// costs only a compile. Compiles only: needs no privileges and no BPF.
#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backend/clang_compiler.h"
#include "backend/object_cache.h"
#include "backend/prebuilt_objects.h"
#include "codegen/policy_build.h"
#include "codegen/policy_compile.h"
#include "codegen/policy_object_key.h"
#include "driver.h"

namespace psl::codegen {
namespace {

namespace fs = std::filesystem;
using backend::BpfCompiler;
using backend::CompileInput;
using backend::ObjectCache;
using backend::ObjectCacheOptions;
using backend::Sha256Digest;

constexpr const char kPolicy[] = R"(policy cached {
  default pass
  rule host: ip.src == 192.0.2.1 => drop
  rule ports: udp.dport in {53, 123} => pass
  rule flood: ip.src in 203.0.113.0/24 and rate(ip.src) > 100/s => drop
}
)";

std::shared_ptr<ObjectCache> fresh_cache(const std::string &name) {
  const std::string dir = ::testing::TempDir() + "policy_object_cache_" + name;
  fs::remove_all(dir);
  ObjectCacheOptions o;
  o.dir = dir;
  auto cache = ObjectCache::open(o);
  EXPECT_TRUE(cache.ok()) << cache.error().message;
  return cache.ok() ? cache.value() : nullptr;
}

PolicyArtifact build(const std::shared_ptr<ObjectCache> &cache,
                     const char *text = kPolicy) {
  CheckedModule checked = check_source("cached.psl", text);
  EXPECT_TRUE(checked.ok()) << "the test policy does not check";
  PolicyBuildOptions options;
  options.object_cache = cache;
  auto built = build_policy(*checked.module.policy,
                            checked.diags.file_ptr().get(), options);
  EXPECT_TRUE(built.ok()) << built.error().message << "\n"
                          << built.error().detail;
  return built.ok() ? std::move(built.value()) : PolicyArtifact{};
}

TEST(PolicyObjectCache, ASecondBuildTakesTheStoredObject) {
  auto cache = fresh_cache("second");
  ASSERT_TRUE(cache);
  const PolicyArtifact first = build(cache);
  ASSERT_FALSE(first.elf.empty());
  EXPECT_FALSE(first.object_from_cache);
  EXPECT_TRUE(first.object_cache_error.empty()) << first.object_cache_error;
  EXPECT_EQ(cache->stats().stores, 1u);

  const PolicyArtifact second = build(cache);
  EXPECT_TRUE(second.object_from_cache);
  EXPECT_EQ(second.elf, first.elf);
  EXPECT_EQ(second.c_source, first.c_source);
  // The rest of the artifact is the lowering's, made again every time.
  EXPECT_EQ(second.classifier.entries.size(), first.classifier.entries.size());
  EXPECT_EQ(cache->stats().hits, 1u);

  // What Clang makes without the cache, byte for byte.
  const PolicyArtifact uncached = build(nullptr);
  EXPECT_FALSE(uncached.object_from_cache);
  EXPECT_EQ(uncached.elf, first.elf);

  // Another policy is another object.
  const std::string other = std::string(kPolicy).replace(
      std::string(kPolicy).find("192.0.2.1"), 9, "192.0.2.2");
  const PolicyArtifact third = build(cache, other.c_str());
  EXPECT_FALSE(third.object_from_cache);
  EXPECT_NE(third.elf, first.elf);
  EXPECT_EQ(cache->stats().stores, 2u);
}

TEST(PolicyObjectCache, ADamagedEntryIsCompiledAgain) {
  auto cache = fresh_cache("damaged");
  ASSERT_TRUE(cache);
  const PolicyArtifact first = build(cache);
  ASSERT_FALSE(first.elf.empty());
  size_t damaged = 0;
  for (const auto &e : fs::directory_iterator(cache->dir())) {
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-100, std::ios::end);
    f.put('\x5a');
    ++damaged;
  }
  ASSERT_EQ(damaged, 1u);
  const PolicyArtifact again = build(cache);
  EXPECT_FALSE(again.object_from_cache);
  EXPECT_EQ(again.elf, first.elf);
  EXPECT_EQ(cache->stats().rejected, 1u);
  // Stored again, whole.
  EXPECT_TRUE(build(cache).object_from_cache);
}

TEST(PolicyObjectCache, ACacheThatCannotStoreOnlyCostsTheCompile) {
  auto cache = fresh_cache("gone");
  ASSERT_TRUE(cache);
  fs::remove_all(cache->dir());
  const PolicyArtifact a = build(cache);
  ASSERT_FALSE(a.elf.empty());
  EXPECT_FALSE(a.object_from_cache);
  EXPECT_NE(a.object_cache_error.find("cannot write to the object cache '" +
                                      cache->dir() + "'"),
            std::string::npos)
      << a.object_cache_error;
  EXPECT_EQ(cache->stats().store_failures, 1u);
  EXPECT_EQ(cache->stats().stores, 0u);
}

TEST(PolicyObjectKey, CoversEverythingTheCompileReads) {
  const std::string include = ::testing::TempDir() + "policy_object_key_inc";
  fs::remove_all(include);
  fs::create_directories(include);
  auto options = [&] {
    backend::CompileOptions o = policy_compile_options(kPolicyPchCpu);
    o.include_dirs.push_back(include);
    return o;
  };
  CompileInput input;
  input.name = "p.c";
  input.text = "int x;\n";
  const auto prebuilt = backend::prebuilt_link_inputs();
  auto key = [&](const backend::CompileOptions &o, const CompileInput &in) {
    return policy_object_key(BpfCompiler(o), in, prebuilt);
  };
  const Sha256Digest base = key(options(), input);
  EXPECT_EQ(key(options(), input), base) << "the same compile, the same key";

  CompileInput text = input;
  text.text = "int y;\n";
  EXPECT_NE(key(options(), text), base);
  CompileInput name = input;
  name.name = "q.c"; // in the object's line info
  EXPECT_NE(key(options(), name), base);
  CompileInput extra = input;
  extra.extra_files["h.h"] = "#define A 1\n";
  EXPECT_NE(key(options(), extra), base);

  backend::CompileOptions o = options();
  o.opt_level = 1;
  EXPECT_NE(key(o, input), base);
  o = options();
  o.cpu = "v2";
  EXPECT_NE(key(o, input), base);
  o = options();
  o.defines.emplace_back("X", "1");
  EXPECT_NE(key(o, input), base);
  o = options();
  const ObjectBytes pch = policy_precompiled_header();
  o.precompiled_header = {reinterpret_cast<const char *>(pch.data), pch.size};
  const Sha256Digest with_pch = key(o, input);
  EXPECT_NE(with_pch, base);
  EXPECT_NE(policy_object_key(BpfCompiler(o), input, {}), with_pch)
      << "the prebuilt objects it is linked with";

  // A header on the include path: added, then changed in place.
  const std::string header = include + "/extra.h";
  std::ofstream(header) << "#define B 1\n";
  const Sha256Digest with_header = key(options(), input);
  EXPECT_NE(with_header, base);
  struct timespec times[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, header.c_str(), times, 0), 0);
  EXPECT_NE(key(options(), input), with_header);
}

TEST(PolicyObjectKey, TheBuildRecordedTheHeadersThePchWasMadeFrom) {
  const ObjectBytes recorded = policy_pch_inputs();
  const std::string list(reinterpret_cast<const char *>(recorded.data),
                         recorded.size);
  for (const char *needle :
       {"/linux/bpf.h\n", "/bpf/bpf_helpers.h\n", "/psl_policy.h\n",
        "/psl_parse.h\n", "libpsl_clang.so\n"})
    EXPECT_NE(list.find(needle), std::string::npos) << needle << " in\n"
                                                    << list;
}

} // namespace
} // namespace psl::codegen
