// eBPF C text in memory -> BPF ELF object in memory, with the Clang 14
// libraries in this process: a module (clang_module.h) loaded with the
// first compile, or before it by preload_clang().
//
// No compiler subprocess and no temporary file: the main file and any extra
// headers live in an in-memory file system laid over the real one (the
// templates and the uapi headers are read from disk), and the object file
// is written to a memory buffer. Clang's diagnostics are collected as
// values with their line and column in the generated C; nothing is printed.
//
// The object is one translation unit, as `clang -c` writes it. Policy
// builds (codegen/policy_build.h) compile their C with PSL_PARSE_PREBUILT
// defined, so the packet parser and the XDP observation's sampled path
// are declared but not compiled, and then link the object with the
// prebuilt objects (static_link.h, prebuilt_objects.h); a compile on its
// own of C that includes psl_parse.h without that define gets them
// inlined.
//
// A BpfCompiler holds only configuration. Every compile() builds its own
// CompilerInstance and LLVMContext, so one instance may compile any number
// of times and from several threads at once.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace psl::backend {

// One message from Clang or the LLVM BPF backend.
struct CDiagnostic {
  enum class Level { Error, Warning, Note, Remark };
  Level level = Level::Error;
  std::string message;
  // The file as the compiler saw it: the main file's name as given to
  // compile(), an extra header's name, or a real path under an include dir.
  std::string file;
  uint32_t line = 0;   // 1-based; 0 when the message has no location
  uint32_t column = 0; // 1-based byte column; 0 when unknown
  bool in_main_file = false;
  std::string option; // the warning flag, e.g. "-Wunused-variable"; may be ""
};

const char *level_name(CDiagnostic::Level level); // "error", "warning", ...

// "policy.c:12:5: error: use of undeclared identifier 'x'"
std::string format_diagnostic(const CDiagnostic &d);

// -O of a policy compile unless the caller says otherwise
// (docs/performance.md, "Compiling less per policy", has the measurements).
inline constexpr int kDefaultOptLevel = 2;

struct CompileOptions {
  // Searched with -I, in order (e.g. bpf/templates).
  std::vector<std::string> include_dirs;
  // Searched after the include dirs and Clang's own headers. Empty means
  // the host's uapi headers: /usr/include/<multiarch> then /usr/include.
  std::vector<std::string> system_include_dirs;
  // Clang's resource dir (stddef.h, stdbool.h ...). Empty means the
  // CLANG_RESOURCE_DIR environment variable, else the one found at build
  // time (see default_resource_dir()).
  std::string resource_dir;
  // -mcpu: "v1", "v2" or "v3". v2 loads on every kernel with
  // XDP; v3 (JMP32, ALU32) needs Linux 5.1. See recommended_bpf_cpu() in
  // bpf_features.h to pick one for the running kernel.
  std::string cpu = "v2";
  int opt_level = kDefaultOptLevel; // -O0 .. -O3
  // -g: DWARF, from which the BPF backend emits .BTF and .BTF.ext. libbpf
  // needs BTF for `.maps` definitions, so keep this on.
  bool debug_info = true;
  bool warnings_as_errors = false;
  // -D name=value (value may be empty: -D name).
  std::vector<std::pair<std::string, std::string>> defines;
  // Further cc1 arguments (e.g. "-Wall"). No "-mllvm": those set
  // process-wide LLVM options and would leak between compiles.
  std::vector<std::string> extra_args;
  unsigned error_limit = 50;
  // A Clang precompiled header that precompile() made with these same
  // options; empty means none. compile() loads it before the main file
  // (clang -include-pch), so the header it was made from, included again
  // by the main file, is not parsed again. The caller keeps the bytes
  // alive. Clang checks that the PCH fits: same compiler, target and
  // options, and the headers it was made from unchanged on disk. If any
  // check fails, compile() compiles again without it and says why
  // (CompileResult::precompiled_header_rejected).
  std::string_view precompiled_header;
};

struct CompileInput {
  // The main file's name as it appears in diagnostics and DWARF. It lives in
  // a virtual directory, so quoted includes find `extra_files` beside it.
  std::string name = "policy.c";
  std::string text;
  // Headers kept in memory beside the main file: include name -> text.
  std::map<std::string, std::string> extra_files;
};

struct CompileResult {
  std::vector<uint8_t> object; // the ELF; empty when compilation failed
  std::vector<CDiagnostic> diagnostics;
  size_t error_count = 0;
  size_t warning_count = 0;
  // Whether CompileOptions::precompiled_header was used, and if one was
  // given but refused, Clang's reason (the compile then ran without it).
  bool used_precompiled_header = false;
  std::string precompiled_header_rejected;

  bool ok() const { return error_count == 0 && !object.empty(); }
  // Adds an error of psc's own, without a place (inline: the compiler
  // module, clang_module.h, adds them too).
  void add_error(std::string message) {
    CDiagnostic d;
    d.message = std::move(message);
    diagnostics.push_back(std::move(d));
    ++error_count;
  }
  // The first error (for a one-line message); nullptr if there is none.
  const CDiagnostic *first_error() const;
  // Every diagnostic in compiler format, one per line.
  std::string format_diagnostics() const;
};

class BpfCompiler {
public:
  explicit BpfCompiler(CompileOptions options = {});

  CompileResult compile(const CompileInput &input) const;
  CompileResult compile(std::string_view text,
                        std::string_view name = "policy.c") const;

  const CompileOptions &options() const { return options_; }

  // Compiles the header at `header_path` (a real file) into a precompiled
  // header for compile() with these options, written to `output_path`
  // (a build step: Clang writes a temporary beside it and renames it).
  // The result carries the diagnostics; its object stays empty.
  CompileResult precompile(const std::string &header_path,
                           const std::string &output_path) const;

  // The cc1 arguments compile() passes for `input` (for logs and for
  // reproducing a compile with `clang-14 -cc1`).
  std::vector<std::string> cc1_args(const CompileInput &input) const;

  // CLANG_RESOURCE_DIR from the environment, else the build-time value.
  static std::string default_resource_dir();
  static std::vector<std::string> default_system_include_dirs();

private:
  // `action` is "-emit-obj" or "-emit-pch"; `language` "c" or "c-header";
  // `main_file_name` the input's name in DWARF.
  std::vector<std::string> cc1_args_for(const std::string &action,
                                        const std::string &language,
                                        const std::string &input_path,
                                        const std::string &main_file_name,
                                        bool with_pch) const;
  CompileResult compile_once(const CompileInput &input, bool with_pch) const;

  CompileOptions options_;
};

} // namespace psl::backend
