// Big-endian 16-bit fields for frames built by hand: the packet builder of
// the kernel tests and the differential tester's frame generator (which
// uses this header only and does not link the kernel harness).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace psl::bpftest {

inline void put16(std::vector<uint8_t> &b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

inline void set16(std::vector<uint8_t> &b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}

} // namespace psl::bpftest
