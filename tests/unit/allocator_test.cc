// The allocator of psc and psd (compiler/allocator/allocator.h): mimalloc
// replaces malloc for the whole process once an executable links it, large
// OS pages come on unless the operator said otherwise, and psc and psd are
// linked so that their libraries (LLVM and Clang among them) get it too.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <mimalloc.h>

#include "allocator/allocator.h"
#include "command_output.h"

namespace {

using psl::testing::output_of;

// The dynamic loader's list of what `binary` loads, in search order (it
// runs nothing of the binary: LD_TRACE_LOADED_OBJECTS is what ldd sets).
std::string loaded_objects(const std::string &binary) {
  int status = 0;
  std::string out =
      output_of("LD_TRACE_LOADED_OBJECTS=1 '" + binary + "' 2>&1", status);
  EXPECT_EQ(status, 0) << out;
  return out;
}

void expect_mimalloc_before_libc(const std::string &binary) {
  const std::string list = loaded_objects(binary);
  const size_t mimalloc = list.find("libmimalloc.so");
  const size_t libc = list.find("libc.so.6");
  ASSERT_NE(mimalloc, std::string::npos) << binary << " loads:\n" << list;
  ASSERT_NE(libc, std::string::npos) << list;
  // The loader binds malloc to the first object that defines it.
  EXPECT_LT(mimalloc, libc) << list;
}

TEST(Allocator, MallocIsMimallocWithLargePagesByDefault) {
  // This test binary links psl_allocator, as psc and psd do.
  psl::allocator::configure();
  EXPECT_TRUE(psl::allocator::malloc_is_mimalloc());
  // operator new goes through malloc too, so the AST and LLVM's objects do.
  auto node = std::make_unique<std::vector<int>>(1000, 7);
  EXPECT_TRUE(mi_is_in_heap_region(node->data()));

  const std::string text = psl::allocator::describe();
  EXPECT_EQ(text.rfind("mimalloc 2.", 0), 0u) << text;
  if (std::getenv("MIMALLOC_LARGE_OS_PAGES") == nullptr) {
    EXPECT_TRUE(mi_option_is_enabled(mi_option_large_os_pages));
    EXPECT_EQ(mi_option_get(mi_option_eager_commit_delay), 0);
    EXPECT_NE(text.find("large OS pages on"), std::string::npos) << text;
  }
}

TEST(Allocator, AnOperatorsSettingWins) {
  // A child process of this binary with the pages turned off: configure()
  // must leave them off.
  int status = 0;
  const std::string out = output_of(
      "MIMALLOC_LARGE_OS_PAGES=0 '" + std::string(PSL_ALLOCATOR_TEST_BINARY) +
          "' --gtest_filter=Allocator.ReportsTheSetting 2>&1",
      status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("allocator: mimalloc"), std::string::npos) << out;
  EXPECT_NE(out.find("large OS pages off"), std::string::npos) << out;
}

// Run on its own by the test above (and harmless in the full run).
TEST(Allocator, ReportsTheSetting) {
  psl::allocator::configure();
  const std::string text = psl::allocator::describe();
  std::printf("allocator: %s\n", text.c_str());
  EXPECT_EQ(mi_option_is_enabled(mi_option_large_os_pages),
            text.find("large OS pages on") != std::string::npos);
}

TEST(Allocator, PscAndPsdLinkItAheadOfLibc) {
  expect_mimalloc_before_libc(PSC_BINARY);
#ifdef PSD_BINARY
  expect_mimalloc_before_libc(PSD_BINARY);
#endif
}

} // namespace
