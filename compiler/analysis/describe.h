// Boxes as text: the packet a diagnostic names, and a dump for tests.
#pragma once

#include <string>
#include <vector>

#include "analysis/box.h"
#include "analysis/space.h"
#include "analysis/witness.h"

namespace psl::analysis {

// "ip.src = 10.0.0.1, tcp.dport = 22": the fields `region` constrains,
// valued from w (fields implied by others are left out).
std::string describe(const Box &region, const Witness &w, const Space &space);

// For tests and debugging: "{tcp, ip.version 4|6, tcp.dport 22}", "false".
std::string to_string(const Box &b, const Space &space);
std::string to_string(const std::vector<Box> &d, const Space &space);

} // namespace psl::analysis
