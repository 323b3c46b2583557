// The few file operations the state needs: directories made and removed
// again, files replaced atomically, read whole.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/status.h"

namespace psr::policy {

namespace be = psl::backend;

// Entries of a directory except "." and "..", sorted; empty when it cannot
// be read.
std::vector<std::string> list_dir(const std::string &dir);

bool path_exists(const std::string &path);

// mkdir -p with `mode`; the directories it created, outermost first, go to
// `created` (if given) so a failed operation can remove exactly those.
be::Status make_dirs(const std::string &path, unsigned mode,
                     std::vector<std::string> *created = nullptr);

// Removes `created` (from make_dirs) innermost first, each only if empty.
void remove_created_dirs(const std::vector<std::string> &created);

// rm -r of a directory of plain files and directories (the state), at most
// `depth` levels deep; no error when it is absent.
void remove_tree(const std::string &path, int depth = 4);

// Replaces `path` with `content`: a temporary beside it, fsync, rename.
// Readers see the old file or the new one, never a part.
be::Status write_file_atomically(const std::string &path,
                                 std::string_view content,
                                 unsigned mode = 0644);

// The same for content made piece by piece, never held whole (a 100k-rule
// policy's sidecar is tens of MB): `produce` hands each piece to `emit` in
// order and returns false if it stopped early, which it must when `emit`
// returns false (the write failed).
using PieceEmitter = std::function<bool(std::string_view piece)>;
using ContentProducer = std::function<bool(const PieceEmitter &emit)>;
be::Status write_file_atomically(const std::string &path,
                                 const ContentProducer &produce,
                                 unsigned mode = 0644);

// The whole file; nullopt when it cannot be read.
std::optional<std::string> read_file(const std::string &path);

} // namespace psr::policy
