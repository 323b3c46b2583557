// A directory of compiled BPF objects, named by the SHA-256 of everything
// their compile read (codegen/policy_object_key.h computes that key for a
// policy). A policy whose generated C, compile options and compiler are
// those of an earlier build skips Clang: the object comes from here. This
// is what psd meets again and again (a generated rule expires and the
// policy returns to what it was; a restart after --detach-on-exit puts
// the same policy in force again), a second `psc load` of the same file,
// and `psc test` in CI on policies that did not change.
//
// Only what compiled is stored; every check before the compile (the
// checker, the governor, the lowering's limits) and after it (the
// verifier) runs as without the cache.
//
// Trust: an object from the cache goes into the kernel, so the directory
// must be the user's own: open() refuses a directory owned by another user
// or writable by group or others, and a lookup ignores an entry file that
// is not the user's own. Every entry carries the SHA-256 of its bytes and
// its key; an entry that does not match (a torn write, a disk error, a
// file renamed) is removed and counts as a miss.
//
// Layout: DIR/<64 hex digits of the key>.o, each "PSCOBJ1\n", the size
// (8 bytes, little-endian), the key, the SHA-256 of the bytes, the bytes.
// Written to a temporary file in DIR and renamed into place, so readers
// see a whole entry or none, and processes may share DIR. When the
// entries pass max_bytes, the least recently used (by mtime, which a hit
// touches) are removed until they take 3/4 of it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/sha256.h"
#include "backend/status.h"

namespace psl::backend {

struct ObjectCacheOptions {
  std::string dir;
  uint64_t max_bytes = 256ull << 20;
};

struct ObjectCacheStats {
  uint64_t hits = 0, misses = 0, stores = 0;
  uint64_t rejected = 0; // entries found damaged or not the user's, removed
  uint64_t evicted = 0;  // entries removed to stay under max_bytes
  uint64_t store_failures = 0; // objects that could not be stored
};

class ObjectCache {
public:
  // Creates DIR (and missing parents) with mode 0700 if needed. Errors:
  // DIR not a directory, not the user's own, writable by group or others
  // (ErrorKind::User: the configuration names it), or cannot be created
  // (Environment).
  static Expected<std::shared_ptr<ObjectCache>>
  open(const ObjectCacheOptions &options);

  // The object stored under `key`, or nothing. Never fails: a damaged
  // entry is removed and reported as a miss.
  std::optional<std::vector<uint8_t>> find(const Sha256Digest &key);
  // Stores `bytes` under `key` (replacing what is there). An error (disk
  // full, the directory gone) leaves the cache as it was.
  Status store(const Sha256Digest &key, const std::vector<uint8_t> &bytes);

  const std::string &dir() const { return options_.dir; }
  ObjectCacheStats stats() const;

  // Public for make_shared; use open().
  explicit ObjectCache(ObjectCacheOptions options);
  ObjectCache(const ObjectCache &) = delete;
  ObjectCache &operator=(const ObjectCache &) = delete;

private:
  std::string entry_path(const Sha256Digest &key) const;
  Status write_entry(const Sha256Digest &key,
                     const std::vector<uint8_t> &bytes);
  void trim();

  ObjectCacheOptions options_;
  std::atomic<uint64_t> hits_{0}, misses_{0}, stores_{0}, rejected_{0},
      evicted_{0}, store_failures_{0};
};

// Where psc and psd keep the cache unless told otherwise:
// $XDG_CACHE_HOME/psc, else $HOME/.cache/psc; empty if neither is set.
std::string default_object_cache_dir();

} // namespace psl::backend
