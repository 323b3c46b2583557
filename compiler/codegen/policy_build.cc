#include "codegen/policy_build.h"

#include <chrono>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "backend/clang_compiler.h"
#include "codegen/xdp_generator.h"

namespace psl::backend {

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::string where(const SourceFile *file, const SourceRange &r) {
  std::string s = file ? file->path() : std::string("<policy>");
  if (r.valid())
    s += ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
  return s;
}

// The rule whose code holds line `line` of the generated C: the nearest
// "rule N 'name'" comment above it.
std::string rule_at_line(const std::string &c, uint32_t line) {
  std::istringstream in(c);
  std::string l, found;
  for (uint32_t n = 1; std::getline(in, l) && n <= line; ++n) {
    auto p = l.find("/* rule ");
    if (p != std::string::npos) {
      auto q = l.find('\'', p), e = q == std::string::npos ? q : l.find('\'', q + 1);
      if (e != std::string::npos)
        found = l.substr(q + 1, e - q - 1);
    }
  }
  return found;
}

std::string hex(const std::vector<uint8_t> &b) {
  static const char *d = "0123456789abcdef";
  std::string s;
  for (uint8_t x : b) {
    s += d[x >> 4];
    s += d[x & 15];
  }
  return s;
}

bool unhex(const std::string &s, std::vector<uint8_t> &out) {
  if (s.size() % 2)
    return false;
  out.clear();
  auto v = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); i += 2) {
    int a = v(s[i]), b = v(s[i + 1]);
    if (a < 0 || b < 0)
      return false;
    out.push_back(static_cast<uint8_t>(a * 16 + b));
  }
  return true;
}

const char *kind_name(lower::MapKind k) {
  switch (k) {
  case lower::MapKind::Array:
    return "array";
  case lower::MapKind::Hash:
    return "hash";
  case lower::MapKind::Lpm:
    return "lpm";
  }
  return "hash";
}

} // namespace

Expected<PolicyArtifact> build_policy(const Policy &policy, const SourceFile *file,
                                      const PolicyBuildOptions &options) {
  PolicyArtifact a;
  auto t0 = std::chrono::steady_clock::now();
  lower::LowerResult lowered = lower::lower_policy(policy, file, options.lower);
  a.lower_ms = ms_since(t0);
  if (!lowered.ok()) {
    std::string detail;
    for (const auto &r : lowered.error->rules)
      detail += where(file, r.range) + ": note: rule '" + r.name + "'" +
                (r.detail.empty() ? "" : ": " + r.detail) + "\n";
    return Error(lowered.error->message, 0, detail);
  }
  a.classifier = std::move(lowered.classifier);

  t0 = std::chrono::steady_clock::now();
  codegen::GenerateOptions gen;
  gen.file_name = options.c_file_name;
  a.c_source = codegen::generate_xdp(a.classifier, gen);
  a.generate_ms = ms_since(t0);

  t0 = std::chrono::steady_clock::now();
  CompileOptions copts;
  copts.include_dirs.push_back(PSC_BPF_TEMPLATE_DIR);
  copts.cpu = options.cpu;
  BpfCompiler compiler(copts);
  CompileResult res = compiler.compile(a.c_source, options.c_file_name);
  a.compile_ms = ms_since(t0);
  if (!res.ok()) {
    const CDiagnostic *e = res.first_error();
    std::string rule = e && e->in_main_file ? rule_at_line(a.c_source, e->line) : "";
    return Error("internal error: the generated C does not compile" +
                     (rule.empty() ? std::string() : " (in the code of rule '" + rule + "')") +
                     (e ? ": " + e->message : std::string()),
                 0, res.format_diagnostics());
  }
  a.elf = std::move(res.object);
  return a;
}

Status write_map_contents(BpfObject &obj, const lower::Classifier &c) {
  for (const auto &e : c.entries) {
    const auto &m = c.maps[e.map];
    Status s = obj.map_update(m.name, e.key.data(), e.key.size(), e.value.data(), e.value.size());
    if (!s.ok())
      return Error("cannot fill map '" + m.name + "': " + s.error().message, s.error().code,
                   s.error().detail);
  }
  return Status::success();
}

Expected<BpfObject> load_policy(const PolicyArtifact &artifact, const PolicyLoadOptions &options) {
  auto obj = BpfObject::open(artifact.elf, artifact.classifier.policy.empty()
                                               ? std::string("psl_policy")
                                               : artifact.classifier.policy);
  if (!obj.ok())
    return obj.error();
  if (!artifact.c_source.empty())
    obj->add_source("policy.c", artifact.c_source);
  if (options.clock_from_map) {
    uint8_t one = 1;
    Status s = obj->set_global("psl_clock_from_map", one);
    if (!s.ok())
      return s.error();
  }
  Status s = obj->load(options.bpf);
  if (!s.ok())
    return s.error();
  s = write_map_contents(*obj, artifact.classifier);
  if (!s.ok())
    return s.error();
  return std::move(obj.value());
}

