#include "backend/clang_compiler.h"

#include <cstdlib>
#include <memory>
#include <mutex>

#include <clang/Basic/Diagnostic.h>
#include <clang/Basic/DiagnosticIDs.h>
#include <clang/Basic/DiagnosticOptions.h>
#include <clang/Basic/FileManager.h>
#include <clang/Basic/SourceManager.h>
#include <clang/CodeGen/CodeGenAction.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/CompilerInvocation.h>
#include <clang/Frontend/FrontendActions.h>
#include <llvm/ADT/IntrusiveRefCntPtr.h>
#include <llvm/ADT/SmallString.h>
#include <llvm/ADT/SmallVector.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/Path.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/VirtualFileSystem.h>
#include <llvm/Support/raw_ostream.h>

#ifndef PSC_CLANG_RESOURCE_DIR
#error "PSC_CLANG_RESOURCE_DIR must be defined by the build"
#endif
#ifndef PSC_HOST_MULTIARCH_INCLUDE
#define PSC_HOST_MULTIARCH_INCLUDE ""
#endif

namespace psl::backend {
namespace {

// The in-memory files live here. A path no real file system has, so an
// include can never silently pick a real file instead of ours.
constexpr const char kVirtualDir[] = "/__psc_memory__";
// CompileOptions::precompiled_header's place in that directory.
constexpr const char kPchName[] = "precompiled.pch";

// Registering a target only fills LLVM's target registry; it holds no
// compile state and is safe to do once for the whole process.
void register_bpf_target() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeBPFTargetInfo();
    LLVMInitializeBPFTarget();
    LLVMInitializeBPFTargetMC();
    LLVMInitializeBPFAsmPrinter();
    LLVMInitializeBPFAsmParser(); // inline asm in the templates
  });
}

std::string virtual_path(std::string_view name) {
  std::string path = kVirtualDir;
  path += '/';
  path += name;
  return path;
}

// Paths under the virtual directory are shown as the caller named them.
std::string display_path(llvm::StringRef path) {
  llvm::StringRef prefix(kVirtualDir);
  if (path.startswith(prefix) && path.size() > prefix.size() &&
      path[prefix.size()] == '/')
    return path.substr(prefix.size() + 1).str();
  return path.str();
}

// Collects every diagnostic into a CompileResult instead of printing it.
class CollectingConsumer : public clang::DiagnosticConsumer {
public:
  explicit CollectingConsumer(CompileResult &result) : result_(result) {}

  void HandleDiagnostic(clang::DiagnosticsEngine::Level level,
                        const clang::Diagnostic &info) override {
    DiagnosticConsumer::HandleDiagnostic(level, info);
    CDiagnostic d;
    switch (level) {
    case clang::DiagnosticsEngine::Ignored:
      return;
    case clang::DiagnosticsEngine::Note:
      d.level = CDiagnostic::Level::Note;
      break;
    case clang::DiagnosticsEngine::Remark:
      d.level = CDiagnostic::Level::Remark;
      break;
    case clang::DiagnosticsEngine::Warning:
      d.level = CDiagnostic::Level::Warning;
      ++result_.warning_count;
      break;
    case clang::DiagnosticsEngine::Error:
    case clang::DiagnosticsEngine::Fatal:
      d.level = CDiagnostic::Level::Error;
      ++result_.error_count;
      break;
    }
    llvm::SmallString<256> text;
    info.FormatDiagnostic(text);
    d.message = text.str().str();
    llvm::StringRef flag =
        clang::DiagnosticIDs::getWarningOptionForDiag(info.getID());
    if (!flag.empty())
      d.option = "-W" + flag.str();

    const clang::SourceLocation loc = info.getLocation();
    if (loc.isValid() && info.hasSourceManager()) {
      const clang::SourceManager &sm = info.getSourceManager();
      clang::PresumedLoc presumed = sm.getPresumedLoc(loc);
      if (presumed.isValid()) {
        d.file = display_path(presumed.getFilename());
        d.line = presumed.getLine();
        d.column = presumed.getColumn();
      }
      d.in_main_file = sm.isInMainFile(sm.getExpansionLoc(loc));
    }
    result_.diagnostics.push_back(std::move(d));
  }

private:
  CompileResult &result_;
};

