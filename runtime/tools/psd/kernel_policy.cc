#include "kernel_policy.h"

#include <time.h>

#include <cerrno>

#include "allocator/allocator.h"
#include "policy/dynamic_sets.h"
#include "policy/files.h"
#include "policy/in_force.h"
#include "policy/program_maps.h"
#include "policy/program_state.h"
#include "policy/put_in_force.h"
#include "policy/status.h"

namespace psd {

namespace be = psl::backend;
namespace pp = psr::policy;
namespace summary = psr::summary;

namespace {

be::XdpMode mode_of(const std::string &m) {
  return m == "native"    ? be::XdpMode::Native
         : m == "generic" ? be::XdpMode::Generic
                          : be::XdpMode::Auto;
}

uint64_t clock_ns(clockid_t id) {
  timespec ts{};
  ::clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<uint64_t>(ts.tv_nsec);
}

summary::RuleView rule_view(const pp::RuleStatus &r, uint64_t unix_now,
                            uint64_t mono_now) {
  summary::RuleView v;
  v.name = r.name;
  v.action = r.action;
  v.origin = r.origin;
  v.shadow = r.shadow;
  v.packets = r.counts.packets;
  v.bytes = r.counts.bytes;
  v.shadow_packets = r.counts.shadow_packets;
  if (r.ttl_ns != 0 && r.expires_unix_ns != 0) {
    // The runtime keeps expiry on the wall clock; the summaries on
    // CLOCK_MONOTONIC.
    uint64_t left =
        r.expires_unix_ns > unix_now ? r.expires_unix_ns - unix_now : 0;
    v.expires_ns = mono_now + left;
  }
  return v;
}

} // namespace

be::Expected<std::unique_ptr<KernelPolicy>>
KernelPolicy::create(const PsdOptions &options, psr::govern::AuditLog &audit,
                     std::function<void(std::string_view)> on_step) {
  std::unique_ptr<KernelPolicy> k(new KernelPolicy());
  k->options_ = options;
  k->audit_ = &audit;
  k->on_step_ = std::move(on_step);
  k->layout_.pin_root = options.pin_root;
  k->layout_.state_root = options.state_dir;
  if (options.object_cache_dir != "off") {
    be::ObjectCacheOptions co;
    co.dir = options.object_cache_dir.empty() ? options.state_dir + "/objects"
                                              : options.object_cache_dir;
    // The default sits on /run (memory): a few hundred policies' worth.
    co.max_bytes = 64ull << 20;
    auto cache = be::ObjectCache::open(co);
    if (cache.ok())
      k->object_cache_ = std::move(cache.value());
    else
      k->object_cache_problem_ = cache.error().message;
  }
  auto ns = pp::current_netns();
  if (!ns.ok())
    return ns.error();
  k->netns_ = ns->name();
  auto enforcer = pp::ExpiryEnforcer::acquire(k->layout_, k->netns_);
  if (!enforcer.ok())
    return be::Error(enforcer.error().message +
                     " (is another psd running in this network namespace?)");
  k->enforcer_ =
      std::make_unique<pp::ExpiryEnforcer>(std::move(enforcer.value()));
  return k;
}

be::Expected<pp::Target> KernelPolicy::target(const std::string &iface) const {
  return pp::Target::in_current_netns(iface);
}

std::string KernelPolicy::maps_dir(const std::string &iface) const {
  auto t = target(iface);
  return t.ok() ? layout_.maps_dir(*t) : std::string();
}

be::Expected<InForceInfo> KernelPolicy::in_force(const std::string &iface) {
  auto t = target(iface);
  if (!t.ok())
    return t.error();
  auto f = pp::find_in_force(layout_, *t);
  if (!f.ok())
    return f.error();
  InForceInfo info;
  info.present = f->has_policy();
  info.prog_id = f->link.prog_id;
  if (f->state)
    info.policy = f->state->policy;
  if (info.present) {
    auto text = pp::read_program_text(layout_, *t, info.prog_id);
    if (text.ok())
      info.text = std::move(text.value());
  }
  return info;
}

std::shared_ptr<psr::govern::Lifecycle>
KernelPolicy::lifecycle(const std::string &iface) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = lifecycles_.find(iface);
  return it == lifecycles_.end() ? nullptr : it->second;
}

be::Expected<OpenResult>
KernelPolicy::open(const OperatorPolicy &policy,
                   psr::govern::OperatorResult *refusal) {
  psr::govern::LifecycleOptions o;
  o.layout = layout_;
  o.ifname = policy.iface;
  o.governor = options_.governor;
  o.audit = audit_;
  o.lock_wait = std::chrono::seconds(5);
  o.mode = mode_of(options_.xdp_mode);
  o.load.observe = true;
  o.build.object_cache = object_cache_;
  o.on_step = on_step_;
  auto before = in_force(policy.iface);
  const uint32_t before_id =
      before.ok() && before->present ? before->prog_id : 0;
  auto lc = psr::govern::Lifecycle::open(std::move(o), policy.path, policy.text,
                                         refusal);
  psl::allocator::release_free_memory();
  if (!lc.ok())
    return lc.error();
  OpenResult r;
  r.prog_id = (*lc)->prog_id();
  r.adopted = before_id != 0 && r.prog_id == before_id;
  std::lock_guard<std::mutex> lock(mu_);
  lifecycles_[policy.iface] = std::move(lc.value());
  return r;
}

bool KernelPolicy::governed(const std::string &iface) {
  return lifecycle(iface) != nullptr;
}

