#include "policy_changes.h"

#include <time.h>

#include <cerrno>

namespace psd {

namespace be = psl::backend;
namespace api = psr::api;
using nlohmann::json;

namespace {

uint64_t unix_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000u +
         static_cast<uint64_t>(ts.tv_nsec) / 1'000'000u;
}

// The first line of a multi-line message, for the status.
std::string first_line(const std::string &s) {
  return s.substr(0, s.find('\n'));
}

api::ChangeOutcome outcome(int status, json body) {
  api::ChangeOutcome o;
  o.status = status;
  o.body = std::move(body);
  return o;
}

api::ChangeOutcome error_outcome(int status, const std::string &message) {
  return outcome(status, json{{"error", message}});
}

} // namespace

PolicyChanges::PolicyChanges(const PsdOptions &options, PolicyControl &control,
                             DecisionStats &stats,
                             std::shared_ptr<spdlog::logger> log)
    : options_(options), control_(control), stats_(stats),
      log_(std::move(log)) {
  for (const std::string &iface : options_.interfaces) {
    Iface f;
    f.status.name = iface;
    ifaces_.push_back(std::move(f));
  }
}

PolicyChanges::Applied PolicyChanges::apply(Iface &f, const OperatorPolicy &p,
                                            Trigger trigger) {
  Applied out;
  const std::string &iface = p.iface;
  auto in_force = control_.in_force(iface);
  const bool protected_now = in_force.ok() && in_force->present;

  PolicyCheck check = check_policy(p);
  if (!check.diagnostics.empty()) {
    if (check.ok)
      log_->warn("{}: {} warning(s):\n{}", p.path, check.warnings,
                 check.diagnostics);
    else
      log_->error("{}:\n{}", p.path, check.diagnostics);
  }
  if (check.ok)
    out.warnings = check.diagnostics;

  std::string from = p.from;
  bool changed = true;
  if (control_.governed(iface)) {
    out.result = control_.replace_operator(p);
    if (out.result.loaded) {
      changed = !out.result.unchanged;
      log_->info("{}: {} the policy from {}{}", iface,
                 changed ? "put in force" : "already in force:", p.path,
                 changed ? "" : " (the same program: no swap)");
      for (const std::string &d : out.result.dropped)
        log_->warn("{}: generated rule {} dropped: the new operator policy "
                   "makes it illegal",
                   iface, d);
    } else {
      out.error = out.result.message;
    }
  } else {
    psr::govern::OperatorResult refusal;
    be::Expected<OpenResult> o = control_.open(p, &refusal);
    if (o.ok()) {
      changed = !o->adopted;
      out.result.loaded = true;
      out.result.unchanged = o->adopted;
      out.result.prog_id = o->prog_id;
      if (o->adopted) {
        log_->info("{}: policy '{}' (program {}) is already in force from "
                   "{}: adopted",
                   iface, in_force.ok() ? in_force->policy : "?", o->prog_id,
                   p.path);
        if (trigger == Trigger::Start)
          from = "adopted";
      } else {
        log_->info("{}: {} policy from {} (program {})", iface,
                   protected_now ? "replaced the" : "put in force the", p.path,
                   o->prog_id);
      }
    } else {
      out.error = o.error().message;
      if (!o.error().detail.empty())
        log_->error("{}: {}\n{}", iface, out.error, o.error().detail);
      out.result = std::move(refusal);
      if (out.result.message.empty())
        out.result.message = out.error;
    }
  }

  std::lock_guard<std::mutex> lock(mu_);
  api::InterfaceStatus &s = f.status;
  if (out.error.empty()) {
    if (changed)
      stats_.swap(iface, "operator");
    if (changed || s.policy_file != p.path || s.policy_from.empty()) {
      s.policy_from = from;
      s.last_change_unix_ms = unix_ms();
    }
    s.policy_file = p.path;
    s.policy_text = p.text; // GET /api/v1/policy
    s.protected_ = true;
    s.governed = true;
    s.last_error.clear();
    f.applied_text = p.text;
    f.refused_text.clear();
    return out;
  }
  // The new policy failed: what is in force stays.
  if (!check.ok)
    out.error =
        p.path + ": " + std::to_string(check.errors) + " error(s); see the log";
  s.last_error = first_line(out.error);
  s.protected_ = protected_now;
  s.governed = control_.governed(iface);
  ++f.failures;
  f.refused_text = p.text;
  if (protected_now)
    log_->error("{}: {}; the policy in force ('{}', program {}) stays", iface,
                out.error, in_force->policy, in_force->prog_id);
  else
    log_->error("{}: {}; no policy is in force on it", iface, out.error);
  return out;
}

