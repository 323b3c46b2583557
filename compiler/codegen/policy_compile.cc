#include "codegen/policy_compile.h"

#ifndef PSC_BPF_TEMPLATE_DIR
#error "PSC_BPF_TEMPLATE_DIR must be defined by the build"
#endif

namespace psl::codegen {

using namespace backend;

CompileOptions policy_compile_options(const std::string &cpu, int opt_level) {
  CompileOptions copts;
  copts.opt_level = opt_level;
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

std::string standalone_compile_command(const std::string &c_file,
                                       const std::string &object,
                                       const std::string &cpu, int opt_level) {
  std::string cmd = "clang -O" + std::to_string(opt_level) +
                    " -g -target bpf -mcpu=" + cpu + " -I" +
                    std::string(PSC_BPF_TEMPLATE_DIR);
  // clang searches /usr/include itself; the others it does not for a BPF
  // target.
  for (const std::string &dir : BpfCompiler::default_system_include_dirs())
    if (dir != "/usr/include")
      cmd += " -idirafter " + dir;
  return cmd + " -c " + c_file + " -o " + object;
}

} // namespace psl::codegen
