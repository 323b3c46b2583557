// Replacing a file so that readers see the old content or the new one,
// never a mix, and a crash never leaves a truncated policy behind.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace psc {

// Creates or replaces `path`: writes `content` to a temporary file in the
// same directory (following a symlink to its target), fsyncs it, gives it
// the original file's mode (and owner, where permitted; 0644 for a new
// file) and renames it over `path`. Returns an error message ("Permission
// denied"), or nullopt on success; on failure the original is untouched and
// no temporary is left.
std::optional<std::string> write_file_atomically(const std::string &path,
                                                 const std::string &content);

// Content made piece by piece, never held whole (a 100k-rule policy's map
// sidecar is tens of MB): `produce` hands each piece to `emit` in order and
// returns false if it stopped early, which it must when `emit` returns
// false (the write failed).
using PieceEmitter = std::function<bool(std::string_view piece)>;
using ContentProducer = std::function<bool(const PieceEmitter &emit)>;

// write_file_atomically for content made by `produce`.
std::optional<std::string>
write_file_atomically(const std::string &path, const ContentProducer &produce);

// The first half of that, for callers that rename later (psc load stages
// its state file before switching the program): writes `content` to a new
// temporary file beside `path` with permission bits `mode` and fsyncs it.
// On success `staged` names it, and renaming it over `path` (or unlinking
// it) is the caller's job; on failure nothing is left behind.
std::optional<std::string> stage_file(const std::string &path,
                                      const std::string &content, unsigned mode,
                                      std::string &staged);
std::optional<std::string> stage_file(const std::string &path,
                                      const ContentProducer &produce,
                                      unsigned mode, std::string &staged);

} // namespace psc
