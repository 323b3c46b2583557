// The bearer token: read from a file that only its owner may read, so it
// never appears on a command line, in the config or in logs. Errors name
// the path and the mode, never the contents.
#pragma once

#include <string>

#include "backend/status.h"

namespace psr::api {

// The first line of `path`, without surrounding whitespace. Refused: a
// file that is not a regular file, that its group or others may read or
// write (the mode must be 0600 or 0400), that is empty, or whose token is
// shorter than 16 characters.
psl::backend::Expected<std::string> read_token_file(const std::string &path);

} // namespace psr::api
