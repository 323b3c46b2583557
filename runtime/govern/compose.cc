#include "govern/compose.h"

#include <set>

#include "policy/put_in_force.h"

namespace psr::govern {

std::string compose_policy(const OperatorPolicy &op,
                           const std::vector<GeneratedRule> &rules,
                           const std::string &exemption) {
  if (rules.empty())
    return op.text;
  std::string block = op.insert_on_own_line ? "" : "\n";
  block += "  # generated rules in force (psd's governor, docs/governor.md)\n";
  std::set<std::string> consts;
  for (const GeneratedRule &r : rules) {
    for (const GeneratedConst &c : r.consts)
      if (consts.insert(c.name).second)
        block += "  " + c.text + "\n";
    block += "  " + r.declaration(exemption) + "\n";
  }
  block += op.insert_on_own_line ? "\n" : "\n  ";
  std::string out = op.text;
  out.insert(op.insert_at, block);
  return out;
}

Composition compose_and_build(const OperatorPolicy &op,
                              const std::vector<GeneratedRule> &rules,
                              const std::string &exemption,
                              const be::PolicyBuildOptions &build) {
  Composition out;
  out.text = compose_policy(op, rules, exemption);
  // Named apart from the operator's file: its lines are not the file's.
  psl::CheckedModule m = psl::check_source(
      op.path.empty() ? "<composed policy>" : op.path + " (composed)",
      out.text);
  if (!m.ok()) {
    out.reason = Reason::ComposeFailed;
    out.diagnostics = render_diagnostics(m.diags);
    const psl::Diagnostic *e = first_error(m.diags);
    out.message = "the operator policy with the generated rules does not "
                  "check" +
                  (e ? ": " + e->message : std::string());
    return out;
  }
  be::Expected<be::PolicyArtifact> built =
      be::build_policy(*m.module.policy, m.diags.file_ptr().get(), build);
  if (!built) {
    out.reason = Reason::BuildFailed;
    out.message = "the operator policy with the generated rules does not "
                  "build: " +
                  built.error().message;
    out.diagnostics.text = built.error().detail;
    return out;
  }
  out.rule_ttls = policy::rule_ttls(*m.module.policy);
  for (const GeneratedRule &r : rules)
    out.rule_origins[r.name] = analyze::origin_name(r.origin);
  out.artifact =
      std::make_shared<const be::PolicyArtifact>(std::move(built.value()));
  out.ok = true;
  return out;
}

} // namespace psr::govern
