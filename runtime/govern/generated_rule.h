// A generated rule the governor accepted, as the lifecycle keeps it: its
// condition (taken from the proposal's checked source), action and ttl,
// the constants it needs, where it came from and its mode; and
// the store of a target's generated rules, <state dir>/generated.json.
//
// generated.json is written atomically (a temporary file, fsync, rename).
// What it lists is a superset of the generated rules in force: a rule is
// written there before the swap that puts it in force and taken out after
// the swap that removes it, so a process killed between the two leaves an
// entry that the next Lifecycle finds missing from the program in force
// and drops (with an audit record), never a rule in force that the store
// does not know.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyze/proposal.h"
#include "backend/status.h"

namespace psr::govern {

namespace be = psl::backend;

enum class RuleMode : uint8_t { Enforce, Shadow };
const char *mode_name(RuleMode m); // "enforce", "shadow"

// `const NAME = ...` of a proposal that one of its rules uses.
struct GeneratedConst {
  std::string name;
  std::string text; // "const bad = { 198.51.100.0/24 }"
  bool operator==(const GeneratedConst &o) const {
    return name == o.name && text == o.text;
  }
};

struct GeneratedRule {
  std::string name; // detector_icmp_flood_3
  analyze::Origin origin = analyze::Origin::Detector;
  std::string proposal_id;
  std::string action; // "drop" or "count"
  // The condition as the proposal wrote it (its checked source range).
  std::string condition;
  uint64_t ttl_ns = 0;
  std::string ttl_text; // "10m", as written
  // Composed with the protected sources excluded in front of its
  // condition (governor.h: a drop that touched only protected *sources*,
  // a rate limit toward a port, say, is kept off them by construction).
  bool exempt = false;
  // The constants it uses (those they use first), in the proposal's order.
  std::vector<GeneratedConst> consts;
  RuleMode mode = RuleMode::Enforce;
  int64_t accepted_unix_ms = 0;
  // Shadow rules: when they went in (CLOCK_BOOTTIME ns) and for how long
  // they stay shadow before the governor looks at their hits.
  uint64_t shadow_since_ns = 0;
  uint64_t shadow_period_ns = 0;
  // The traffic its proposal cited (analyze/evidence.h cited_rate), what
  // its shadow hits are held against; cited_pps < 0: none was cited.
  double cited_pps = -1;
  std::string cited_basis; // the counters it adds up

  // The declaration as proposed, enforcing:
  //   rule NAME: CONDITION => ACTION ttl TTL
  std::string text() const;
  // As composed: with `exemption` ("ip.src not in {...}") in front of the
  // condition when the rule is exempt and there is one, ` shadow` in
  // shadow mode.
  std::string declaration(const std::string &exemption) const;
};

nlohmann::json rule_json(const GeneratedRule &r);
be::Expected<GeneratedRule> rule_from_json(const nlohmann::json &j);

// What generated.json holds for one target.
struct GeneratedStore {
  std::vector<GeneratedRule> rules; // in acceptance order
  // The operator policy the rules were composed with: a hash of its text,
  // and its rules that expired (ttl) since it was loaded, so that a psd
  // restarted with the same file does not bring them back.
  std::string operator_hash;
  std::vector<std::string> operator_expired;

  const GeneratedRule *find(const std::string &name) const;
};

std::string store_to_json(const GeneratedStore &s);
be::Expected<GeneratedStore> store_from_json(const std::string &text);

// <state dir of the target>/generated.json. Absent: an empty store.
be::Expected<GeneratedStore> read_store(const std::string &path);
be::Status write_store(const std::string &path, const GeneratedStore &s);

// A stable hash of a text (FNV-1a, 64 bits, hex): equal texts, equal
// hashes, across runs and builds.
std::string text_hash(const std::string &text);

} // namespace psr::govern
