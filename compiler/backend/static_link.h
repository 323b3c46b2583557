// Static linking of BPF ELF objects in memory, with libbpf's linker (what
// `bpftool gen object` does): the sections, symbols, BTF and BTF.ext of
// the inputs merged into one object, extern functions and variables
// resolved against the other inputs' globals.
//
// psc uses it to join each policy's object with the objects compiled when
// psc was built: the packet parser and the XDP observation's sampled path
// (prebuilt_objects.h). libbpf 1.1's linker reads and writes files by name
// only, so inputs and output are memfds, named as /proc/self/fd/N: nothing
// is written to disk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "backend/status.h"

namespace psl::backend {

// Bytes of an ELF object the caller keeps alive during the call.
struct ObjectBytes {
  const uint8_t *data = nullptr;
  size_t size = 0;
};

struct LinkInput {
  std::string name; // names the input in error messages ("policy.o")
  ObjectBytes bytes;
};

// The linked ELF. Errors (an input that is not a BPF object, an extern no
// input defines, conflicting definitions ...) carry libbpf's messages in
// Error::detail.
Expected<std::vector<uint8_t>>
link_bpf_objects(const std::vector<LinkInput> &inputs);

} // namespace psl::backend
