// psd's PolicyControl without a kernel, for the daemon's tests: policies
// "in force" are texts in a map, the operator policy is checked by the
// real frontend (govern::load_operator_policy), proposals are judged by
// the real governor (review() without the build) and the audit records a
// lifecycle would write go to a real AuditLog, so the daemon's decision
// events, metrics and API are tested on what the governor says.
#pragma once

#include <atomic>
#include <cerrno>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "govern/audit_log.h"
#include "govern/governor.h"
#include "policy_control.h"

namespace psd::testing {

namespace be = psl::backend;
namespace gv = psr::govern;

class FakeControl : public PolicyControl {
public:
  std::mutex mu;
  std::map<std::string, InForceInfo> in_force_;
  std::map<std::string, std::string> fail_put; // iface -> error
  std::vector<std::string> puts, take_downs;
  std::atomic<int> maintained{0}, ticks{0};
  std::vector<std::string> submitted; // "iface id"
  std::map<std::string, std::shared_ptr<const gv::OperatorPolicy>> ops;
  std::map<std::string, std::vector<gv::GeneratedRule>> rules;
  std::map<std::string, std::vector<std::string>> sets; // set -> entries
  gv::AuditLog *audit = nullptr;
  gv::InsertBucket bucket{1000, 2000};

  be::Expected<InForceInfo> in_force(const std::string &iface) override {
    std::lock_guard<std::mutex> lock(mu);
    return in_force_[iface];
  }

  be::Expected<OpenResult> open(const OperatorPolicy &p,
                                gv::OperatorResult *refusal) override {
    gv::OperatorResult r = load(p, /*opening=*/true);
    if (!r.loaded) {
      if (refusal)
        *refusal = r;
      return be::Error(r.message, 0, fail_detail_);
    }
    OpenResult o;
    o.adopted = r.unchanged;
    o.prog_id = r.prog_id;
    return o;
  }
  bool governed(const std::string &iface) override {
    std::lock_guard<std::mutex> lock(mu);
    return ops.count(iface) != 0;
  }
  gv::OperatorResult replace_operator(const OperatorPolicy &p) override {
    return load(p, /*opening=*/false);
  }

  gv::SubmitResult submit(const std::string &iface,
                          const psr::analyze::Proposal &p) override {
    std::lock_guard<std::mutex> lock(mu);
    submitted.push_back(iface + " " + p.id);
    record({{"event", "proposal"},
            {"proposal_id", p.id},
            {"origin", psr::analyze::origin_name(p.origin)},
            {"proposal", psr::analyze::to_json(p)}},
           iface);
    gv::SubmitResult out;
    gv::GovernorContext ctx;
    ctx.op = ops[iface].get();
    ctx.generated = &rules[iface];
    ctx.inserts = &bucket;
    ctx.build = false;
    ctx.now_unix_ms = gv::unix_now_ms();
    out.verdict = gv::review(p, ctx);
    record({{"event", "verdict"},
            {"proposal_id", p.id},
            {"origin", psr::analyze::origin_name(p.origin)},
            {"verdict", gv::verdict_json(out.verdict)}},
           iface);
    if (!out.verdict.accepted)
      return out;
    out.applied = true;
    if (p.kind == psr::analyze::Proposal::Kind::SetInsert) {
      nlohmann::json added = nlohmann::json::array();
      for (const std::string &v : out.verdict.values) {
        sets[p.insert.set].push_back(v);
        added.push_back({{"value", v}, {"expires_ns", 0}});
      }
      record({{"event", "applied"},
              {"proposal_id", p.id},
              {"origin", psr::analyze::origin_name(p.origin)},
              {"set_insert", {{"set", p.insert.set}, {"added", added}}}},
             iface);
      return out;
    }
    for (const gv::GeneratedRule &g : out.verdict.rules)
      rules[iface].push_back(g);
    out.replaced_prog_id = in_force_[iface].prog_id;
    out.prog_id = ++in_force_[iface].prog_id;
    record({{"event", "applied"},
            {"proposal_id", p.id},
            {"origin", psr::analyze::origin_name(p.origin)},
            {"swap",
             {{"replaced_prog_id", out.replaced_prog_id},
              {"prog_id", out.prog_id}}}},
           iface);
    return out;
  }
  be::Expected<gv::TickResult> tick(const std::string &) override {
    ++ticks;
    return gv::TickResult{};
  }
  be::Expected<uint32_t> withdraw(const std::string &iface,
                                  const std::string &rule) override {
    std::lock_guard<std::mutex> lock(mu);
    auto &list = rules[iface];
    for (auto it = list.begin(); it != list.end(); ++it)
      if (it->name == rule) {
        record({{"event", "withdrawn"},
                {"proposal_id", it->proposal_id},
                {"rule", rule}},
               iface);
        list.erase(it);
        return ++in_force_[iface].prog_id;
      }
    return be::Error("'" + rule + "' is not a generated rule", ENOENT);
  }
  std::shared_ptr<const gv::OperatorPolicy>
  operator_policy(const std::string &iface) override {
    std::lock_guard<std::mutex> lock(mu);
    auto it = ops.find(iface);
    return it == ops.end() ? nullptr : it->second;
  }
  std::vector<gv::GeneratedRule> generated(const std::string &iface) override {
    std::lock_guard<std::mutex> lock(mu);
    return rules[iface];
  }
  be::Expected<std::vector<std::string>>
  set_entries(const std::string &, const std::string &set) override {
    std::lock_guard<std::mutex> lock(mu);
    return sets[set];
  }
  be::Status take_down(const std::string &iface) override {
    std::lock_guard<std::mutex> lock(mu);
    take_downs.push_back(iface);
    in_force_[iface] = InForceInfo{};
    ops.erase(iface);
    return be::Status::success();
  }
  be::Status maintain(const std::string &) override {
    ++maintained;
    return be::Status::success();
  }

private:
  void record(nlohmann::json r, const std::string &iface) {
    if (audit == nullptr)
      return;
    r["target"] = {{"netns", "test"}, {"ifname", iface}};
    (void)audit->append(std::move(r));
  }

  gv::OperatorResult load(const OperatorPolicy &p, bool opening) {
    std::lock_guard<std::mutex> lock(mu);
    gv::OperatorResult r;
    gv::OperatorLoad l = gv::load_operator_policy(p.path, p.text);
    if (!l.policy) {
      r.message = l.message;
      r.diagnostics = l.diagnostics;
      record({{"event", "operator_refused"},
              {"origin", "operator"},
              {"path", p.path},
              {"message", l.message}},
             p.iface);
      return r;
    }
    InForceInfo &f = in_force_[p.iface];
    if (f.present && f.text == p.text) {
      r.loaded = r.unchanged = true;
      r.prog_id = f.prog_id;
      ops[p.iface] = l.policy;
      record({{"event", opening ? "adopted" : "operator_loaded"},
              {"origin", "operator"},
              {"prog_id", f.prog_id}},
             p.iface);
      return r;
    }
    if (fail_put.count(p.iface)) {
      r.message = fail_put[p.iface];
      fail_detail_ = "verifier log lines";
      return r;
    }
    puts.push_back(p.iface + " <- " + p.path);
    f.present = true;
    f.policy = "p";
    f.prog_id += 1;
    f.text = p.text;
    ops[p.iface] = l.policy;
    r.loaded = true;
    r.prog_id = f.prog_id;
    record({{"event", "operator_loaded"},
            {"origin", "operator"},
            {"path", p.path},
            {"prog_id", f.prog_id}},
           p.iface);
    return r;
  }

  std::string fail_detail_;
};

} // namespace psd::testing
