#include "backend/clang_module.h"

#include <dlfcn.h>

#include <cstdlib>
#include <future>
#include <mutex>

#ifndef PSC_CLANG_MODULE_PATH
#error "PSC_CLANG_MODULE_PATH must be defined by the build"
#endif

namespace psl::backend {

namespace {

struct Loaded {
  const ClangEntry *entry = nullptr;
  std::string error;
};

Loaded load() {
  Loaded l;
  const std::string path = clang_module_path();
  // RTLD_LOCAL: LLVM's symbols stay the module's. Never closed: Clang's
  // and LLVM's static objects live as long as the process.
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char *why = dlerror();
    l.error = "cannot load the compiler module " + path + ": " +
              (why ? why : "unknown error") +
              " (PSC_CLANG_MODULE names another one)";
    return l;
  }
  using EntryFn = const ClangEntry *(*)();
  auto fn = reinterpret_cast<EntryFn>(dlsym(handle, kClangEntrySymbol));
  const ClangEntry *e = fn ? fn() : nullptr;
  if (e == nullptr || e->version != kClangEntryVersion ||
      e->compile == nullptr || e->precompile == nullptr) {
    l.error = "the compiler module " + path +
              " is not the one this program was built with (rebuild it)";
    return l;
  }
  l.entry = e;
  return l;
}

const Loaded &loaded() {
  static const Loaded l = load();
  return l;
}

} // namespace

std::string clang_module_path() {
  if (const char *env = std::getenv("PSC_CLANG_MODULE"); env && *env)
    return env;
  return PSC_CLANG_MODULE_PATH;
}

const ClangEntry *clang_entry(std::string *error) {
  const Loaded &l = loaded();
  if (l.entry == nullptr && error != nullptr)
    *error = l.error;
  return l.entry;
}

void preload_clang() {
  static std::once_flag once;
  // The future is kept so that the process waits for the load at exit
  // instead of unloading under it.
  static std::future<void> pending;
  std::call_once(once, [] {
    pending = std::async(std::launch::async, [] { (void)loaded(); });
  });
}

} // namespace psl::backend
