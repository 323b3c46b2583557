// Helpers of the condition-space tests (compiler/analysis/): sets and
// boxes written briefly, and the conditions of real PSL rules built
// through the real pipeline.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analysis/box.h"
#include "analysis/box_index.h"
#include "analysis/condition_builder.h"
#include "analysis/cover.h"
#include "analysis/describe.h"
#include "analysis/dnf.h"
#include "analysis/interval_set.h"
#include "analysis/nnf.h"
#include "analysis/normalize.h"
#include "analysis/space.h"
#include "analysis/witness.h"
#include "driver.h"

namespace psl::analysis::test_util {

inline IntervalSet set_of(std::vector<Interval> v) {
  return IntervalSet::from(std::move(v));
}

// "1,3-5": the intervals of a set (low 64 bits), "{}" when empty.
inline std::string str(const IntervalSet &s) {
  std::string out;
  for (const auto &iv : s) {
    if (!out.empty())
      out += ",";
    out += std::to_string(static_cast<uint64_t>(iv.lo));
    if (iv.hi != iv.lo)
      out += "-" + std::to_string(static_cast<uint64_t>(iv.hi));
  }
  return out.empty() ? "{}" : out;
}

inline Box box(std::vector<std::pair<DimId, IntervalSet>> cs) {
  Box b;
  for (auto &[d, s] : cs)
    b.restrict(d, s);
  return b;
}

inline const DimId kTcpDport = field_dim(FieldId::TcpDport);
inline const DimId kUdpDport = field_dim(FieldId::UdpDport);
inline const IntervalSet kOne = IntervalSet::point(1);
inline const IntervalSet kZero = IntervalSet::point(0);

// An IPv4 packet whose address field `dim` is in addr/len, normalized.
inline Box v4_prefix(DimId dim, uint32_t addr, unsigned len) {
  Box b;
  b.restrict(kLayerIp, kOne);
  b.restrict(kDimIpVersion, IntervalSet::point(4));
  Point host = len == 32 ? 0 : ((Point{1} << (32 - len)) - 1);
  b.restrict(dim, IntervalSet::range(addr & ~host & 0xffffffffu,
                                     (addr | host) & 0xffffffffu));
  normalize(b);
  return b;
}

// Builds the condition of every rule of a policy body.
class Conditions {
public:
  explicit Conditions(const std::string &body) {
    checked_ = std::make_unique<CheckedModule>(
        check_source("t.psl", "policy t {\n" + body + "\n}\n"));
    for (const auto &d : checked_->diags.diagnostics())
      if (d.severity == Severity::Error)
        ADD_FAILURE() << "unexpected error: " << d.message;
  }
  std::optional<Dnf> dnf(const std::string &rule,
                         NotSemantics sem = NotSemantics::GuardKept,
                         DnfLimits limits = {}) {
    for (auto *r : checked_->module.policy->rules)
      if (r->name == rule) {
        ConditionBuilder b(space_, limits, sem);
        return b.build(*r->cond);
      }
    ADD_FAILURE() << "no rule " << rule;
    return std::nullopt;
  }
  // The rule's typed, folded condition.
  const Expr &cond(const std::string &rule) {
    for (auto *r : checked_->module.policy->rules)
      if (r->name == rule)
        return *r->cond;
    ADD_FAILURE() << "no rule " << rule;
    return *checked_->module.policy->rules.front()->cond;
  }
  // What the checks make of the rule's condition (build_condition).
  CondState state(const std::string &rule, DnfLimits limits = {}) {
    for (auto *r : checked_->module.policy->rules)
      if (r->name == rule) {
        Dnf d;
        return build_condition(space_, r->cond.get(), limits, d);
      }
    ADD_FAILURE() << "no rule " << rule;
    return CondState::TooComplex;
  }
  std::string text(const std::string &rule,
                   NotSemantics sem = NotSemantics::GuardKept) {
    auto d = dnf(rule, sem);
    return d ? to_string(*d, space_) : "too complex";
  }
  Space &space() { return space_; }

private:
  std::unique_ptr<CheckedModule> checked_;
  Space space_;
};

// Every packet in the union? (cover() of the whole space by its boxes.)
inline bool always_true(const Dnf &d) {
  BoxIndex index;
  for (const auto &b : d)
    index.insert(&b, 0);
  Box all;
  return cover({CoverItem{&all, &all}}, index, [](uint32_t) {
           return true;
         }).status == CoverResult::Status::Covered;
}

} // namespace psl::analysis::test_util
