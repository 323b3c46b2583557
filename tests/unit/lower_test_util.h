// Lowering tests: a policy body through the real front end and the
// lowering, the checked module kept alive beside the classifier.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "driver.h"
#include "lower/lower.h"

namespace psl::lower::test_util {

struct Lowered {
  explicit Lowered(CheckedModule m) : checked(std::move(m)) {}
  CheckedModule checked; // owns the AST the classifier's rules point into
  LowerResult result;
  const Classifier &c() const { return result.classifier; }
};

// The map layouts, whatever the cost model would choose for a policy this
// small: for the tests of the groups, keys and splits
// (lower_cost_model_test covers the choice itself). The groups' hash maps
// stay kernel hashes, whose entries are the keys themselves
// (lower_perfect_hash_test covers their layout as perfect hashes).
inline LowerOptions maps_only(LowerOptions o = {}) {
  o.cost.mode = CostOptions::Mode::Maps;
  o.groups.perfect_hash_min_entries = SIZE_MAX;
  return o;
}

// `body` inside `policy t { ... }`; null (and a test failure) if it does
// not check.
inline std::unique_ptr<Lowered> lower_body(const std::string &body,
                                           const LowerOptions &opts = {}) {
  auto l = std::make_unique<Lowered>(
      check_source("t.psl", "policy t {\n" + body + "\n}\n"));
  EXPECT_TRUE(l->checked.ok());
  if (!l->checked.ok())
    return nullptr;
  l->result = lower_policy(*l->checked.module.policy,
                           l->checked.diags.file_ptr().get(), opts);
  return l;
}

} // namespace psl::lower::test_util
