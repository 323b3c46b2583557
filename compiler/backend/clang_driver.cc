// The module that drives Clang and LLVM (clang_module.h says why it is
// one): cc1 arguments and in-memory files in, an object or a precompiled
// header and the diagnostics out. Everything else about a compile (the
// arguments, the precompiled header's fallback) is BpfCompiler's, in the
// program.
#include <exception>
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
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/VirtualFileSystem.h>
#include <llvm/Support/raw_ostream.h>

#include "backend/clang_compiler.h"
#include "backend/clang_module.h"

namespace psl::backend {
namespace {

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
      result.add_error("invalid compiler arguments");
    return false;
  }
  return true;
}

// The job's files in memory, over the real file system for the templates
// and the uapi headers.
llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem>
file_system(const ClangJob &job) {
  auto memory_fs = llvm::makeIntrusiveRefCnt<llvm::vfs::InMemoryFileSystem>();
  for (const MemoryFile &f : job.files) {
    llvm::StringRef bytes(f.bytes.data(), f.bytes.size());
    memory_fs->addFile(
        f.path, /*ModificationTime=*/0,
        f.copy ? llvm::MemoryBuffer::getMemBufferCopy(bytes, f.path)
               : llvm::MemoryBuffer::getMemBuffer(
                     bytes, f.path, /*RequiresNullTerminator=*/false));
  }
  auto overlay_fs = llvm::makeIntrusiveRefCnt<llvm::vfs::OverlayFileSystem>(
      llvm::vfs::createPhysicalFileSystem());
  overlay_fs->pushOverlay(memory_fs);
  return overlay_fs;
}

// Sets `instance` up for the job: its invocation, diagnostics into
// `consumer`, the job's files. False (with the reason in `result`) if Clang
// does not accept the arguments.
bool prepare(const ClangJob &job, clang::DiagnosticConsumer &consumer,
             CompileResult &result, clang::CompilerInstance &instance) {
  register_bpf_target();
  auto invocation = std::make_shared<clang::CompilerInvocation>();
  if (!make_invocation(job.args, consumer, result, *invocation))
    return false;
  instance.setInvocation(std::move(invocation));
  instance.createDiagnostics(&consumer, /*ShouldOwnClient=*/false);
  // ExecuteAction reports "N errors generated." here; we count ourselves.
  instance.setVerboseOutputStream(std::make_unique<llvm::raw_null_ostream>());
  instance.createFileManager(file_system(job));
  return true;
}

void compile_job(const ClangJob &job, CompileResult &result) {
  CollectingConsumer consumer(result);
  // Declared before the instance: the instance owns the stream that
  // writes into it.
  llvm::SmallVector<char, 0> object;
  llvm::LLVMContext llvm_context;
  {
    clang::CompilerInstance instance;
    if (!prepare(job, consumer, result, instance))
      return;
    instance.setOutputStream(
        std::make_unique<llvm::raw_svector_ostream>(object));

    clang::EmitObjAction action(&llvm_context);
    const bool ok = instance.ExecuteAction(action);
    if (!ok && result.error_count == 0)
      result.add_error("compilation failed without a diagnostic");
  }
  if (result.error_count == 0)
    result.object.assign(object.begin(), object.end());
}

void precompile_job(const ClangJob &job, CompileResult &result) {
  CollectingConsumer consumer(result);
  clang::CompilerInstance instance;
  if (!prepare(job, consumer, result, instance))
    return;
  clang::GeneratePCHAction action;
  if (!instance.ExecuteAction(action) && result.error_count == 0)
    result.add_error("precompiling failed without a diagnostic");
}

// Nothing may unwind into the program through the C entry: an exception
// (out of memory) becomes an error of the compile.
template <class F>
void guarded(F f, const ClangJob &job, CompileResult &result) {
  try {
    f(job, result);
  } catch (const std::exception &e) {
    result.add_error(std::string("the compiler failed: ") + e.what());
  } catch (...) {
    result.add_error("the compiler failed");
  }
}

const ClangEntry kEntry = {
    kClangEntryVersion,
    [](const ClangJob &job, CompileResult &result) {
      guarded(compile_job, job, result);
    },
    [](const ClangJob &job, CompileResult &result) {
      guarded(precompile_job, job, result);
    },
};

} // namespace
} // namespace psl::backend

extern "C" __attribute__((visibility("default")))
const psl::backend::ClangEntry *
psl_clang_entry() {
  return &psl::backend::kEntry;
}
