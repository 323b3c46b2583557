// The operator's policies: which file each interface gets from the
// policy directory, and the check every policy passes before psd puts it
// in force (the same frontend and passes as `psc check`).
//
//   POLICY_DIR/IFACE.psl   for IFACE only
//   POLICY_DIR/policy.psl  for every interface without its own
//   neither                the default policy built into psd
//                          (policies/default.psl)
// Any other *.psl file in the directory is an error: a misnamed file is
// never silently ignored.
#pragma once

#include <string>
#include <vector>

#include "backend/status.h"

namespace psd {

struct OperatorPolicy {
  std::string iface;
  std::string path; // the file; kDefaultPolicyPath for the built-in one
  std::string from; // "policy-dir" or "default"
  std::string text;
};

// How the built-in default policy is named in messages and state.
extern const char *const kDefaultPolicyPath;
// policies/default.psl, as built into psd.
std::string default_policy_text();

// `dir_required`: the directory was given (flag or config), so a missing
// one is an error; otherwise a missing directory means "no policies".
psl::backend::Expected<std::vector<OperatorPolicy>>
find_operator_policies(const std::string &dir, bool dir_required,
                       const std::vector<std::string> &interfaces);

// Where POST /api/v1/policy keeps the policy it put in force on `iface`,
// so that a reload or a restart reads it again: POLICY_DIR/IFACE.psl,
// or POLICY_DIR/policy.psl when psd manages only this interface and the
// directory has no IFACE.psl.
std::string api_policy_file(const std::string &dir, const std::string &iface,
                            size_t interfaces);
// Writes `text` to `path` atomically (a hidden temporary file beside it,
// fsync, rename), making the directory if it is missing. Mode 0644.
psl::backend::Status write_policy_file(const std::string &path,
                                       const std::string &text);

struct PolicyCheck {
  bool ok = false; // no errors (warnings allowed)
  size_t errors = 0;
  size_t warnings = 0;
  std::string diagnostics; // as `psc check` prints them, with source lines
};
PolicyCheck check_policy(const OperatorPolicy &policy);

} // namespace psd
