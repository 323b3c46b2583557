// The map sidecar (codegen/artifact_json.h): the text is, byte for byte,
// what a JSON tree per element made (the writer before it was streamed,
// kept below as the reference); it comes to the sink in pieces whose
// concatenation is the whole text; a sink that fails stops it; the
// caller's first members go right after the brace; and it reads back.
// Lowers only: no Clang, no BPF.
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "codegen/artifact_json.h"
#include "codegen/policy_build.h"
#include "driver.h"
#include "lower/lower.h"

namespace psl::codegen {
namespace {

using nlohmann::json;

std::string hex(lower::ByteView b) {
  static const char *d = "0123456789abcdef";
  std::string s;
  for (uint8_t x : b) {
    s += d[x >> 4];
    s += d[x & 15];
  }
  return s;
}

const char *kind(lower::MapKind k) {
  return k == lower::MapKind::Array ? "array"
         : k == lower::MapKind::Lpm ? "lpm"
                                    : "hash";
}

// The sidecar as the earlier writer made it: one nlohmann tree per
// element, dumped; members in alphabetical order.
std::string reference_json(const PolicyArtifact &a) {
  const auto &c = a.classifier;
  std::string out = "{\n";
  const auto array = [&](const char *name, size_t count, auto element,
                         bool last = false) {
    out += std::string(" \"") + name + "\": [";
    for (size_t i = 0; i < count; ++i)
      out += (i == 0 ? "\n  " : ",\n  ") + element(i).dump();
    out += count == 0 ? "]" : "\n ]";
    out += last ? "\n" : ",\n";
  };
  out += std::string(" \"default\": ") +
         (c.default_action == Action::Drop ? "\"drop\"" : "\"pass\"") + ",\n";
  array("dynsets", c.dynsets.size(), [&](size_t i) {
    const auto &d = c.dynsets[i];
    return json{{"name", d.name},
                {"elem", type_kind_name(d.elem)},
                {"capacity", d.capacity},
                {"ttl_ns", d.ttl_ns}};
  });
  array("entries", c.entries.size(), [&](size_t i) {
    const lower::MapEntryView e = c.entries[i];
    return json{{"key", hex(e.key)},
                {"map", c.maps[e.map].name},
                {"value", hex(e.value)}};
  });
  array("maps", c.maps.size(), [&](size_t i) {
    const auto &m = c.maps[i];
    return json{{"name", m.name},
                {"kind", kind(m.kind)},
                {"key_size", m.key_size},
                {"value_size", m.value_size},
                {"max_entries", m.max_entries},
                {"purpose", m.purpose}};
  });
  out += " \"policy\": " + json(c.policy).dump() + ",\n";
  out += " \"program\": " + json(a.program).dump() + ",\n";
  array("rates", c.rates.size(), [&](size_t i) {
    const auto &r = c.rates[i];
    return json{{"id", r.id},
                {"rule", c.rules[r.rule].name},
                {"per_second", r.per_second},
                {"bits", r.bits},
                {"burst", r.burst}};
  });
  array(
      "rules", c.rules.size(),
      [&](size_t i) {
        const auto &r = c.rules[i];
        json x;
        x["index"] = r.index;
        x["name"] = r.name;
        x["action"] = action_name(r.action);
        x["shadow"] = r.shadow;
        x["counter"] = r.counter_id;
        x["placement"] = r.in_code ? "code" : "map";
        x["groups"] = r.groups;
        if (!r.trees.empty())
          x["trees"] = r.trees;
        if (r.in_code)
          x["why_code"] = r.why_code;
        return x;
      },
      /*last=*/true);
  return out + "}\n";
}

// The artifact of `text` without its object: the sidecar needs only the
// classifier.
PolicyArtifact lowered(const std::string &text) {
  CheckedModule checked = check_source("sidecar.psl", text);
  EXPECT_TRUE(checked.ok()) << "the test policy does not check";
  PolicyArtifact a;
  if (!checked.ok())
    return a;
  lower::LowerResult r = lower::lower_policy(*checked.module.policy,
                                             checked.diags.file_ptr().get());
  EXPECT_TRUE(r.ok());
  a.classifier = std::move(r.classifier);
  return a;
}

// Every kind of element: map groups and their entries, code rules (with
// why_code), a decision tree, rate rules, a dynamic set, count rules.
constexpr const char kPolicy[] = R"(policy sidecar {
  const mgmt = { 192.0.2.0/24, 2001:db8:ffff::/48 }
  set blocked : ip dynamic ttl 10m capacity 1024
  protect ip.src in mgmt
  default pass
  rule allow_mgmt: ip.src in mgmt => pass
  rule host: ip.src == 198.51.100.7 => drop
  rule ports: udp.dport in {53, 123, 1900} => drop
  rule nets: ip.dst in {203.0.113.0/24, 2001:db8:1::/64} and tcp.dport == 22 => drop
  rule seen: ip.src in blocked => drop
  rule flood: ip.src in 198.51.100.0/24 and rate(ip.src) > 100/s => drop
  rule bits: udp.dport == 443 and rate(ip.dst, burst 10) > 10Mbit/s => drop
  rule watch: tcp.syn and not tcp.ack => count
  rule odd: ip.len < 40 or ip.len > 1400 => drop
}
)";

