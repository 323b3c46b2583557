// Classifier -> eBPF C for XDP. The output #includes the fixed templates
// (psl_parse.h, psl_classify.h ...), declares the maps with the sizes the
// lowering chose, one function per rate() bucket key, and the entry
// `psl_policy`:
//   1. psl_parse_cut() (or psl_parse()): fields of layers that are missing,
//   truncated or
//      malformed are absent, so their guards are false (a truncated TCP
//      header leaves ip.* usable); no separate verdict for such packets:
//      they go through the rules like any other and usually reach
//      `default`;
//   2. one lookup per group, the least encoded rule wins; an address's
//      class trie comes before the class-keyed groups that start their key
//      with its class id (no class: those lookups are skipped);
//   3. the code rules, in order, each only while its index is below the
//      best candidate; count/shadow rules bump their counters there;
//   4. psl_decide(): counts the deciding rule (or default), hands the
//      packet to the observation when the loader turned it on
//      (bpf/runtime/pso_xdp.h) and returns XDP_PASS / XDP_DROP.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "lower/classifier.h"

namespace psl::codegen {

struct GenerateOptions {
  std::string file_name = "policy.c"; // mentioned in the header comment
  // The policy's source file, named in the header comment; empty: none.
  std::string policy_source;
  // The command that compiles the C on its own (policy_compile.h
  // standalone_compile_command), quoted in the header; empty: none.
  std::string compile_command;
  // The layers the packet parser decodes (enum psl_parse_layer,
  // parse_layers.h), with the parser inlined (psl_parse_cut); unset: a
  // call to psl_parse(), which decodes every layer (the prebuilt parser
  // linked in, or its inline definition in a standalone compile).
  std::optional<uint32_t> parse_layers;
};

std::string generate_xdp(const lower::Classifier &c,
                         const GenerateOptions &options = {});

} // namespace psl::codegen
