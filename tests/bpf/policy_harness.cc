#include "policy_harness.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "psl_counters.h"

namespace psl::bpftest {

const char *build_stage_name(BuildStage s) {
  switch (s) {
  case BuildStage::Check:
    return "check";
  case BuildStage::Lower:
    return "lowering limit";
  case BuildStage::Compile:
    return "compile";
  case BuildStage::Load:
    return "load";
  }
  return "?";
}

std::unique_ptr<CompiledPolicy>
CompiledPolicy::make(const std::string &text, std::string *error, bool wrap) {
  BuildFailure failure;
  auto cp = build(wrap ? "policy t {\n" + text + "\n}\n" : text, &failure);
  if (!cp)
    *error = failure.message;
  return cp;
}

std::unique_ptr<CompiledPolicy>
CompiledPolicy::build(const std::string &text, BuildFailure *failure,
                      const codegen::PolicyBuildOptions &options) {
  auto cp = std::unique_ptr<CompiledPolicy>(new CompiledPolicy());
  cp->checked_ =
      std::make_unique<CheckedModule>(check_source("test.psl", text));
  const CheckedModule &checked = *cp->checked_;
  if (!checked.ok()) {
    failure->stage = BuildStage::Check;
    failure->message = "policy does not check:";
    for (const auto &d : checked.diags.diagnostics())
      failure->message += "\n  " + std::to_string(d.range.begin.line) + ":" +
                          std::to_string(d.range.begin.column) + ": " +
                          d.message;
    return nullptr;
  }
  auto built = codegen::build_policy(*checked.module.policy,
                                     checked.diags.file_ptr().get(), options);
  if (!built.ok()) {
    // build_policy() marks compiler bugs "internal error"; anything else
    // is a lowering limit the user is told about.
    const std::string &m = built.error().message;
    failure->stage = m.rfind("internal error", 0) == 0 ? BuildStage::Compile
                                                       : BuildStage::Lower;
    failure->message = m + "\n" + built.error().detail;
    return nullptr;
  }
  cp->artifact_ = std::move(built.value());
  codegen::PolicyLoadOptions lo;
  lo.clock_from_map = true;
  auto obj = codegen::load_policy(cp->artifact_, lo);
  if (!obj.ok()) {
    failure->stage = BuildStage::Load;
    failure->message = obj.error().message + "\n" +
                       obj.error().detail.substr(0, 20000) + "\n" +
                       cp->artifact_.c_source;
    return nullptr;
  }
  cp->obj_ = std::make_unique<backend::BpfObject>(std::move(obj.value()));
  return cp;
}

backend::TestRunResult
CompiledPolicy::run_raw(const std::vector<uint8_t> &frame, uint32_t repeat) {
  backend::TestRunOptions o;
  o.repeat = repeat;
  auto r = backend::test_run_xdp(obj_->program_fd("psl_policy"), frame, o);
  if (!r.ok())
    throw std::runtime_error("test run failed: " + r.error().message);
  return r.value();
}

std::string CompiledPolicy::run(const Pkt &p, uint32_t repeat) {
  auto r = run_raw(::psl::bpftest::build(p),
                   repeat); // the frame builder, not build()
  switch (r.retval) {
  case 1:
    return "drop";
  case 2:
    return "pass";
  default:
    return "XDP_" + std::to_string(r.retval);
  }
}

uint32_t CompiledPolicy::rule_id(const std::string &rule) const {
  for (const auto &r : artifact_.classifier.rules)
    if (r.name == rule)
      return r.counter_id;
  throw std::runtime_error("no rule " + rule);
}

CounterValue CompiledPolicy::read_counter(const char *map, uint32_t id) const {
  int n = libbpf_num_possible_cpus();
  if (n <= 0)
    throw std::runtime_error("cannot count the possible CPUs: " +
                             std::string(std::strerror(-n)));
  // One struct psl_counter (psl_counters.h) per possible CPU.
  std::vector<psl_counter> buf(static_cast<size_t>(n));
  if (bpf_map_lookup_elem(obj_->map_fd(map), &id, buf.data()) != 0)
    throw std::runtime_error(std::string("cannot read counter ") +
                             std::to_string(id) + " of map '" + map +
                             "': " + std::strerror(errno));
  CounterValue sum;
  for (const psl_counter &c : buf) {
    sum.packets += c.packets;
    sum.bytes += c.bytes;
  }
  return sum;
}

CounterValue CompiledPolicy::rule_counter(uint32_t counter_id) const {
  return read_counter("psl_rule_cnt", counter_id);
}
CounterValue CompiledPolicy::shadow_counter(uint32_t counter_id) const {
  return read_counter("psl_shadow_cnt", counter_id);
}

uint64_t CompiledPolicy::count(const std::string &rule) const {
  return rule_counter(rule_id(rule)).packets;
}
uint64_t CompiledPolicy::shadow(const std::string &rule) const {
  return shadow_counter(rule_id(rule)).packets;
}
uint64_t CompiledPolicy::default_count() const {
  return rule_counter(0).packets;
}

void CompiledPolicy::set_clock(uint64_t ns) {
  uint32_t k = 0;
  auto s = obj_->map_update("psl_clock", &k, 4, &ns, 8);
  if (!s.ok())
    throw std::runtime_error("clock: " + s.error().message);
}

void CompiledPolicy::add_ip(const std::string &set, const std::string &addr,
                            uint64_t expires_ns) {
  // struct psl_ip_key (psl_dynset.h).
  struct {
    uint8_t addr[16];
    uint8_t family;
    uint8_t pad[3];
  } key{};
  if (addr.find(':') != std::string::npos) {
    if (inet_pton(AF_INET6, addr.c_str(), key.addr) != 1)
      throw std::runtime_error("dynset: bad address " + addr);
    key.family = 6;
  } else {
    key.addr[10] = key.addr[11] = 0xff;
    if (inet_pton(AF_INET, addr.c_str(), key.addr + 12) != 1)
      throw std::runtime_error("dynset: bad address " + addr);
    key.family = 4;
  }
  auto s = obj_->map_update(set, &key, sizeof(key), &expires_ns, 8);
  if (!s.ok())
    throw std::runtime_error("dynset: " + s.error().message);
}

void CompiledPolicy::add_int(const std::string &set, uint64_t value,
                             uint64_t expires_ns) {
  auto s = obj_->map_update(set, &value, 8, &expires_ns, 8);
  if (!s.ok())
    throw std::runtime_error("dynset: " + s.error().message);
}

void CompiledPolicy::add_mac(const std::string &set, const std::string &mac,
                             uint64_t expires_ns) {
  // Generated code looks a MAC up as psl_mac_u64(): the six bytes as a
  // big-endian number in a psl_int_key.
  unsigned m[6];
  char extra;
  if (std::sscanf(mac.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2],
                  &m[3], &m[4], &m[5], &extra) != 6)
    throw std::runtime_error("dynset: bad MAC address " + mac);
  uint64_t value = 0;
  for (unsigned x : m)
    value = (value << 8) | x;
  add_int(set, value, expires_ns);
}

void CompiledPolicy::clear_rate_buckets() {
  const int fd = obj_->map_fd("psl_rate");
  if (fd < 0)
    return; // no rate() in the policy
  // Deleting while iterating: always ask for the first key again.
  std::vector<uint8_t> key(bpf_map__key_size(obj_->map("psl_rate")));
  while (bpf_map_get_next_key(fd, nullptr, key.data()) == 0)
    if (bpf_map_delete_elem(fd, key.data()) != 0)
      throw std::runtime_error(std::string("cannot empty psl_rate: ") +
                               std::strerror(errno));
}

} // namespace psl::bpftest
