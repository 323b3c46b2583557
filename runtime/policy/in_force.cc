#include "policy/in_force.h"

#include <cerrno>

#include <unistd.h>

#include "policy/files.h"

namespace psr::policy {

be::Expected<InForce> find_in_force(const StateLayout &layout, const Target &t,
                                    uint64_t ns_cookie) {
  InForce out;
  be::Expected<LinkState> link = read_link(layout, t);
  if (!link)
    return link.error();
  out.link = *link;
  if (!out.has_policy())
    return out;
  const std::string dir = layout.program_dir(t, out.link.prog_id);
  if (!path_exists(dir)) {
    out.state_problem = "no state for program " +
                        std::to_string(out.link.prog_id) + " (" + dir +
                        " is missing)";
    return out;
  }
  be::Expected<ProgramState> s =
      read_program_state(layout, t, out.link.prog_id);
  if (!s) {
    out.state_problem = s.error().message;
    return out;
  }
  if (ns_cookie != 0 && s->netns_cookie != 0 && s->netns_cookie != ns_cookie) {
    out.state_problem = "the state belongs to an earlier namespace of the "
                        "same number";
    return out;
  }
  out.state = std::move(*s);
  return out;
}

be::Error no_policy_error(const Target &t) {
  if (be::Status s = target_exists(t); !s.ok())
    return s.error();
  return be::Error("no PacketScope policy on '" + t.ifname + "'", ENOENT, {},
                   be::ErrorKind::User);
}

be::Status adopt_in_force(const StateLayout &layout, const Target &t,
                          const InForce &in_force,
                          std::vector<std::string> *notes) {
  const uint32_t keep = in_force.has_policy() ? in_force.link.prog_id : 0;
  for (uint32_t id : program_dirs(layout, t))
    if (id != keep) {
      remove_tree(layout.program_dir(t, id), 2);
      if (notes != nullptr)
        notes->push_back("removed the state of program " + std::to_string(id) +
                         ", which is not in force (a load that did not "
                         "finish)");
    }
  if (path_exists(layout.state_dir(t) + "/new")) {
    remove_tree(layout.state_dir(t) + "/new", 1);
    if (notes != nullptr)
      notes->push_back("removed the files of a load that did not finish");
  }
  const std::string staging = layout.pin_dir(t) + "/staging";
  for (const std::string &name : list_dir(staging))
    ::unlink((staging + "/" + name).c_str());
  if (!in_force.has_policy() || in_force.link.ifindex == 0)
    return be::Status::success();
  be::Expected<ProgramMaps> maps =
      ProgramMaps::of_program(in_force.link.prog_id, layout.maps_dir(t));
  if (!maps)
    return maps.error();
  if (pins_match(layout, t, *maps))
    return be::Status::success();
  std::vector<std::string> full_names;
  if (in_force.state)
    for (const DynSetEntry &d : in_force.state->dynsets)
      full_names.push_back(d.name);
  if (be::Status s = pin_program_maps(layout, t, *maps, full_names); !s.ok())
    return s;
  if (notes != nullptr)
    notes->push_back("pinned the maps of program " +
                     std::to_string(in_force.link.prog_id) +
                     ", which a loader switched in but did not finish");
  return be::Status::success();
}

} // namespace psr::policy
