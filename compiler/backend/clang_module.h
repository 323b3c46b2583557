// The in-process Clang as a module loaded when it is first needed.
//
// Linking libclang-cpp and libLLVM into a program costs it 80-90 ms at
// every start on these hosts (600k relocations and the pages they touch,
// and LLVM's static constructors), whether it compiles or not. `psc
// check`, `fmt` and `test` never compile, and CI pipelines run them on
// every policy file. So the code that drives Clang (clang_driver.cc) is a
// shared module of its own, libpsl_clang.so, and BpfCompiler
// (clang_compiler.h) loads it with dlopen on its first compile; a program
// that will compile can start the load early on a thread of its own
// (preload_clang) so that parsing and checking hide it.
//
// The module is built with psc from the same sources and compiler, so the
// two sides share these C++ types; kClangEntryVersion guards against a
// module from another build.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace psl::backend {

struct CompileResult;

// The in-memory files live here. A path no real file system has, so an
// include can never silently pick a real file instead of ours.
inline constexpr const char kVirtualDir[] = "/__psc_memory__";

// A file Clang reads from memory: its path (under kVirtualDir) and bytes,
// which the caller keeps alive. `copy`: Clang gets a copy with the null
// terminator its lexer needs (sources); else it reads the bytes in place
// (a precompiled header).
struct MemoryFile {
  std::string path;
  std::string_view bytes;
  bool copy = true;
};

// One cc1 run: the arguments (without the program name) and the files in
// memory. The rest is read from disk.
struct ClangJob {
  std::vector<std::string> args;
  std::vector<MemoryFile> files;
};

// What the module exports under kClangEntrySymbol.
struct ClangEntry {
  int version = 0;
  // -emit-obj: the object into result.object (when no error), the
  // diagnostics into result.diagnostics.
  void (*compile)(const ClangJob &job, CompileResult &result) = nullptr;
  // -emit-pch to the -o path in the arguments: diagnostics only.
  void (*precompile)(const ClangJob &job, CompileResult &result) = nullptr;
};
inline constexpr int kClangEntryVersion = 1;
inline constexpr const char kClangEntrySymbol[] = "psl_clang_entry";

// The module, loaded on the first call from any thread (once per
// process); nullptr with the reason in `error` if it cannot be loaded.
const ClangEntry *clang_entry(std::string *error);

// Starts loading the module on a thread of its own and returns at once.
void preload_clang();

// Where the module is looked for: PSC_CLANG_MODULE from the environment,
// else where the build put it.
std::string clang_module_path();

} // namespace psl::backend
