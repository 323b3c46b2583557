#include "lower/cost_model.h"

#include <cstdio>

namespace psl::lower {

const char *lowering_name(CostChoice::Lowering l) {
  switch (l) {
  case CostChoice::Lowering::Map:
    return "map";
  case CostChoice::Lowering::Code:
    return "code";
  case CostChoice::Lowering::Tree:
    return "tree";
  case CostChoice::Lowering::TreeCode:
    return "tree + code";
  }
  return "map";
}

namespace {

std::string ns_text(double ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ns", ns);
  return buf;
}

} // namespace

std::string to_string(const CostChoice &c) {
  std::string s = c.unit + " (" + std::to_string(c.rules) +
                  (c.rules == 1 ? " rule" : " rules") + "): map ";
  s += c.map_ns < 0 ? "-" : ns_text(c.map_ns);
  s += ", code ";
  s += c.code_ns < 0 ? "-"
                     : ns_text(c.code_ns) + " (" +
                           std::to_string(c.code_tests) + " tests)";
  s += ", tree ";
  s += c.tree_ns < 0 ? "-"
                     : ns_text(c.tree_ns) + " (" +
                           std::to_string(c.tree_leaves) + " intervals)";
  s += " -> ";
  s += lowering_name(c.choice);
  if (!c.why.empty())
    s += " (" + c.why + ")";
  return s;
}

} // namespace psl::lower