std::string artifact_to_json(const PolicyArtifact &a) {
  using nlohmann::json;
  const auto &c = a.classifier;
  json j;
  j["policy"] = c.policy;
  j["program"] = a.program;
  j["default"] = c.default_action == Action::Drop ? "drop" : "pass";
  json rules = json::array();
  for (const auto &r : c.rules) {
    json x;
    x["index"] = r.index;
    x["name"] = r.name;
    x["action"] = action_name(r.action);
    x["shadow"] = r.shadow;
    x["counter"] = r.counter_id;
    x["placement"] = r.in_code ? "code" : "map";
    x["groups"] = r.groups;
    if (r.in_code)
      x["why_code"] = r.why_code;
    rules.push_back(x);
  }
  j["rules"] = rules;
  json maps = json::array();
  for (const auto &m : c.maps)
    maps.push_back({{"name", m.name},
                    {"kind", kind_name(m.kind)},
                    {"key_size", m.key_size},
                    {"value_size", m.value_size},
                    {"max_entries", m.max_entries},
                    {"purpose", m.purpose}});
  j["maps"] = maps;
  json entries = json::array();
  for (const auto &e : c.entries)
    entries.push_back({{"map", c.maps[e.map].name}, {"key", hex(e.key)}, {"value", hex(e.value)}});
  j["entries"] = entries;
  json dyn = json::array();
  for (const auto &d : c.dynsets)
    dyn.push_back({{"name", d.name},
                   {"elem", type_kind_name(d.elem)},
                   {"capacity", d.capacity},
                   {"ttl_ns", d.ttl_ns}});
  j["dynsets"] = dyn;
  json rates = json::array();
  for (const auto &r : c.rates)
    rates.push_back({{"id", r.id},
                     {"rule", c.rules[r.rule].name},
                     {"per_second", r.per_second},
                     {"bits", r.bits},
                     {"burst", r.burst}});
  j["rates"] = rates;
  return j.dump(1) + "\n";
}

Status artifact_from_json(const std::string &text, PolicyArtifact &a) {
  using nlohmann::json;
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Error("the map sidecar is not valid JSON");
  try {
    auto &c = a.classifier;
    c = lower::Classifier{};
    c.policy = j.at("policy").get<std::string>();
    a.program = j.value("program", std::string("psl_policy"));
    c.default_action = j.at("default").get<std::string>() == "drop" ? Action::Drop : Action::Pass;
    for (const auto &x : j.at("rules")) {
      lower::RuleInfo r;
      r.index = x.at("index").get<uint32_t>();
      r.name = x.at("name").get<std::string>();
      std::string act = x.at("action").get<std::string>();
      r.action = act == "drop" ? Action::Drop : act == "count" ? Action::Count : Action::Pass;
      r.shadow = x.value("shadow", false);
      r.terminal = r.action != Action::Count && !r.shadow;
      r.counter_id = x.at("counter").get<uint32_t>();
      r.in_code = x.value("placement", std::string()) == "code";
      c.rules.push_back(r);
    }
    std::map<std::string, uint32_t> ids;
    for (const auto &x : j.at("maps")) {
      lower::MapSpec m;
      m.name = x.at("name").get<std::string>();
      std::string k = x.at("kind").get<std::string>();
      m.kind = k == "array" ? lower::MapKind::Array
               : k == "lpm" ? lower::MapKind::Lpm
                            : lower::MapKind::Hash;
      m.key_size = x.at("key_size").get<uint32_t>();
      m.value_size = x.at("value_size").get<uint32_t>();
      m.max_entries = x.at("max_entries").get<uint32_t>();
      ids[m.name] = static_cast<uint32_t>(c.maps.size());
      c.maps.push_back(m);
    }
    for (const auto &x : j.at("entries")) {
      lower::MapEntry e;
      auto it = ids.find(x.at("map").get<std::string>());
      if (it == ids.end() || !unhex(x.at("key").get<std::string>(), e.key) ||
          !unhex(x.at("value").get<std::string>(), e.value))
        return Error("the map sidecar has a malformed entry");
      e.map = it->second;
      c.entries.push_back(std::move(e));
    }
  } catch (const json::exception &e) {
    return Error(std::string("the map sidecar is malformed: ") + e.what());
  }
  return Status::success();
}

} // namespace psl::backend
