#include "object_cache_choice.h"

#include <cstdlib>
#include <ostream>

namespace psc {

namespace be = psl::backend;

std::optional<std::shared_ptr<be::ObjectCache>>
open_object_cache(const ObjectCacheChoice &choice, const char *verb, Streams io,
                  int *status) {
  if (choice.off)
    return std::shared_ptr<be::ObjectCache>();
  std::string dir = choice.dir;
  const bool named = !dir.empty();
  if (!named) {
    const char *env = std::getenv("PSC_CACHE_DIR");
    if (env != nullptr && std::string(env) == "off")
      return std::shared_ptr<be::ObjectCache>();
    dir = env != nullptr && *env != '\0' ? env : be::default_object_cache_dir();
    if (dir.empty()) // no HOME: nowhere to keep it
      return std::shared_ptr<be::ObjectCache>();
  }
  be::ObjectCacheOptions options;
  options.dir = dir;
  auto cache = be::ObjectCache::open(options);
  if (cache.ok())
    return cache.value();
  if (named) {
    io.err << "psc " << verb << ": error: " << cache.error().message << "\n";
    *status = exit_status(cache.error().kind);
    return std::nullopt;
  }
  io.err << "psc " << verb << ": warning: " << cache.error().message
         << "; compiling without the object cache\n";
  return std::shared_ptr<be::ObjectCache>();
}

void report_store_failures(const std::shared_ptr<be::ObjectCache> &cache,
                           const char *verb, Streams io) {
  if (!cache)
    return;
  const uint64_t failed = cache->stats().store_failures;
  if (failed > 0)
    io.err << "psc " << verb << ": warning: " << failed
           << " compiled object(s) could not be stored in the object cache "
           << cache->dir() << "\n";
}

} // namespace psc
