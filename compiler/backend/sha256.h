// SHA-256 of bytes fed in pieces (OpenSSL's libcrypto underneath): the
// digest that names the object cache's entries (object_cache.h) and
// checks their contents.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace psl::backend {

using Sha256Digest = std::array<uint8_t, 32>;

// Lower-case hex, 64 characters.
std::string to_hex(const Sha256Digest &digest);

class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256 &) = delete;
  Sha256 &operator=(const Sha256 &) = delete;

  Sha256 &update(const void *data, size_t size);
  Sha256 &update(std::string_view bytes) {
    return update(bytes.data(), bytes.size());
  }
  // A field of a key: its length first, so that ("ab", "c") and ("a",
  // "bc") give different digests.
  Sha256 &field(std::string_view bytes);
  Sha256 &number(uint64_t value);
  // The digest; the object then starts over.
  Sha256Digest finish();

private:
  struct Context;
  std::unique_ptr<Context> ctx_;
};

Sha256Digest sha256(std::string_view bytes);

} // namespace psl::backend
