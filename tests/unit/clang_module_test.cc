// The in-process Clang as a module loaded on first use
// (compiler/backend/clang_module.h): psc and psd do not link LLVM, a
// program loads it with its first compile (or early, on a thread, with
// preload_clang), psc check needs none of it, and a module that cannot be
// loaded is a clear error of the machine, not a crash or a "bug in psc".
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backend/clang_compiler.h"
#include "backend/clang_module.h"
#include "command_output.h"

namespace {

using psl::testing::output_of;

// Whether this process has mapped an object whose path contains `name`.
bool mapped(const std::string &name) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.find(name) != std::string::npos)
      return true;
  return false;
}

std::string write_file(const std::string &name, const std::string &text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

constexpr const char *kPolicy = "policy p {\n"
                                "  rule a: tcp.dport == 22 => pass\n"
                                "  default pass\n"
                                "}\n";

TEST(ClangModule, PscAndPsdDoNotLinkLlvm) {
  std::vector<std::string> binaries = {PSC_BINARY};
#ifdef PSD_BINARY
  binaries.push_back(PSD_BINARY);
#endif
  for (const std::string &binary : binaries) {
    int status = 0;
    const std::string list =
        output_of("LD_TRACE_LOADED_OBJECTS=1 '" + binary + "' 2>&1", status);
    ASSERT_EQ(status, 0) << list;
    ASSERT_NE(list.find("libc.so"), std::string::npos) << list;
    EXPECT_EQ(list.find("libLLVM"), std::string::npos) << binary << ":\n"
                                                       << list;
    EXPECT_EQ(list.find("libclang-cpp"), std::string::npos) << list;
  }
}

TEST(ClangModule, TheFirstCompileLoadsIt) {
  EXPECT_FALSE(mapped("libLLVM"));
  EXPECT_FALSE(mapped("libpsl_clang"));
  psl::backend::BpfCompiler compiler;
  psl::backend::CompileResult r =
      compiler.compile("int f(int x) { return x + 1; }\n", "f.c");
  EXPECT_TRUE(r.ok()) << r.format_diagnostics();
  EXPECT_FALSE(r.object.empty());
  // LLVM comes with it: inside it (linked statically) or beside it.
  EXPECT_TRUE(mapped("libpsl_clang"));
}

TEST(ClangModule, PreloadLoadsItOnAThreadOfItsOwn) {
  psl::backend::preload_clang();
  psl::backend::preload_clang(); // once per process
  std::string error;
  EXPECT_NE(psl::backend::clang_entry(&error), nullptr) << error;
  EXPECT_TRUE(error.empty());
  EXPECT_TRUE(mapped("libpsl_clang"));
}

TEST(ClangModule, AModuleThatCannotBeLoadedIsAnErrorOfTheMachine) {
  const std::string policy = write_file("clang_module_policy.psl", kPolicy);
  const std::string out = ::testing::TempDir() + "clang_module_policy.o";
  const std::string missing = ::testing::TempDir() + "no_such_module.so";
  int status = 0;
  std::string text =
      output_of("PSC_CLANG_MODULE='" + missing + "' '" + PSC_BINARY +
                    "' build '" + policy + "' -o '" + out + "' 2>&1",
                status);
  EXPECT_EQ(status, 3) << text; // kExitEnvironment
  EXPECT_NE(text.find("cannot compile the policy: cannot load the compiler "
                      "module " +
                      missing),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("internal error"), std::string::npos) << text;

  // A file that is not a module of this build is refused as well.
  text = output_of("PSC_CLANG_MODULE='" + policy + "' '" + PSC_BINARY +
                       "' build '" + policy + "' -o '" + out + "' 2>&1",
                   status);
  EXPECT_EQ(status, 3) << text;
  EXPECT_NE(text.find("cannot load the compiler module"), std::string::npos)
      << text;

  // psc check never compiles: it works without the module.
  text = output_of("PSC_CLANG_MODULE='" + missing + "' '" + PSC_BINARY +
                       "' check '" + policy + "' 2>&1",
                   status);
  EXPECT_EQ(status, 0) << text;
}

} // namespace
