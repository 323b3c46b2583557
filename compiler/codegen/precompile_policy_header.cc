// Build step: precompiles bpf/templates/psl_policy.h with the options of a
// policy compile (policy_compile.h) into the PCH that psc embeds, and
// lists the files it was made from.
//
//   psl_precompile_policy_header OUT.pch OUT.inputs
//
// The same in-process Clang as psc's policy compiles, so the PCH fits the
// compiler that loads it. OUT.inputs has one path per line: every header
// the PCH read (Clang's dependency list, system headers included) and the
// compiler libraries this process loaded to make it. The object cache's
// key covers them (policy_object_key.h). Exit 1 with Clang's diagnostics
// if the header does not compile.
#include <link.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "codegen/policy_compile.h"

namespace {

// The prerequisites of a make rule "target: a b \<newline> c", with "\ "
// for a space in a path.
std::set<std::string> depfile_inputs(const std::string &text) {
  std::set<std::string> out;
  const size_t colon = text.find(": ");
  std::string path;
  for (size_t i = colon == std::string::npos ? text.size() : colon + 2;
       i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size() && text[i + 1] == ' ') {
      path += ' ';
      ++i;
    } else if (c == '\\' && i + 1 < text.size() && text[i + 1] == '\n') {
      ++i;
    } else if (c == ' ' || c == '\n' || c == '\t') {
      if (!path.empty())
        out.insert(path);
      path.clear();
    } else {
      path += c;
    }
  }
  if (!path.empty())
    out.insert(path);
  return out;
}

int add_compiler_library(dl_phdr_info *info, size_t, void *data) {
  const std::string name = info->dlpi_name ? info->dlpi_name : "";
  if (name.find("clang") != std::string::npos ||
      name.find("LLVM") != std::string::npos)
    static_cast<std::set<std::string> *>(data)->insert(name);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s OUT.pch OUT.inputs\n", argv[0]);
    return 2;
  }
  using namespace psl::backend;
  using namespace psl::codegen;
  const std::string pch = argv[1], inputs = argv[2];
  const std::string depfile = pch + ".d";
  CompileOptions options = policy_compile_options(kPolicyPchCpu);
  // Dependency output does not enter the PCH: a policy compile, which asks
  // for none, still accepts it.
  options.extra_args = {"-dependency-file", depfile, "-MT", "pch",
                        "-sys-header-deps"};
  const BpfCompiler compiler(options);
  const CompileResult result = compiler.precompile(policy_header_path(), pch);
  std::fputs(result.format_diagnostics().c_str(), stderr);
  if (result.error_count != 0)
    return 1;

  std::ifstream in(depfile);
  const std::string deps((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  std::set<std::string> files = depfile_inputs(deps);
  if (files.empty()) {
    std::fprintf(stderr, "%s: Clang listed no inputs in %s\n", argv[0],
                 depfile.c_str());
    return 1;
  }
  dl_iterate_phdr(add_compiler_library, &files);
  std::ofstream out(inputs, std::ios::trunc);
  for (const std::string &f : files)
    out << f << "\n";
  out.close();
  if (!out) {
    std::fprintf(stderr, "%s: cannot write %s\n", argv[0], inputs.c_str());
    return 1;
  }
  std::remove(depfile.c_str());
  return 0;
}
