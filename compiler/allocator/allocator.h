// The memory allocator of psc, psd and the benchmarks that stand for them:
// mimalloc, which replaces malloc for the whole process (LLVM and Clang
// included) because the executable links it, with its large OS pages on.
//
// Why: compiling a large policy makes millions of small allocations (AST
// nodes, boxes, Clang and LLVM objects) and touches a few hundred MiB once.
// On the hosts we run on a page fault is expensive (16-19% of the samples
// of a 100k-rule `psc check` or a one-rule `psc build`), and a 2 MiB page
// takes one fault where 4 KiB pages take 512. docs/performance.md, "The
// allocator", has the measurements: psc check and text to attached at 100k
// rules take 35-50% less time, for 20-37% more peak memory in psc build.
//
// MIMALLOC_LARGE_OS_PAGES=0 in the environment keeps the large pages off
// (less memory, more time); every other MIMALLOC_* variable works as
// mimalloc documents.
#pragma once

#include <string>

namespace psl::allocator {

// Turns mimalloc's large OS pages on unless MIMALLOC_LARGE_OS_PAGES is set.
// Call it first thing in main(): it takes effect for the memory mimalloc
// maps from then on.
void configure();

// What allocates this process's memory, for the benchmarks' context and
// bug reports: "mimalloc 2.0.9, large OS pages on" or "... off".
std::string describe();

// Gives the memory this thread freed back to the system. mimalloc keeps
// freed memory for reuse until then, so psd calls it after each compile
// (its resident memory would otherwise stay at the largest compile's
// peak), and the benchmarks before measuring a peak.
void release_free_memory();

// Whether malloc() is mimalloc's (false if something preloaded another).
bool malloc_is_mimalloc();

} // namespace psl::allocator