psr::govern::OperatorResult
KernelPolicy::replace_operator(const OperatorPolicy &policy) {
  auto lc = lifecycle(policy.iface);
  if (!lc) {
    psr::govern::OperatorResult r;
    r.message = "'" + policy.iface + "' is not governed";
    return r;
  }
  auto r = lc->replace_operator(policy.path, policy.text);
  psl::allocator::release_free_memory();
  return r;
}

psr::govern::SubmitResult
KernelPolicy::submit(const std::string &iface,
                     const psr::analyze::Proposal &p) {
  auto lc = lifecycle(iface);
  if (!lc) {
    psr::govern::SubmitResult r;
    r.verdict = psr::govern::Verdict::refuse(
        psr::govern::Reason::ComposeFailed,
        "'" + iface + "' has no operator policy psd governs");
    return r;
  }
  auto r = lc->submit(p);
  psl::allocator::release_free_memory();
  return r;
}

be::Expected<psr::govern::TickResult>
KernelPolicy::tick(const std::string &iface) {
  auto lc = lifecycle(iface);
  if (!lc)
    return be::Error("'" + iface + "' is not governed");
  auto r = lc->tick();
  if (r.ok() && r->swapped)
    psl::allocator::release_free_memory();
  return r;
}

be::Expected<uint32_t> KernelPolicy::withdraw(const std::string &iface,
                                              const std::string &rule) {
  auto lc = lifecycle(iface);
  if (!lc)
    return be::Error("'" + iface + "' is not governed", ENOENT);
  auto r = lc->withdraw(rule);
  psl::allocator::release_free_memory();
  return r;
}

std::shared_ptr<const psr::govern::OperatorPolicy>
KernelPolicy::operator_policy(const std::string &iface) {
  auto lc = lifecycle(iface);
  return lc ? lc->operator_policy() : nullptr;
}

std::vector<psr::govern::GeneratedRule>
KernelPolicy::generated(const std::string &iface) {
  auto lc = lifecycle(iface);
  return lc ? lc->generated() : std::vector<psr::govern::GeneratedRule>{};
}

be::Expected<std::vector<std::string>>
KernelPolicy::set_entries(const std::string &iface, const std::string &set) {
  auto t = target(iface);
  if (!t.ok())
    return t.error();
  auto l = pp::set_list(layout_, *t, set);
  if (!l.ok())
    return l.error();
  std::vector<std::string> out;
  for (const pp::ListedEntry &e : l->entries)
    out.push_back(e.value);
  return out;
}

be::Status KernelPolicy::take_down(const std::string &iface) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    lifecycles_.erase(iface);
  }
  auto t = target(iface);
  if (!t.ok())
    return t.error();
  auto r = pp::take_down(layout_, *t);
  if (!r.ok())
    return r.error();
  return be::Status::success();
}

be::Status KernelPolicy::maintain(const std::string &iface) {
  auto t = target(iface);
  if (!t.ok())
    return t.error();
  // A governed interface's rule expiry is its lifecycle's (tick()): it
  // knows which expired rules were generated. Elsewhere psd enforces it,
  // holding the namespace's expiry role.
  if (!governed(iface)) {
    pp::ExpiryOptions eo;
    eo.load.observe = true;
    eo.build.object_cache = object_cache_;
    auto expired =
        pp::enforce_rule_expiry(layout_, *t, pp::boottime_now_ns(), eo);
    if (!expired.ok())
      return be::Error("rule expiry: " + expired.error().message);
  }
  auto swept = pp::sweep_sets(layout_, *t);
  if (!swept.ok())
    return be::Error("set sweep: " + swept.error().message);
  return be::Status::success();
}

be::Expected<std::vector<summary::PolicyView>> KernelPolicy::policies() {
  std::vector<summary::PolicyView> out;
  uint64_t unix_now = clock_ns(CLOCK_REALTIME);
  uint64_t mono_now = clock_ns(CLOCK_MONOTONIC);
  for (const std::string &iface : options_.interfaces) {
    auto t = target(iface);
    if (!t.ok())
      return t.error();
    auto st = pp::target_status(layout_, *t);
    if (!st.ok())
      return be::Error(iface + ": " + st.error().message);
    summary::PolicyView v;
    v.iface = iface;
    v.policy = st->policy;
    v.attached = st->attached;
    v.program_id = st->prog_id;
    v.mode = st->attached ? be::xdp_mode_name(st->mode) : "";
    for (const pp::RuleStatus &r : st->rules)
      v.rules.push_back(rule_view(r, unix_now, mono_now));
    v.default_rule.name = "default";
    v.default_rule.action = st->default_action;
    v.default_rule.packets = st->default_counts.packets;
    v.default_rule.bytes = st->default_counts.bytes;
    for (const pp::SetStatus &s : st->sets)
      v.sets.push_back(
          {s.name, s.elem, s.live, s.capacity, s.ttl_ns / 1'000'000});
    out.push_back(std::move(v));
  }
  return out;
}

uint32_t KernelPolicy::program_id(const std::string &iface) const {
  auto t = target(iface);
  if (!t.ok())
    return 0;
  auto link = pp::read_link(layout_, *t);
  return link.ok() && link->pinned ? link->prog_id : 0;
}

be::Expected<psr::trace::RuleNamer>
KernelPolicy::rule_namer(const std::string &iface) const {
  auto t = target(iface);
  if (!t.ok())
    return t.error();
  auto f = pp::find_in_force(layout_, *t);
  if (!f.ok())
    return f.error();
  if (!f->has_policy())
    return be::Error("no policy in force on '" + iface + "'");
  auto text =
      pp::read_file(layout_.program_dir(*t, f->link.prog_id) + "/policy.json");
  if (!text)
    return be::Error("no sidecar for program " +
                     std::to_string(f->link.prog_id));
  return psr::trace::rule_namer_from_sidecar(*text);
}

} // namespace psd
