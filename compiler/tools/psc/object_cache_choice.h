// Which object cache (backend/object_cache.h) `psc build` and `psc load`
// use: --no-cache, --cache-dir DIR, else PSC_CACHE_DIR from the
// environment ("off" for none), else $XDG_CACHE_HOME/psc or
// $HOME/.cache/psc.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "backend/object_cache.h"
#include "commands.h"

namespace psc {

struct ObjectCacheChoice {
  bool off = false; // --no-cache
  std::string dir;  // --cache-dir; empty: the environment's or the default
};

// The cache to build with; nullptr for none. A directory named on the
// command line that cannot be used is an error (nullopt, *status set, the
// message on io.err); one from the environment or the default only a
// warning, and the build goes on without it.
std::optional<std::shared_ptr<psl::backend::ObjectCache>>
open_object_cache(const ObjectCacheChoice &choice, const char *verb, Streams io,
                  int *status);

// After the verbs that build without showing the artifact (psc test, psc
// run): a warning on io.err if objects could not be stored in `cache`.
void report_store_failures(
    const std::shared_ptr<psl::backend::ObjectCache> &cache, const char *verb,
    Streams io);

} // namespace psc
