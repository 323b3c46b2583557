// The artifact's JSON sidecar: what `psc build` writes beside the object
// (OUT.o.maps.json) and what psc load and psd keep in a program's state
// directory (policy.json): the rule table, the maps and their contents.
//
// Format, one member per line in alphabetical order: {"default",
// "dynsets": [...], "entries": [{"key" (hex), "map", "value" (hex)}],
// "maps": [{name, kind, key_size, value_size, max_entries, purpose}],
// "policy", "program", "rates": [...], "rules": [...]}, each array one
// compact element per line.
//
// A 100k-rule policy's sidecar is tens of MB: write_artifact_json hands it
// to its sink in pieces of about 1 MiB and never holds it whole, and the
// elements that come by the hundred thousand (entries, rules, rates) are
// written without a JSON tree per element. The text is the one the
// previous nlohmann-based writer made, byte for byte.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "backend/status.h"

namespace psl::codegen {

struct PolicyArtifact;

// Receives the sidecar's text piece by piece, in order. Returning false
// stops the writing (the sink keeps its own error).
using TextSink = std::function<bool(std::string_view piece)>;

// Writes the sidecar of `a` to `sink`. `first_members` is written right
// after the opening brace: members of the caller's own, each as
// ` "name": value,\n` (psd's state adds the interface and the policy's
// source). False when the sink stopped it.
bool write_artifact_json(const PolicyArtifact &a, const TextSink &sink,
                         std::string_view first_members = {});

// The whole sidecar as one string (small policies, tests).
std::string artifact_to_json(const PolicyArtifact &a);

// Reads what artifact_to_json wrote (rules, maps, entries, dynsets) into
// a.classifier; the ELF is read separately.
backend::Status artifact_from_json(const std::string &json, PolicyArtifact &a);

} // namespace psl::codegen
