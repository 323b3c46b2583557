#include "codegen/artifact_json.h"

#include <cstdint>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

#include "codegen/json_text.h"
#include "codegen/policy_build.h"

namespace psl::codegen {

using namespace backend;

namespace {

// Hands the text to the sink whenever this much has gathered: large enough
// that the sink's writes are few, small enough to stay in the cache.
constexpr size_t kPieceBytes = size_t{1} << 20;

// Gathers the text and hands it to the sink in pieces.
class PieceWriter {
public:
  explicit PieceWriter(const TextSink &sink) : sink_(sink) {
    text_.reserve(kPieceBytes + 4096);
  }

  std::string &text() { return text_; }

  // Between elements: hands over what has gathered once it is a piece.
  bool maybe_flush() { return text_.size() < kPieceBytes || flush(); }
  bool flush() {
    if (text_.empty())
      return true;
    const bool ok = sink_(text_);
    text_.clear();
    return ok;
  }

private:
  const TextSink &sink_;
  std::string text_;
};

// Appends b as lower-case hex digits.
void append_hex(std::string &out, lower::ByteView b) {
  static const char *d = "0123456789abcdef";
  const size_t at = out.size();
  out.resize(at + 2 * b.size());
  char *p = out.data() + at;
  for (uint8_t x : b) {
    *p++ = d[x >> 4];
    *p++ = d[x & 15];
  }
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

// `"name": [` then one compact element per line, built by `element(out,
// i)`, handed over in pieces. False when the sink stopped it.
template <class Element>
bool write_array(PieceWriter &w, const char *name, size_t count,
                 Element element, bool last = false) {
  std::string &out = w.text();
  out += " \"";
  out += name;
  out += "\": [";
  for (size_t i = 0; i < count; ++i) {
    out += i == 0 ? "\n  " : ",\n  ";
    element(out, i);
    if (!w.maybe_flush())
      return false;
  }
  out += count == 0 ? "]" : "\n ]";
  out += last ? "\n" : ",\n";
  return true;
}

// {"action","counter","groups","index","name","placement","shadow",
// ["trees"], ["why_code"]}: the keys in the order nlohmann's object kept.
void append_rule(std::string &o, const lower::RuleInfo &r) {
  JsonObjectText x(o);
  x.string("action", action_name(r.action))
      .number("counter", r.counter_id)
      .array("groups", r.groups)
      .number("index", r.index)
      .string("name", r.name)
      .string("placement", r.in_code ? "code" : "map")
      .boolean("shadow", r.shadow);
  if (!r.trees.empty())
    x.array("trees", r.trees);
  if (r.in_code)
    x.string("why_code", r.why_code);
}

// {"bits","burst","id","per_second","rule"}.
void append_rate(std::string &o, const lower::RateSpec &r,
                 const std::string &rule) {
  JsonObjectText(o)
      .boolean("bits", r.bits)
      .number("burst", r.burst)
      .number("id", r.id)
      .number("per_second", r.per_second)
      .string("rule", rule);
}

} // namespace

bool write_artifact_json(const PolicyArtifact &a, const TextSink &sink,
                         std::string_view first_members) {
  using nlohmann::json;
  const auto &c = a.classifier;
  const auto dump = [](std::string &out, const json &j) { out += j.dump(); };
  PieceWriter w(sink);
  std::string &out = w.text();
  out += "{\n";
  out += first_members;
  // Members in alphabetical order, as a JSON object would list them.
  out += " \"default\": ";
  out += c.default_action == Action::Drop ? "\"drop\"" : "\"pass\"";
  out += ",\n";
  if (!write_array(w, "dynsets", c.dynsets.size(),
                   [&](std::string &o, size_t i) {
                     const auto &d = c.dynsets[i];
                     dump(o, {{"name", d.name},
                              {"elem", type_kind_name(d.elem)},
                              {"capacity", d.capacity},
                              {"ttl_ns", d.ttl_ns}});
                   }))
    return false;
  // Map names quoted once; keys and values are hex, which needs no escaping.
  std::vector<std::string> quoted_map;
  for (const auto &m : c.maps)
    quoted_map.push_back(json(m.name).dump());
  if (!write_array(w, "entries", c.entries.size(),
                   [&](std::string &o, size_t i) {
                     const lower::MapEntryView e = c.entries[i];
                     o += "{\"key\":\"";
                     append_hex(o, e.key);
                     o += "\",\"map\":";
                     o += quoted_map[e.map];
                     o += ",\"value\":\"";
                     append_hex(o, e.value);
                     o += "\"}";
                   }))
    return false;
  if (!write_array(w, "maps", c.maps.size(), [&](std::string &o, size_t i) {
        const auto &m = c.maps[i];
        dump(o, {{"name", m.name},
                 {"kind", kind_name(m.kind)},
                 {"key_size", m.key_size},
                 {"value_size", m.value_size},
                 {"max_entries", m.max_entries},
                 {"purpose", m.purpose}});
      }))
    return false;
  out += " \"policy\": " + json(c.policy).dump() + ",\n";
  out += " \"program\": " + json(a.program).dump() + ",\n";
  if (!write_array(w, "rates", c.rates.size(), [&](std::string &o, size_t i) {
        const auto &r = c.rates[i];
        append_rate(o, r, c.rules[r.rule].name);
      }))
    return false;
  if (!write_array(
          w, "rules", c.rules.size(),
          [&](std::string &o, size_t i) { append_rule(o, c.rules[i]); },
          /*last=*/true))
    return false;
  out += "}\n";
  return w.flush();
}

std::string artifact_to_json(const PolicyArtifact &a) {
  std::string text;
  write_artifact_json(a, [&](std::string_view piece) {
    text += piece;
    return true;
  });
  return text;
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
    c.default_action = j.at("default").get<std::string>() == "drop"
                           ? Action::Drop
                           : Action::Pass;
    for (const auto &x : j.at("rules")) {
      lower::RuleInfo r;
      r.index = x.at("index").get<uint32_t>();
      r.name = x.at("name").get<std::string>();
      std::string act = x.at("action").get<std::string>();
      r.action = act == "drop"    ? Action::Drop
                 : act == "count" ? Action::Count
                                  : Action::Pass;
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

} // namespace psl::codegen
