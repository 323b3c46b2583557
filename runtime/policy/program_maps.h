// The program in force on a target and its maps, found through the kernel
// rather than the pins: the pinned link names the program, the program
// names its maps. So a reader always sees the maps of the program that
// runs, also in the moment after a swap and before the new maps are
// pinned, or after a loader died between the two.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "backend/bpf_object.h"
#include "backend/status.h"
#include "policy/layout.h"

namespace psr::policy {

// What the pinned link of a target says.
struct LinkState {
  bool pinned = false; // <pin dir>/link exists
  uint32_t link_id = 0;
  uint32_t prog_id = 0;
  uint32_t ifindex = 0; // the device it is attached to; 0: the device is gone
};
be::Expected<LinkState> read_link(const StateLayout &layout, const Target &t);

struct MapInfo {
  uint32_t id = 0;
  uint32_t type = 0; // enum bpf_map_type
  uint32_t key_size = 0, value_size = 0, max_entries = 0, flags = 0;
};
be::Expected<MapInfo> map_info(int fd);

// The maps a loaded program uses, by name (internal maps such as .rodata
// included). Holds a descriptor of each.
//
// The kernel keeps 15 characters of a map's name, while a dynamic set's
// map is named after the set, which may be longer. The pins carry the
// full names: a map pinned under `pins_dir` that the program uses is known
// by its pin's name, the others by the kernel's.
class ProgramMaps {
public:
  static be::Expected<ProgramMaps> of_program(uint32_t prog_id,
                                              const std::string &pins_dir = {});

  // -1 when the program has no map of that name (a name longer than the
  // kernel keeps also finds a map by its first 15 characters, when only
  // one map has them).
  int fd(const std::string &name) const;
  const MapInfo *info(const std::string &name) const;
  std::vector<std::string> names() const;

private:
  struct Entry {
    be::UniqueFd fd;
    MapInfo info;
  };
  const Entry *find(const std::string &name) const;

  std::map<std::string, Entry> maps_;
};

// Pins every non-internal map of `maps` under the target's maps/ (through
// staging/, so a reader sees the old pin or the new one): what a swap
// does, done again for a program whose loader died before it pinned them.
// Pins of other maps stay: a map the object made but the program does not
// use (psl_shadow_cnt without shadow rules) is pinned by the swap but not
// among the program's maps.
// `full_names`: the names of maps whose kernel name is shortened (the
// dynamic sets), so they are pinned under the name a swap would give them.
be::Status pin_program_maps(const StateLayout &layout, const Target &t,
                            const ProgramMaps &maps,
                            const std::vector<std::string> &full_names = {});
// Whether every map of `maps` is pinned under its name.
bool pins_match(const StateLayout &layout, const Target &t,
                const ProgramMaps &maps);

// Returns once every BPF program that was running when it was called has
// finished (an RCU grace period, which the kernel waits for when a
// map-in-map entry is replaced: syscall.c maybe_wait_bpf_programs). After
// a swap, the old program's counters are final after this.
void wait_for_running_programs();

} // namespace psr::policy
