#include "kernel_policy.h"

#include <time.h>

#include "codegen/policy_build.h"
#include "driver.h"
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
  v.origin = r.origin == "operator" ? "operator" : "detector";
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
KernelPolicy::create(const PsdOptions &options) {
  std::unique_ptr<KernelPolicy> k(new KernelPolicy());
  k->options_ = options;
  k->layout_.pin_root = options.pin_root;
  k->layout_.state_root = options.state_dir;
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

be::Status KernelPolicy::put_in_force(const OperatorPolicy &policy) {
  auto t = target(policy.iface);
  if (!t.ok())
    return t.error();
  psl::CheckedModule checked = psl::check_source(policy.path, policy.text);
  if (!checked.ok())
    return be::Error(policy.path + ": the policy has errors");
  auto built =
      be::build_policy(*checked.module.policy, checked.diags.file_ptr().get());
  if (!built.ok())
    return built.error();
  pp::PolicyToLoad load;
  load.artifact = &built.value();
  load.text = policy.text;
  load.source = policy.path;
  load.rule_ttls = pp::rule_ttls(*checked.module.policy);
  pp::PutOptions put;
  put.mode = mode_of(options_.xdp_mode);
  put.load.observe = true;
  put.lock_wait = std::chrono::seconds(5);
  put.purpose = "psd";
  auto r = pp::put_in_force(layout_, *t, load, put);
  if (!r.ok())
    return r.error();
  return be::Status::success();
}

be::Status KernelPolicy::take_down(const std::string &iface) {
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
  pp::ExpiryOptions eo;
  eo.load.observe = true;
  auto expired =
      pp::enforce_rule_expiry(layout_, *t, pp::boottime_now_ns(), eo);
  auto swept = pp::sweep_sets(layout_, *t);
  if (!expired.ok())
    return be::Error("rule expiry: " + expired.error().message);
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
