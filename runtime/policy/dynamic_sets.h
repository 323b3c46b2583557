// The dynamic sets of the policy in force: add (with a ttl), delete, list
// the live entries, and sweep the expired ones.
//
// An entry's value is its expiry time on CLOCK_MONOTONIC (struct
// psl_dynset_val; 0 = never). The program treats an expired entry as a
// miss but does not delete it (psl_dynset.h says why), so expired entries
// take room until a sweep removes them: psd sweeps every set once a
// second, and an add that finds its set full sweeps it and tries again, so
// a set whose entries have all expired is never "full".
//
// Changes take the target's lock (only user space writes these maps, so
// under the lock a sweep cannot delete an entry someone just refreshed);
// list does not.
//
// Error kinds: what the request names is the user's to fix (no policy on
// the target, no such set, a value or ttl the set refuses, a set full of
// live entries); a target that does not exist, a lock held by another
// change and failed system calls are the environment's.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backend/status.h"
#include "policy/layout.h"
#include "policy/set_values.h"

namespace psr::policy {

// ---------------------------------------------------------------- one map

struct SetEntry {
  std::vector<uint8_t> key;
  uint64_t expires_ns = 0; // CLOCK_MONOTONIC; 0: never
  bool expired(uint64_t now) const {
    return expires_ns != 0 && expires_ns <= now;
  }
};

// Every entry of a set's map (key_size: set_key_size()).
be::Expected<std::vector<SetEntry>> read_set_map(int fd, uint32_t key_size);

struct SetCounts {
  uint64_t live = 0, expired = 0;
};
be::Expected<SetCounts> count_set_map(int fd, uint32_t key_size, uint64_t now);

// Deletes the entries that had expired at `now`; returns how many.
be::Expected<uint64_t> sweep_set_map(int fd, uint32_t key_size, uint64_t now);

// Inserts or refreshes. A full map is swept at `now` first and the insert
// tried again; `swept` (if given) gets how many expired entries that
// removed. Still full: an Error with code E2BIG.
be::Status insert_set_map(int fd, const std::vector<uint8_t> &key,
                          uint64_t expires_ns, uint32_t key_size, uint64_t now,
                          uint64_t *swept = nullptr);

// Copies the live entries of `from` into `to` (same key size); returns how
// many. Stops with E2BIG when `to` is full.
be::Expected<uint64_t> copy_set_map(int from, int to, uint32_t key_size,
                                    uint64_t now);

// ------------------------------------------------- a target's policy sets

struct SetOptions {
  // How long to wait for the target's lock (a load in progress).
  std::chrono::milliseconds lock_wait{5000};
};

struct SetAddResult {
  std::string value;       // as it reads back ("tcp", "198.51.100.7")
  uint64_t expires_ns = 0; // CLOCK_MONOTONIC; 0: never
  uint64_t swept = 0;      // expired entries removed to make room
};

// `ttl`: absent, the set's own ttl (none: never expires).
be::Expected<SetAddResult> set_add(const StateLayout &layout, const Target &t,
                                   const std::string &set,
                                   const std::string &value,
                                   std::optional<EntryTtl> ttl,
                                   const SetOptions &options = {});
be::Status set_del(const StateLayout &layout, const Target &t,
                   const std::string &set, const std::string &value,
                   const SetOptions &options = {});

struct ListedEntry {
  std::string value;
  uint64_t expires_ns = 0; // CLOCK_MONOTONIC; 0: never
  uint64_t remaining_ns = 0;
};
struct SetListing {
  std::string set;
  std::string elem;
  uint32_t capacity = 0;
  std::vector<ListedEntry> entries; // live ones, in map order
  uint64_t expired = 0;             // expired entries still in the map
};
// `filter`: empty, every live entry; else a value or (ip sets) a prefix.
be::Expected<SetListing> set_list(const StateLayout &layout, const Target &t,
                                  const std::string &set,
                                  const std::string &filter = {});

struct SweepResult {
  std::string set;
  uint64_t removed = 0;
};
// Sweeps every dynamic set of the policy in force (psd, once a second).
be::Expected<std::vector<SweepResult>>
sweep_sets(const StateLayout &layout, const Target &t,
           const SetOptions &options = {});

} // namespace psr::policy
