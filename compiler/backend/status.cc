#include "backend/status.h"

#include <cctype>
#include <cstring>

namespace psl::backend {

Error errno_error(std::string what, int err) {
  if (err < 0)
    err = -err;
  Error e;
  e.code = err;
  e.message = std::move(what);
  if (err != 0) {
    e.message += ": ";
    e.message += std::strerror(err);
    // strerror capitalizes; the house style starts messages lower-case and
    // this text ends a sentence that did.
    size_t pos = e.message.size() - std::strlen(std::strerror(err));
    if (pos < e.message.size())
      e.message[pos] = static_cast<char>(
          std::tolower(static_cast<unsigned char>(e.message[pos])));
  }
  return e;
}

} // namespace psl::backend
