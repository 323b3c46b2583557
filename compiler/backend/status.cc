#include "backend/status.h"

#include <cctype>
#include <cstring>

namespace psl::backend {

const char *error_kind_name(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::User:
    return "user input";
  case ErrorKind::Environment:
    return "environment";
  case ErrorKind::Internal:
    return "internal";
  }
  return "internal";
}

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

std::string format_notes(const std::vector<ErrorNote> &notes) {
  std::string out;
  for (const ErrorNote &n : notes) {
    out += n.file;
    if (n.line != 0)
      out += ":" + std::to_string(n.line) + ":" + std::to_string(n.column);
    out += ": note: " + n.message + "\n";
  }
  return out;
}

} // namespace psl::backend
