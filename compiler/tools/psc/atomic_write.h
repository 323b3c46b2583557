// Replacing a file so that readers see the old content or the new one,
// never a mix, and a crash never leaves a truncated policy behind.
#pragma once

#include <optional>
#include <string>

namespace psc {

// Writes `content` to a temporary file in the same directory as `path`
// (following a symlink to its target), fsyncs it, gives it the original
// file's mode (and owner, where permitted) and renames it over the
// original. Returns an error message ("Permission denied"), or nullopt on
// success; on failure the original is untouched and no temporary is left.
std::optional<std::string> write_file_atomically(const std::string &path,
                                                 const std::string &content);

} // namespace psc
