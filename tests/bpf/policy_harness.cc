#include "policy_harness.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "driver.h"

namespace psl::bpftest {

std::unique_ptr<CompiledPolicy> CompiledPolicy::make(const std::string &text, std::string *error,
                                                     bool wrap) {
  std::string src = wrap ? "policy t {\n" + text + "\n}\n" : text;
  CheckedModule checked = check_source("test.psl", src);
  if (!checked.ok()) {
    *error = "policy does not check:";
    for (const auto &d : checked.diags.diagnostics())
      *error += "\n  " + std::to_string(d.range.begin.line) + ":" +
                std::to_string(d.range.begin.column) + ": " + d.message;
    return nullptr;
  }
  auto built = backend::build_policy(*checked.module.policy, checked.diags.file_ptr().get());
  if (!built.ok()) {
    *error = built.error().message + "\n" + built.error().detail;
    return nullptr;
  }
  auto cp = std::unique_ptr<CompiledPolicy>(new CompiledPolicy());
  cp->artifact_ = std::move(built.value());
  backend::PolicyLoadOptions lo;
  lo.clock_from_map = true;
  auto obj = backend::load_policy(cp->artifact_, lo);
  if (!obj.ok()) {
    *error = obj.error().message + "\n" + obj.error().detail.substr(0, 20000) + "\n" +
             cp->artifact_.c_source;
    return nullptr;
  }
  cp->obj_ = std::make_unique<backend::BpfObject>(std::move(obj.value()));
  return cp;
}

backend::TestRunResult CompiledPolicy::run_raw(const std::vector<uint8_t> &frame,
                                               uint32_t repeat) {
  backend::TestRunOptions o;
  o.repeat = repeat;
  auto r = backend::test_run_xdp(obj_->program_fd("psl_policy"), frame, o);
  if (!r.ok())
    throw std::runtime_error("test run failed: " + r.error().message);
  return r.value();
}

std::string CompiledPolicy::run(const Pkt &p, uint32_t repeat) {
  auto r = run_raw(build(p), repeat);
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

uint64_t CompiledPolicy::read_counter(const char *map, uint32_t id) const {
  int n = libbpf_num_possible_cpus();
  std::vector<uint64_t> buf(static_cast<size_t>(n) * 2);
  if (bpf_map_lookup_elem(obj_->map_fd(map), &id, buf.data()) != 0)
    throw std::runtime_error("counter lookup failed");
  uint64_t sum = 0;
  for (int i = 0; i < n; ++i)
    sum += buf[static_cast<size_t>(i) * 2];
  return sum;
}

uint64_t CompiledPolicy::count(const std::string &rule) const {
  return read_counter("psl_rule_cnt", rule_id(rule));
}
uint64_t CompiledPolicy::shadow(const std::string &rule) const {
  return read_counter("psl_shadow_cnt", rule_id(rule));
}
uint64_t CompiledPolicy::default_count() const { return read_counter("psl_rule_cnt", 0); }

void CompiledPolicy::set_clock(uint64_t ns) {
  uint32_t k = 0;
  auto s = obj_->map_update("psl_clock", &k, 4, &ns, 8);
  if (!s.ok())
    throw std::runtime_error("clock: " + s.error().message);
}

void CompiledPolicy::add_ip(const std::string &set, const std::string &addr,
                            uint64_t expires_ns) {
  struct {
    uint8_t addr[16];
    uint8_t family;
    uint8_t pad[3];
  } key{};
  if (addr.find(':') != std::string::npos) {
    inet_pton(AF_INET6, addr.c_str(), key.addr);
    key.family = 6;
  } else {
    key.addr[10] = key.addr[11] = 0xff;
    inet_pton(AF_INET, addr.c_str(), key.addr + 12);
    key.family = 4;
  }
  auto s = obj_->map_update(set, &key, sizeof(key), &expires_ns, 8);
  if (!s.ok())
    throw std::runtime_error("dynset: " + s.error().message);
}

void CompiledPolicy::add_int(const std::string &set, uint64_t value, uint64_t expires_ns) {
  auto s = obj_->map_update(set, &value, 8, &expires_ns, 8);
  if (!s.ok())
    throw std::runtime_error("dynset: " + s.error().message);
}

} // namespace psl::bpftest
