#include "codegen/kernel_evaluator.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

#include "backend/bpf_features.h"
#include "backend/test_run.h"
#include "psl_counters.h"

namespace psl::codegen {

using namespace backend;

std::string kernel_unavailable_reason() {
  const BpfFeatures &f = bpf_features();
  if (!f.load)
    return f.load.reason.empty() ? "cannot load BPF programs" : f.load.reason;
  if (!f.xdp_test_run)
    return f.xdp_test_run.reason.empty()
               ? "the kernel cannot test-run XDP programs (BPF_PROG_TEST_RUN)"
               : f.xdp_test_run.reason;
  return {};
}

Expected<std::unique_ptr<KernelEvaluator>>
KernelEvaluator::create(const Policy &policy, const SourceFile *file,
                        const PolicyBuildOptions &options) {
  PolicyBuildOptions o = options;
  if (o.cpu == "v3" && !bpf_features().jmp32)
    o.cpu = bpf_features().recommended_cpu();
  auto built = build_policy(policy, file, o);
  if (!built.ok())
    return built.error();
  return std::unique_ptr<KernelEvaluator>(
      new KernelEvaluator(policy, std::move(built.value())));
}

KernelEvaluator::KernelEvaluator(const Policy &policy, PolicyArtifact artifact)
    : policy_(policy), artifact_(std::move(artifact)) {
  watch_ids_.push_back(0);
  watch_rules_.push_back(-1);
  watch_actions_.push_back(artifact_.classifier.default_action);
  for (const auto &r : artifact_.classifier.rules)
    if (r.terminal && !r.shadow && r.action != Action::Count) {
      watch_ids_.push_back(r.counter_id);
      watch_rules_.push_back(static_cast<int>(r.index));
      watch_actions_.push_back(r.action);
    }
  last_packets_.assign(watch_ids_.size(), 0);
}

void KernelEvaluator::reset() {
  obj_.reset();
  prog_fd_ = -1;
  last_packets_.assign(watch_ids_.size(), 0);
}

Status KernelEvaluator::ensure_loaded() {
  if (obj_)
    return Status::success();
  PolicyLoadOptions lo;
  lo.clock_from_map = true;
  auto obj = load_policy(artifact_, lo);
  if (!obj.ok()) {
    Error e = obj.error();
    e.message = "cannot load the compiled policy: " + e.message;
    return e;
  }
  obj_ = std::make_unique<BpfObject>(std::move(obj.value()));
  prog_fd_ = obj_->program_fd(artifact_.program);
  if (prog_fd_ < 0)
    prog_fd_ = obj_->program_fd();
  if (prog_fd_ < 0) {
    obj_.reset();
    return Error::internal("the compiled policy has no program '" +
                           artifact_.program + "'");
  }
  last_packets_.assign(watch_ids_.size(), 0);
  return Status::success();
}

Expected<KernelCounter> KernelEvaluator::read_counter(const char *map,
                                                      uint32_t id) const {
  KernelCounter sum;
  if (!obj_)
    return sum;
  int n = libbpf_num_possible_cpus();
  if (n <= 0)
    return errno_error("cannot count the possible CPUs", n);
  // One struct psl_counter per possible CPU.
  std::vector<psl_counter> per_cpu(static_cast<size_t>(n));
  if (bpf_map_lookup_elem(obj_->map_fd(map), &id, per_cpu.data()) != 0)
    return errno_error("cannot read counter " + std::to_string(id) +
                           " of map '" + map + "'",
                       errno);
  for (const psl_counter &c : per_cpu) {
    sum.packets += c.packets;
    sum.bytes += c.bytes;
  }
  return sum;
}

Expected<KernelCounter>
KernelEvaluator::rule_counter(uint32_t rule_index) const {
  for (const auto &r : artifact_.classifier.rules)
    if (r.index == rule_index)
      return read_counter(r.shadow ? "psl_shadow_cnt" : "psl_rule_cnt",
                          r.counter_id);
  return Error::internal("rule index " + std::to_string(rule_index) +
                         " out of range");
}

Expected<KernelCounter> KernelEvaluator::default_counter() const {
  return read_counter("psl_rule_cnt", 0);
}

Expected<interp::Evaluation>
KernelEvaluator::evaluate(const std::vector<uint8_t> &frame, uint64_t now_ns) {
  if (Status s = ensure_loaded(); !s.ok())
    return s;
  uint32_t slot = 0;
  if (bpf_map_update_elem(obj_->map_fd("psl_clock"), &slot, &now_ns, BPF_ANY) !=
      0)
    return errno_error("cannot set the clock", errno);
  auto run = test_run_xdp(prog_fd_, frame);
  if (!run.ok()) {
    Error e = run.error();
    e.message = "test run failed: " + e.message;
    return e;
  }
  interp::Evaluation ev;
  switch (run->action()) {
  case XdpAction::Pass:
    ev.verdict = Action::Pass;
    break;
  case XdpAction::Drop:
    ev.verdict = Action::Drop;
    break;
  default:
    return Error::internal("the program returned " +
                           xdp_action_name(run->retval));
  }
  // The deciding rule: the watched counter that grew. Only candidates whose
  // action is the verdict can have grown, so only they are read.
  for (size_t i = 0; i < watch_ids_.size(); ++i) {
    if (watch_actions_[i] != ev.verdict)
      continue;
    auto now = read_counter("psl_rule_cnt", watch_ids_[i]);
    if (!now.ok())
      return now.error();
    if (now->packets != last_packets_[i]) {
      last_packets_[i] = now->packets;
      ev.rule = watch_rules_[i];
      return ev;
    }
  }
  return Error::internal("no rule counter moved for a " +
                         std::string(action_name(ev.verdict)) + " verdict");
}

} // namespace psl::codegen
