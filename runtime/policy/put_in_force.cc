#include "policy/put_in_force.h"

#include <algorithm>
#include <cerrno>
#include <future>
#include <optional>
#include <set>

#include <bpf/bpf.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <net/if.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "ast/fields.h"
#include "policy/counters.h"
#include "policy/dynamic_sets.h"
#include "policy/files.h"
#include "policy/in_force.h"
#include "policy/program_maps.h"
#include "policy/set_values.h"
#include "policy/target_lock.h"
#include "psl_rate.h"

namespace psr::policy {

std::map<std::string, uint64_t> rule_ttls(const psl::Policy &policy) {
  std::map<std::string, uint64_t> out;
  for (const psl::RuleDecl *r : policy.rules)
    if (r->ttl)
      out[r->name] = r->ttl->value.ns;
  return out;
}

ProgramState describe_program(const psl::lower::Classifier &c,
                              const std::map<std::string, uint64_t> &ttls) {
  ProgramState s;
  s.policy = c.policy;
  s.default_action = psl::action_name(c.default_action);
  s.rules.reserve(c.rules.size());
  for (const psl::lower::RuleInfo &r : c.rules) {
    RuleEntry e;
    e.name = r.name;
    e.action = psl::action_name(r.action);
    e.shadow = r.shadow;
    e.counter = r.counter_id;
    auto ttl = ttls.find(r.name);
    e.ttl_ns = ttl == ttls.end() ? 0 : ttl->second;
    s.rules.push_back(std::move(e));
  }
  for (const psl::lower::DynSetSpec &d : c.dynsets)
    s.dynsets.push_back(
        {d.name, psl::type_kind_name(d.elem), d.capacity, d.ttl_ns});
  std::map<uint32_t, uint32_t> per_rule;
  for (const psl::lower::RateSpec &r : c.rates) {
    RateEntry e;
    e.id = r.id;
    e.rule = r.rule < c.rules.size() ? c.rules[r.rule].name : std::string();
    e.ordinal = per_rule[r.rule]++;
    for (psl::FieldId f : r.keys)
      e.keys.push_back(psl::field_info(f).name);
    e.per_second = r.per_second;
    e.bits = r.bits;
    e.burst = r.burst;
    e.shift = r.shift;
    s.rates.push_back(std::move(e));
  }
  return s;
}

namespace {

using nlohmann::json;

// The members of `extra`, one per line, as the sidecar's first members
// (write_artifact_json's first_members).
std::string member_lines(const json &extra) {
  std::string members;
  for (const auto &[key, value] : extra.items())
    members += " " + json(key).dump() + ": " + value.dump() + ",\n";
  return members;
}

// Undoes what a put that failed made: the new program's state directory,
// and on a first load the directories it created.
class FailureCleanup {
public:
  FailureCleanup(const StateLayout &layout, const Target &t)
      : layout_(layout), t_(t) {
    for (const std::string &d :
         {layout.pin_root, layout.netns_pin_dir(t.netns), layout.pin_dir(t)})
      if (!path_exists(d))
        new_pin_dirs_.push_back(d);
  }
  ~FailureCleanup() {
    if (done_)
      return;
    if (prog_id_ != 0)
      remove_tree(layout_.program_dir(t_, prog_id_), 2);
    if (!staged_.empty())
      remove_tree(staged_, 1);
    if (lock_ != nullptr && first_load_) {
      lock_->remove_state_dir();
      remove_created_dirs(lock_->created_dirs());
    }
    // The attacher makes <ifname>/maps and staging/ before it attaches;
    // on a first load nothing else is in them.
    for (auto it = new_pin_dirs_.rbegin(); it != new_pin_dirs_.rend(); ++it) {
      for (const char *sub : {"/maps", "/staging"})
        ::rmdir((*it + sub).c_str());
      ::rmdir(it->c_str());
    }
  }
  void set_lock(TargetLock *lock, bool first_load) {
    lock_ = lock;
    first_load_ = first_load;
  }
  void set_program(uint32_t id) { prog_id_ = id; }
  void set_staged(std::string dir) { staged_ = std::move(dir); }
  void commit() { done_ = true; }

private:
  const StateLayout &layout_;
  Target t_;
  std::vector<std::string> new_pin_dirs_;
  TargetLock *lock_ = nullptr;
  bool first_load_ = false;
  uint32_t prog_id_ = 0;
  std::string staged_;
  bool done_ = false;
};

be::Error prefixed(const std::string &what, const be::Error &e) {
  be::Error out = e;
  out.message = what + e.message;
  return out;
}

// The counts of `s`'s rules: base + the maps of its program.
be::Expected<CounterTotals> totals_of(const ProgramState &s,
                                      const ProgramMaps &maps) {
  uint32_t slots = 1;
  for (const RuleEntry &r : s.rules)
    slots = std::max(slots, r.counter + 1);
  std::vector<psl_counter> rule_cnt, shadow_cnt;
  if (int fd = maps.fd("psl_rule_cnt"); fd >= 0) {
    auto v = read_counter_slots(fd, slots);
    if (!v)
      return v.error();
    rule_cnt = std::move(*v);
  }
  if (int fd = maps.fd("psl_shadow_cnt"); fd >= 0) {
    auto v = read_counter_slots(fd, slots);
    if (!v)
      return v.error();
    shadow_cnt = std::move(*v);
  }
  return total_counts(s, rule_cnt, shadow_cnt);
}

std::vector<std::string> rule_names(const ProgramState &s) {
  std::vector<std::string> names;
  names.reserve(s.rules.size());
  for (const RuleEntry &r : s.rules)
    names.push_back(r.name);
  return names;
}

// Copies the old program's buckets of matched rate()s into the new map,
// ids rewritten (and tokens rescaled where the rate changed). Returns how
// many buckets each new rate id received.
be::Expected<std::map<uint32_t, uint64_t>>
copy_rate_buckets(int from, int to, const ProgramState &old,
                  const ProgramState &next, const CarryPlan &plan) {
  std::map<uint32_t, const RateCarryPlan *> by_old;
  for (const RateCarryPlan &p : plan.rates)
    if (p.old_id && (p.how == CarryHow::Copy || p.how == CarryHow::Rescale))
      by_old[*p.old_id] = &p;
  std::map<uint32_t, uint64_t> copied;
  if (by_old.empty())
    return copied;
  auto find_rate = [](const ProgramState &s, uint32_t id) {
    for (const RateEntry &r : s.rates)
      if (r.id == id)
        return &r;
    return static_cast<const RateEntry *>(nullptr);
  };
  psl_rate_key key{}, next_key{};
  bool first = true;
  while (bpf_map_get_next_key(from, first ? nullptr : &key, &next_key) == 0) {
    first = false;
    key = next_key;
    auto it = by_old.find(key.rule_id);
    if (it == by_old.end())
      continue;
    psl_rate_state st{};
    if (bpf_map_lookup_elem(from, &key, &st) != 0)
      continue; // evicted meanwhile
    const RateCarryPlan &p = *it->second;
    if (p.how == CarryHow::Rescale) {
      const RateEntry *a = find_rate(old, *p.old_id);
      const RateEntry *b = find_rate(next, p.new_id);
      if (a == nullptr || b == nullptr)
        continue;
      st.tokens = rescale_tokens(st.tokens, *a, *b);
    }
    psl_rate_key moved = key;
    moved.rule_id = p.new_id;
    if (bpf_map_update_elem(to, &moved, &st, BPF_ANY) != 0)
      return be::errno_error("cannot copy rate buckets", errno);
    ++copied[p.new_id];
  }
  return copied;
}

} // namespace

be::Expected<PutResult> put_in_force(const StateLayout &layout,
                                     const Target &target,
                                     const PolicyToLoad &policy,
                                     const PutOptions &options) {
  be::install_libbpf_log_capture();
  if (policy.artifact == nullptr)
    return be::Error::internal("put_in_force: no policy artifact");
  const be::PolicyArtifact &artifact = *policy.artifact;
  auto step = [&](std::string_view name) {
    if (options.on_step)
      options.on_step(name);
  };
  be::Expected<NetnsId> ns = current_netns();
  if (!ns)
    return ns.error();
  if (ns->name() != target.netns) // the caller's to enter it first
    return be::Error::internal("'" + target.ifname + "' of network namespace " +
                               target.netns +
                               " cannot be changed from namespace " +
                               ns->name() + " (enter it first)");
  const unsigned ifindex = ::if_nametoindex(target.ifname.c_str());
  if (ifindex == 0)
    return no_such_interface(target);

  be::Expected<TargetLock> lock =
      TargetLock::acquire(layout, target, options.purpose, options.lock_wait);
  if (!lock)
    return lock.error();
  // Destroyed before the lock: it cleans up while the lock is held.
  FailureCleanup cleanup(layout, target);

  PutResult result;
  result.target = target;
  result.reset = options.reset;
  be::Expected<InForce> in = find_in_force(layout, target, ns->cookie);
  if (!in)
    return in.error();
#ifdef __GLIBC__
  // Reading a 100k-rule state leaves freed pages behind; give them back
  // before the load, the peak of a put (psc load's memory target).
  malloc_trim(0);
#endif
  cleanup.set_lock(&*lock, !in->has_policy());
  if (options.expected_prog_id != 0 &&
      in->link.prog_id != options.expected_prog_id)
    return be::Error("the policy on '" + target.ifname +
                         "' changed meanwhile (program " +
                         std::to_string(in->link.prog_id) + ", not " +
                         std::to_string(options.expected_prog_id) + ")",
                     ESTALE);
  if (be::Status s = adopt_in_force(layout, target, *in, &result.notes);
      !s.ok())
    return prefixed("cannot take over what an earlier load left: ", s.error());
  const ProgramState *old = in->state ? &*in->state : nullptr;
  if (in->has_policy() && old == nullptr && in->link.ifindex != 0)
    result.notes.push_back("program " + std::to_string(in->link.prog_id) +
                           " is in force without a state (" +
                           in->state_problem +
                           "): its sets, rate state and counters are not "
                           "carried over");
  const bool swap = in->has_policy() && in->link.ifindex == ifindex;

  // Another mode would need a detach: traffic without a policy meanwhile.
  be::XdpAttacher attacher = layout.attacher(target, options.mode);
  if (swap && options.mode != be::XdpMode::Auto) {
    be::Expected<be::XdpStatus> st = attacher.status(target.ifname);
    if (st && st->attached && st->mode != options.mode)
      return be::Error(
          "'" + target.ifname + "' runs its policy in " +
              be::xdp_mode_name(st->mode) + " mode, and a swap keeps the " +
              "mode: switching to " + be::xdp_mode_name(options.mode) +
              " mode needs an unload (leaving the interface without a " +
              "policy) and a new load; or load without --mode",
          EINVAL, {}, be::ErrorKind::User);
  }

  // Plan, load, fill.
  ProgramState next = describe_program(artifact.classifier, policy.rule_ttls);
  for (RuleEntry &r : next.rules)
    if (auto it = policy.rule_origins.find(r.name);
        it != policy.rule_origins.end())
      r.origin = it->second;
  CarryPlan plan = plan_carry(old, next, options.reset);
  std::optional<ProgramMaps> old_maps;
  if (in->has_policy()) {
    be::Expected<ProgramMaps> m =
        ProgramMaps::of_program(in->link.prog_id, layout.maps_dir(target));
    if (!m)
      return prefixed("cannot read the maps of the program in force: ",
                      m.error());
    old_maps = std::move(*m);
  }
  be::PolicyLoadOptions load = options.load;
  // Every program put in force carries the XDP observation (pso_*), so
  // its maps have one size on both sides of every swap and carry over.
  load.observe = true;
  if (path_exists(layout.maps_dir(target))) {
    const std::set<std::string> reuse = plan.maps_to_reuse();
    load.bpf.reuse_maps_dir = layout.maps_dir(target);
    load.bpf.reuse_map_filter = [reuse](const std::string &name) {
      return tracing_map(name) || reuse.count(name) != 0;
    };
  }
  // The sidecar and the text go to <state dir>/new before the switch (the
  // sidecar while the program loads). The sidecar of a 100k-rule policy is
  // tens of MB of text: it goes to the file as it is made, never held
  // whole. new/ becomes prog-<ID>/ once the program has its id.
  const std::string staged = layout.state_dir(target) + "/new";
  remove_tree(staged, 1);
  if (be::Status s = make_dirs(staged, 0755); !s.ok())
    return s.error();
  cleanup.set_staged(staged);
  json extra;
  extra["ifname"] = target.ifname;
  extra["netns"] = target.netns;
  extra["source"] = policy.source;
  const std::string first = member_lines(extra);
  // The sidecar goes to its file on a thread of its own while the kernel
  // verifies the program and the maps are written: at 100k rules each
  // takes a part of a second. Both are done before anything is switched.
  std::future<be::Status> sidecar = std::async(std::launch::async, [&] {
    return write_file_atomically(
        staged + "/policy.json", [&](const PieceEmitter &emit) {
          return psl::codegen::write_artifact_json(artifact, emit, first);
        });
  });
  if (be::Status s = write_file_atomically(staged + "/policy.psl", policy.text);
      !s.ok())
    return s.error();

  be::Expected<be::BpfObject> obj = be::load_policy(artifact, load);
  const be::Status sidecar_written = sidecar.get();
  if (!obj)
    return prefixed("the kernel rejected the policy: ", obj.error());
  if (!sidecar_written.ok())
    return sidecar_written.error();
  step("loaded");
  const std::vector<std::string> &reused = obj->reused_maps();
  auto was_reused = [&](const std::string &name) {
    return std::find(reused.begin(), reused.end(), name) != reused.end();
  };
  // A map the plan meant to keep that the loader could not reuse (its pin
  // missing, its shape changed) is copied instead.
  for (SetCarryPlan &s : plan.sets)
    if (s.how == CarryHow::Keep && !was_reused(s.name))
      s.how = CarryHow::Copy;
  if (plan.keep_rate_map && !was_reused("psl_rate")) {
    plan.keep_rate_map = false;
    for (RateCarryPlan &r : plan.rates)
      if (r.how == CarryHow::Keep)
        r.how = CarryHow::Copy;
  }
  // Without shadow rules the program never touches psl_shadow_cnt.
  bool any_shadow = false;
  for (const RuleEntry &r : next.rules)
    any_shadow = any_shadow || r.shadow;
  if (plan.keep_counter_maps &&
      !(was_reused("psl_rule_cnt") &&
        (was_reused("psl_shadow_cnt") || !any_shadow)))
    plan.keep_counter_maps = false;

  const uint64_t mono_now = monotonic_now_ns();
  for (const SetCarryPlan &p : plan.sets) {
    SetCarry c;
    c.name = p.name;
    c.how = p.how;
    c.why = p.why;
    const DynSetEntry *spec = next.find_dynset(p.name);
    std::optional<SetElem> elem =
        spec ? set_elem_from_name(spec->elem) : std::nullopt;
    const int to = obj->map_fd(p.name);
    if ((p.how == CarryHow::Keep || p.how == CarryHow::Copy) && elem &&
        to >= 0) {
      const uint32_t key_size = set_key_size(*elem);
      if (p.how == CarryHow::Copy) {
        const int from = old_maps ? old_maps->fd(p.name) : -1;
        if (from >= 0) {
          be::Expected<uint64_t> n = copy_set_map(from, to, key_size, mono_now);
          if (!n) {
            if (n.error().code == E2BIG) {
              be::Expected<SetCounts> live =
                  count_set_map(from, key_size, mono_now);
              return be::Error(
                  "set '" + p.name + "' holds " +
                      (live ? std::to_string(live->live) : "more") +
                      " live entries, more than its new capacity of " +
                      std::to_string(spec->capacity) +
                      "; raise the capacity, remove entries first (psc set " +
                      "del), or load with --reset to start it empty",
                  E2BIG, {}, be::ErrorKind::User);
            }
            return prefixed("cannot carry set '" + p.name + "' over: ",
                            n.error());
          }
        } else {
          c.how = CarryHow::Fresh;
          c.why = "the program in force has no map for it";
        }
      }
      be::Expected<SetCounts> live = count_set_map(to, key_size, mono_now);
      if (live)
        c.entries = live->live;
    }
    result.sets.push_back(std::move(c));
  }
  result.sets_dropped = plan.sets_dropped;

  std::map<uint32_t, uint64_t> buckets;
  if (!plan.keep_rate_map && old != nullptr && old_maps &&
      old_maps->fd("psl_rate") >= 0 && obj->map_fd("psl_rate") >= 0) {
    be::Expected<std::map<uint32_t, uint64_t>> copied = copy_rate_buckets(
        old_maps->fd("psl_rate"), obj->map_fd("psl_rate"), *old, next, plan);
    if (!copied)
      return copied.error();
    buckets = std::move(*copied);
  }
  for (const RateCarryPlan &p : plan.rates) {
    RateCarry r;
    r.rule = p.rule;
    r.how = p.how;
    r.why = p.why;
    r.buckets = buckets[p.new_id];
    result.rates.push_back(std::move(r));
  }

  // The new program's state, complete before the switch.
  be::Expected<be::ProgramInfo> info =
      be::program_info(obj->program_fd(artifact.program));
  if (!info)
    return info.error();
  const uint32_t prog_id = info->id;
  cleanup.set_program(prog_id);
  next.netns = target.netns;
  next.netns_cookie = ns->cookie;
  next.ifname = target.ifname;
  next.prog_id = prog_id;
  next.mode = be::xdp_mode_name(options.mode);
  next.source = policy.source;
  next.loaded_at_unix_ns = unix_now_ns();
  next.attached_at_unix_ns = swap && old != nullptr && old->attached_at_unix_ns
                                 ? old->attached_at_unix_ns
                                 : next.loaded_at_unix_ns;
  next.expired_rules = policy.expired_rules;
  next.rule_started_ns =
      rule_starts(old, next, boottime_now_ns(), options.reset);
  CounterCarry counters;
  if (old != nullptr && !options.reset) {
    if (plan.keep_counter_maps) {
      counters.base = old->counter_base;
      counters.default_base = old->default_base;
    } else if (old_maps) {
      // What the old program has counted so far; corrected to its final
      // counts after the switch.
      be::Expected<CounterTotals> totals = totals_of(*old, *old_maps);
      if (!totals)
        return totals.error();
      counters = carry_counters(*totals, rule_names(next));
    }
  }
  next.counter_base = counters.base;
  next.default_base = counters.default_base;

  const std::string dir = layout.program_dir(target, prog_id);
  remove_tree(dir, 1); // (an id the kernel gave out again)
  if (::rename(staged.c_str(), dir.c_str()) != 0)
    return be::errno_error("cannot move '" + staged + "' to '" + dir + "'",
                           errno);
  cleanup.set_staged({});
  if (be::Status s = write_program_state(layout, target, next); !s.ok())
    return s.error();
  step("state-written");

  // The switch.
  be::Expected<be::XdpAttachment> att =
      attacher.attach(target.ifname, *obj, artifact.program);
  if (!att) {
    // Failed after the link moved (pinning the maps)? Then the new
    // program is in force and its maps are pinned by the next change.
    be::Expected<LinkState> now = read_link(layout, target);
    if (!now || now->prog_id != prog_id)
      return att.error();
    result.notes.push_back("the policy is in force, but " +
                           att.error().message);
    be::XdpAttachment a;
    a.link_id = now->link_id;
    a.prog_id = prog_id;
    a.replaced_prog_id = swap ? in->link.prog_id : 0;
    be::Expected<be::XdpStatus> st = attacher.status(target.ifname);
    a.mode = st ? st->mode : options.mode;
    att = a;
  }
  cleanup.commit();
  step("switched");

  result.policy = next.policy;
  result.prog_id = prog_id;
  result.link_id = att->link_id;
  result.mode = att->mode;
  result.replaced_prog_id = att->replaced_prog_id;
  result.counters.maps_kept = plan.keep_counter_maps;
  next.mode = be::xdp_mode_name(att->mode);

  // The old program's final counts, once none of its runs is left.
  if (old != nullptr && !options.reset && !plan.keep_counter_maps && old_maps) {
    wait_for_running_programs();
    be::Expected<CounterTotals> totals = totals_of(*old, *old_maps);
    if (totals) {
      counters = carry_counters(*totals, rule_names(next));
      next.counter_base = counters.base;
      next.default_base = counters.default_base;
    } else {
      result.notes.push_back(
          "the counts of program " + std::to_string(in->link.prog_id) +
          " could not be read after the switch: " + totals.error().message);
    }
  }
  result.counters.carried = counters.carried;
  result.counters.dropped = counters.dropped;
  if (plan.keep_counter_maps)
    for (const RuleEntry &r : next.rules)
      result.counters.carried.push_back(r.name);
  if (be::Status s = write_program_state(layout, target, next); !s.ok())
    result.notes.push_back("the policy is in force, but its state could not "
                           "be updated: " +
                           s.error().message);
  remove_program_dirs(layout, target, prog_id);
  return result;
}

be::Expected<TakeDownResult> take_down(const StateLayout &layout,
                                       const Target &target,
                                       std::chrono::milliseconds lock_wait) {
  be::install_libbpf_log_capture();
  if (!path_exists(layout.pin_dir(target)) &&
      !path_exists(layout.state_dir(target)))
    return no_policy_error(target);
  be::Expected<TargetLock> lock =
      TargetLock::acquire(layout, target, "unload", lock_wait);
  if (!lock)
    return lock.error();
  TakeDownResult result;
  be::Expected<InForce> in = find_in_force(layout, target);
  if (!in)
    return in.error();
  result.prog_id = in->link.prog_id;
  if (in->state)
    result.policy = in->state->policy;
  const bool had_link = in->link.pinned;
  if (path_exists(layout.pin_dir(target))) {
    be::Status s = layout.attacher(target).detach(target.ifname);
    if (!s.ok())
      return s.error();
  }
  // Detached: now the state can go.
  lock->remove_state_dir();
  ::rmdir(layout.netns_pin_dir(target.netns).c_str());
  if (!had_link)
    return be::Error("no PacketScope policy on '" + target.ifname +
                         "' (removed what was left of an earlier one)",
                     ENOENT, {}, be::ErrorKind::User);
  return result;
}

} // namespace psr::policy