be::Status PolicyChanges::apply_directory(Trigger trigger) {
  if (trigger != Trigger::Start)
    log_->info("reading the policy directory '{}' again ({})",
               options_.policy_dir,
               trigger == Trigger::Signal ? "SIGHUP" : "it changed");
  auto found = find_operator_policies(
      options_.policy_dir, options_.policy_dir_given, options_.interfaces);
  std::vector<std::string> unprotected;
  for (size_t i = 0; i < ifaces_.size(); ++i) {
    Iface &f = ifaces_[i];
    const std::string &iface = f.status.name;
    if (!found.ok()) {
      auto in_force = control_.in_force(iface);
      const bool protected_now = in_force.ok() && in_force->present;
      {
        std::lock_guard<std::mutex> lock(mu_);
        f.status.last_error = first_line(found.error().message);
        f.status.protected_ = protected_now;
        ++f.failures;
      }
      log_->error("{}: {}; {}", iface, found.error().message,
                  protected_now ? "the policy in force stays"
                                : "no policy is in force on it");
      if (!protected_now)
        unprotected.push_back(iface);
      continue;
    }
    const OperatorPolicy &p = (*found)[i];
    std::lock_guard<std::mutex> change(change_mu_);
    if (trigger != Trigger::Start && control_.governed(iface) &&
        p.text == f.applied_text)
      continue; // nothing changed
    if (trigger == Trigger::Watch && p.text == f.refused_text)
      continue; // refused already; SIGHUP tries again
    Applied a = apply(f, p, trigger);
    if (!a.error.empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!f.status.protected_)
        unprotected.push_back(iface);
    }
  }
  if (trigger == Trigger::Start && !unprotected.empty()) {
    std::string list;
    for (const std::string &i : unprotected)
      list += (list.empty() ? "" : ", ") + i;
    return be::Error("no policy could be put in force on " + list);
  }
  return be::Status::success();
}

PolicyChanges::Iface *PolicyChanges::find(const std::string &iface) {
  for (Iface &f : ifaces_)
    if (f.status.name == iface)
      return &f;
  return nullptr;
}

std::optional<api::ChangeOutcome>
PolicyChanges::pick(const std::optional<std::string> &iface,
                    std::vector<Iface *> *out, bool all_if_none) {
  if (iface) {
    Iface *f = find(*iface);
    if (f == nullptr)
      return error_outcome(404, "psd manages no interface '" + *iface + "'");
    out->push_back(f);
    return std::nullopt;
  }
  if (all_if_none || ifaces_.size() == 1) {
    for (Iface &f : ifaces_)
      out->push_back(&f);
    return std::nullopt;
  }
  std::string list;
  for (const Iface &f : ifaces_)
    list += (list.empty() ? "" : ", ") + f.status.name;
  return error_outcome(400, "psd manages " + std::to_string(ifaces_.size()) +
                                " interfaces (" + list +
                                "): say which with ?iface=");
}

