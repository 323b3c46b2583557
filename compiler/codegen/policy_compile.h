// How psc compiles a policy's generated C (policy_build.h): the options
// every policy compile uses, and the precompiled header that goes with
// them.
//
// Every generated program starts with bpf/templates/psl_policy.h, the same
// for every policy: the kernel's and libbpf's headers and the templates.
// Parsing it is about a third of a small policy's compile, so psc's build
// precompiles it once (precompile_policy_header.cc, a build step) and
// embeds the PCH in psc; policy compiles load it instead of parsing the
// header (CompileOptions::precompiled_header).
#pragma once

#include <string>

#include "backend/clang_compiler.h"
#include "backend/static_link.h"

namespace psl::codegen {

// The backend's types this interface is written in.
using backend::BpfCompiler;
using backend::CompileOptions;
using backend::ObjectBytes;

// The -mcpu the embedded PCH is made for: PolicyBuildOptions' default.
// A compile for another CPU does without it.
inline constexpr const char kPolicyPchCpu[] = "v3";

// The header the PCH is made from, as the generated code includes it.
inline constexpr const char kPolicyHeader[] = "psl_policy.h";

// The options of a policy compile for `cpu`, without the PCH: the
// templates on the include path, and PSL_PARSE_PREBUILT (the parser comes
// linked in from prebuilt_parser.h).
CompileOptions
policy_compile_options(const std::string &cpu,
                       int opt_level = backend::kDefaultOptLevel);

// The template directory's psl_policy.h.
std::string policy_header_path();

// The clang command line that compiles the generated C `c_file` on its
// own, into `object`, as `psc build --emit-c` writes it: no PCH and no
// PSL_PARSE_PREBUILT (the parser inlined), the templates and the host's
// multiarch headers (<asm/types.h>) on the include path, as psc's own
// compile has them.
std::string
standalone_compile_command(const std::string &c_file, const std::string &object,
                           const std::string &cpu,
                           int opt_level = backend::kDefaultOptLevel);

// The embedded PCH of psl_policy.h, made with
// policy_compile_options(kPolicyPchCpu) (generated at build time).
ObjectBytes policy_precompiled_header();

// The files that PCH was made from, one path per line (the headers Clang
// read, and the compiler libraries that made it), as the build recorded
// them; what the object cache's key stats (policy_object_key.h).
ObjectBytes policy_pch_inputs();

} // namespace psl::codegen
