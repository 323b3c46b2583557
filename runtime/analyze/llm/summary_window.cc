#include "analyze/llm/summary_window.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <set>

#include "analyze/llm/chat_client.h"
#include "ast/value.h"

namespace psr::analyze::llm {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

bool all_of_chars(std::string_view s, const char *extra, bool upper,
                  bool lower) {
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || (upper && c >= 'A' && c <= 'Z') ||
              (lower && c >= 'a' && c <= 'z') || std::strchr(extra, c);
    if (!ok || c == '\0')
      return false;
  }
  return true;
}

// Members the prompt leaves out wherever they occur.
const std::set<std::string> kLeftOut = {
    "version",       "hooks",       "notes",        "ring_lost", "buckets",
    "sum_ns",        "mean_ns",     "start_ns",     "end_ns",    "program_id",
    "total_packets", "total_bytes", "shadow_total", "family"};

// What a fan-out entry keeps: the source and its spread (its traffic is
// under `top` when it is busy).
const std::set<std::string> kFanoutKeeps = {"addr", "distinct_dports",
                                            "distinct_daddrs"};

// Lists cut to the first `top` entries (the summary sorts them most
// significant first).
const std::set<std::string> kTopLists = {
    "top", "fanout", "drops", "rules", "icmp_errors", "sets", "interfaces"};

// Members first in this order (the schema's), then the others by name:
// the window's number and times lead each line.
const char *const kOrder[] = {"seq",
                              "window",
                              "counters_reset",
                              "totals",
                              "protocols",
                              "drops",
                              "drop_layers",
                              "tcp",
                              "udp_rcvbuf_errors",
                              "socket_rcvqueue_full",
                              "icmp_errors",
                              "talkers",
                              "interfaces",
                              "latency"};

size_t rank(const std::string &k) {
  size_t i = 0;
  for (const char *o : kOrder) {
    if (k == o)
      return i;
    ++i;
  }
  return i;
}

bool zero_like(const ordered_json &v) {
  if (v.is_number())
    return v.get<double>() == 0;
  if (v.is_boolean())
    return !v.get<bool>();
  if (v.is_array() || v.is_object() || v.is_string())
    return v.empty();
  return v.is_null();
}

ordered_json round4(const json &v) {
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (!std::isfinite(d))
      return 0;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", d);
    double r = std::strtod(buf, nullptr);
    if (r == std::floor(r) && std::fabs(r) < 1e15)
      return static_cast<int64_t>(r);
    return r;
  }
  return ordered_json(v);
}

bool safe_key(const std::string &k) {
  return !k.empty() && k.size() <= 40 && all_of_chars(k, "_", false, true);
}

ordered_json compact(const json &v, const std::string &key, size_t top) {
  if (v.is_object()) {
    // {count, per_s} -> per_s; {packets, bytes, pps, bps} -> {pps, bps}
    if (v.size() == 2 && v.contains("count") && v.contains("per_s"))
      return round4(v["per_s"]);
    if (v.size() == 4 && v.contains("packets") && v.contains("bytes") &&
        v.contains("pps") && v.contains("bps")) {
      ordered_json out = ordered_json::object();
      for (const char *k : {"pps", "bps"})
        if (ordered_json r = round4(v[k]); !zero_like(r))
          out[k] = r;
      return out;
    }
    std::vector<std::string> keys;
    for (const auto &item : v.items())
      keys.push_back(item.key());
    std::stable_sort(keys.begin(), keys.end(),
                     [](const std::string &a, const std::string &b) {
                       return rank(a) < rank(b);
                     });
    ordered_json out = ordered_json::object();
    for (const std::string &k : keys) {
      if (kLeftOut.count(k) || !safe_key(k) ||
          (key == "fanout" && !kFanoutKeeps.count(k)))
        continue;
      ordered_json c = compact(v[k], k, top);
      if (!zero_like(c) || k == "seq")
        out[k] = std::move(c);
    }
    return out;
  }
  if (v.is_array()) {
    ordered_json out = ordered_json::array();
    size_t limit = kTopLists.count(key) ? top : 64;
    for (const json &item : v) {
      if (out.size() >= limit)
        break;
      ordered_json c = compact(item, key, top);
      // A protocol with nothing but its name says nothing.
      if (c.is_object() && c.size() == 1 && c.contains("proto"))
        continue;
      if (!zero_like(c))
        out.push_back(std::move(c));
    }
    return out;
  }
  if (v.is_string())
    return safe_string(key, v.get<std::string>());
  return round4(v);
}

double num(const json &j, std::initializer_list<const char *> path) {
  const json *at = &j;
  for (const char *p : path) {
    if (!at->is_object())
      return 0;
    auto it = at->find(p);
    if (it == at->end())
      return 0;
    at = &*it;
  }
  return at->is_number() ? at->get<double>() : 0;
}

const json &list(const json &j, std::initializer_list<const char *> path) {
  static const json empty = json::array();
  const json *at = &j;
  for (const char *p : path) {
    if (!at->is_object())
      return empty;
    auto it = at->find(p);
    if (it == at->end())
      return empty;
    at = &*it;
  }
  return at->is_array() ? *at : empty;
}

