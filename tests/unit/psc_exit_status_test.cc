// Typed errors (compiler/backend/status.h) and the exit status of each
// kind (compiler/tools/psc/commands.h): psc decides its exit status from
// an error's kind, never from its text.
#include <gtest/gtest.h>

#include <cerrno>

#include "backend/status.h"
#include "codegen/policy_build.h"
#include "commands.h"
#include "driver.h"

namespace {

using psl::backend::Error;
using psl::backend::ErrorKind;

TEST(ExitStatus, OnePerKind) {
  EXPECT_EQ(psc::exit_status(ErrorKind::User), psc::kExitFindings);
  EXPECT_EQ(psc::exit_status(ErrorKind::Environment), psc::kExitEnvironment);
  EXPECT_EQ(psc::exit_status(ErrorKind::Internal), psc::kExitInternal);
  EXPECT_EQ(psc::kExitFindings, 1);
  EXPECT_EQ(psc::kExitUsage, 2);
  EXPECT_EQ(psc::kExitEnvironment, 3);
  EXPECT_EQ(psc::kExitInternal, 4);
}

TEST(ErrorKind, ConstructorsSayWhoseFaultItIs) {
  EXPECT_EQ(psl::backend::errno_error("cannot open", EPERM).kind,
            ErrorKind::Environment);
  EXPECT_EQ(Error("cannot attach").kind, ErrorKind::Environment);
  EXPECT_EQ(Error::user("too many rules").kind, ErrorKind::User);
  EXPECT_EQ(Error::internal("broken").kind, ErrorKind::Internal);
  EXPECT_STREQ(psl::backend::error_kind_name(ErrorKind::User), "user input");
  EXPECT_STREQ(psl::backend::error_kind_name(ErrorKind::Environment),
               "environment");
  EXPECT_STREQ(psl::backend::error_kind_name(ErrorKind::Internal), "internal");
}

// A policy past a lowering limit is the input's fault (exit 1), whatever
// the message says.
TEST(ErrorKind, LoweringLimitIsTheInputs) {
  std::string text = "policy p {\n";
  for (int i = 0; i < 4; ++i)
    text += "  rule r" + std::to_string(i) +
            ": tcp.dport == " + std::to_string(100 + i) +
            " and ip.ttl == tcp.window => count\n";
  text += "}\n";
  auto checked = psl::check_source("p.psl", text);
  ASSERT_TRUE(checked.ok());
  psl::codegen::PolicyBuildOptions options;
  options.lower.code.max_code_rules = 2;
  auto built = psl::codegen::build_policy(
      *checked.module.policy, checked.diags.file_ptr().get(), options);
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.error().kind, ErrorKind::User) << built.error().message;
  EXPECT_EQ(psc::exit_status(built.error().kind), psc::kExitFindings);
}

} // namespace
