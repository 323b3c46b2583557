#include "govern/lifecycle.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>

#include <unistd.h>

#include "govern/evidence_match.h"
#include "policy/files.h"
#include "policy/in_force.h"
#include "policy/rule_expiry.h"
#include "policy/set_values.h"
#include "policy/status.h"
#include "policy/target_lock.h"

namespace psr::govern {

namespace {

using nlohmann::json;

json carried_json(const policy::PutResult &r) {
  json sets = json::array();
  for (const policy::SetCarry &s : r.sets)
    sets.push_back({{"set", s.name},
                    {"how", policy::carry_how_name(s.how)},
                    {"entries", s.entries}});
  json rates = json::array();
  for (const policy::RateCarry &c : r.rates)
    rates.push_back({{"rule", c.rule},
                     {"how", policy::carry_how_name(c.how)},
                     {"buckets", c.buckets}});
  return {{"sets", sets},
          {"sets_dropped", r.sets_dropped},
          {"rates", rates},
          {"counters_kept", r.counters.maps_kept},
          {"counters_carried", r.counters.carried.size()},
          {"counters_dropped", r.counters.dropped}};
}

// The proposal's JSON for the audit log, its text and values cut at the
// caps (a megabyte proposal is refused as too large; its record says so
// without taking a megabyte of the log).
json bounded_json(const analyze::Proposal &p, const GovernorOptions &o) {
  json j = analyze::to_json(p);
  if (p.psl.size() > o.max_proposal_bytes) {
    j["psl"] = p.psl.substr(0, o.max_proposal_bytes);
    j["psl_bytes"] = p.psl.size();
  }
  if (p.insert.values.size() > o.max_set_values) {
    j["insert"]["values"] = std::vector<std::string>(
        p.insert.values.begin(), p.insert.values.begin() + o.max_set_values);
    j["insert"]["value_count"] = p.insert.values.size();
  }
  return j;
}

bool contains(const std::vector<std::string> &v, const std::string &s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

} // namespace

// ------------------------------------------------------------ plumbing

void Lifecycle::record(json r) {
  if (options_.audit == nullptr)
    return;
  r["target"] = {{"netns", target_.netns}, {"ifname", target_.ifname}};
  if (!r.contains("proposal_id"))
    r["proposal_id"] = "";
  // The audit log failing must not stop the lifecycle: the kernel change
  // is made; the failure goes to stderr, where psd's log collects it.
  if (be::Status s = options_.audit->append(std::move(r)); !s.ok())
    std::fprintf(stderr, "psd: audit log: %s\n", s.error().message.c_str());
}

json Lifecycle::rule_record(const char *event, const GeneratedRule &g,
                            const std::string &why) {
  json r = {{"event", event},
            {"proposal_id", g.proposal_id},
            {"origin", analyze::origin_name(g.origin)},
            {"rule", g.name}};
  if (!why.empty())
    r["why"] = why;
  return r;
}

void Lifecycle::refresh_addresses(bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!force && protect_known_ && now - protect_at_ < options_.address_refresh)
    return;
  protect_.management = options_.governor.management;
  be::Expected<HostAddresses> h = options_.addresses->discover();
  if (h) {
    protect_.host = std::move(*h);
  } else {
    // Keep what was found last: forgetting protected addresses because a
    // discovery failed would be the wrong way round.
    record({{"event", "address_discovery_failed"}, {"why", h.error().message}});
  }
  protect_at_ = now;
  protect_known_ = true;
}

GovernorContext
Lifecycle::context(const OperatorPolicy &op,
                   const std::vector<GeneratedRule> &generated) {
  GovernorContext ctx;
  ctx.op = &op;
  ctx.generated = &generated;
  ctx.protect = &protect_;
  ctx.options = options_.governor;
  ctx.inserts = bucket_.get();
  ctx.now_ns = policy::monotonic_now_ns();
  ctx.boot_now_ns = policy::boottime_now_ns();
  ctx.now_unix_ms = unix_now_ms();
  ctx.build_options = options_.build;
  return ctx;
}

be::Status Lifecycle::save(const GeneratedStore &s) {
  if (be::Status st =
          policy::make_dirs(options_.layout.state_dir(target_), 0755);
      !st.ok())
    return st;
  return write_store(store_path_, s);
}

std::shared_ptr<const OperatorPolicy>
Lifecycle::without_rules(const OperatorPolicy &op,
                         const std::vector<std::string> &names) {
  std::vector<std::string> present;
  for (const std::string &n : names)
    if (op.names.count(n))
      present.push_back(n);
  if (present.empty())
    return nullptr;
  be::Expected<std::string> text =
      policy::remove_rules_from_text(op.path, op.text, present);
  if (!text)
    return nullptr;
  OperatorLoad l = load_operator_policy(op.path, *text);
  return l.policy;
}

be::Expected<std::optional<policy::ProgramState>>
Lifecycle::sync(std::vector<std::string> *gone) {
  be::Expected<policy::InForce> in =
      policy::find_in_force(options_.layout, target_);
  if (!in)
    return in.error();
  std::optional<policy::ProgramState> state;
  if (in->has_policy() && in->state)
    state = in->state;
  const uint32_t now_id = in->has_policy() ? in->link.prog_id : 0;
  if (now_id == prog_id_ && prog_id_ != 0)
    return state;
  // Another change (or the first look): the program in force says which
  // generated rules are in force.
  GeneratedStore next = store_;
  next.rules.clear();
  // The program's rules by name (the first of a name, as find_rule): one
  // scan per generated rule would be quadratic in a large policy.
  std::unordered_map<std::string_view, const policy::RuleEntry *> in_program;
  if (state)
    for (const policy::RuleEntry &r : state->rules)
      in_program.emplace(r.name, &r);
  for (const GeneratedRule &g : store_.rules) {
    auto found = in_program.find(g.name);
    const policy::RuleEntry *e =
        found != in_program.end() ? found->second : nullptr;
    if (e != nullptr && e->origin != "operator") {
      next.rules.push_back(g);
      continue;
    }
    const bool expired = state && contains(state->expired_rules, g.name);
    record(rule_record(expired ? "expired" : "dropped", g,
                       expired ? "its ttl ran out (removed by another "
                                 "process's expiry)"
                               : "not in the program in force (an apply "
                                 "that did not finish, or another load "
                                 "replaced it)"));
    if (gone)
      gone->push_back(g.name);
  }
  // Operator rules another expiry took out stay out.
  if (state && op_) {
    std::vector<std::string> op_expired;
    for (const std::string &n : state->expired_rules)
      if (op_->names.count(n) && !reserved_rule_name(n))
        op_expired.push_back(n);
    if (auto smaller = without_rules(*op_, op_expired)) {
      op_ = smaller;
      for (const std::string &n : op_expired)
        if (!contains(next.operator_expired, n))
          next.operator_expired.push_back(n);
    }
  }
  if (next.rules.size() != store_.rules.size() ||
      next.operator_expired != store_.operator_expired) {
    if (be::Status s = save(next); !s.ok())
      return s.error();
  }
  store_ = std::move(next);
  prog_id_ = now_id;
  expired_in_force_ = state ? state->expired_rules : std::vector<std::string>{};
  return state;
}

be::Expected<Lifecycle::Put>
Lifecycle::put(const Composition &c, const OperatorPolicy &op,
               const std::vector<GeneratedRule> &rules,
               const std::vector<std::string> &expired, const char *purpose) {
  policy::PolicyToLoad load;
  load.artifact = c.artifact.get();
  load.text = c.text;
  load.source = op.path.empty() ? "<operator policy>" : op.path;
  load.rule_ttls = c.rule_ttls;
  load.expired_rules = expired;
  for (const GeneratedRule &g : rules)
    load.rule_origins[g.name] = analyze::origin_name(g.origin);
  policy::PutOptions o;
  o.mode = prog_id_ == 0 ? options_.mode : be::XdpMode::Auto;
  o.load = options_.load;
  o.lock_wait = options_.lock_wait;
  o.on_step = options_.on_step;
  o.purpose = purpose;
  o.expected_prog_id = prog_id_;
  be::Expected<policy::PutResult> r =
      policy::put_in_force(options_.layout, target_, load, o);
  if (!r)
    return r.error();
  Put out;
  out.prog_id = r->prog_id;
  out.replaced = r->replaced_prog_id;
  out.carried = carried_json(*r);
  prog_id_ = r->prog_id;
  expired_in_force_ = expired;
  protects_in_force_ = protect_declarations(protect_);
  return out;
}

// ---------------------------------------------------------------- open

be::Expected<std::unique_ptr<Lifecycle>>
Lifecycle::open(LifecycleOptions options, const std::string &operator_path,
                const std::string &operator_text, OperatorResult *refusal) {
  if (options.audit == nullptr)
    return be::Error("the lifecycle needs an audit log");
  be::Expected<policy::Target> t =
      policy::Target::in_current_netns(options.ifname);
  if (!t)
    return t.error();
  if (be::Status s = check_management(options.governor.management); !s.ok())
    return s.error();
  std::unique_ptr<Lifecycle> lc(new Lifecycle());
  lc->target_ = *t;
  if (!options.addresses)
    options.addresses = std::make_shared<NetnsAddressSource>();
  lc->bucket_ =
      std::make_unique<InsertBucket>(options.governor.set_inserts_per_second,
                                     options.governor.set_insert_burst);
  lc->options_ = std::move(options);
  lc->store_path_ =
      lc->options_.layout.state_dir(lc->target_) + "/generated.json";
  std::lock_guard<std::mutex> lock(lc->mu_);

  OperatorLoad l = load_operator_policy(operator_path, operator_text);
  if (!l.policy) {
    lc->record({{"event", "operator_refused"},
                {"origin", "operator"},
                {"path", operator_path},
                {"message", l.message},
                {"diagnostics", l.diagnostics.text},
                {"diagnostics_json", l.diagnostics.json}});
    if (refusal) {
      refusal->message = l.message;
      refusal->diagnostics = l.diagnostics;
    }
    return be::Error(l.message);
  }
  lc->op_ = l.policy;

  be::Expected<GeneratedStore> st = read_store(lc->store_path_);
  if (!st) {
    // Set aside, never deleted: it is the record of what was accepted.
    const std::string aside =
        lc->store_path_ + ".unreadable-" + std::to_string(unix_now_ms());
    ::rename(lc->store_path_.c_str(), aside.c_str());
    lc->record({{"event", "dropped"},
                {"why", "generated.json could not be read (" +
                            st.error().message + "); kept as " + aside}});
    st = GeneratedStore{};
  }
  lc->store_ = std::move(*st);
  // The same operator text as before: its expired rules stay out.
  const std::string hash = text_hash(operator_text);
  if (lc->store_.operator_hash == hash) {
    if (auto smaller = lc->without_rules(*lc->op_, lc->store_.operator_expired))
      lc->op_ = smaller;
  } else {
    lc->store_.operator_expired.clear();
  }
  lc->store_.operator_hash = hash;
  lc->refresh_addresses(true);

  // What is in force, and which of the stored rules are in it.
  be::Expected<std::optional<policy::ProgramState>> state = lc->sync(nullptr);
  if (!state)
    return state.error();
  // Still legal under today's operator policy and protects?
  std::vector<GeneratedRule> kept;
  for (const GeneratedRule &g : lc->store_.rules) {
    GovernorContext ctx = lc->context(*lc->op_, kept);
    Verdict v = recheck(g, ctx);
    if (!v.accepted) {
      lc->record(lc->rule_record(
          "dropped", g, std::string(reason_code(v.reason)) + ": " + v.message));
      continue;
    }
    kept.push_back(v.rules.front());
  }
  const std::string clause = exemption_clause(*lc->op_, &lc->protect_);
  const std::string text = compose_policy(*lc->op_, kept, clause);
  bool adopt = false;
  if (*state) {
    be::Expected<std::string> in_text = policy::read_program_text(
        lc->options_.layout, lc->target_, lc->prog_id_);
    adopt = in_text && *in_text == text;
    // The kept rules by name (the first of a name, as a search would find
    // it): the operator's policy may have 100k rules.
    std::unordered_map<std::string_view, const GeneratedRule *> kept_by_name;
    for (const GeneratedRule &k : kept)
      kept_by_name.emplace(k.name, &k);
    for (const policy::RuleEntry &r : (*state)->rules) {
      if (!adopt)
        break;
      auto g = kept_by_name.find(r.name);
      const std::string want = g == kept_by_name.end()
                                   ? "operator"
                                   : analyze::origin_name(g->second->origin);
      adopt = r.origin == want;
    }
  }
  GeneratedStore next = lc->store_;
  next.rules = kept;
  if (adopt) {
    // What a process killed mid-swap left (a stray program directory,
    // pins of the old program) is put right under the target's lock, as
    // the next put_in_force would.
    std::vector<std::string> notes;
    {
      be::Expected<policy::TargetLock> tl = policy::TargetLock::acquire(
          lc->options_.layout, lc->target_, "adopt", lc->options_.lock_wait);
      if (!tl)
        return tl.error();
      be::Expected<policy::InForce> in =
          policy::find_in_force(lc->options_.layout, lc->target_);
      if (!in)
        return in.error();
      if (in->link.prog_id != lc->prog_id_)
        return be::Error("the policy on '" + lc->target_.ifname +
                             "' changed while psd took it over; try again",
                         ESTALE);
      if (be::Status s = policy::adopt_in_force(lc->options_.layout,
                                                lc->target_, *in, &notes);
          !s.ok())
        return s.error();
    }
    if (be::Status s = lc->save(next); !s.ok())
      return s.error();
    lc->store_ = std::move(next);
    lc->protects_in_force_ = protect_declarations(lc->protect_);
    lc->record({{"event", "adopted"},
                {"origin", "operator"},
                {"prog_id", lc->prog_id_},
                {"generated", kept.size()},
                {"notes", notes}});
    return lc;
  }
  Composition c = compose_and_build(*lc->op_, kept, clause, lc->options_.build);
  if (!c.ok && !kept.empty()) {
    for (const GeneratedRule &g : kept)
      lc->record(lc->rule_record("dropped", g,
                                 "the composition failed: " + c.message));
    kept.clear();
    next.rules.clear();
    c = compose_and_build(*lc->op_, kept, clause, lc->options_.build);
  }
  if (!c.ok) {
    lc->record({{"event", "operator_refused"},
                {"origin", "operator"},
                {"path", operator_path},
                {"message", c.message},
                {"diagnostics", c.diagnostics.text},
                {"diagnostics_json", c.diagnostics.json}});
    if (refusal) {
      refusal->message = c.message;
      refusal->diagnostics = c.diagnostics;
    }
    return be::Error(c.message);
  }
  // Adding rules (none here: only those in force are kept) or not, the
  // store is written once the program is in force.
  const uint32_t before = lc->prog_id_;
  be::Expected<Put> p =
      lc->put(c, *lc->op_, kept, lc->expired_in_force_, "load");
  if (!p) {
    lc->record({{"event", "apply_failed"},
                {"origin", "operator"},
                {"why", p.error().message}});
    return p.error();
  }
  if (be::Status s = lc->save(next); !s.ok())
    return s.error();
  lc->store_ = std::move(next);
  lc->record({{"event", "operator_loaded"},
              {"origin", "operator"},
              {"path", operator_path},
              {"replaced_prog_id", before},
              {"prog_id", p->prog_id},
              {"generated", kept.size()},
              {"carried", p->carried},
              {"diagnostics", l.diagnostics.text}});
  return lc;
}

// -------------------------------------------------------------- submit

SubmitResult Lifecycle::submit(const analyze::Proposal &p) {
  std::lock_guard<std::mutex> lock(mu_);
  record({{"event", "proposal"},
          {"proposal_id", p.id},
          {"origin", analyze::origin_name(p.origin)},
          {"proposal", bounded_json(p, options_.governor)}});
  SubmitResult out;
  if (be::Expected<std::optional<policy::ProgramState>> s = sync(nullptr); !s) {
    out.verdict = Verdict::refuse(Reason::ComposeFailed,
                                  "the policy in force cannot be read: " +
                                      s.error().message);
  } else {
    refresh_addresses(false);
    GovernorContext ctx = context(*op_, store_.rules);
    out.verdict = review(p, ctx);
  }
  record({{"event", "verdict"},
          {"proposal_id", p.id},
          {"origin", analyze::origin_name(p.origin)},
          {"verdict", verdict_json(out.verdict)}});
  if (!out.verdict.accepted)
    return out;
  return p.kind == analyze::Proposal::Kind::SetInsert
             ? apply_set_insert(p, std::move(out.verdict))
             : apply_policy(p, std::move(out.verdict));
}

SubmitResult Lifecycle::apply_set_insert(const analyze::Proposal &p,
                                         Verdict v) {
  SubmitResult out;
  std::optional<policy::EntryTtl> ttl;
  if (v.ttl_ns != 0)
    ttl = policy::EntryTtl{false, v.ttl_ns};
  policy::SetOptions so;
  so.lock_wait = options_.lock_wait;
  json added = json::array();
  for (const std::string &value : v.values) {
    be::Expected<policy::SetAddResult> r =
        policy::set_add(options_.layout, target_, p.insert.set, value, ttl, so);
    if (!r) {
      out.error = "adding " + value + " to set '" + p.insert.set +
                  "': " + r.error().message;
      break;
    }
    added.push_back({{"value", r->value}, {"expires_ns", r->expires_ns}});
    out.inserted.push_back(std::move(*r));
  }
  out.applied = out.error.empty();
  json rec = {{"event", out.applied ? "applied" : "apply_failed"},
              {"proposal_id", p.id},
              {"origin", analyze::origin_name(p.origin)},
              {"set_insert", {{"set", p.insert.set}, {"added", added}}}};
  if (!out.applied)
    rec["why"] = out.error;
  record(std::move(rec));
  out.verdict = std::move(v);
  return out;
}

SubmitResult Lifecycle::apply_policy(const analyze::Proposal &p, Verdict v) {
  SubmitResult out;
  for (int attempt = 0;; ++attempt) {
    GeneratedStore next = store_;
    next.rules.insert(next.rules.end(), v.rules.begin(), v.rules.end());
    // In the store before the program has them (see lifecycle.h).
    if (be::Status s = save(next); !s.ok()) {
      out.error = s.error().message;
      break;
    }
    Composition c;
    c.ok = true;
    c.text = v.composed_text;
    c.artifact = v.artifact;
    c.rule_ttls = v.rule_ttls;
    const uint32_t before = prog_id_;
    be::Expected<Put> put_r =
        put(c, *op_, next.rules, expired_in_force_, "govern");
    if (put_r) {
      store_ = std::move(next);
      out.applied = true;
      out.prog_id = put_r->prog_id;
      out.replaced_prog_id = before;
      json rules = json::array();
      for (const GeneratedRule &g : v.rules)
        rules.push_back({{"name", g.name}, {"mode", mode_name(g.mode)}});
      record({{"event", "applied"},
              {"proposal_id", p.id},
              {"origin", analyze::origin_name(p.origin)},
              {"swap",
               {{"replaced_prog_id", before},
                {"prog_id", put_r->prog_id},
                {"rules", rules},
                {"carried", put_r->carried}}}});
      break;
    }
    (void)save(store_); // the program does not have them: neither does this
    // Someone changed the program meanwhile: look at it and review again
    // (once: the composition was made from what the lifecycle knew).
    if (put_r.error().code == ESTALE && attempt == 0) {
      if (!sync(nullptr)) {
        out.error = put_r.error().message;
        break;
      }
      GovernorContext ctx = context(*op_, store_.rules);
      Verdict again = review(p, ctx);
      record({{"event", "verdict"},
              {"proposal_id", p.id},
              {"origin", analyze::origin_name(p.origin)},
              {"verdict", verdict_json(again)},
              {"why", "reviewed again: " + put_r.error().message}});
      if (!again.accepted) {
        out.verdict = std::move(again);
        return out;
      }
      v = std::move(again);
      continue;
    }
    out.error = put_r.error().message;
    break;
  }
  if (!out.applied)
    record({{"event", "apply_failed"},
            {"proposal_id", p.id},
            {"origin", analyze::origin_name(p.origin)},
            {"why", out.error}});
  out.verdict = std::move(v);
  return out;
}

// ---------------------------------------------------------------- tick

be::Expected<TickResult> Lifecycle::tick() {
  std::lock_guard<std::mutex> lock(mu_);
  TickResult out;
  be::Expected<std::optional<policy::ProgramState>> state = sync(&out.gone);
  if (!state)
    return state.error();
  out.prog_id = prog_id_;
  if (!*state)
    return out;
  refresh_addresses(false);
  const uint64_t boot_now = policy::boottime_now_ns();

  // Rules whose ttl ran out, generated or the operator's.
  std::vector<std::string> expired_names;
  for (const policy::ExpiredRule &e : policy::expired_rules(**state, boot_now))
    expired_names.push_back(e.name);
  std::vector<std::string> op_expired;
  std::vector<GeneratedRule> next;
  std::vector<json> records;
  for (const std::string &n : expired_names)
    if (store_.find(n) == nullptr && op_->names.count(n))
      op_expired.push_back(n);

  // The protected addresses changed (a new host address, another
  // gateway): every generated rule is judged again, and the exemptions
  // are made of the new addresses.
  const std::string protects_now = protect_declarations(protect_);
  const bool protects_changed = protects_now != protects_in_force_;

  // Shadow rules whose period is over: judged per proposal, their shadow
  // hits against the traffic the proposal cited (evidence_match.h).
  auto due = [&](const GeneratedRule &g) {
    return g.mode == RuleMode::Shadow &&
           g.shadow_since_ns + g.shadow_period_ns <= boot_now &&
           !contains(expired_names, g.name);
  };
  std::map<std::string, uint64_t> shadow_hits;      // by rule
  std::map<std::string, ShadowJudgement> judgement; // by proposal
  if (std::any_of(store_.rules.begin(), store_.rules.end(), due)) {
    be::Expected<policy::TargetStatus> status =
        policy::target_status(options_.layout, target_);
    if (!status)
      return status.error();
    for (const policy::RuleStatus &r : status->rules)
      shadow_hits[r.name] = r.counts.shadow_packets;
    std::map<std::string, ShadowEvidence> groups;
    for (const GeneratedRule &g : store_.rules) {
      if (!due(g))
        continue;
      ShadowEvidence &e = groups[g.proposal_id];
      e.shadow_packets += shadow_hits[g.name];
      e.shadow_s = std::max(
          e.shadow_s, static_cast<double>(boot_now - g.shadow_since_ns) / 1e9);
      e.cited_pps = g.cited_pps;
      e.cited_basis = g.cited_basis;
    }
    for (const auto &[id, e] : groups)
      judgement[id] = judge_shadow(e, options_.governor);
  }
  auto evidence_record = [&](const char *event, const GeneratedRule &g,
                             const ShadowJudgement &j, uint64_t hits) {
    json r = rule_record(event, g, j.why);
    r["shadow_packets"] = hits;
    r["proposal_shadow_pps"] = j.shadow_pps;
    r["cited_pps"] = g.cited_pps < 0 ? json(nullptr) : json(g.cited_pps);
    r["ratio"] = j.ratio;
    return r;
  };
  for (const GeneratedRule &g : store_.rules) {
    if (contains(expired_names, g.name)) {
      out.expired.push_back(g.name);
      records.push_back(rule_record("expired", g, "its ttl ran out"));
      continue;
    }
    if (!due(g)) {
      if (!protects_changed) {
        next.push_back(g);
        continue;
      }
      GovernorContext ctx = context(*op_, next);
      Verdict v = recheck(g, ctx);
      if (!v.accepted) {
        out.dropped.push_back(g.name);
        records.push_back(rule_record("dropped", g,
                                      "the protected addresses changed: " +
                                          std::string(reason_code(v.reason)) +
                                          ": " + v.message));
        continue;
      }
      next.push_back(v.rules.front());
      continue;
    }
    const uint64_t hits = shadow_hits[g.name];
    ShadowJudgement j = judgement[g.proposal_id];
    if (hits == 0) {
      j.enforce = false;
      j.why = "it matched nothing in its shadow period";
    }
    if (!j.enforce) {
      out.shadow_dropped.push_back(g.name);
      records.push_back(evidence_record("shadow_dropped", g, j, hits));
      continue;
    }
    GovernorContext ctx = context(*op_, next);
    Verdict v = recheck(g, ctx);
    if (!v.accepted) {
      out.dropped.push_back(g.name);
      records.push_back(rule_record(
          "dropped", g, std::string(reason_code(v.reason)) + ": " + v.message));
      continue;
    }
    GeneratedRule e = v.rules.front();
    e.mode = RuleMode::Enforce;
    records.push_back(evidence_record("enforced", e, j, hits));
    out.enforced.push_back(e.name);
    next.push_back(std::move(e));
  }
  for (const std::string &n : op_expired) {
    out.expired.push_back(n);
    records.push_back({{"event", "expired"},
                       {"origin", "operator"},
                       {"rule", n},
                       {"why", "its ttl ran out"}});
  }
  if (records.empty() && protects_changed) {
    // Nothing dropped: only the exemptions may read differently.
    be::Expected<std::string> in_text =
        policy::read_program_text(options_.layout, target_, prog_id_);
    if (in_text &&
        *in_text ==
            compose_policy(*op_, next, exemption_clause(*op_, &protect_))) {
      protects_in_force_ = protects_now;
      return out;
    }
    records.push_back({{"event", "recomposed"},
                       {"origin", "operator"},
                       {"why", "the protected addresses changed"},
                       {"protects", protects_now}});
  }
  if (records.empty())
    return out;

  std::shared_ptr<const OperatorPolicy> op = op_;
  if (!op_expired.empty()) {
    op = without_rules(*op_, op_expired);
    if (!op)
      return be::Error("the operator policy without its expired rules does "
                       "not check");
  }
  Composition c = compose_and_build(*op, next, exemption_clause(*op, &protect_),
                                    options_.build);
  if (!c.ok)
    return be::Error(c.message);
  std::vector<std::string> expired = expired_in_force_;
  for (const std::string &n : out.expired)
    if (!contains(expired, n))
      expired.push_back(n);
  const uint32_t before = prog_id_;
  be::Expected<Put> p = put(c, *op, next, expired, "expiry");
  if (!p) {
    if (p.error().code == ESTALE)
      return TickResult{}; // changed meanwhile: the next tick looks again
    record({{"event", "apply_failed"},
            {"origin", "operator"},
            {"why", "tick: " + p.error().message}});
    return p.error();
  }
  GeneratedStore st = store_;
  st.rules = std::move(next);
  for (const std::string &n : op_expired)
    if (!contains(st.operator_expired, n))
      st.operator_expired.push_back(n);
  if (be::Status s = save(st); !s.ok())
    return s.error();
  store_ = std::move(st);
  op_ = op;
  for (json &r : records) {
    r["replaced_prog_id"] = before;
    r["prog_id"] = p->prog_id;
    record(std::move(r));
  }
  out.swapped = true;
  out.prog_id = p->prog_id;
  return out;
}

// ------------------------------------------------------------ withdraw

be::Expected<uint32_t> Lifecycle::withdraw(const std::string &rule) {
  std::lock_guard<std::mutex> lock(mu_);
  if (be::Expected<std::optional<policy::ProgramState>> s = sync(nullptr); !s)
    return s.error();
  const GeneratedRule *g = store_.find(rule);
  if (g == nullptr)
    return be::Error(
        "'" + rule + "' is not a generated rule in force on " +
            target_.display() +
            (op_->names.count(rule)
                 ? " (it is the operator policy's: change that policy)"
                 : ""),
        ENOENT);
  const GeneratedRule gone = *g;
  std::vector<GeneratedRule> next;
  for (const GeneratedRule &r : store_.rules)
    if (r.name != rule)
      next.push_back(r);
  Composition c = compose_and_build(
      *op_, next, exemption_clause(*op_, &protect_), options_.build);
  if (!c.ok)
    return be::Error(c.message);
  const uint32_t before = prog_id_;
  be::Expected<Put> p = put(c, *op_, next, expired_in_force_, "withdraw");
  if (!p)
    return p.error();
  GeneratedStore st = store_;
  st.rules = std::move(next);
  if (be::Status s = save(st); !s.ok())
    return s.error();
  store_ = std::move(st);
  json r = rule_record("withdrawn", gone, "");
  r["replaced_prog_id"] = before;
  r["prog_id"] = p->prog_id;
  record(std::move(r));
  return p->prog_id;
}

// ---------------------------------------------------- replace_operator

OperatorResult Lifecycle::replace_operator(const std::string &path,
                                           const std::string &text) {
  std::lock_guard<std::mutex> lock(mu_);
  OperatorResult out;
  auto refuse = [&](std::string message, RenderedDiagnostics d) {
    out.message = std::move(message);
    out.diagnostics = std::move(d);
    record({{"event", "operator_refused"},
            {"origin", "operator"},
            {"path", path},
            {"message", out.message},
            {"diagnostics", out.diagnostics.text},
            {"diagnostics_json", out.diagnostics.json}});
    return out;
  };
  OperatorLoad l = load_operator_policy(path, text);
  if (!l.policy)
    return refuse(l.message, l.diagnostics);
  be::Expected<std::optional<policy::ProgramState>> state = sync(nullptr);
  if (!state)
    return refuse(
        "the policy in force cannot be read: " + state.error().message, {});
  refresh_addresses(false);
  std::vector<GeneratedRule> kept;
  std::vector<json> drops;
  for (const GeneratedRule &g : store_.rules) {
    GovernorContext ctx = context(*l.policy, kept);
    Verdict v = recheck(g, ctx);
    if (!v.accepted) {
      out.dropped.push_back(g.name);
      drops.push_back(rule_record(
          "dropped", g,
          "the new operator policy: " + std::string(reason_code(v.reason)) +
              ": " + v.message));
      continue;
    }
    kept.push_back(v.rules.front());
  }
  const std::string clause = exemption_clause(*l.policy, &protect_);
  const std::string composed = compose_policy(*l.policy, kept, clause);
  GeneratedStore next = store_;
  next.rules = kept;
  next.operator_hash = text_hash(text);
  next.operator_expired.clear();
  if (*state && prog_id_ != 0 && out.dropped.empty()) {
    be::Expected<std::string> in_text =
        policy::read_program_text(options_.layout, target_, prog_id_);
    if (in_text && *in_text == composed) {
      if (be::Status s = save(next); !s.ok())
        return refuse(s.error().message, {});
      store_ = std::move(next);
      op_ = l.policy;
      out.loaded = out.unchanged = true;
      out.prog_id = prog_id_;
      record({{"event", "operator_loaded"},
              {"origin", "operator"},
              {"path", path},
              {"unchanged", true},
              {"prog_id", prog_id_}});
      return out;
    }
  }
  Composition c = compose_and_build(*l.policy, kept, clause, options_.build);
  if (!c.ok)
    return refuse(c.message, c.diagnostics);
  const uint32_t before = prog_id_;
  // Without expired operator rules of the old text: a new text starts
  // its own ttls.
  be::Expected<Put> p = put(c, *l.policy, kept, {}, "load");
  if (!p)
    return refuse("nothing changed: " + p.error().message, {});
  if (be::Status s = save(next); !s.ok())
    std::fprintf(stderr, "psd: %s\n", s.error().message.c_str());
  store_ = std::move(next);
  op_ = l.policy;
  for (json &d : drops)
    record(std::move(d));
  record({{"event", "operator_loaded"},
          {"origin", "operator"},
          {"path", path},
          {"replaced_prog_id", before},
          {"prog_id", p->prog_id},
          {"generated", kept.size()},
          {"dropped", out.dropped},
          {"carried", p->carried},
          {"diagnostics", l.diagnostics.text}});
  out.loaded = true;
  out.prog_id = p->prog_id;
  out.diagnostics = l.diagnostics;
  return out;
}

// ------------------------------------------------------------- getters

std::vector<GeneratedRule> Lifecycle::generated() const {
  std::lock_guard<std::mutex> lock(mu_);
  return store_.rules;
}

std::shared_ptr<const OperatorPolicy> Lifecycle::operator_policy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return op_;
}

uint32_t Lifecycle::prog_id() const {
  std::lock_guard<std::mutex> lock(mu_);
  return prog_id_;
}

} // namespace psr::govern
