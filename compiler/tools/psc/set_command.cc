// psc set add|del|list: the dynamic sets of the policy in force, through
// the policy runtime (runtime/policy/dynamic_sets.h).
#include <optional>
#include <ostream>
#include <string>

#include "commands.h"
#include "policy/dynamic_sets.h"
#include "policy/set_values.h"
#include "policy_target.h"

namespace psc {

namespace {

namespace be = psl::backend;
namespace pp = psr::policy;

// Rounded up: an entry that expires in 0.2 s "expires in 1s".
std::string remaining(uint64_t ns) {
  return std::to_string((ns + 999999999ull) / 1000000000ull) + "s";
}

} // namespace

int run_set(const SetOptions &options, Streams io) {
  if (options.action != "list" && options.value.empty()) {
    io.err << "psc set " << options.action << ": a VALUE is required\n";
    return kExitUsage;
  }
  if (options.action != "add" && !options.ttl.empty()) {
    io.err << "psc set " << options.action << ": --ttl applies to 'add' only\n";
    return kExitUsage;
  }
  std::optional<pp::EntryTtl> ttl;
  if (!options.ttl.empty()) {
    be::Expected<pp::EntryTtl> t = pp::parse_entry_ttl(options.ttl);
    if (!t) { // a value the set refuses, as VALUE would be
      io.err << "psc set: --ttl: " << t.error().message << "\n";
      return error_status("set", t.error(), io.err);
    }
    ttl = *t;
  }
  int status = kExitOk;
  std::optional<TargetChoice> choice = choose_target(
      "set", options.dev, options.netns, /*allow_gone=*/false, io.err, &status);
  if (!choice)
    return status;
  if (be::Status ready = bpf_ready(); !ready.ok())
    return report_error("set", ready.error(), io.err);
  const pp::StateLayout layout = pp::StateLayout::from_environment();
  const pp::Target &t = choice->target;

  if (options.action == "list") {
    be::Expected<pp::SetListing> l =
        pp::set_list(layout, t, options.set, options.value);
    if (!l)
      return report_error("set", l.error(), io.err);
    for (const pp::ListedEntry &e : l->entries) {
      io.out << e.value;
      if (e.expires_ns != 0)
        io.out << "  expires in " << remaining(e.remaining_ns);
      io.out << "\n";
    }
    if (l->expired != 0)
      io.err << "psc set: " << l->expired << " expired "
             << (l->expired == 1 ? "entry" : "entries")
             << " not shown (still in the map until swept)\n";
    return kExitOk;
  }
  if (options.action == "del") {
    be::Status s = pp::set_del(layout, t, options.set, options.value);
    if (!s.ok())
      return report_error("set", s.error(), io.err);
    return kExitOk;
  }
  be::Expected<pp::SetAddResult> r =
      pp::set_add(layout, t, options.set, options.value, ttl);
  if (!r)
    return report_error("set", r.error(), io.err);
  if (r->swept != 0)
    io.err << "psc set: the set was full; removed " << r->swept << " expired "
           << (r->swept == 1 ? "entry" : "entries") << " to make room\n";
  return kExitOk;
}

} // namespace psc
