#include "policy/status.h"

#include <algorithm>
#include <cerrno>

#include <bpf/bpf.h>

#include <net/if.h>

#include "policy/counters.h"
#include "policy/dynamic_sets.h"
#include "policy/files.h"
#include "policy/in_force.h"
#include "policy/program_maps.h"
#include "policy/set_values.h"

namespace psr::policy {

namespace {

// A CLOCK_BOOTTIME time as wall clock.
uint64_t boot_to_unix(uint64_t boot_ns, uint64_t boot_now, uint64_t unix_now) {
  return boot_ns <= boot_now ? unix_now - (boot_now - boot_ns)
                             : unix_now + (boot_ns - boot_now);
}

} // namespace

be::Status named_interface_exists(const TargetStatus &s) {
  if (s.current_netns && !s.interface_exists)
    return no_such_interface(s.target);
  return be::Status::success();
}

std::vector<Target> status_targets(const StateLayout &layout,
                                   const std::string &netns) {
  return layout.targets(netns);
}

be::Expected<TargetStatus> target_status(const StateLayout &layout,
                                         const Target &t) {
  be::install_libbpf_log_capture();
  TargetStatus out;
  out.target = t;
  uint64_t cookie = 0;
  if (be::Expected<NetnsId> ns = current_netns(); ns && ns->name() == t.netns) {
    out.current_netns = true;
    cookie = ns->cookie;
    out.ifindex = ::if_nametoindex(t.ifname.c_str());
    out.interface_exists = out.ifindex != 0;
  } else {
    out.netns_alive = netns_alive(t.netns);
  }
  const bool anything =
      path_exists(layout.pin_dir(t)) || path_exists(layout.state_dir(t));
  if (!anything)
    if (be::Status e = target_exists(t); !e.ok())
      return e.error();

  be::Expected<InForce> in = find_in_force(layout, t, cookie);
  if (!in)
    return in.error();
  out.pinned = in->link.pinned;
  out.link_id = in->link.link_id;
  out.prog_id = in->link.prog_id;
  out.attached = in->link.ifindex != 0 &&
                 (!out.current_netns || in->link.ifindex == out.ifindex);
  if (in->link.pinned && in->link.ifindex == 0)
    out.problems.push_back(
        out.netns_alive ? "the interface the policy was attached to is gone"
                        : "the network namespace " + t.netns + " is gone");
  else if (out.current_netns && in->link.pinned && !out.attached)
    out.problems.push_back("the link is attached to interface index " +
                           std::to_string(in->link.ifindex) + ", not to '" +
                           t.ifname + "'");
  if (out.prog_id != 0) {
    be::UniqueFd prog(bpf_prog_get_fd_by_id(out.prog_id));
    if (prog)
      if (be::Expected<be::ProgramInfo> pi = be::program_info(prog.get()))
        out.program_name = pi->name;
  }
  if (out.attached && out.current_netns) {
    be::Expected<be::XdpStatus> st = layout.attacher(t).status(t.ifname);
    if (st)
      out.mode = st->mode;
  }
  if (!out.pinned) {
    if (!program_dirs(layout, t).empty())
      out.problems.push_back("state without a pinned link (a load that did "
                             "not finish; the next change removes it)");
    return out;
  }
  if (!in->state) {
    out.state_problem = in->state_problem;
    return out;
  }
  const ProgramState &s = *in->state;
  out.has_state = true;
  out.policy = s.policy;
  out.source = s.source;
  out.default_action = s.default_action;
  out.loaded_at_unix_ns = s.loaded_at_unix_ns;
  out.attached_at_unix_ns = s.attached_at_unix_ns;
  out.expired_rules = s.expired_rules;
  if (!out.attached || !out.current_netns) {
    if (s.mode == "native")
      out.mode = be::XdpMode::Native;
    else if (s.mode == "generic")
      out.mode = be::XdpMode::Generic;
  }

  be::Expected<ProgramMaps> maps =
      ProgramMaps::of_program(out.prog_id, layout.maps_dir(t));
  if (!maps)
    return maps.error();
  uint32_t slots = 1;
  for (const RuleEntry &r : s.rules)
    slots = std::max(slots, r.counter + 1);
  std::vector<psl_counter> rule_cnt, shadow_cnt;
  if (int fd = maps->fd("psl_rule_cnt"); fd >= 0) {
    if (auto v = read_counter_slots(fd, slots))
      rule_cnt = std::move(*v);
    else
      out.problems.push_back("counters: " + v.error().message);
  }
  if (int fd = maps->fd("psl_shadow_cnt"); fd >= 0) {
    if (auto v = read_counter_slots(fd, slots))
      shadow_cnt = std::move(*v);
    else
      out.problems.push_back("shadow counters: " + v.error().message);
  }
  CounterTotals totals = total_counts(s, rule_cnt, shadow_cnt);

  const uint64_t boot_now = boottime_now_ns(), unix_now = unix_now_ns();
  out.rules.reserve(s.rules.size());
  for (const RuleEntry &r : s.rules) {
    RuleStatus rs;
    rs.name = r.name;
    rs.action = r.action;
    rs.shadow = r.shadow;
    rs.counts = totals.rules[r.name];
    rs.ttl_ns = r.ttl_ns;
    rs.origin = r.origin;
    auto started = s.rule_started_ns.find(r.name);
    if (r.ttl_ns != 0 && started != s.rule_started_ns.end()) {
      rs.started_unix_ns = boot_to_unix(started->second, boot_now, unix_now);
      rs.expires_unix_ns = rs.started_unix_ns + r.ttl_ns;
      rs.expired = started->second + r.ttl_ns <= boot_now;
    }
    out.rules.push_back(std::move(rs));
  }
  out.default_counts = totals.default_counts;

  const uint64_t mono_now = monotonic_now_ns();
  for (const DynSetEntry &d : s.dynsets) {
    SetStatus ss;
    ss.name = d.name;
    ss.elem = d.elem;
    ss.capacity = d.capacity;
    ss.ttl_ns = d.ttl_ns;
    std::optional<SetElem> elem = set_elem_from_name(d.elem);
    const int fd = maps->fd(d.name);
    be::Expected<SetCounts> c =
        elem && fd >= 0
            ? count_set_map(fd, set_key_size(*elem), mono_now)
            : be::Expected<SetCounts>(be::Error("no map for the set"));
    if (c) {
      ss.live = c->live;
      ss.expired = c->expired;
    } else {
      ss.readable = false;
      out.problems.push_back("set '" + d.name + "': " + c.error().message);
    }
    out.sets.push_back(std::move(ss));
  }
  return out;
}

} // namespace psr::policy
