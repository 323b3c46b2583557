// psc build: check, lower, generate, compile in process; write the BPF ELF
// (atomically) and its map contents as the sidecar OUT.o.maps.json.
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <vector>

#include <fstream>
#include <ostream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_write.h"
#include "backend/clang_module.h"
#include "codegen/policy_build.h"
#include "commands.h"
#include "driver.h"
#include "object_cache_choice.h"
#include "single_policy.h"

namespace psc {

int run_build(const BuildOptions &options, Streams io) {
  auto t0 = std::chrono::steady_clock::now();
  // Clang loads while the policy is read and checked.
  psl::backend::preload_clang();
  psl::TextOptions text_options;
  text_options.color = options.color;
  psl::codegen::PolicyBuildOptions build;
  int cache_status = kExitOk;
  auto cache = open_object_cache({options.no_cache, options.cache_dir}, "build",
                                 io, &cache_status);
  if (!cache)
    return cache_status;
  build.object_cache = std::move(*cache);
  std::string out_name = options.output;
  auto slash = out_name.find_last_of('/');
  std::string base =
      slash == std::string::npos ? out_name : out_name.substr(slash + 1);
  build.c_file_name = base.size() > 2 && base.substr(base.size() - 2) == ".o"
                          ? base.substr(0, base.size() - 2) + ".c"
                          : base + ".c";
  // The C's header names its file and the command that compiles it there:
  // the name --emit-c writes, when given.
  if (!options.emit_c.empty()) {
    auto emit_slash = options.emit_c.find_last_of('/');
    build.c_file_name = emit_slash == std::string::npos
                            ? options.emit_c
                            : options.emit_c.substr(emit_slash + 1);
  }
  using Mode = psl::lower::CostOptions::Mode;
  build.lower.cost.mode = options.lowering == "maps"   ? Mode::Maps
                          : options.lowering == "code" ? Mode::Code
                                                       : Mode::Auto;
  build.opt_level = options.opt_level;
  build.parser = options.parser == "prebuilt"
                     ? psl::codegen::ParserChoice::Prebuilt
                     : psl::codegen::ParserChoice::Inline;
  // The build runs while the lint and the protect check do; it is thrown
  // away when they find an error.
  std::optional<psl::backend::Expected<psl::codegen::PolicyArtifact>> built;
  std::chrono::steady_clock::time_point t_built;
  auto build_alongside = [&](const psl::Policy &tree,
                             const psl::SourceFile &file) {
    built.emplace(psl::codegen::build_policy(tree, &file, build));
    t_built = std::chrono::steady_clock::now();
  };
  int status = kExitOk;
  std::optional<CheckedPolicy> policy =
      check_single_policy("build", options.path, text_options, io,
                          ShowDiagnostics::All, &status, build_alongside);
  if (!policy)
    return status;
  auto t_check = std::chrono::steady_clock::now();
  if (!built) // not reached: a policy that checks got its build alongside
    build_alongside(*policy->checked.module.policy,
                    policy->checked.diags.file());
  if (!built->ok()) {
    const auto &e = built->error();
    io.err << policy->file->path() << ": error: " << e.message << "\n"
           << e.detail;
    return exit_status(e.kind);
  }
  const psl::codegen::PolicyArtifact &a = built->value();
  release_tree(*policy);
  if (!a.object_cache_error.empty())
    io.err << "psc build: warning: " << a.object_cache_error
           << " (the object is built; the next build compiles it again)\n";
  if (!options.emit_c.empty()) {
    if (auto err = write_file_atomically(options.emit_c, a.c_source)) {
      io.err << "psc build: cannot write '" << options.emit_c << "': " << *err
             << "\n";
      return kExitEnvironment;
    }
  }
  std::string elf(a.elf.begin(), a.elf.end());
  if (auto err = write_file_atomically(options.output, elf)) {
    io.err << "psc build: cannot write '" << options.output << "': " << *err
           << "\n";
    return kExitEnvironment;
  }
  std::string sidecar = options.output + ".maps.json";
  // Written as it is made: at 100k rules the text is tens of MB.
  if (auto err = write_file_atomically(sidecar, [&](const PieceEmitter &emit) {
        return psl::codegen::write_artifact_json(a, emit);
      })) {
    io.err << "psc build: cannot write '" << sidecar << "': " << *err << "\n";
    return kExitEnvironment;
  }
  if (options.verbose) {
    auto ms = [](auto d) {
      return std::chrono::duration<double, std::milli>(d).count();
    };
    io.err << psl::lower::to_string(a.classifier);
    // The build runs beside the lint: its steps overlap the check's time.
    io.err << "check " << ms(t_check - t0) << " ms (with the build beside "
           << "the lint, done at " << ms(t_built - t0) << " ms), lower "
           << a.lower_ms << " ms, generate " << a.generate_ms << " ms, compile "
           << a.compile_ms << " ms\n";
    if (a.object_from_cache)
      io.err << "compile: the object from the object cache "
             << build.object_cache->dir() << " (Clang not run)\n";
    else if (a.used_precompiled_header)
      io.err << "compile: with the precompiled psl_policy.h\n";
    else if (!a.precompiled_header_rejected.empty())
      io.err << "compile: without the precompiled psl_policy.h, which Clang "
                "refused ("
             << a.precompiled_header_rejected << ")\n";
    if (!a.object_from_cache && build.object_cache &&
        a.object_cache_error.empty())
      io.err << "compile: the object stored in the object cache "
             << build.object_cache->dir() << "\n";
  }
  return kExitOk;
}

} // namespace psc
