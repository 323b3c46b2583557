// The policy in force on a target: the program the pinned link runs, and
// the state directory of that program. Every operation starts here, so a
// process that finds the work of a loader that died half-way sees what the
// kernel runs, never what the dead loader meant to do.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "backend/status.h"
#include "policy/layout.h"
#include "policy/program_maps.h"
#include "policy/program_state.h"

namespace psr::policy {

struct InForce {
  LinkState link;
  // prog-<link.prog_id>/state.json, when it is there and belongs to this
  // namespace (not one that died and whose number came back).
  std::optional<ProgramState> state;
  // Why `state` is missing although a link is pinned.
  std::string state_problem;

  bool has_policy() const { return link.pinned && link.prog_id != 0; }
};

// Reads without locking. `ns_cookie`: the cookie of the target's namespace
// when the caller is in it (0: not checked).
be::Expected<InForce> find_in_force(const StateLayout &layout, const Target &t,
                                    uint64_t ns_cookie = 0);

// The error for a change asked of a target where PacketScope has nothing:
// the environment's when the interface or its namespace does not exist
// (target_exists()), else the user's: "no PacketScope policy on 'eth0'"
// (code ENOENT), the request names a target with nothing to change.
be::Error no_policy_error(const Target &t);

// Under the target's lock: makes the pins and state agree with what is in
// force after a loader died half-way. Removes prog-<ID> directories of
// other programs and leftovers in staging/, and pins the maps of the
// program in force if the pins are another program's. What it did goes to
// `notes` ("adopted program 42, which a loader switched in but did not
// finish").
be::Status adopt_in_force(const StateLayout &layout, const Target &t,
                          const InForce &in_force,
                          std::vector<std::string> *notes = nullptr);

} // namespace psr::policy
