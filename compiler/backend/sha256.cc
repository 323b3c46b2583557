#include "backend/sha256.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace psl::backend {

struct Sha256::Context {
  EVP_MD_CTX *md = nullptr;
  ~Context() { EVP_MD_CTX_free(md); }
};

namespace {

void start(EVP_MD_CTX *md) {
  if (EVP_DigestInit_ex(md, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("libcrypto cannot start a SHA-256 digest");
}

} // namespace

std::string to_hex(const Sha256Digest &digest) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (uint8_t b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

Sha256::Sha256() : ctx_(std::make_unique<Context>()) {
  ctx_->md = EVP_MD_CTX_new();
  if (ctx_->md == nullptr)
    throw std::bad_alloc();
  start(ctx_->md);
}

Sha256::~Sha256() = default;

Sha256 &Sha256::update(const void *data, size_t size) {
  if (size != 0 && EVP_DigestUpdate(ctx_->md, data, size) != 1)
    throw std::runtime_error("libcrypto cannot update a SHA-256 digest");
  return *this;
}

Sha256 &Sha256::number(uint64_t value) {
  uint8_t le[8];
  for (int i = 0; i < 8; ++i)
    le[i] = static_cast<uint8_t>(value >> (8 * i));
  return update(le, sizeof le);
}

Sha256 &Sha256::field(std::string_view bytes) {
  number(bytes.size());
  return update(bytes);
}

Sha256Digest Sha256::finish() {
  Sha256Digest out{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx_->md, out.data(), &size) != 1 ||
      size != out.size())
    throw std::runtime_error("libcrypto cannot finish a SHA-256 digest");
  start(ctx_->md);
  return out;
}

Sha256Digest sha256(std::string_view bytes) {
  return Sha256().update(bytes).finish();
}

} // namespace psl::backend
