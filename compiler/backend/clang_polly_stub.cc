// Debian's Clang is built to run Polly's passes when asked
// (-mllvm -polly), and its static libclangCodeGen calls
// getPollyPluginInfo() for every compile; Polly itself is shipped only as a
// plugin (LLVMPolly.so). The compiler module linked statically
// (compiler/backend/CMakeLists.txt) gets this entry instead: it registers
// nothing, and psc never asks for Polly.
#include <llvm/Config/llvm-config.h>
#include <llvm/Passes/PassPlugin.h>

llvm::PassPluginLibraryInfo getPollyPluginInfo();

llvm::PassPluginLibraryInfo getPollyPluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "Polly", LLVM_VERSION_STRING,
          [](llvm::PassBuilder &) {}};
}