void add_internal_error(CompileResult &result, std::string message) {
  CDiagnostic d;
  d.level = CDiagnostic::Level::Error;
  d.message = std::move(message);
  result.diagnostics.push_back(std::move(d));
  ++result.error_count;
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
    add_internal_error(result, "the main file name must be a relative name");
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

// The invocation for cc1 `args`; false (with the reason in `result`) if
// Clang does not accept them.
bool make_invocation(const std::vector<std::string> &args,
                     clang::DiagnosticConsumer &consumer, CompileResult &result,
                     clang::CompilerInvocation &invocation) {
  std::vector<const char *> argv;
  argv.reserve(args.size());
  for (const std::string &a : args)
    argv.push_back(a.c_str());
  clang::DiagnosticsEngine arg_diags(
      llvm::makeIntrusiveRefCnt<clang::DiagnosticIDs>(),
      llvm::makeIntrusiveRefCnt<clang::DiagnosticOptions>(), &consumer,
      /*ShouldOwnClient=*/false);
  if (!clang::CompilerInvocation::CreateFromArgs(invocation, argv, arg_diags) ||
      result.error_count != 0) {
    if (result.error_count == 0)
      add_internal_error(result, "invalid compiler arguments");
    return false;
  }
  return true;
}

} // namespace

CompileResult BpfCompiler::compile_once(const CompileInput &input,
                                        bool with_pch) const {
  register_bpf_target();
  CompileResult result;
  CollectingConsumer consumer(result);

  const std::string main_path = virtual_path(input.name);
  auto invocation = std::make_shared<clang::CompilerInvocation>();
  if (!make_invocation(
          cc1_args_for("-emit-obj", "c", main_path, input.name, with_pch),
          consumer, result, *invocation))
    return result;

  // The main file, the extra headers and the PCH in memory, over the real
  // file system for the templates and the uapi headers.
  auto memory_fs = llvm::makeIntrusiveRefCnt<llvm::vfs::InMemoryFileSystem>();
  memory_fs->addFile(
      main_path, /*ModificationTime=*/0,
      llvm::MemoryBuffer::getMemBufferCopy(input.text, main_path));
  for (const auto &[name, text] : input.extra_files) {
    const std::string path = virtual_path(name);
    memory_fs->addFile(path, 0,
                       llvm::MemoryBuffer::getMemBufferCopy(text, path));
  }
  if (with_pch) {
    const std::string path = virtual_path(kPchName);
    memory_fs->addFile(path, 0,
                       llvm::MemoryBuffer::getMemBuffer(
                           llvm::StringRef(options_.precompiled_header.data(),
                                           options_.precompiled_header.size()),
                           path, /*RequiresNullTerminator=*/false));
  }
  auto overlay_fs = llvm::makeIntrusiveRefCnt<llvm::vfs::OverlayFileSystem>(
      llvm::vfs::createPhysicalFileSystem());
  overlay_fs->pushOverlay(memory_fs);

  // Declared before the instance: the instance owns the stream that
  // writes into it.
  llvm::SmallVector<char, 0> object;
  llvm::LLVMContext llvm_context;
  {
    clang::CompilerInstance instance;
    instance.setInvocation(std::move(invocation));
    instance.createDiagnostics(&consumer, /*ShouldOwnClient=*/false);
    // ExecuteAction reports "N errors generated." here; we count ourselves.
    instance.setVerboseOutputStream(std::make_unique<llvm::raw_null_ostream>());
    instance.createFileManager(overlay_fs);
    instance.setOutputStream(
        std::make_unique<llvm::raw_svector_ostream>(object));

    clang::EmitObjAction action(&llvm_context);
    const bool ok = instance.ExecuteAction(action);
    if (!ok && result.error_count == 0)
      add_internal_error(result, "compilation failed without a diagnostic");
  }
  if (result.error_count == 0)
    result.object.assign(object.begin(), object.end());
  return result;
}

CompileResult BpfCompiler::precompile(const std::string &header_path,
                                      const std::string &output_path) const {
  register_bpf_target();
  CompileResult result;
  CollectingConsumer consumer(result);

  std::vector<std::string> args = cc1_args_for(
      "-emit-pch", "c-header", header_path,
      llvm::sys::path::filename(header_path).str(), /*with_pch=*/false);
  args.insert(args.end(), {"-o", output_path});
  auto invocation = std::make_shared<clang::CompilerInvocation>();
  if (!make_invocation(args, consumer, result, *invocation))
    return result;

  clang::CompilerInstance instance;
  instance.setInvocation(std::move(invocation));
  instance.createDiagnostics(&consumer, /*ShouldOwnClient=*/false);
  instance.setVerboseOutputStream(std::make_unique<llvm::raw_null_ostream>());
  clang::GeneratePCHAction action;
  if (!instance.ExecuteAction(action) && result.error_count == 0)
    add_internal_error(result, "precompiling failed without a diagnostic");
  return result;
}

} // namespace psl::backend
