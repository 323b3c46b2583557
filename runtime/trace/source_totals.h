// SourceTotals: per-source counters that only go up, from the per-CPU
// slots of the XDP observation's pso_src table, read again and again.
//
// The observation counts a source in the slot its address hashes to, on
// each CPU apart: a source's counts are the sum of its shares on the CPUs,
// and a packet of another source takes a share's slot over (on that CPU
// only). Between two readings one share can be evicted and created again
// while the others live on. Summed at each reading, the source's counters
// then go down, or up by less than it sent; a reader that takes a decrease
// for a restart counts the surviving shares' whole history as new. A
// spoofed flood churns every slot: a client sending 50 SYNs/s could read
// as hundreds and be blocked (docs/tracing.md).
//
// So the totals are kept share by share: a share that is the one of the
// previous reading (same slot and CPU, same source, same first_seen) adds
// what it counted since then; any other share adds all it counted. A
// source with no share left in the table is forgotten; if it comes back it
// starts over, with the first_seen of its new shares.
#pragma once

#include <cstdint>
#include <vector>

#include "trace/snapshot.h"

struct pso_src_slot;

namespace psr::trace {

class SourceTotals {
public:
  // `slots` holds `count` slots of `ncpus` shares each, slot after slot (as
  // a per-CPU array's batch lookup returns them). Appends one SourceStats
  // per source in them: its totals, first_seen and last_seen in jiffies,
  // and the distinct-port and -address estimates of its shares now.
  void update(const pso_src_slot *slots, uint32_t count, int ncpus,
              std::vector<SourceStats> &out);

private:
  // Slot i's sources, at [i * ncpus, i * ncpus + ncpus) (all the shares of
  // a source are in its one slot, so it has at most ncpus sources): their
  // counters and first_seen; family 0 where there is none.
  std::vector<SourceStats> totals_, next_;
  std::vector<pso_src_slot> prev_; // the last reading's slots
  uint32_t prev_count_ = 0;
  int prev_ncpus_ = 0;
};

} // namespace psr::trace
