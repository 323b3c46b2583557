#include "policy/carry_plan.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "psl_rate.h"

namespace psr::policy {

namespace {

bool same_rate(const RateEntry &a, const RateEntry &b) {
  return a.per_second == b.per_second && a.bits == b.bits &&
         a.burst == b.burst && a.shift == b.shift;
}

std::string key_list(const std::vector<std::string> &keys) {
  std::string s;
  for (const std::string &k : keys)
    s += (s.empty() ? "" : ", ") + k;
  return "(" + s + ")";
}

// units_per_token and burst_units of a rate, as psl_rate_cfg_make() made
// them for the program (the shift is the compiler's).
struct Units {
  uint64_t per_token = 0, burst = 0;
};
Units units_of(const RateEntry &r) {
  Units u;
  if (r.per_second == 0 || r.shift > PSL_RATE_MAX_SHIFT)
    return u;
  u.per_token = (PSL_NSEC_PER_SEC << r.shift) / r.per_second;
  u.burst = r.burst * u.per_token;
  return u;
}

} // namespace

const char *carry_how_name(CarryHow h) {
  switch (h) {
  case CarryHow::Keep:
    return "kept";
  case CarryHow::Copy:
    return "copied";
  case CarryHow::Rescale:
    return "rescaled";
  case CarryHow::Fresh:
    return "fresh";
  }
  return "fresh";
}

bool tracing_map(const std::string &name) {
  return name.compare(0, 4, "pso_") == 0;
}

std::set<std::string> CarryPlan::maps_to_reuse() const {
  std::set<std::string> names;
  for (const SetCarryPlan &s : sets)
    if (s.how == CarryHow::Keep)
      names.insert(s.name);
  if (keep_rate_map)
    names.insert("psl_rate");
  if (keep_counter_maps) {
    names.insert("psl_rule_cnt");
    names.insert("psl_shadow_cnt");
  }
  return names;
}

CarryPlan plan_carry(const ProgramState *old, const ProgramState &next,
                     bool reset) {
  CarryPlan plan;
  plan.reset = reset;
  const ProgramState *from = reset ? nullptr : old;

  for (const DynSetEntry &d : next.dynsets) {
    SetCarryPlan p;
    p.name = d.name;
    const DynSetEntry *o = from ? from->find_dynset(d.name) : nullptr;
    if (o == nullptr) {
      p.how = CarryHow::Fresh;
      if (reset && old != nullptr && old->find_dynset(d.name) != nullptr)
        p.why = "--reset";
    } else if (o->elem != d.elem) {
      p.how = CarryHow::Fresh;
      p.why = "its element type changed from " + o->elem + " to " + d.elem;
    } else {
      p.how = o->capacity == d.capacity ? CarryHow::Keep : CarryHow::Copy;
    }
    plan.sets.push_back(std::move(p));
  }
  if (old != nullptr)
    for (const DynSetEntry &d : old->dynsets)
      if (next.find_dynset(d.name) == nullptr)
        plan.sets_dropped.push_back(d.name);

  // rate(): matched by rule name, place in the rule and KEY fields. The
  // old ones by (rule, place), in their order: a 100k-rule rate policy has
  // 100k of them, and a scan per new one took 45 s.
  std::map<std::pair<std::string_view, uint32_t>,
           std::vector<const RateEntry *>>
      old_by_place;
  if (from != nullptr)
    for (const RateEntry &o : from->rates)
      old_by_place[{o.rule, o.ordinal}].push_back(&o);
  std::map<uint32_t, const RateEntry *> matched_old_by_new;
  for (const RateEntry &r : next.rates) {
    RateCarryPlan p;
    p.new_id = r.id;
    p.rule = r.rule;
    const RateEntry *match = nullptr;
    const RateEntry *same_place = nullptr;
    if (auto it = old_by_place.find({r.rule, r.ordinal});
        it != old_by_place.end())
      for (const RateEntry *o : it->second) {
        same_place = o;
        if (o->keys == r.keys)
          match = o;
      }
    if (match != nullptr) {
      p.old_id = match->id;
      p.how = same_rate(*match, r) ? CarryHow::Copy : CarryHow::Rescale;
      matched_old_by_new[r.id] = match;
    } else {
      p.how = CarryHow::Fresh;
      if (same_place != nullptr)
        p.why = "its key changed from " + key_list(same_place->keys) + " to " +
                key_list(r.keys);
      else if (reset && old != nullptr)
        p.why = "--reset";
    }
    plan.rates.push_back(std::move(p));
  }
  // The map as it is only when every old bucket means the same in the new
  // program: each old rate() matched at its own id, with the same rate.
  plan.keep_rate_map = from != nullptr && !from->rates.empty();
  std::unordered_map<uint32_t, std::vector<const RateEntry *>> next_by_id;
  if (plan.keep_rate_map)
    for (const RateEntry &r : next.rates)
      next_by_id[r.id].push_back(&r);
  if (plan.keep_rate_map)
    for (const RateEntry &o : from->rates) {
      // Matched by the new rate() of its own id, and with the same rate.
      auto it = matched_old_by_new.find(o.id);
      if (it == matched_old_by_new.end() || it->second != &o) {
        plan.keep_rate_map = false;
        break;
      }
      for (const RateEntry *r : next_by_id[o.id])
        if (!same_rate(o, *r))
          plan.keep_rate_map = false;
    }
  if (plan.keep_rate_map)
    for (RateCarryPlan &p : plan.rates)
      if (p.old_id)
        p.how = CarryHow::Keep;

  plan.keep_counter_maps = from != nullptr && !from->rules.empty() &&
                           from->rules.size() == next.rules.size();
  if (plan.keep_counter_maps)
    for (size_t i = 0; i < next.rules.size(); ++i)
      if (from->rules[i].name != next.rules[i].name ||
          from->rules[i].counter != next.rules[i].counter ||
          from->rules[i].shadow != next.rules[i].shadow)
        plan.keep_counter_maps = false;
  return plan;
}

std::map<std::string, uint64_t> rule_starts(const ProgramState *old,
                                            const ProgramState &next,
                                            uint64_t now, bool reset) {
  std::map<std::string, uint64_t> out;
  // The old rules by name (the first of a name, as find_rule): a generated
  // policy may have 100k rules with a ttl.
  std::unordered_map<std::string_view, const RuleEntry *> old_rules;
  if (old != nullptr && !reset)
    for (const RuleEntry &o : old->rules)
      old_rules.emplace(o.name, &o);
  for (const RuleEntry &r : next.rules) {
    if (r.ttl_ns == 0)
      continue;
    uint64_t start = now;
    if (old != nullptr && !reset) {
      auto found = old_rules.find(r.name);
      const RuleEntry *o = found != old_rules.end() ? found->second : nullptr;
      auto it = old->rule_started_ns.find(r.name);
      if (o != nullptr && o->ttl_ns != 0 && it != old->rule_started_ns.end())
        start = it->second;
    }
    out[r.name] = start;
  }
  return out;
}

int64_t rescale_tokens(int64_t tokens, const RateEntry &from,
                       const RateEntry &to) {
  const Units a = units_of(from), b = units_of(to);
  if (a.burst == 0 || b.burst == 0)
    return static_cast<int64_t>(b.burst);
  // tokens / a.burst of the old bucket -> the same share of the new one.
  const __int128 scaled = static_cast<__int128>(tokens) *
                          static_cast<__int128>(b.burst) /
                          static_cast<__int128>(a.burst);
  if (scaled > static_cast<__int128>(b.burst))
    return static_cast<int64_t>(b.burst);
  if (scaled < -static_cast<__int128>(b.burst))
    return -static_cast<int64_t>(b.burst);
  return static_cast<int64_t>(scaled);
}

} // namespace psr::policy
