#include "policy/program_state.h"

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "codegen/json_table_reader.h"
#include "codegen/json_text.h"
#include "policy/files.h"

namespace psr::policy {

namespace {

using nlohmann::json;
using psl::codegen::append_json_array;
using psl::codegen::append_json_string;
using psl::codegen::append_json_uint;
using psl::codegen::JsonObjectText;

uint64_t clock_ns(clockid_t clock) {
  struct timespec ts;
  ::clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<uint64_t>(ts.tv_nsec);
}

json counts_json(const RuleCounts &c) {
  return json::array({c.packets, c.bytes, c.shadow_packets, c.shadow_bytes});
}

RuleCounts counts_from(const json &j) {
  RuleCounts c;
  c.packets = j.at(0).get<uint64_t>();
  c.bytes = j.at(1).get<uint64_t>();
  c.shadow_packets = j.at(2).get<uint64_t>();
  c.shadow_bytes = j.at(3).get<uint64_t>();
  return c;
}

// A rule row of the state file: [name, action, shadow, counter, ttl_ns,
// origin (only when not the operator)].
RuleEntry rule_of(const json &row) {
  RuleEntry e;
  e.name = row.at(0).get<std::string>();
  e.action = row.at(1).get<std::string>();
  e.shadow = row.at(2).get<bool>();
  e.counter = row.at(3).get<uint32_t>();
  e.ttl_ns = row.at(4).get<uint64_t>();
  if (row.size() > 5)
    e.origin = row.at(5).get<std::string>();
  return e;
}

} // namespace

const RuleEntry *ProgramState::find_rule(const std::string &name) const {
  for (const RuleEntry &r : rules)
    if (r.name == name)
      return &r;
  return nullptr;
}

const DynSetEntry *ProgramState::find_dynset(const std::string &name) const {
  for (const DynSetEntry &d : dynsets)
    if (d.name == name)
      return &d;
  return nullptr;
}

namespace {

// `,\n "name": {` (or `[`) then one compact element per line (`element(out,
// i)` for i < count), closed.
template <class Element>
void append_table(std::string &out, const char *name, bool object, size_t count,
                  Element element) {
  out += ",\n \"";
  out += name;
  out += object ? "\": {" : "\": [";
  for (size_t i = 0; i < count; ++i) {
    out += i == 0 ? "\n  " : ",\n  ";
    element(out, i);
  }
  if (count != 0)
    out += "\n ";
  out += object ? "}" : "]";
}

} // namespace

std::string state_to_json(const ProgramState &s) {
  // The few members as one object; then the tables that grow with the
  // policy (rates, counter bases, rule starts, the rules), one row per
  // line, written as text: a 100k-rule policy's, never a tree of them.
  json head;
  head["version"] = 1;
  head["netns"] = s.netns;
  head["netns_cookie"] = s.netns_cookie;
  head["ifname"] = s.ifname;
  head["prog_id"] = s.prog_id;
  head["mode"] = s.mode;
  head["policy"] = s.policy;
  head["source"] = s.source;
  head["default"] = s.default_action;
  head["loaded_at_unix_ns"] = s.loaded_at_unix_ns;
  head["attached_at_unix_ns"] = s.attached_at_unix_ns;
  head["expired_rules"] = s.expired_rules;
  json sets = json::array();
  for (const DynSetEntry &d : s.dynsets)
    sets.push_back({{"name", d.name},
                    {"elem", d.elem},
                    {"capacity", d.capacity},
                    {"ttl_ns", d.ttl_ns}});
  head["dynsets"] = std::move(sets);
  head["default_base"] = counts_json(s.default_base);

  std::string out = head.dump(1);
  // "...\n}" -> "..." and the tables after it.
  out.erase(out.rfind('}'));
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  append_table(out, "rates", false, s.rates.size(),
               [&](std::string &o, size_t i) {
                 const RateEntry &r = s.rates[i];
                 JsonObjectText(o)
                     .boolean("bits", r.bits)
                     .number("burst", r.burst)
                     .number("id", r.id)
                     .array("keys", r.keys)
                     .number("ordinal", r.ordinal)
                     .number("per_second", r.per_second)
                     .string("rule", r.rule)
                     .number("shift", r.shift);
               });
  std::vector<const std::pair<const std::string, RuleCounts> *> bases;
  for (const auto &entry : s.counter_base)
    if (!entry.second.zero())
      bases.push_back(&entry);
  append_table(out, "counter_base", true, bases.size(),
               [&](std::string &o, size_t i) {
                 const auto &[name, c] = *bases[i];
                 append_json_string(o, name);
                 o += ':';
                 append_json_array(o, std::vector<uint64_t>{c.packets, c.bytes,
                                                            c.shadow_packets,
                                                            c.shadow_bytes});
               });
  std::vector<const std::pair<const std::string, uint64_t> *> starts;
  for (const auto &entry : s.rule_started_ns)
    starts.push_back(&entry);
  append_table(out, "rule_started_boottime_ns", true, starts.size(),
               [&](std::string &o, size_t i) {
                 append_json_string(o, starts[i]->first);
                 o += ':';
                 append_json_uint(o, starts[i]->second);
               });
  append_table(out, "rules", false, s.rules.size(),
               [&](std::string &o, size_t i) {
                 const RuleEntry &r = s.rules[i];
                 o += '[';
                 append_json_string(o, r.name);
                 o += ',';
                 append_json_string(o, r.action);
                 o += r.shadow ? ",true," : ",false,";
                 append_json_uint(o, r.counter);
                 o += ',';
                 append_json_uint(o, r.ttl_ns);
                 if (r.origin != "operator") {
                   o += ',';
                   append_json_string(o, r.origin);
                 }
                 o += ']';
               });
  out += "\n}\n";
  return out;
}

be::Expected<ProgramState> state_from_json(const std::string &text) {
  ProgramState s;
  // The rule rows become RuleEntry as the parser meets them, never one
  // tree of a 100k-rule table (codegen/json_table_reader.h).
  std::string row_error;
  psl::codegen::JsonTableReader reader("rules", /*keep_others=*/true,
                                       [&](json &row) {
                                         if (!row.is_array())
                                           return true; // not a rule row
                                         try {
                                           s.rules.push_back(rule_of(row));
                                           return true;
                                         } catch (const json::exception &e) {
                                           row_error = e.what();
                                           return false;
                                         }
                                       });
  const bool parsed = reader.read(text);
  if (!row_error.empty())
    return be::Error("the state file is malformed: " + row_error);
  if (!parsed)
    return be::Error("the state file is not valid JSON");
  json &j = reader.root();
  try {
    if (!j.is_object())
      return be::Error("the state file is not valid JSON");
    if (j.value("version", 0) != 1)
      return be::Error("the state file has an unknown version");
    if (!j.contains("rules"))
      return be::Error("the state file has no rule table");
    s.netns = j.at("netns").get<std::string>();
    s.netns_cookie = j.value("netns_cookie", uint64_t{0});
    s.ifname = j.at("ifname").get<std::string>();
    s.prog_id = j.at("prog_id").get<uint32_t>();
    s.mode = j.value("mode", std::string());
    s.policy = j.at("policy").get<std::string>();
    s.source = j.value("source", std::string());
    s.default_action = j.value("default", std::string("pass"));
    s.loaded_at_unix_ns = j.value("loaded_at_unix_ns", uint64_t{0});
    s.attached_at_unix_ns = j.value("attached_at_unix_ns", uint64_t{0});
    s.expired_rules = j.value("expired_rules", std::vector<std::string>{});
    for (const json &d : j.at("dynsets"))
      s.dynsets.push_back(
          {d.at("name").get<std::string>(), d.at("elem").get<std::string>(),
           d.at("capacity").get<uint32_t>(), d.value("ttl_ns", uint64_t{0})});
    for (const json &r : j.at("rates")) {
      RateEntry e;
      e.id = r.at("id").get<uint32_t>();
      e.rule = r.at("rule").get<std::string>();
      e.ordinal = r.value("ordinal", 0u);
      e.keys = r.at("keys").get<std::vector<std::string>>();
      e.per_second = r.at("per_second").get<uint64_t>();
      e.bits = r.value("bits", false);
      e.burst = r.at("burst").get<uint64_t>();
      e.shift = r.at("shift").get<uint32_t>();
      s.rates.push_back(std::move(e));
    }
    for (const auto &[name, c] : j.at("counter_base").items())
      s.counter_base[name] = counts_from(c);
    s.default_base = counts_from(j.at("default_base"));
    for (const auto &[name, t] : j.at("rule_started_boottime_ns").items())
      s.rule_started_ns[name] = t.get<uint64_t>();
  } catch (const json::exception &e) {
    return be::Error(std::string("the state file is malformed: ") + e.what());
  }
  return s;
}

be::Expected<ProgramState> read_program_state(const StateLayout &layout,
                                              const Target &t,
                                              uint32_t prog_id) {
  const std::string path = layout.program_dir(t, prog_id) + "/state.json";
  std::optional<std::string> text = read_file(path);
  if (!text)
    return be::errno_error("cannot read '" + path + "'", errno);
  be::Expected<ProgramState> s = state_from_json(*text);
  if (!s)
    return be::Error("'" + path + "': " + s.error().message);
  return s;
}

be::Status write_program_state(const StateLayout &layout, const Target &t,
                               const ProgramState &s) {
  return write_file_atomically(layout.program_dir(t, s.prog_id) + "/state.json",
                               state_to_json(s));
}

be::Expected<std::string> read_program_text(const StateLayout &layout,
                                            const Target &t, uint32_t prog_id) {
  const std::string path = layout.program_dir(t, prog_id) + "/policy.psl";
  std::optional<std::string> text = read_file(path);
  if (!text)
    return be::errno_error("cannot read '" + path + "'", errno);
  return std::move(*text);
}

std::vector<uint32_t> program_dirs(const StateLayout &layout, const Target &t) {
  std::vector<uint32_t> ids;
  for (const std::string &n : list_dir(layout.state_dir(t)))
    if (n.size() > 5 && n.compare(0, 5, "prog-") == 0 &&
        n.find_first_not_of("0123456789", 5) == std::string::npos)
      ids.push_back(
          static_cast<uint32_t>(std::strtoul(n.c_str() + 5, nullptr, 10)));
  return ids;
}

void remove_program_dirs(const StateLayout &layout, const Target &t,
                         uint32_t keep) {
  for (uint32_t id : program_dirs(layout, t))
    if (id != keep)
      remove_tree(layout.program_dir(t, id), 2);
}

uint64_t unix_now_ns() { return clock_ns(CLOCK_REALTIME); }
uint64_t boottime_now_ns() { return clock_ns(CLOCK_BOOTTIME); }
uint64_t monotonic_now_ns() { return clock_ns(CLOCK_MONOTONIC); }

} // namespace psr::policy
