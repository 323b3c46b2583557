#include "codegen/policy_compile.h"

#ifndef PSC_BPF_TEMPLATE_DIR
#error "PSC_BPF_TEMPLATE_DIR must be defined by the build"
#endif

namespace psl::backend {

CompileOptions policy_compile_options(const std::string &cpu) {
  CompileOptions copts;
  copts.include_dirs.push_back(PSC_BPF_TEMPLATE_DIR);
  copts.cpu = cpu;
  // psl_parse() comes linked in from the prebuilt object, not compiled
  // again from psl_parse.h (prebuilt_parser.h says why).
  copts.defines.emplace_back("PSL_PARSE_PREBUILT", "");
  return copts;
}

std::string policy_header_path() {
  return std::string(PSC_BPF_TEMPLATE_DIR) + "/" + kPolicyHeader;
}

} // namespace psl::backend
