// The object cache's key for a policy compile (backend/object_cache.h):
// the SHA-256 of everything the compile and the link read, so that two
// builds with the same key make the same object.
//
//   - the generated C and its name (the name is in the BTF line info);
//   - the cc1 arguments (target, -mcpu, -O, defines, search paths, the
//     PCH), as BpfCompiler::cc1_args gives them;
//   - the embedded PCH and the prebuilt objects the policy is linked with
//     (their bytes);
//   - every file on disk the compile may read, by path, size and mtime,
//     as Clang checks a PCH's inputs: the files the PCH was made from
//     (the uapi, libbpf and template headers, as the build recorded them:
//     policy_pch_inputs()), every file in the include directories (the
//     templates the C includes beside the PCH), the compiler module and
//     the Clang and LLVM libraries it was built with.
//
// A changed header, a rebuilt psc or an upgraded Clang changes the key, so
// an object made by another compiler is never taken for this one's.
#pragma once

#include <vector>

#include "backend/clang_compiler.h"
#include "backend/sha256.h"
#include "backend/static_link.h"

namespace psl::codegen {

backend::Sha256Digest
policy_object_key(const backend::BpfCompiler &compiler,
                  const backend::CompileInput &input,
                  const std::vector<backend::LinkInput> &link_inputs);

} // namespace psl::codegen