std::string clock_text(int64_t unix_ms) {
  time_t t = static_cast<time_t>(unix_ms / 1000);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

// 4 significant digits, never an exponent: "59050", "12.5", "0.25".
std::string number_text(double v) {
  char buf[64];
  if (std::fabs(v) >= 1000)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

uint64_t tokens_of(const std::string &s) { return estimate_tokens(s.size()); }

} // namespace

std::string withheld(size_t bytes) {
  return "(withheld: " + std::to_string(bytes) +
         " bytes, not a name or an address)";
}

std::string safe_string(std::string_view key, std::string_view value) {
  bool ok = false;
  if (key == "addr") {
    auto ip = psl::parse_ip(std::string(value));
    if (ip)
      return psl::ip_to_string(*ip);
  } else if (key == "reason") {
    ok = value.size() <= 48 && all_of_chars(value, "_", true, false);
  } else if (key == "proto" || key == "layer" || key == "attach" ||
             key == "mode" || key == "action" || key == "origin" ||
             key == "elem" || key == "family") {
    ok = value.size() <= 24 && all_of_chars(value, "_/-", false, true);
  } else {
    ok = value.size() <= 32 && all_of_chars(value, "_.:@-/", true, true);
  }
  if (ok && !value.empty())
    return std::string(value);
  return withheld(value.size());
}

ordered_json compact_summary(const json &summary, size_t top) {
  return compact(summary, "", top);
}

double significance(const json &s) {
  double score = num(s, {"totals", "xdp_drop", "pps"}) +
                 num(s, {"totals", "dropped", "per_s"}) +
                 num(s, {"tcp", "resets_sent", "per_s"}) +
                 num(s, {"udp_rcvbuf_errors", "per_s"}) +
                 num(s, {"socket_rcvqueue_full", "per_s"});
  double duration = num(s, {"window", "duration_s"});
  if (duration > 0)
    score += num(s, {"tcp", "half_open_estimate"}) / duration;
  for (const json &e : list(s, {"icmp_errors"}))
    score += num(e, {"per_s"});
  double busiest = 0;
  for (const json &t : list(s, {"talkers", "top"})) {
    for (const json &r : list(t, {"udp_reflection"}))
      score += num(r, {"per_s"});
    busiest = std::max(busiest, num(t, {"tcp_syn", "per_s"}) +
                                    num(t, {"icmp_echo", "per_s"}));
  }
  double fanout = 0;
  for (const json &t : list(s, {"talkers", "fanout"}))
    fanout = std::max(fanout, num(t, {"distinct_dports"}));
  return score + busiest + fanout / 10;
}

WindowSelection select_windows(const std::vector<json> &summaries,
                               const WindowOptions &options) {
  WindowSelection sel;
  struct Item {
    size_t pos;
    uint64_t seq;
    double score;
  };
  std::vector<Item> items;
  for (size_t i = 0; i < summaries.size(); ++i)
    items.push_back({i, static_cast<uint64_t>(num(summaries[i], {"seq"})),
                     significance(summaries[i])});

  // 1. The index, newest lines kept.
  std::vector<std::string> lines;
  for (const Item &it : items) {
    const json &s = summaries[it.pos];
    lines.push_back(
        "seq " + std::to_string(it.seq) + "  " +
        clock_text(static_cast<int64_t>(num(s, {"window", "start_unix_ms"}))) +
        "-" +
        clock_text(static_cast<int64_t>(num(s, {"window", "end_unix_ms"}))) +
        "  nic " + number_text(num(s, {"totals", "nic", "pps"})) + " pps  " +
        "drops " +
        number_text(num(s, {"totals", "xdp_drop", "pps"}) +
                    num(s, {"totals", "dropped", "per_s"})) +
        "/s  score " + number_text(it.score) + "\n");
  }
  size_t first_line =
      lines.size() > options.index_max ? lines.size() - options.index_max : 0;
  size_t index_tokens = 0;
  for (size_t i = lines.size(); i-- > first_line;) {
    uint64_t t = tokens_of(lines[i]);
    if (index_tokens + t > options.token_budget / 4) {
      first_line = i + 1;
      break;
    }
    index_tokens += t;
  }
  sel.index_lines_dropped = first_line;
  for (size_t i = first_line; i < lines.size(); ++i)
    sel.index += lines[i];

  // 2. Details by significance.
  size_t left = options.token_budget > index_tokens
                    ? options.token_budget - index_tokens
                    : 0;
  std::vector<Item> order = items;
  std::stable_sort(order.begin(), order.end(),
                   [](const Item &a, const Item &b) {
                     if (a.score != b.score)
                       return a.score > b.score;
                     return a.pos > b.pos;
                   });
  std::vector<std::pair<size_t, std::string>> chosen; // pos, JSON line
  std::set<size_t> chosen_pos;
  for (const Item &it : order) {
    for (size_t top : {options.top, size_t{3}, size_t{1}}) {
      if (top > options.top)
        continue;
      std::string line = compact_summary(summaries[it.pos], top).dump() + "\n";
      uint64_t t = tokens_of(line);
      if (t <= left) {
        left -= t;
        chosen.emplace_back(it.pos, std::move(line));
        chosen_pos.insert(it.pos);
        break;
      }
    }
  }
  // 3. In time order.
  std::sort(chosen.begin(), chosen.end());
  for (const auto &[pos, line] : chosen) {
    sel.details += line;
    const json &s = summaries[pos];
    sel.shown.push_back(
        {items[pos].seq,
         static_cast<int64_t>(num(s, {"window", "start_unix_ms"})),
         static_cast<int64_t>(num(s, {"window", "end_unix_ms"}))});
  }
  for (const Item &it : items)
    if (!chosen_pos.count(it.pos))
      sel.omitted.push_back(it.seq);
  sel.tokens = tokens_of(sel.index) + tokens_of(sel.details);
  return sel;
}

} // namespace psr::analyze::llm
