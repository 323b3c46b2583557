// Typed errors (compiler/backend/status.h) and the exit status of each
// kind (compiler/tools/psc/commands.h): psc decides its exit status from
// an error's kind, never from its text.
#include <gtest/gtest.h>

#include <cerrno>
#include <sstream>

#include "backend/status.h"
#include "codegen/policy_build.h"
#include "commands.h"
#include "driver.h"
#include "policy_target.h"

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

// load, unload, status and set show an error of the policy runtime and
// exit with its kind's status; an internal one says it is a bug.
TEST(ExitStatus, InterfaceVerbsReportTheKindOfTheRuntimesError) {
  struct Case {
    Error error;
    int status;
  };
  Error with_detail = Error::user("the kernel rejected the policy", "log\n");
  with_detail.notes.push_back({"r", "p.psl", 3, 5, "in the code of rule 'r'"});
  for (const Case &c : {
           Case{Error("no PacketScope policy on 'lo'", ENOENT, {},
                      ErrorKind::User),
                psc::kExitFindings},
           Case{with_detail, psc::kExitFindings},
           Case{psl::backend::errno_error("cannot open network namespace 'x'",
                                          ENOENT),
                psc::kExitEnvironment},
           Case{Error::internal("put_in_force: no policy artifact"),
                psc::kExitInternal},
       }) {
    std::ostringstream err;
    EXPECT_EQ(psc::report_error("unload", c.error, err), c.status)
        << c.error.message;
    const std::string text = err.str();
    EXPECT_EQ(text.rfind("psc unload: " + c.error.message + "\n", 0), 0u)
        << text;
    const bool bug = text.find("this is a bug in psc") != std::string::npos;
    EXPECT_EQ(bug, c.status == psc::kExitInternal) << text;
  }
  std::ostringstream err;
  EXPECT_EQ(psc::report_error("load", with_detail, err), psc::kExitFindings);
  EXPECT_EQ(err.str(), "psc load: the kernel rejected the policy\n"
                       "p.psl:3:5: note: in the code of rule 'r'\n"
                       "log\n");
  // error_status() only maps (after the bug line for an internal error).
  std::ostringstream quiet;
  EXPECT_EQ(psc::error_status("set", Error("x", EBUSY), quiet),
            psc::kExitEnvironment);
  EXPECT_EQ(quiet.str(), "");
  EXPECT_EQ(psc::error_status("set", Error::internal("x"), quiet),
            psc::kExitInternal);
  EXPECT_EQ(quiet.str(), "psc set: this is a bug in psc: please report it "
                         "with the input\n");
}

} // namespace
