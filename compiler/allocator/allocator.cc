#include "allocator/allocator.h"

#include <mimalloc.h>

#include <cstdlib>
#include <string>

namespace psl::allocator {

void configure() {
  // An operator's explicit setting wins (mimalloc reads it itself).
  if (std::getenv("MIMALLOC_LARGE_OS_PAGES") != nullptr)
    return;
  mi_option_enable(mi_option_large_os_pages);
  // By default a thread's first segment (32 MiB) is committed page by page
  // and never gets large pages; the parser's threads each live in theirs.
  // 15-20% of a 100k-rule `psc check` (docs/performance.md).
  if (std::getenv("MIMALLOC_EAGER_COMMIT_DELAY") == nullptr)
    mi_option_set(mi_option_eager_commit_delay, 0);
}

std::string describe() {
  const int v = mi_version(); // e.g. 209 for 2.0.9
  std::string s = "mimalloc " + std::to_string(v / 100) + "." +
                  std::to_string(v / 10 % 10) + "." + std::to_string(v % 10);
  if (!malloc_is_mimalloc())
    return s + " (linked, but malloc() is another allocator's)";
  return s + ", large OS pages " +
         (mi_option_is_enabled(mi_option_large_os_pages) ? "on" : "off");
}

void release_free_memory() { mi_collect(/*force=*/true); }

bool malloc_is_mimalloc() {
  // Through a pointer the compiler cannot see through, so the call to
  // malloc() is not elided.
  void *(*volatile allocate)(size_t) = std::malloc;
  void *p = allocate(64);
  const bool ours = p != nullptr && mi_is_in_heap_region(p);
  std::free(p);
  return ours;
}

} // namespace psl::allocator
