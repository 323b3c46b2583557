// psc status: what is in force, per target, as text or JSON. The policy
// runtime gathers it (runtime/policy/status.h); this file only renders.
#include <algorithm>
#include <iomanip>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ast/value.h"
#include "commands.h"
#include "policy/program_state.h"
#include "policy/status.h"
#include "policy_target.h"

namespace psc {

namespace {

namespace be = psl::backend;
namespace pp = psr::policy;
using nlohmann::json;

json counts_json(const pp::RuleCounts &c, bool shadow) {
  json j = {{"packets", c.packets}, {"bytes", c.bytes}};
  if (shadow) {
    j["shadow_packets"] = c.shadow_packets;
    j["shadow_bytes"] = c.shadow_bytes;
  }
  return j;
}

json status_json(const pp::TargetStatus &s) {
  json d;
  d["ifname"] = s.target.ifname;
  d["netns"] = s.target.netns;
  if (!s.netns_alive)
    d["netns_gone"] = true;
  if (s.current_netns)
    d["interface_exists"] = s.interface_exists;
  d["attached"] = s.attached;
  if (!s.pinned)
    return d;
  d["program_id"] = s.prog_id;
  d["program"] = s.program_name;
  d["link_id"] = s.link_id;
  d["mode"] = be::xdp_mode_name(s.mode);
  d["policy"] = s.policy;
  d["source"] = s.source;
  if (!s.has_state)
    d["state_problem"] = s.state_problem;
  d["loaded_at"] = format_time_json(s.loaded_at_unix_ns);
  d["attached_at"] = format_time_json(s.attached_at_unix_ns);
  json rules = json::array();
  for (const pp::RuleStatus &r : s.rules) {
    json x = counts_json(r.counts, true);
    x["name"] = r.name;
    x["action"] = r.action;
    x["shadow"] = r.shadow;
    x["origin"] = r.origin;
    if (r.ttl_ns != 0) {
      x["ttl"] = psl::duration_text(r.ttl_ns);
      x["since"] = format_time_json(r.started_unix_ns);
      x["expires_at"] = format_time_json(r.expires_unix_ns);
      x["expired"] = r.expired;
    }
    rules.push_back(std::move(x));
  }
  d["rules"] = std::move(rules);
  json def = counts_json(s.default_counts, false);
  def["action"] = s.default_action;
  d["default"] = std::move(def);
  json sets = json::array();
  for (const pp::SetStatus &x : s.sets) {
    json j = {{"name", x.name},
              {"elem", x.elem},
              {"entries", x.live},
              {"expired", x.expired},
              {"capacity", x.capacity}};
    if (x.ttl_ns != 0)
      j["ttl"] = psl::duration_text(x.ttl_ns);
    sets.push_back(std::move(j));
  }
  d["dynsets"] = std::move(sets);
  if (!s.expired_rules.empty())
    d["expired_rules"] = s.expired_rules;
  if (!s.problems.empty())
    d["problems"] = s.problems;
  return d;
}

void print_status(const pp::TargetStatus &s, std::ostream &out) {
  const std::string who =
      s.target.ifname + " (" + s.target.netns +
      (s.netns_alive ? std::string() : std::string(", gone")) + ")";
  if (!s.pinned) {
    out << who << ": no policy attached\n";
    for (const std::string &p : s.problems)
      out << "  note: " << p << "\n";
    return;
  }
  out << who << ": policy '" << s.policy << "', program " << s.prog_id
      << ", link " << s.link_id << ", "
      << (s.attached ? be::xdp_mode_name(s.mode) : "detached") << "\n";
  if (!s.has_state) {
    out << "  no rule table: " << s.state_problem << "\n";
    return;
  }
  out << "  from " << s.source << ", loaded "
      << format_time(s.loaded_at_unix_ns)
      << (s.attached_at_unix_ns != s.loaded_at_unix_ns
              ? " (attached since " + format_time(s.attached_at_unix_ns) + ")"
              : std::string())
      << "\n";
  size_t w = 7;
  for (const pp::RuleStatus &r : s.rules)
    w = std::max(w, r.name.size());
  auto row = [&](const std::string &name, const std::string &action, uint64_t p,
                 uint64_t b, const std::string &extra) {
    out << "  " << std::left << std::setw(static_cast<int>(w)) << name << "  "
        << std::setw(6) << action << std::right << std::setw(12) << p << " pkts"
        << std::setw(14) << b << " bytes" << extra << "\n";
  };
  for (const pp::RuleStatus &r : s.rules) {
    // Generated rules (psd's governor) say whose they are.
    std::string extra =
        r.origin == "operator" ? std::string() : "  [" + r.origin + "]";
    if (r.shadow)
      extra += "  (shadow: would have matched " +
               std::to_string(r.counts.shadow_packets) + " pkts)";
    if (r.ttl_ns != 0)
      extra += "  ttl " + psl::duration_text(r.ttl_ns) +
               (r.expired ? ", expired at " : ", until ") +
               format_time(r.expires_unix_ns);
    row(r.name, r.action, r.counts.packets, r.counts.bytes, extra);
  }
  row("default", s.default_action, s.default_counts.packets,
      s.default_counts.bytes, "");
  for (const pp::SetStatus &x : s.sets)
    out << "  set " << x.name << ": " << x.live << " of " << x.capacity
        << " entries"
        << (x.expired
                ? " (" + std::to_string(x.expired) + " expired, not yet swept)"
                : std::string())
        << "\n";
  if (!s.expired_rules.empty()) {
    std::string names;
    for (const std::string &n : s.expired_rules)
      names += (names.empty() ? "" : ", ") + n;
    out << "  removed when their ttl ran out: " << names << "\n";
  }
  for (const std::string &p : s.problems)
    out << "  note: " << p << "\n";
  if (!s.netns_alive || (s.pinned && !s.attached))
    out << "  (psc unload --netns " << s.target.netns << " --dev "
        << s.target.ifname << " removes it)\n";
}

} // namespace

int run_status(const StatusOptions &options, Streams io) {
  if (!options.dev.empty()) {
    if (be::Status s = pp::check_ifname(options.dev); !s.ok()) {
      io.err << "psc status: " << s.error().message << "\n";
      return kExitUsage;
    }
  }
  if (be::Status ready = bpf_ready(); !ready.ok())
    return report_error("status", ready.error(), io.err);
  be::Expected<EnteredNetns> entered =
      enter_netns(options.netns, /*allow_gone=*/true);
  if (!entered)
    return report_error("status", entered.error(), io.err);
  const std::string &netns = entered->netns;
  const pp::StateLayout layout = pp::StateLayout::from_environment();
  std::vector<pp::Target> targets;
  if (!options.dev.empty() && !options.all_namespaces) {
    targets.push_back(pp::Target{netns, options.dev});
  } else {
    std::vector<std::string> spaces{netns};
    if (options.all_namespaces)
      spaces = layout.namespaces();
    for (const std::string &ns : spaces)
      for (const pp::Target &t : pp::status_targets(layout, ns))
        if (options.dev.empty() || t.ifname == options.dev)
          targets.push_back(t);
  }
  json all = json::array();
  std::vector<pp::TargetStatus> shown;
  int rc = kExitOk;
  for (const pp::Target &t : targets) {
    be::Expected<pp::TargetStatus> st = pp::target_status(layout, t);
    if (!st) {
      rc = std::max(rc, report_error("status", st.error(), io.err));
      continue;
    }
    // A named interface that is gone, with what it left: shown, but not
    // a clean answer.
    if (!options.dev.empty() && !options.all_namespaces)
      if (be::Status s = pp::named_interface_exists(*st); !s.ok()) {
        io.err << "psc status: " << s.error().message
               << "; what a policy on it left:\n";
        rc = std::max(rc, error_status("status", s.error(), io.err));
      }
    shown.push_back(std::move(*st));
  }
  if (options.format == StatusOptions::Format::Json) {
    for (const pp::TargetStatus &s : shown)
      all.push_back(status_json(s));
    if (options.dev.empty() || options.all_namespaces)
      io.out << all.dump(1) << "\n";
    else if (!all.empty())
      io.out << all[0].dump(1) << "\n";
    return rc;
  }
  if (shown.empty() && rc == kExitOk) {
    io.out << "no PacketScope policy loaded in "
           << (options.all_namespaces
                   ? std::string("any network namespace")
                   : "this network namespace (" + netns + ")")
           << "\n";
    if (!options.all_namespaces) {
      size_t others = 0;
      for (const std::string &ns : layout.namespaces())
        if (ns != netns)
          others += pp::status_targets(layout, ns).size();
      if (others > 0)
        io.out << "(" << others << " interface" << (others == 1 ? "" : "s")
               << " in other namespaces: psc status --all-namespaces)\n";
    }
  }
  for (const pp::TargetStatus &s : shown)
    print_status(s, io.out);
  return rc;
}

} // namespace psc
