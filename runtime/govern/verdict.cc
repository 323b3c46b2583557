#include "govern/verdict.h"

namespace psr::govern {

const char *reason_code(Reason r) {
  switch (r) {
  case Reason::None:
    return "";
  case Reason::TooLarge:
    return "too_large";
  case Reason::Empty:
    return "empty";
  case Reason::NotPsl:
    return "not_psl";
  case Reason::CheckFailed:
    return "check_failed";
  case Reason::ForbiddenDecl:
    return "forbidden_decl";
  case Reason::TouchesProtected:
    return "touches_protected";
  case Reason::NoTtl:
    return "no_ttl";
  case Reason::TtlTooLong:
    return "ttl_too_long";
  case Reason::PassRefused:
    return "pass_refused";
  case Reason::DropsEverything:
    return "drops_everything";
  case Reason::WholeProtocol:
    return "whole_protocol";
  case Reason::BadName:
    return "bad_name";
  case Reason::NameTaken:
    return "name_taken";
  case Reason::UnknownSet:
    return "unknown_set";
  case Reason::SetNotEnforced:
    return "set_not_enforced";
  case Reason::BadValue:
    return "bad_value";
  case Reason::InsertRate:
    return "insert_rate";
  case Reason::ComposeFailed:
    return "compose_failed";
  case Reason::BuildFailed:
    return "build_failed";
  }
  return "unknown";
}

const std::vector<Reason> &all_reasons() {
  static const std::vector<Reason> all = {
      Reason::TooLarge,        Reason::Empty,         Reason::NotPsl,
      Reason::CheckFailed,     Reason::ForbiddenDecl, Reason::TouchesProtected,
      Reason::NoTtl,           Reason::TtlTooLong,    Reason::PassRefused,
      Reason::DropsEverything, Reason::WholeProtocol, Reason::BadName,
      Reason::NameTaken,       Reason::UnknownSet,    Reason::SetNotEnforced,
      Reason::BadValue,        Reason::InsertRate,    Reason::ComposeFailed,
      Reason::BuildFailed};
  return all;
}

Verdict Verdict::refuse(Reason r, std::string message) {
  Verdict v;
  v.accepted = false;
  v.reason = r;
  v.message = std::move(message);
  return v;
}

nlohmann::json verdict_json(const Verdict &v) {
  nlohmann::json j;
  j["accepted"] = v.accepted;
  if (v.accepted)
    j["mode"] = mode_name(v.mode);
  j["reason"] = v.accepted ? nlohmann::json(nullptr)
                           : nlohmann::json(reason_code(v.reason));
  j["message"] = v.message;
  if (v.accepted && !v.rules.empty()) {
    nlohmann::json rules = nlohmann::json::array();
    for (const GeneratedRule &r : v.rules)
      rules.push_back({{"name", r.name},
                       {"mode", mode_name(r.mode)},
                       {"ttl_ns", r.ttl_ns}});
    j["rules"] = std::move(rules);
  }
  if (v.accepted && !v.values.empty()) {
    j["values"] = v.values;
    j["ttl_ns"] = v.ttl_ns;
  }
  j["diagnostics"] = v.diagnostics_text;
  j["diagnostics_json"] = v.diagnostics_json;
  return j;
}

} // namespace psr::govern
