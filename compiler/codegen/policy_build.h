// A checked policy -> a loadable artifact, and the artifact -> a loaded
// program with its maps filled. What `psc build` writes and what `psc
// load` / `psc test` / `psc run` and the daemon reuse.
//
// The artifact is the BPF ELF plus the map contents the lowering computed
// (group entries, literal sets) and the rule table. On disk (psc build) the
// ELF is OUT.o and the rest a JSON sidecar OUT.o.maps.json (format in
// codegen/artifact_json.h); the contents are written into the maps after load,
// never compiled into code, one batch syscall per map where the kernel
// supports batch updates for the map's type.
//
// The ELF is the generated C compiled in process with PSL_PARSE_PREBUILT
// and statically linked with the objects compiled once when psc was built
// (backend/prebuilt_objects.h): the parts of the packet parser and the XDP
// observation's sampled path (bpf/runtime/pso_xdp_sample.h). By default the C
// calls the prebuilt psl_parse() for every packet (every layer decoded). With
// ParserChoice::Inline the parser is inlined into the policy, cut to the
// layers its rules read (parse_layers.h, psl_parse_cut in
// bpf/templates/psl_parse.h), and only the IPv6 extension-header walk is
// called from the prebuilt object: no BPF-to-BPF call for IPv4 packets and
// IPv6 packets without extension headers — but only while the XDP
// observation is off (it reads every layer, so an observed program takes
// the whole parser), and at 25-65 ms more of Clang per build. psc load and
// psd always observe: they keep the default. The C kept in the artifact
// (psc build --emit-c) compiles standalone either way.
//
// With an object cache (PolicyBuildOptions::object_cache), a build whose
// C, compile options and compiler are an earlier build's takes that
// build's linked ELF and runs neither Clang nor the link
// (codegen/policy_object_key.h says what the key covers); the lowering
// and the C are made as always.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ast/ast.h"
#include "backend/bpf_object.h"
#include "backend/clang_compiler.h"
#include "backend/object_cache.h"
#include "backend/status.h"
#include "codegen/artifact_json.h"
#include "lower/lower.h"

namespace psl::codegen {

// The backend's types this interface is written in.
using backend::BpfLoadOptions;
using backend::BpfObject;
using backend::Error;
using backend::ErrorKind;
using backend::Expected;
using backend::Status;

// How the program gets its packet parser.
enum class ParserChoice {
  // Inlined into the policy and cut to the layers its rules read
  // (parse_layers.h): no BPF-to-BPF call per packet but for IPv6 packets
  // with extension headers (their walk is prebuilt), when the XDP
  // observation is off; more for Clang to compile.
  Inline,
  // A call to the parser compiled when psc was built, linked in: every
  // layer decoded, a call per packet, less for Clang to compile. The
  // default: what an observed program (psc load, psd) runs anyway.
  Prebuilt,
};

struct PolicyBuildOptions {
  std::string c_file_name =
      "policy.c";         // name of the generated C in diagnostics
  std::string cpu = "v3"; // -mcpu (Linux 5.1+; the parser needs 5.18)
  int opt_level = backend::kDefaultOptLevel; // -O (psc build --opt-level)
  lower::LowerOptions lower;
  ParserChoice parser = ParserChoice::Prebuilt;
  // Where compiled objects are kept by the digest of their inputs
  // (backend/object_cache.h, codegen/policy_object_key.h): a policy whose
  // generated C and compiler match an earlier build takes that object
  // instead of running Clang. None by default; psc and psd open one.
  std::shared_ptr<backend::ObjectCache> object_cache;
};

struct PolicyArtifact {
  std::string c_source;
  std::string c_file = "policy.c"; // c_source's name in the BTF line info
  std::string policy_file;         // the policy's path, for notes on its rules
  std::vector<uint8_t> elf;
  lower::Classifier classifier; // rules, maps, entries (map contents)
  std::string program = "psl_policy";
  // Wall time of the steps, for `psc build --verbose` and benchmarks.
  // compile_ms covers Clang and the link with the prebuilt objects;
  // link_ms is the link's part of it.
  double lower_ms = 0, generate_ms = 0, compile_ms = 0, link_ms = 0;
  // Whether the compile loaded the embedded precompiled psl_policy.h
  // (policy_compile.h); if Clang refused it, why (the compile then parsed
  // the header, which only costs time).
  bool used_precompiled_header = false;
  std::string precompiled_header_rejected;
  // The object came from PolicyBuildOptions::object_cache (no Clang ran;
  // compile_ms is the lookup). object_cache_error: why the object just
  // compiled could not be stored there (the build itself succeeded).
  bool object_from_cache = false;
  std::string object_cache_error;
};

// Lowers, generates, compiles in process and links with the prebuilt
// objects. Errors: a lowering limit (the message names the rules,
// Error::detail lists them with their locations), generated C that does
// not compile ("internal error", naming the rule whose code failed; detail
// holds Clang's messages), or a failed link ("internal error"; detail holds
// libbpf's messages).
Expected<PolicyArtifact> build_policy(const Policy &policy,
                                      const SourceFile *file,
                                      const PolicyBuildOptions &options = {});

struct PolicyLoadOptions {
  // Sets psl_clock_from_map: rate buckets and dynamic-set expiry read the
  // time from the psl_clock map (tests, replay).
  bool clock_from_map = false;
  // Sets pso_observe: psl_decide() hands every packet to the XDP
  // observation (bpf/runtime/pso_xdp.h: counters by class and verdict,
  // per-source statistics, sampled path events; docs/tracing.md). psc load
  // and psd turn it on. Off, the verifier removes it and the pso_* maps
  // are created at their smallest (one entry; a one-page ring buffer).
  bool observe = false;
  BpfLoadOptions bpf;
};

// The pso_* maps of the XDP observation, as pinned beside the policy's.
std::vector<std::string> observation_map_names();

// open_mem -> load (verifier) -> map contents written. A verifier
// rejection's Error has the log in `detail` and, when the verifier stopped
// in the code of a rule, a note naming the rule at its place in the policy
// (codegen/verifier_rules.h): what every caller reports.
Expected<BpfObject> load_policy(const PolicyArtifact &artifact,
                                const PolicyLoadOptions &options = {});
// Writes the classifier's map contents into a loaded object.
Status write_map_contents(BpfObject &obj, const lower::Classifier &c);

} // namespace psl::codegen

// Transitional: the names these had in psl::backend before they took the
// folder's namespace, for callers written against them (psc load, the
// runtime's policy library on other branches). Remove with the last one.
namespace psl::backend {
using codegen::artifact_from_json;
using codegen::artifact_to_json;
using codegen::build_policy;
using codegen::load_policy;
using codegen::PolicyArtifact;
using codegen::PolicyBuildOptions;
using codegen::PolicyLoadOptions;
using codegen::write_map_contents;
} // namespace psl::backend
