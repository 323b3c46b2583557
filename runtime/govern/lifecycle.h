// The policy lifecycle of one target (an interface in a network
// namespace): the operator policy and the generated rules the governor
// accepted, composed into the one program in force, and every change to
// it, each written to the audit log.
//
//   open()             load the operator policy psd read (text and path);
//                      take over what is in force: generated.json's rules
//                      that are still in force (the program's state says
//                      which rules are generated) and still legal under
//                      today's protects; adopt the program with no swap
//                      when the composition is the text in force, else put
//                      the composition in force (state carried)
//   submit()           a proposal: the governor's review, then the fast
//                      path (set inserts: psr::policy::set_add, a map
//                      update) or compose -> build -> put_in_force with
//                      per-rule origins and ttls
//   tick()             once a second: shadow rules whose period is over
//                      are enforced (if they matched something and still
//                      pass the governor) or dropped; rules whose ttl ran
//                      out (runtime/policy's expired_rules(): generated or
//                      the operator's) are taken out; when the protected
//                      addresses changed, every generated rule is judged
//                      again (and exemptions made of the new addresses);
//                      one swap for all
//   withdraw()         a generated rule, by name
//   replace_operator() a new operator policy: refused (nothing changes) if
//                      it does not check, has a reserved rule name, or
//                      does not compose and build with the generated rules
//                      it keeps; generated rules its protects make illegal
//                      are dropped, each with an audit record
//
// Every kernel change goes through psr::policy (its target lock, its
// put_in_force with the state carried over), with the program id the
// lifecycle last saw as the one expected in force: a change someone else
// made meanwhile (psc load, another expiry) is never overwritten; the
// lifecycle reads it (rules gone from the program are gone from its
// store) and tries once more. generated.json is written before a swap
// that adds rules and after one that removes them, so a process killed
// anywhere leaves a store that lists at least the generated rules in
// force, and the next open() keeps exactly those.
//
// Calls come from a thread in the target's network namespace (psd runs
// in it); they are serialized by the lifecycle. The lifecycle enforces
// the ttls of its target's rules itself (tick): the process holding
// psr::policy's ExpiryEnforcer for the namespace must not also call
// enforce_rule_expiry() on this target.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyze/proposal.h"
#include "backend/status.h"
#include "backend/xdp_attach.h"
#include "codegen/policy_build.h"
#include "govern/audit_log.h"
#include "govern/compose.h"
#include "govern/generated_rule.h"
#include "govern/governor.h"
#include "govern/insert_bucket.h"
#include "govern/operator_policy.h"
#include "govern/options.h"
#include "govern/protected_addresses.h"
#include "govern/verdict.h"
#include "policy/dynamic_sets.h"
#include "policy/layout.h"
#include "policy/put_in_force.h"

namespace psr::govern {

struct LifecycleOptions {
  policy::StateLayout layout;
  std::string ifname; // in the calling thread's network namespace
  GovernorOptions governor;
  AuditLog *audit = nullptr; // required; shared by a process's lifecycles
  // Gateways and host addresses (null: NetnsAddressSource), discovered
  // again when older than `address_refresh` at a proposal or a tick.
  std::shared_ptr<HostAddressSource> addresses;
  std::chrono::milliseconds address_refresh{1000};
  // How long a change waits for the target's lock (a psc load, a sweep).
  std::chrono::milliseconds lock_wait{2000};
  be::XdpMode mode = be::XdpMode::Auto; // of a first attachment
  be::PolicyLoadOptions load;
  be::PolicyBuildOptions build;
  // put_in_force's step hook ("loaded", "state-written", "switched"):
  // tests stop a process there.
  std::function<void(std::string_view step)> on_step;
};

// What became of a proposal.
struct SubmitResult {
  Verdict verdict;
  bool applied = false; // in the kernel
  std::string error;    // accepted, but the kernel change failed: why
  // A swap: the program before and after.
  uint32_t replaced_prog_id = 0, prog_id = 0;
  // A set insert: the entries as added.
  std::vector<policy::SetAddResult> inserted;
};

struct OperatorResult {
  bool loaded = false;
  bool unchanged = false; // the same composition was in force: no swap
  std::string message;    // refused: why
  RenderedDiagnostics diagnostics;
  // Generated rules the new policy made illegal, dropped.
  std::vector<std::string> dropped;
  uint32_t prog_id = 0;
};

struct TickResult {
  std::vector<std::string> enforced;       // shadow -> enforce
  std::vector<std::string> shadow_dropped; // shadow, matched nothing
  std::vector<std::string> expired;        // ttl ran out
  std::vector<std::string> dropped;        // failed the governor again
  std::vector<std::string> gone; // no longer in force (another change)
  bool swapped = false;
  uint32_t prog_id = 0;
};

class Lifecycle {
public:
  // Errors: the operator policy is refused (`refusal` says why, with the
  // diagnostics; nothing changed), or what is in force cannot be read or
  // replaced.
  static be::Expected<std::unique_ptr<Lifecycle>>
  open(LifecycleOptions options, const std::string &operator_path,
       const std::string &operator_text, OperatorResult *refusal = nullptr);

  SubmitResult submit(const analyze::Proposal &p);
  OperatorResult replace_operator(const std::string &path,
                                  const std::string &text);
  be::Expected<TickResult> tick();
  // Errors: no generated rule of that name (ENOENT), or the swap failed.
  be::Expected<uint32_t> withdraw(const std::string &rule);

  std::vector<GeneratedRule> generated() const;
  std::shared_ptr<const OperatorPolicy> operator_policy() const;
  const policy::Target &target() const { return target_; }
  uint32_t prog_id() const;

private:
  Lifecycle() = default;

  // Everything below runs under mu_.
  GovernorContext context(const OperatorPolicy &op,
                          const std::vector<GeneratedRule> &generated);
  void refresh_addresses(bool force);
  // Reads what is in force; if another change replaced the program the
  // lifecycle last saw, takes its rules in (generated rules it no longer
  // has leave the store, operator rules it expired leave the operator
  // text). Returns the state in force (nullopt: nothing in force).
  be::Expected<std::optional<policy::ProgramState>>
  sync(std::vector<std::string> *gone);
  struct Put {
    uint32_t prog_id = 0, replaced = 0;
    nlohmann::json carried;
  };
  be::Expected<Put> put(const Composition &c, const OperatorPolicy &op,
                        const std::vector<GeneratedRule> &rules,
                        const std::vector<std::string> &expired,
                        const char *purpose);
  be::Status save(const GeneratedStore &s);
  void record(nlohmann::json r);
  nlohmann::json rule_record(const char *event, const GeneratedRule &g,
                             const std::string &why);
  // The operator policy without its rules that expired (by name).
  std::shared_ptr<const OperatorPolicy>
  without_rules(const OperatorPolicy &op,
                const std::vector<std::string> &names);
  SubmitResult apply_policy(const analyze::Proposal &p, Verdict v);
  SubmitResult apply_set_insert(const analyze::Proposal &p, Verdict v);

  mutable std::mutex mu_;
  LifecycleOptions options_;
  policy::Target target_;
  std::string store_path_;
  std::shared_ptr<const OperatorPolicy> op_;
  GeneratedStore store_;
  uint32_t prog_id_ = 0;
  std::vector<std::string> expired_in_force_; // the state's expired_rules
  // The protected addresses (protect_declarations()) the program in force
  // was composed with.
  std::string protects_in_force_;
  ProtectedAddresses protect_;
  std::chrono::steady_clock::time_point protect_at_{};
  bool protect_known_ = false;
  std::unique_ptr<InsertBucket> bucket_;
};

} // namespace psr::govern
