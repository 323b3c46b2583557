// psd's config file: TOML (toml++), top-level keys and one level of
// tables ([api], [summary], [trace], [metrics]), read into Settings with
// the file:line:column of each value. Whether a key is known and its
// value right is make_options()'s call (options.h).
#pragma once

#include <string>

#include "backend/status.h"
#include "options.h"

namespace psd {

// Errors: "cannot read the config file 'F': ...", and syntax errors as
// "F:LINE:COL: error: what toml++ says".
psl::backend::Expected<Settings> read_config_file(const std::string &path);
// The same, from text (tests; `path` only names it in errors).
psl::backend::Expected<Settings> parse_config(const std::string &path,
                                              const std::string &text);

} // namespace psd
