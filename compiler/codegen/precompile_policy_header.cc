// Build step: precompiles bpf/templates/psl_policy.h with the options of a
// policy compile (policy_compile.h) into the PCH that psc embeds.
//
//   psl_precompile_policy_header OUT.pch
//
// The same in-process Clang as psc's policy compiles, so the PCH fits the
// compiler that loads it. Exit 1 with Clang's diagnostics if the header
// does not compile.
#include <cstdio>

#include "codegen/policy_compile.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT.pch\n", argv[0]);
    return 2;
  }
  using namespace psl::backend;
  using namespace psl::codegen;
  const BpfCompiler compiler(policy_compile_options(kPolicyPchCpu));
  const CompileResult result =
      compiler.precompile(policy_header_path(), argv[1]);
  std::fputs(result.format_diagnostics().c_str(), stderr);
  return result.error_count == 0 ? 0 : 1;
}
