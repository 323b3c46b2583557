#include "backend/clang_compiler.h"

#include <cstdlib>

#include "backend/clang_module.h"

#ifndef PSC_CLANG_RESOURCE_DIR
#error "PSC_CLANG_RESOURCE_DIR must be defined by the build"
#endif
#ifndef PSC_HOST_MULTIARCH_INCLUDE
#define PSC_HOST_MULTIARCH_INCLUDE ""
#endif

namespace psl::backend {
namespace {

// CompileOptions::precompiled_header's place in the virtual directory.
constexpr const char kPchName[] = "precompiled.pch";

std::string virtual_path(std::string_view name) {
  std::string path = kVirtualDir;
  path += '/';
  path += name;
  return path;
}

} // namespace

const char *level_name(CDiagnostic::Level level) {
  switch (level) {
  case CDiagnostic::Level::Error:
    return "error";
  case CDiagnostic::Level::Warning:
    return "warning";
  case CDiagnostic::Level::Note:
    return "note";
  case CDiagnostic::Level::Remark:
    return "remark";
  }
  return "error";
}

std::string format_diagnostic(const CDiagnostic &d) {
  std::string out;
  if (!d.file.empty()) {
    out += d.file;
    out += ':';
    if (d.line != 0) {
      out += std::to_string(d.line);
      out += ':';
      if (d.column != 0) {
        out += std::to_string(d.column);
        out += ':';
      }
    }
    out += ' ';
  }
  out += level_name(d.level);
  out += ": ";
  out += d.message;
  if (!d.option.empty()) {
    out += " [";
    out += d.option;
    out += ']';
  }
  return out;
}

const CDiagnostic *CompileResult::first_error() const {
  for (const CDiagnostic &d : diagnostics)
    if (d.level == CDiagnostic::Level::Error)
      return &d;
  return nullptr;
}

std::string CompileResult::format_diagnostics() const {
  std::string out;
  for (const CDiagnostic &d : diagnostics) {
    out += format_diagnostic(d);
    out += '\n';
  }
  return out;
}

BpfCompiler::BpfCompiler(CompileOptions options)
    : options_(std::move(options)) {
  if (options_.resource_dir.empty())
    options_.resource_dir = default_resource_dir();
  if (options_.system_include_dirs.empty())
    options_.system_include_dirs = default_system_include_dirs();
  if (options_.cpu.empty())
    options_.cpu = "v2";
}

std::string BpfCompiler::default_resource_dir() {
  if (const char *env = std::getenv("CLANG_RESOURCE_DIR"); env && *env)
    return env;
  return PSC_CLANG_RESOURCE_DIR;
}

std::vector<std::string> BpfCompiler::default_system_include_dirs() {
  std::vector<std::string> dirs;
  // <linux/types.h> includes <asm/types.h>, which Debian keeps under the
  // multiarch directory.
  if (*PSC_HOST_MULTIARCH_INCLUDE)
    dirs.emplace_back(PSC_HOST_MULTIARCH_INCLUDE);
  dirs.emplace_back("/usr/include");
  return dirs;
}

std::vector<std::string>
BpfCompiler::cc1_args(const CompileInput &input) const {
  return cc1_args_for("-emit-obj", "c", virtual_path(input.name), input.name,
                      !options_.precompiled_header.empty());
}

std::vector<std::string> BpfCompiler::cc1_args_for(
    const std::string &action, const std::string &language,
    const std::string &input_path, const std::string &main_file_name,
    bool with_pch) const {
  std::vector<std::string> args = {
      "-triple",
      "bpfel",
      action,
      "-target-cpu",
      options_.cpu,
      "-O" + std::to_string(options_.opt_level),
      "-mrelocation-model",
      "static",
      // __GNUC__ and friends: kernel and libbpf headers test for them.
      "-fgnuc-version=4.2.1",
      "-discard-value-names",
      "-disable-llvm-verifier",
      "-ferror-limit",
      std::to_string(options_.error_limit),
      "-fno-caret-diagnostics",
      "-fmessage-length=0",
      "-main-file-name",
      main_file_name,
      std::string("-fdebug-compilation-dir=") + kVirtualDir,
      // Only the search paths given here; never the host's defaults.
      "-nostdsysteminc",
      "-nobuiltininc",
      "-resource-dir",
      options_.resource_dir,
  };
  if (options_.debug_info) {
    args.insert(args.end(), {"-debug-info-kind=constructor", "-dwarf-version=5",
                             "-debugger-tuning=gdb"});
  }
  if (options_.warnings_as_errors)
    args.emplace_back("-Werror");
  for (const auto &[name, value] : options_.defines) {
    args.emplace_back("-D");
    args.emplace_back(value.empty() ? name : name + "=" + value);
  }
  for (const std::string &dir : options_.include_dirs) {
    args.emplace_back("-I");
    args.emplace_back(dir);
  }
  args.emplace_back("-isystem");
  args.emplace_back(options_.resource_dir + "/include");
  for (const std::string &dir : options_.system_include_dirs) {
    args.emplace_back("-isystem");
    args.emplace_back(dir);
  }
  args.insert(args.end(), options_.extra_args.begin(),
              options_.extra_args.end());
  if (with_pch) {
    args.emplace_back("-include-pch");
    args.emplace_back(virtual_path(kPchName));
  }
  args.insert(args.end(), {"-x", language, input_path});
  return args;
}

CompileResult BpfCompiler::compile(std::string_view text,
                                   std::string_view name) const {
  CompileInput input;
  input.name = std::string(name);
  input.text = std::string(text);
  return compile(input);
}

CompileResult BpfCompiler::compile(const CompileInput &input) const {
  if (input.name.empty() || input.name.front() == '/') {
    CompileResult result;
    result.add_error("the main file name must be a relative name");
    return result;
  }
  if (options_.precompiled_header.empty())
    return compile_once(input, /*with_pch=*/false);
  CompileResult with = compile_once(input, /*with_pch=*/true);
  if (with.ok()) {
    with.used_precompiled_header = true;
    return with;
  }
  // A PCH Clang refuses (another Clang build, a header changed on disk
  // since psc was built) costs time, never the compile. A failure that is
  // not the PCH's fails again here, with the diagnostics of this compile.
  CompileResult without = compile_once(input, /*with_pch=*/false);
  if (without.ok()) {
    const CDiagnostic *e = with.first_error();
    without.precompiled_header_rejected =
        e ? format_diagnostic(*e) : "the compile with it failed";
  }
  return without;
}

namespace {

// The module, or an error result saying why it cannot be loaded.
const ClangEntry *entry_or_error(CompileResult &result) {
  std::string error;
  const ClangEntry *e = clang_entry(&error);
  if (e == nullptr)
    result.add_error(error);
  return e;
}

} // namespace

CompileResult BpfCompiler::compile_once(const CompileInput &input,
                                        bool with_pch) const {
  CompileResult result;
  const ClangEntry *entry = entry_or_error(result);
  if (entry == nullptr)
    return result;
  ClangJob job;
  const std::string main_path = virtual_path(input.name);
  job.args = cc1_args_for("-emit-obj", "c", main_path, input.name, with_pch);
  job.files.push_back({main_path, input.text, /*copy=*/true});
  for (const auto &[name, text] : input.extra_files)
    job.files.push_back({virtual_path(name), text, /*copy=*/true});
  if (with_pch)
    job.files.push_back({virtual_path(kPchName), options_.precompiled_header,
                         /*copy=*/false});
  entry->compile(job, result);
  return result;
}

CompileResult BpfCompiler::precompile(const std::string &header_path,
                                      const std::string &output_path) const {
  CompileResult result;
  const ClangEntry *entry = entry_or_error(result);
  if (entry == nullptr)
    return result;
  std::string name = header_path;
  if (size_t slash = name.rfind('/'); slash != std::string::npos)
    name = name.substr(slash + 1);
  ClangJob job;
  job.args = cc1_args_for("-emit-pch", "c-header", header_path, name,
                          /*with_pch=*/false);
  job.args.insert(job.args.end(), {"-o", output_path});
  entry->precompile(job, result);
  return result;
}

} // namespace psl::backend
