#include "lower/map_entries.h"

#include <cstring>

namespace psl::lower {

void add_entry(Classifier &c, uint32_t map, ByteView key, const uint32_t *words,
               size_t n) {
  c.entries.add(map, key.data(), key.size(),
                reinterpret_cast<const uint8_t *>(words), 4 * n);
}

std::vector<uint8_t> host_u32_key(uint32_t v) {
  std::vector<uint8_t> key(4);
  std::memcpy(key.data(), &v, 4);
  return key;
}

void put_be32(std::vector<uint8_t> &out, uint32_t v) {
  const uint8_t be[4] = {static_cast<uint8_t>(v >> 24),
                         static_cast<uint8_t>(v >> 16),
                         static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  out.insert(out.end(), be, be + 4);
}

} // namespace psl::lower
