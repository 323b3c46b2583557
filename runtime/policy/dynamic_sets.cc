#include "policy/dynamic_sets.h"

#include <cerrno>

#include <bpf/bpf.h>

#include "policy/files.h"
#include "policy/in_force.h"
#include "policy/program_maps.h"
#include "policy/target_lock.h"
#include "psl_dynset.h"

namespace psr::policy {

// ---------------------------------------------------------------- one map

be::Expected<std::vector<SetEntry>> read_set_map(int fd, uint32_t key_size) {
  std::vector<SetEntry> out;
  std::vector<uint8_t> key(key_size), next(key_size);
  bool first = true;
  while (bpf_map_get_next_key(fd, first ? nullptr : key.data(), next.data()) ==
         0) {
    first = false;
    key = next;
    psl_dynset_val v{};
    if (bpf_map_lookup_elem(fd, key.data(), &v) != 0)
      continue; // deleted meanwhile
    out.push_back(SetEntry{key, v.expires_ns});
  }
  if (errno != ENOENT)
    return be::errno_error("cannot read a dynamic set", errno);
  return out;
}

be::Expected<SetCounts> count_set_map(int fd, uint32_t key_size, uint64_t now) {
  be::Expected<std::vector<SetEntry>> entries = read_set_map(fd, key_size);
  if (!entries)
    return entries.error();
  SetCounts c;
  for (const SetEntry &e : *entries)
    ++(e.expired(now) ? c.expired : c.live);
  return c;
}

be::Expected<uint64_t> sweep_set_map(int fd, uint32_t key_size, uint64_t now) {
  be::Expected<std::vector<SetEntry>> entries = read_set_map(fd, key_size);
  if (!entries)
    return entries.error();
  uint64_t removed = 0;
  for (const SetEntry &e : *entries) {
    if (!e.expired(now))
      continue;
    if (bpf_map_delete_elem(fd, e.key.data()) == 0)
      ++removed;
    else if (errno != ENOENT)
      return be::errno_error("cannot remove an expired entry", errno);
  }
  return removed;
}

be::Status insert_set_map(int fd, const std::vector<uint8_t> &key,
                          uint64_t expires_ns, uint32_t key_size, uint64_t now,
                          uint64_t *swept) {
  psl_dynset_val v{};
  v.expires_ns = expires_ns;
  if (bpf_map_update_elem(fd, key.data(), &v, BPF_ANY) == 0)
    return be::Status::success();
  if (errno != E2BIG)
    return be::errno_error("cannot add the entry", errno);
  be::Expected<uint64_t> removed = sweep_set_map(fd, key_size, now);
  if (!removed)
    return removed.error();
  if (swept != nullptr)
    *swept = *removed;
  if (bpf_map_update_elem(fd, key.data(), &v, BPF_ANY) == 0)
    return be::Status::success();
  if (errno == E2BIG) // its capacity, from the policy, is too small
    return be::Error("the set is full", E2BIG, {}, be::ErrorKind::User);
  return be::errno_error("cannot add the entry", errno);
}

be::Expected<uint64_t> copy_set_map(int from, int to, uint32_t key_size,
                                    uint64_t now) {
  be::Expected<std::vector<SetEntry>> entries = read_set_map(from, key_size);
  if (!entries)
    return entries.error();
  uint64_t copied = 0;
  for (const SetEntry &e : *entries) {
    if (e.expired(now))
      continue;
    psl_dynset_val v{};
    v.expires_ns = e.expires_ns;
    if (bpf_map_update_elem(to, e.key.data(), &v, BPF_ANY) != 0)
      return be::errno_error("cannot copy an entry", errno);
    ++copied;
  }
  return copied;
}

// ------------------------------------------------- a target's policy sets

namespace {

uint64_t cookie_of(const Target &t) {
  be::Expected<NetnsId> ns = current_netns();
  return ns && ns->name() == t.netns ? ns->cookie : 0;
}

// The set `name` of the policy in force, with a descriptor of its map.
struct OpenSet {
  ProgramState state;
  DynSetEntry spec;
  SetElem elem = SetElem::Ip;
  ProgramMaps maps;
  int fd = -1;
};

be::Expected<OpenSet> open_set(const StateLayout &layout, const Target &t,
                               const std::string &name) {
  be::Expected<InForce> in = find_in_force(layout, t, cookie_of(t));
  if (!in)
    return in.error();
  if (!in->has_policy())
    return no_policy_error(t);
  if (!in->state)
    return be::Error("the policy in force on '" + t.ifname +
                     "' cannot be read: " + in->state_problem);
  const DynSetEntry *spec = in->state->find_dynset(name);
  if (spec == nullptr) {
    std::string names;
    for (const DynSetEntry &d : in->state->dynsets)
      names += (names.empty() ? "'" : ", '") + d.name + "'";
    return be::Error("policy '" + in->state->policy + "' has no dynamic set '" +
                         name + "'" +
                         (names.empty() ? std::string(" (it has none)")
                                        : " (it has " + names + ")"),
                     ENOENT, {}, be::ErrorKind::User);
  }
  std::optional<SetElem> elem = set_elem_from_name(spec->elem);
  if (!elem)
    return be::Error("set '" + name + "' has an unknown element type '" +
                     spec->elem + "'");
  be::Expected<ProgramMaps> maps =
      ProgramMaps::of_program(in->link.prog_id, layout.maps_dir(t));
  if (!maps)
    return maps.error();
  OpenSet s;
  s.spec = *spec;
  s.elem = *elem;
  s.state = std::move(*in->state);
  s.maps = std::move(*maps);
  s.fd = s.maps.fd(name);
  if (s.fd < 0)
    return be::Error::user(
        "set '" + name + "' is not used by any rule of policy '" +
        s.state.policy + "', so the program has no map for it");
  return s;
}

// A value the set refuses (set_values.h): its error, naming the set.
be::Error refused_value(const be::Error &e, const std::string &set,
                        const DynSetEntry &spec) {
  return be::Error(e.message + " (set '" + set + "' holds " + spec.elem +
                       " values)",
                   EINVAL, {}, e.kind);
}

be::Expected<TargetLock> lock_for_set(const StateLayout &layout,
                                      const Target &t, const char *purpose,
                                      const SetOptions &options) {
  if (!path_exists(layout.state_dir(t)))
    return no_policy_error(t);
  return TargetLock::acquire(layout, t, purpose, options.lock_wait);
}

} // namespace

be::Expected<SetAddResult> set_add(const StateLayout &layout, const Target &t,
                                   const std::string &set,
                                   const std::string &value,
                                   std::optional<EntryTtl> ttl,
                                   const SetOptions &options) {
  be::Expected<TargetLock> lock = lock_for_set(layout, t, "set", options);
  if (!lock)
    return lock.error();
  be::Expected<OpenSet> s = open_set(layout, t, set);
  if (!s)
    return s.error();
  be::Expected<std::vector<uint8_t>> key = encode_set_value(s->elem, value);
  if (!key)
    return refused_value(key.error(), set, s->spec);
  const uint64_t ttl_ns = ttl ? (ttl->never ? 0 : ttl->ns) : s->spec.ttl_ns;
  const uint64_t now = monotonic_now_ns();
  be::Expected<uint64_t> expires = expiry_time(now, ttl_ns);
  if (!expires)
    return expires.error();
  SetAddResult r;
  r.value = decode_set_key(s->elem, *key);
  r.expires_ns = *expires;
  be::Status st = insert_set_map(s->fd, *key, *expires, set_key_size(s->elem),
                                 now, &r.swept);
  if (!st.ok()) {
    if (st.error().code == E2BIG)
      return be::Error("set '" + set + "' is full: its " +
                           std::to_string(s->spec.capacity) +
                           " entries are all live (none has expired)",
                       E2BIG, {}, st.error().kind);
    return be::Error("cannot add '" + value + "' to set '" + set +
                         "': " + st.error().message,
                     st.error().code, {}, st.error().kind);
  }
  return r;
}

be::Status set_del(const StateLayout &layout, const Target &t,
                   const std::string &set, const std::string &value,
                   const SetOptions &options) {
  be::Expected<TargetLock> lock = lock_for_set(layout, t, "set", options);
  if (!lock)
    return lock.error();
  be::Expected<OpenSet> s = open_set(layout, t, set);
  if (!s)
    return s.error();
  be::Expected<std::vector<uint8_t>> key = encode_set_value(s->elem, value);
  if (!key)
    return refused_value(key.error(), set, s->spec);
  if (bpf_map_delete_elem(s->fd, key->data()) != 0) {
    if (errno == ENOENT)
      return be::Error("'" + value + "' is not in set '" + set + "'", ENOENT,
                       {}, be::ErrorKind::User);
    return be::errno_error(
        "cannot delete '" + value + "' from set '" + set + "'", errno);
  }
  return be::Status::success();
}

be::Expected<SetListing> set_list(const StateLayout &layout, const Target &t,
                                  const std::string &set,
                                  const std::string &filter) {
  be::Expected<OpenSet> s = open_set(layout, t, set);
  if (!s)
    return s.error();
  std::optional<SetFilter> f;
  if (!filter.empty()) {
    be::Expected<SetFilter> parsed = SetFilter::parse(s->elem, filter);
    if (!parsed)
      return refused_value(parsed.error(), set, s->spec);
    f = std::move(*parsed);
  }
  be::Expected<std::vector<SetEntry>> entries =
      read_set_map(s->fd, set_key_size(s->elem));
  if (!entries)
    return entries.error();
  const uint64_t now = monotonic_now_ns();
  SetListing out;
  out.set = set;
  out.elem = s->spec.elem;
  out.capacity = s->spec.capacity;
  for (const SetEntry &e : *entries) {
    if (f && !f->matches(e.key))
      continue;
    if (e.expired(now)) {
      ++out.expired;
      continue;
    }
    out.entries.push_back(ListedEntry{decode_set_key(s->elem, e.key),
                                      e.expires_ns,
                                      e.expires_ns ? e.expires_ns - now : 0});
  }
  return out;
}

be::Expected<std::vector<SweepResult>> sweep_sets(const StateLayout &layout,
                                                  const Target &t,
                                                  const SetOptions &options) {
  be::Expected<TargetLock> lock = lock_for_set(layout, t, "sweep", options);
  if (!lock)
    return lock.error();
  be::Expected<InForce> in = find_in_force(layout, t, cookie_of(t));
  if (!in)
    return in.error();
  std::vector<SweepResult> out;
  if (!in->has_policy() || !in->state)
    return out;
  be::Expected<ProgramMaps> maps =
      ProgramMaps::of_program(in->link.prog_id, layout.maps_dir(t));
  if (!maps)
    return maps.error();
  const uint64_t now = monotonic_now_ns();
  for (const DynSetEntry &d : in->state->dynsets) {
    std::optional<SetElem> elem = set_elem_from_name(d.elem);
    const int fd = maps->fd(d.name);
    if (!elem || fd < 0)
      continue;
    be::Expected<uint64_t> removed =
        sweep_set_map(fd, set_key_size(*elem), now);
    if (!removed)
      return be::Error("set '" + d.name + "': " + removed.error().message,
                       removed.error().code, {}, removed.error().kind);
    out.push_back(SweepResult{d.name, *removed});
  }
  return out;
}

} // namespace psr::policy
