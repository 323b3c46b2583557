// What psd checks before it starts, and all that --check-config does:
// the API's address against the token file, and the operator policies.
// No kernel needed.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "backend/status.h"
#include "options.h"

namespace psd {

// The bearer token (none without a token file). Refused: a non-loopback
// listen address without a token file, and any token file read_token_file
// refuses (mode, emptiness; the path and mode are named, never the token).
psl::backend::Expected<std::optional<std::string>>
load_api_token(const PsdOptions &options);

// --check-config: the token file, then every interface's policy (found in
// the policy directory, checked like `psc check`). Prints what psd would
// use and every diagnostic; returns the exit status (0: fine, 2: not).
int check_configuration(const PsdOptions &options, std::ostream &out,
                        std::ostream &err);

} // namespace psd