// `rules` host rules, enough for the writer to hand over several pieces.
std::string many_rules(int rules) {
  std::string text = "policy many {\n  default pass\n";
  for (int i = 0; i < rules; ++i)
    text += "  rule r" + std::to_string(i) + ": ip.src == 10." +
            std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) +
            "." + std::to_string(i % 256) +
            " and tcp.dport == " + std::to_string(1 + i % 1000) + " => drop\n";
  return text + "}\n";
}

TEST(ArtifactJson, IsWhatATreePerElementMade) {
  PolicyArtifact a = lowered(kPolicy);
  ASSERT_FALSE(a.classifier.rules.empty());
  ASSERT_FALSE(a.classifier.rates.empty());
  ASSERT_FALSE(a.classifier.dynsets.empty());
  ASSERT_GT(a.classifier.entries.size(), 0u);
  bool code = false, map = false;
  for (const auto &r : a.classifier.rules)
    (r.in_code ? code : map) = true;
  EXPECT_TRUE(code && map) << "the policy should have code and map rules";
  EXPECT_EQ(artifact_to_json(a), reference_json(a));
}

TEST(ArtifactJson, EscapesStringsAsNlohmannDoes) {
  PolicyArtifact a = lowered(kPolicy);
  ASSERT_GE(a.classifier.rules.size(), 3u);
  // Names and reasons the writer never gets from a policy, but must
  // still write as JSON does: quotes, backslashes, control characters,
  // DEL, and UTF-8 (which goes through nlohmann).
  a.classifier.rules[0].name = "q\"b\\s/";
  a.classifier.rules[1].name = std::string("ctl\b\f\n\r\t\x01\x1f\x7f", 12);
  a.classifier.rules[2].name = "caf\xc3\xa9 \xe2\x86\x92";
  for (auto &r : a.classifier.rules)
    if (r.in_code)
      r.why_code = "a \"quoted\"\treason\\";
  EXPECT_EQ(artifact_to_json(a), reference_json(a));
}

TEST(ArtifactJson, ComesInPiecesThatMakeTheWhole) {
  PolicyArtifact a = lowered(many_rules(20000));
  ASSERT_EQ(a.classifier.rules.size(), 20000u);
  const std::string whole = artifact_to_json(a);
  EXPECT_EQ(whole, reference_json(a));
  std::vector<std::string> pieces;
  ASSERT_TRUE(write_artifact_json(a, [&](std::string_view piece) {
    pieces.emplace_back(piece);
    return true;
  }));
  ASSERT_GT(pieces.size(), 1u) << "a sidecar of " << whole.size()
                               << " bytes should come in several pieces";
  std::string joined;
  for (const std::string &p : pieces) {
    EXPECT_FALSE(p.empty());
    // About 1 MiB each: one element more at most.
    EXPECT_LE(p.size(), (size_t{1} << 20) + 4096);
    joined += p;
  }
  EXPECT_EQ(joined, whole);
}

TEST(ArtifactJson, AFailingSinkStopsIt) {
  PolicyArtifact a = lowered(many_rules(20000));
  int calls = 0;
  EXPECT_FALSE(write_artifact_json(a, [&](std::string_view) {
    ++calls;
    return false;
  }));
  EXPECT_EQ(calls, 1);
  // A small sidecar comes in one piece, at the end: a failure there too.
  PolicyArtifact small = lowered(kPolicy);
  calls = 0;
  EXPECT_FALSE(write_artifact_json(small, [&](std::string_view) {
    ++calls;
    return false;
  }));
  EXPECT_EQ(calls, 1);
}

TEST(ArtifactJson, FirstMembersComeFirst) {
  PolicyArtifact a = lowered(kPolicy);
  const std::string first = " \"ifname\": \"eth0\",\n \"netns\": \"\",\n";
  std::string text;
  ASSERT_TRUE(write_artifact_json(
      a,
      [&](std::string_view piece) {
        text += piece;
        return true;
      },
      first));
  const std::string plain = artifact_to_json(a);
  EXPECT_EQ(text, "{\n" + first + plain.substr(2));
  json j = json::parse(text);
  EXPECT_EQ(j.at("ifname"), "eth0");
  EXPECT_EQ(j.at("policy"), "sidecar");
}

TEST(ArtifactJson, ReadsBack) {
  PolicyArtifact a = lowered(kPolicy);
  PolicyArtifact b;
  ASSERT_TRUE(artifact_from_json(artifact_to_json(a), b).ok());
  const auto &x = a.classifier, &y = b.classifier;
  EXPECT_EQ(y.policy, x.policy);
  ASSERT_EQ(y.rules.size(), x.rules.size());
  for (size_t i = 0; i < x.rules.size(); ++i) {
    EXPECT_EQ(y.rules[i].name, x.rules[i].name);
    EXPECT_EQ(y.rules[i].action, x.rules[i].action);
    EXPECT_EQ(y.rules[i].counter_id, x.rules[i].counter_id);
    EXPECT_EQ(y.rules[i].in_code, x.rules[i].in_code);
  }
  ASSERT_EQ(y.maps.size(), x.maps.size());
  ASSERT_EQ(y.entries.size(), x.entries.size());
  for (uint32_t i = 0; i < x.entries.size(); ++i) {
    EXPECT_EQ(y.entries[i].map, x.entries[i].map);
    EXPECT_EQ(hex(y.entries[i].key), hex(x.entries[i].key));
    EXPECT_EQ(hex(y.entries[i].value), hex(x.entries[i].value));
  }
}

} // namespace
} // namespace psl::codegen
