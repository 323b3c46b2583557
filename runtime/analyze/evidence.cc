#include "analyze/evidence.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace psr::analyze {

using nlohmann::json;

namespace {

constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxSteps = 16;

bool member_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '"' || s.front() == '\''))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '"' || s.back() == '\''))
    s.remove_suffix(1);
  return s;
}

// The members a list element is known by, in the order they are tried.
constexpr const char *kKeyMembers[] = {"addr",   "proto", "port",
                                       "reason", "name",  "layer"};

std::string key_text(const json &v) {
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_number_unsigned())
    return std::to_string(v.get<uint64_t>());
  if (v.is_number_integer())
    return std::to_string(v.get<int64_t>());
  return "";
}

// The element of `list` whose key member equals `key`, and that member's
// text; null if none.
const json *pick(const json &list, const std::string &key, std::string &as) {
  for (const json &e : list) {
    if (!e.is_object())
      continue;
    for (const char *m : kKeyMembers) {
      auto it = e.find(m);
      if (it == e.end())
        continue;
      std::string t = key_text(*it);
      if (!t.empty() && t == key) {
        as = t;
        return &e;
      }
      break; // an element is known by its first key member only
    }
  }
  return nullptr;
}

std::string last_member(std::string_view name) {
  auto steps = parse_counter_name(name);
  if (!steps || steps->empty())
    return "";
  return steps->back().member;
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

} // namespace

std::optional<std::vector<CounterStep>> parse_counter_name(std::string_view n) {
  if (n.empty() || n.size() > kMaxNameBytes)
    return std::nullopt;
  std::vector<CounterStep> out;
  size_t i = 0;
  while (i < n.size()) {
    CounterStep s;
    while (i < n.size() && member_char(n[i]))
      s.member.push_back(n[i++]);
    if (s.member.empty())
      return std::nullopt;
    if (i < n.size() && n[i] == '[') {
      size_t close = n.find(']', i + 1);
      if (close == std::string_view::npos)
        return std::nullopt;
      std::string_view key = trim(n.substr(i + 1, close - i - 1));
      if (key.empty() || key.find('[') != std::string_view::npos)
        return std::nullopt;
      s.key = std::string(key);
      i = close + 1;
    }
    out.push_back(std::move(s));
    if (out.size() > kMaxSteps)
      return std::nullopt;
    if (i == n.size())
      break;
    if (n[i] != '.' || i + 1 == n.size())
      return std::nullopt;
    ++i;
  }
  return out;
}

std::optional<ResolvedCounter> resolve_counter(const json &summary,
                                               std::string_view name) {
  auto steps = parse_counter_name(name);
  if (!steps)
    return std::nullopt;
  const json *at = &summary;
  std::string canonical;
  for (const CounterStep &s : *steps) {
    if (!at->is_object())
      return std::nullopt;
    auto it = at->find(s.member);
    if (it == at->end())
      return std::nullopt;
    at = &*it;
    if (!canonical.empty())
      canonical += '.';
    canonical += s.member;
    if (s.key) {
      if (!at->is_array())
        return std::nullopt;
      std::string as;
      at = pick(*at, *s.key, as);
      if (at == nullptr)
        return std::nullopt;
      canonical += "[" + as + "]";
    }
  }
  ResolvedCounter r;
  if (at->is_object()) {
    for (const char *m : {"per_s", "pps"}) {
      auto it = at->find(m);
      if (it != at->end() && it->is_number()) {
        r.name = canonical + "." + m;
        r.value = it->get<double>();
        return r;
      }
    }
    return std::nullopt;
  }
  if (!at->is_number())
    return std::nullopt;
  r.name = std::move(canonical);
  r.value = at->get<double>();
  return r;
}

CounterUnit counter_unit(std::string_view name) {
  const std::string m = last_member(name);
  if (m == "per_s" || m == "pps")
    return CounterUnit::PacketRate;
  if (m == "count" || m == "packets")
    return CounterUnit::PacketCount;
  return CounterUnit::Other;
}

CitedRate cited_rate(const Evidence &e) {
  struct Reading {
    double pps = 0;
    std::string name;
    double value = 0;
  };
  struct WindowRates {
    std::map<std::string, Reading> talkers; // by address: its largest
    Reading whole;                          // the largest of the rest
  };
  std::map<uint64_t, double> seconds;
  for (const EvidenceWindow &w : e.windows)
    if (w.end_unix_ms > w.start_unix_ms)
      seconds[w.seq] =
          static_cast<double>(w.end_unix_ms - w.start_unix_ms) / 1000.0;
  std::map<uint64_t, WindowRates> windows;
  for (const EvidenceCounter &c : e.counters) {
    if (!std::isfinite(c.value) || c.value <= 0)
      continue;
    auto steps = parse_counter_name(c.name);
    if (!steps)
      continue;
    double pps = 0;
    switch (counter_unit(c.name)) {
    case CounterUnit::PacketRate:
      pps = c.value;
      break;
    case CounterUnit::PacketCount: {
      auto s = seconds.find(c.window);
      if (s == seconds.end())
        continue;
      pps = c.value / s->second;
      break;
    }
    case CounterUnit::Other:
      continue;
    }
    Reading r{pps, c.name, c.value};
    WindowRates &w = windows[c.window];
    const bool talker = (*steps)[0].member == "talkers" && steps->size() > 1 &&
                        (*steps)[1].key.has_value();
    Reading &slot = talker ? w.talkers[*(*steps)[1].key] : w.whole;
    if (r.pps > slot.pps)
      slot = r;
  }
  CitedRate out;
  for (const auto &[seq, w] : windows) {
    double sum = 0;
    std::vector<Reading> parts;
    for (const auto &[addr, r] : w.talkers) {
      sum += r.pps;
      parts.push_back(r);
    }
    std::vector<Reading> basis;
    double rate = 0;
    if (sum >= w.whole.pps) {
      rate = sum;
      std::sort(parts.begin(), parts.end(),
                [](const Reading &a, const Reading &b) {
                  return a.pps > b.pps || (a.pps == b.pps && a.name < b.name);
                });
      basis = std::move(parts);
    } else {
      rate = w.whole.pps;
      basis.push_back(w.whole);
    }
    if (rate <= 0 || rate <= out.pps)
      continue;
    out.known = true;
    out.pps = rate;
    out.window = seq;
    out.basis.clear();
    for (size_t i = 0; i < basis.size() && i < 4; ++i) {
      if (i)
        out.basis += ", ";
      out.basis += basis[i].name + " = " + number_text(basis[i].value);
    }
    if (basis.size() > 4)
      out.basis += " and " + std::to_string(basis.size() - 4) + " more";
  }
  return out;
}

} // namespace psr::analyze