api::ChangeOutcome
PolicyChanges::install(const std::optional<std::string> &iface,
                       const std::string &text) {
  std::vector<Iface *> targets;
  if (auto e = pick(iface, &targets, false))
    return *e;
  std::unique_lock<std::mutex> change(change_mu_, std::try_to_lock);
  if (!change.owns_lock()) {
    api::ChangeOutcome busy = error_outcome(
        429, "another change of an operator policy is under way; try again");
    busy.headers.emplace_back("Retry-After", "1");
    return busy;
  }
  Iface &f = *targets.front();
  OperatorPolicy p;
  p.iface = f.status.name;
  p.path =
      api_policy_file(options_.policy_dir, p.iface, options_.interfaces.size());
  p.from = "api";
  p.text = text;
  Applied a = apply(f, p, Trigger::Signal);
  if (!a.error.empty()) {
    json body{{"error", "the policy was refused and changed nothing; the "
                        "policy in force stays: " +
                            first_line(a.error)},
              {"iface", p.iface},
              {"message", a.result.message},
              {"diagnostics", a.result.diagnostics.json},
              {"diagnostics_text", a.result.diagnostics.text}};
    return outcome(422, std::move(body));
  }
  json body{{"iface", p.iface},
            {"loaded", true},
            {"unchanged", a.result.unchanged},
            {"prog_id", a.result.prog_id},
            {"dropped", a.result.dropped},
            {"warnings", a.warnings},
            {"policy_file", p.path}};
  // Kept in the policy directory, so that a reload or a restart reads
  // the policy in force, not the one it replaced.
  be::Status saved = write_policy_file(p.path, text);
  body["saved"] = saved.ok();
  if (!saved.ok()) {
    body["save_error"] = saved.error().message;
    log_->warn("{}: the policy from the API is in force but not saved: {}; "
               "a reload or restart brings back the directory's",
               p.iface, saved.error().message);
  } else {
    log_->info("{}: the policy from the API is saved as {}", p.iface, p.path);
  }
  return outcome(200, std::move(body));
}

api::ChangeOutcome
PolicyChanges::withdraw(const std::optional<std::string> &iface,
                        const std::string &rule) {
  std::vector<Iface *> targets;
  if (auto e = pick(iface, &targets, true))
    return *e;
  json done = json::array();
  std::vector<std::string> operator_on, errors;
  for (Iface *f : targets) {
    const std::string &name = f->status.name;
    auto op = control_.operator_policy(name);
    if (!op)
      continue;
    bool generated = false;
    for (const psr::govern::GeneratedRule &g : control_.generated(name))
      generated = generated || g.name == rule;
    if (!generated) {
      if (op->names.count(rule))
        operator_on.push_back(name);
      continue;
    }
    be::Expected<uint32_t> w = control_.withdraw(name, rule);
    if (w.ok()) {
      stats_.swap(name, "withdraw");
      log_->info("{}: generated rule {} withdrawn through the API (program "
                 "{})",
                 name, rule, *w);
      done.push_back({{"name", name}, {"prog_id", *w}});
    } else if (w.error().code != ENOENT) {
      errors.push_back(name + ": " + w.error().message);
    }
  }
  if (!errors.empty()) {
    std::string all;
    for (const std::string &e : errors)
      all += (all.empty() ? "" : "; ") + e;
    return outcome(500,
                   json{{"error", "withdrawing '" + rule +
                                      "' failed, it stays in force: " + all},
                        {"withdrawn", done}});
  }
  if (done.empty()) {
    if (!operator_on.empty())
      return error_outcome(
          409, "'" + rule + "' is a rule of the operator policy on " +
                   operator_on.front() +
                   ", not a generated one: change the operator policy (POST "
                   "/api/v1/policy, or its file)");
    return error_outcome(404, "no generated rule '" + rule + "' is in force" +
                                  (iface ? " on " + *iface : std::string()));
  }
  return outcome(200, json{{"withdrawn", rule}, {"interfaces", done}});
}

std::vector<api::InterfaceStatus> PolicyChanges::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<api::InterfaceStatus> out;
  for (const Iface &f : ifaces_)
    out.push_back(f.status);
  return out;
}

std::vector<std::pair<std::string, uint64_t>> PolicyChanges::failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const Iface &f : ifaces_)
    out.emplace_back(f.status.name, f.failures);
  return out;
}

} // namespace psd
