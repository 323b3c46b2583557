#include "options.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <set>

#include "analyze/llm/settings.h"
#include "api/listen_address.h"
#include "ast/value.h"
#include "govern/protected_addresses.h"
#include "trace/hooks.h"

namespace psd {

namespace be = psl::backend;

namespace {

const std::vector<SettingInfo> &base_settings() {
  using K = SettingKind;
  static const std::vector<SettingInfo> table = {
      {"interfaces", K::TextList, "[]", "--iface",
       "the interfaces to protect and observe (at least one)"},
      {"policy_dir", K::Text, "\"/etc/packetscope/policies\"", "--policy-dir",
       "where the operator policies are: policy.psl, or IFACE.psl for one "
       "interface"},
      {"state_dir", K::Text, "\"/run/packetscope\"", "--state-dir",
       "the policy runtime's state (shared with psc)"},
      {"object_cache_dir", K::Text, "\"\"", nullptr,
       "where compiled policy objects are kept, so that a policy built "
       "before skips Clang (\"\": <state_dir>/objects; \"off\": none)"},
      {"pin_root", K::Text, "\"/sys/fs/bpf/packetscope\"", "--pin-root",
       "where the XDP links and maps are pinned on bpffs (shared with psc)"},
      {"xdp_mode", K::Text, "\"auto\"", "--xdp-mode",
       "auto, native or generic: how a policy is attached"},
      {"detach_on_exit", K::Bool, "false", "--detach-on-exit",
       "take the policies down when psd stops (by default they stay in "
       "force)"},
      {"log_level", K::Text, "\"info\"", "--log-level",
       "trace, debug, info, warn or error"},
      {"watch_policy_dir", K::Bool, "true", nullptr,
       "read the policy directory again when a policy file in it changes "
       "(inotify), as SIGHUP does"},
      {"reload_debounce", K::Duration, "\"250ms\"", nullptr,
       "how long the policy directory must stay unchanged before it is read "
       "again",
       0, 60000},
      {"api.listen", K::Text, "\"127.0.0.1:9477\"", "--listen",
       "HOST:PORT of the HTTP API; beyond loopback only with a token file"},
      {"api.token_file", K::Text, "\"\"", "--token-file",
       "a file (mode 0600) holding the bearer token"},
      {"api.threads", K::Count, "16", nullptr,
       "worker threads of the HTTP server (each connection holds one while "
       "it is served)",
       2, 256},
      {"api.max_event_clients", K::Count, "4", nullptr,
       "event stream clients at once (each holds a worker thread)", 0, 255},
      {"api.event_queue", K::Count, "32", nullptr,
       "events waiting per stream client; a slower client loses the oldest", 1,
       10000},
      {"api.read_timeout", K::Duration, "\"2s\"", nullptr,
       "how long a connection may stay silent (and hold its thread)", 500,
       600000},
      {"api.max_body_bytes", K::Count, "1048576", nullptr,
       "the largest request body accepted", 1024, 64 << 20},
      {"api.max_policy_bytes", K::Count, "262144", nullptr,
       "the largest policy POST /api/v1/policy takes (at most "
       "api.max_body_bytes)",
       64, 64 << 20},
      {"summary.window", K::Duration, "\"1s\"", "--window",
       "the length of a window: one summary each", 100, 3600000},
      {"summary.keep", K::Count, "600", nullptr,
       "summaries kept in memory for the API", 1, 86400},
      {"summary.top_talkers", K::Count, "10", nullptr,
       "sources listed per summary, most packets first", 1, 1000},
      {"summary.top_fanout", K::Count, "5", nullptr,
       "sources listed by distinct destination ports", 0, 1000},
      {"summary.max_rules", K::Count, "64", nullptr,
       "rules listed per interface in a summary, most hits first", 1, 100000},
      {"summary.max_drops", K::Count, "32", nullptr,
       "drop reasons listed per summary, most drops first", 1, 1000},
      {"trace.sample_every", K::Count, "0", nullptr,
       "one packet in N gets its path traced (0: none)", 0, 1000000000},
      {"trace.sample_max_per_sec", K::Count, "1000", nullptr,
       "path events per second and CPU at most", 1, 1000000},
      {"trace.paths_kept", K::Count, "1000", nullptr,
       "sampled packet paths kept for /api/v1/trace", 1, 100000},
      {"trace.disable", K::TextList, "[]", nullptr,
       "stack hooks not to attach (\"skb:consume_skb\" or \"consume_skb\"): "
       "each one on the per-packet path costs throughput (docs/tracing.md)"},
      {"trace.timed_per_tick", K::Count, "64", nullptr,
       "received skbs whose time in the stack is measured, per CPU and "
       "clock tick, at most (0: every one)",
       0, 1000000},
      {"metrics.max_rules", K::Count, "1000", nullptr,
       "rules per interface with their own /metrics series", 0, 1000000},
      {"analyzer.kind", K::Text, "\"embedded\"", "--analyzer",
       "embedded (the detector, offline), openai or ollama (an LLM on its "
       "own cadence, with the detector beside it) or none: what proposes "
       "rules"},
      {"analyzer.embedded_with_llm", K::Bool, "true", nullptr,
       "with openai or ollama, run the embedded detector at every tick too "
       "(false: only while the LLM is in fallback)"},
      {"analyzer.tick", K::Duration, "\"250ms\"", nullptr,
       "how often traffic is read and analyzed (and generated rules' ttls "
       "and shadow periods looked at)",
       50, 10000},
      {"analyzer.window", K::Duration, "\"1s\"", nullptr,
       "the window the analyzer sees at each tick: rates over the last this "
       "long",
       100, 60000},
      {"analyzer.proposals_file", K::Text, "\"\"", nullptr,
       "a file of proposals (JSON Lines) read as lines are appended, each "
       "submitted to the governor like the analyzer's; empty: none"},
      {"governor.max_proposal_bytes", K::Count, "65536", nullptr,
       "the largest proposal text", 256, 16 << 20},
      {"governor.max_rules_per_proposal", K::Count, "16", nullptr,
       "rules in one proposal", 1, 1000},
      {"governor.max_generated_rules", K::Count, "1000", nullptr,
       "generated rules in force on an interface", 1, 100000},
      {"governor.max_ttl", K::Duration, "\"24h\"", nullptr,
       "the longest ttl of a generated rule or set entry", 1000,
       30ll * 24 * 3600 * 1000},
      {"governor.max_set_values", K::Count, "1024", nullptr,
       "values in one set insert", 1, 1 << 20},
      {"governor.set_inserts_per_second", K::Count, "1000", nullptr,
       "set inserts per second and interface (a token bucket)", 1, 10000000},
      {"governor.set_insert_burst", K::Count, "2000", nullptr,
       "the bucket's size: inserts at once", 1, 100000000},
      {"governor.management", K::TextList, "[]", "--management",
       "addresses and prefixes never dropped, whatever a proposal says "
       "(with the default gateways and the host's own addresses)"},
      {"governor.detector_shadow_period", K::Duration, "\"0s\"",
       "--shadow-period",
       "how long the detector's accepted drops only count before they are "
       "enforced (0s: enforced at once)",
       0, 24 * 3600 * 1000},
      {"governor.llm_shadow_period", K::Duration, "\"0s\"", nullptr,
       "the same for the LLM analyzer's drops", 0, 24 * 3600 * 1000},
      {"governor.audit_log", K::Text, "\"\"", nullptr,
       "the audit log (JSON Lines); empty: STATE_DIR/audit.jsonl"},
      {"governor.audit_max_bytes", K::Count, "16777216", nullptr,
       "the audit log's size before it is rotated", 4096, 1ll << 30},
      {"governor.audit_keep", K::Count, "4", nullptr, "rotated audit logs kept",
       0, 100},
      {"llm.interval", K::Duration, "\"30s\"", "--llm-interval",
       "how often the LLM is asked (a question starts when the last one "
       "ended and this long passed since it started)",
       1000, 24 * 3600 * 1000},
      {"llm.window", K::Duration, "\"5m\"", "--llm-window",
       "the traffic the LLM sees: the summaries of the last this long", 1000,
       24 * 3600 * 1000},
      {"llm.max-refusals", K::Count, "3", nullptr,
       "answers refused in a row (by the checks or the governor) before psd "
       "falls back to the embedded detector alone",
       1, 1000},
      {"llm.key-file", K::Text, "\"\"", "--llm-key-file",
       "the model server's API key, in a file of mode 0600 (empty: "
       "PSC_LLM_API_KEY, or no key)"},
  };
  return table;
}

// The base table, then the LLM library's keys as llm.KEY, then
// [detector]: the detector's keys as psd's.
const std::vector<SettingInfo> &all_settings() {
  static const std::vector<SettingInfo> all = [] {
    std::vector<SettingInfo> out = base_settings();
    // Stable storage for the names and defaults built here.
    static std::deque<std::string> text;
    for (const psr::analyze::llm::SettingDoc &d :
         psr::analyze::llm::setting_docs()) {
      if (d.key == "provider") // the analyzer's kind names it
        continue;
      SettingInfo i{};
      i.key = text.emplace_back("llm." + std::string(d.key)).c_str();
      i.kind = SettingKind::Text;
      const bool number =
          !d.default_value.empty() &&
          (std::isdigit(static_cast<unsigned char>(d.default_value[0])) &&
           d.default_value.back() >= '0' && d.default_value.back() <= '9');
      const bool boolean =
          d.default_value == "true" || d.default_value == "false";
      i.default_value =
          text.emplace_back(number || boolean
                                ? std::string(d.default_value)
                                : "\"" + std::string(d.default_value) + "\"")
              .c_str();
      i.flag = text.emplace_back("--llm-" + std::string(d.key)).c_str();
      i.help = d.help.data(); // NUL-terminated: the table's literals
      i.llm = true;
      out.push_back(i);
    }
    for (const psr::analyze::DetectorSetting &d :
         psr::analyze::detector_settings()) {
      using DK = psr::analyze::DetectorSetting::Kind;
      SettingInfo i{};
      i.key = text.emplace_back(std::string("detector.") + d.key).c_str();
      const bool quoted = d.kind == DK::Duration || d.kind == DK::Text;
      i.default_value =
          text.emplace_back(quoted ? "\"" + std::string(d.default_value) + "\""
                                   : std::string(d.default_value))
              .c_str();
      i.kind = d.kind == DK::Duration ? SettingKind::Duration
               : d.kind == DK::Text   ? SettingKind::Text
                                      : SettingKind::Count;
      i.flag = nullptr;
      i.help = d.help;
      i.min = d.min;
      i.max = d.max;
      i.detector = true;
      out.push_back(i);
    }
    return out;
  }();
  return all;
}

} // namespace

const std::vector<SettingInfo> &setting_table() { return all_settings(); }

const SettingInfo *find_setting(std::string_view key) {
  for (const SettingInfo &s : setting_table())
    if (key == s.key)
      return &s;
  return nullptr;
}

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min(
          {row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

const char *kind_name(SettingKind k) {
  switch (k) {
  case SettingKind::Bool:
    return "true or false";
  case SettingKind::Count:
    return "a whole number";
  case SettingKind::Duration:
    return "a duration such as \"1s\" or \"500ms\"";
  case SettingKind::Text:
    return "a string";
  case SettingKind::TextList:
    return "a list of strings";
  }
  return "";
}

std::string shown(const SettingValue &v) {
  struct Show {
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(int64_t n) const { return std::to_string(n); }
    std::string operator()(const std::string &s) const {
      return "\"" + (s.size() > 60 ? s.substr(0, 60) + "..." : s) + "\"";
    }
    std::string operator()(const std::vector<std::string> &) const {
      return "a list";
    }
  };
  return std::visit(Show{}, v.value);
}

std::string duration_text(int64_t ms) {
  return psl::duration_text(static_cast<uint64_t>(ms) * 1000000ull);
}

// Converts one setting; the error names where it came from and the key.
class Converter {
public:
  Converter(const std::string &key, const SettingValue &v)
      : info_(*find_setting(key)), v_(v) {}

  be::Error error(const std::string &what) const {
    return be::Error(v_.where + ": " + info_.key + ": " + what);
  }
  be::Error wrong_type() const {
    return error(std::string("expected ") + kind_name(info_.kind) + ", got " +
                 shown(v_));
  }

  be::Expected<bool> boolean() const {
    if (auto *b = std::get_if<bool>(&v_.value))
      return *b;
    return wrong_type();
  }
  be::Expected<size_t> count() const {
    auto *n = std::get_if<int64_t>(&v_.value);
    if (n == nullptr)
      return wrong_type();
    if (*n < info_.min || *n > info_.max)
      return error("expected a number from " + std::to_string(info_.min) +
                   " to " + std::to_string(info_.max) + ", got " +
                   std::to_string(*n));
    return static_cast<size_t>(*n);
  }
  be::Expected<std::chrono::milliseconds> duration() const {
    auto *s = std::get_if<std::string>(&v_.value);
    if (s == nullptr)
      return wrong_type();
    auto d = parse_duration(*s);
    if (!d)
      return wrong_type();
    if (d->count() < info_.min || d->count() > info_.max)
      return error("expected a duration from " + duration_text(info_.min) +
                   " to " + duration_text(info_.max) + ", got \"" + *s + "\"");
    return *d;
  }
  be::Expected<std::string> text() const {
    if (auto *s = std::get_if<std::string>(&v_.value))
      return *s;
    return wrong_type();
  }
  be::Expected<std::string>
  one_of(std::initializer_list<const char *> ok) const {
    auto s = text();
    if (!s.ok())
      return s;
    std::string list;
    for (const char *o : ok) {
      if (*s == o)
        return s;
      list += (list.empty() ? "" : ", ") + std::string(o);
    }
    return error("expected one of " + list + ", got \"" + *s + "\"");
  }
  be::Expected<std::vector<std::string>> list() const {
    if (auto *l = std::get_if<std::vector<std::string>>(&v_.value))
      return *l;
    return wrong_type();
  }
  be::Expected<std::string> path() const {
    auto s = text();
    if (s.ok() && s->empty())
      return error("expected a path, got \"\"");
    return s;
  }

private:
  const SettingInfo &info_;
  const SettingValue &v_;
};

// Sets `field` from `e` or returns its error.
#define PSD_TAKE(field, expr)                                                  \
  do {                                                                         \
    auto taken_ = (expr);                                                      \
    if (!taken_.ok())                                                          \
      return taken_.error();                                                   \
    field = std::move(taken_.value());                                         \
  } while (0)

be::Status check_interface_name(const Converter &c, const std::string &name) {
  bool ok = !name.empty() && name.size() < 16 && name != "." && name != "..";
  for (char ch : name)
    ok = ok && ch != '/' && ch != ':' && ch > ' ' && ch < 0x7f;
  if (!ok)
    return c.error("'" + name + "' cannot be an interface name");
  return be::Status::success();
}

// [detector] KEY: checked against its range here (psd's messages), then
// set through the detector's table.
be::Status set_detector_key(psr::analyze::DetectorOptions &d,
                            const Converter &c, const std::string &key,
                            const SettingValue &value) {
  const SettingInfo &info = *find_setting(key);
  psr::analyze::DetectorValue v;
  if (info.kind == SettingKind::Count) {
    size_t n = 0;
    PSD_TAKE(n, c.count());
    v = static_cast<int64_t>(n);
  } else if (info.kind == SettingKind::Duration) {
    std::chrono::milliseconds ms{0};
    PSD_TAKE(ms, c.duration());
    v = ms;
  } else {
    std::string t;
    PSD_TAKE(t, c.text());
    v = t;
  }
  be::Status st = psr::analyze::set_detector_option(
      d, std::string_view(key).substr(std::string_view("detector.").size()), v);
  if (!st.ok())
    return be::Error(value.where + ": " + st.error().message);
  return be::Status::success();
}

// llm.KEY: any scalar as text, then the LLM library's apply_setting().
be::Status set_llm_key(psr::analyze::llm::LlmConfig &config, const Converter &c,
                       const std::string &key, const SettingValue &value) {
  std::string text;
  if (auto *b = std::get_if<bool>(&value.value))
    text = *b ? "true" : "false";
  else if (auto *n = std::get_if<int64_t>(&value.value))
    text = std::to_string(*n);
  else if (auto *t = std::get_if<std::string>(&value.value))
    text = *t;
  else
    return c.error("expected a value, got a list");
  be::Status st = psr::analyze::llm::apply_setting(
      config, std::string_view(key).substr(std::string_view("llm.").size()),
      text);
  if (!st.ok())
    return be::Error(value.where + ": " + key + ": " + [&] {
      // "llm setting 'url': what" -> "what"
      const std::string &m = st.error().message;
      size_t colon = m.find("': ");
      return colon == std::string::npos ? m : m.substr(colon + 3);
    }());
  return be::Status::success();
}

uint64_t ns_of(std::chrono::milliseconds ms) {
  return static_cast<uint64_t>(ms.count()) * 1'000'000u;
}

be::Status set_governor_key(PsdOptions &o, const Converter &c,
                            const std::string &key) {
  psr::govern::GovernorOptions &g = o.governor;
  std::chrono::milliseconds ms{0};
  if (key == "governor.max_proposal_bytes") {
    PSD_TAKE(g.max_proposal_bytes, c.count());
  } else if (key == "governor.max_rules_per_proposal") {
    PSD_TAKE(g.max_rules_per_proposal, c.count());
  } else if (key == "governor.max_generated_rules") {
    PSD_TAKE(g.max_generated_rules, c.count());
  } else if (key == "governor.max_ttl") {
    PSD_TAKE(ms, c.duration());
    g.max_ttl_ns = ns_of(ms);
  } else if (key == "governor.max_set_values") {
    PSD_TAKE(g.max_set_values, c.count());
  } else if (key == "governor.set_inserts_per_second") {
    size_t n = 0;
    PSD_TAKE(n, c.count());
    g.set_inserts_per_second = static_cast<double>(n);
  } else if (key == "governor.set_insert_burst") {
    size_t n = 0;
    PSD_TAKE(n, c.count());
    g.set_insert_burst = static_cast<double>(n);
  } else if (key == "governor.management") {
    PSD_TAKE(g.management, c.list());
    if (be::Status st = psr::govern::check_management(g.management); !st.ok())
      return c.error(st.error().message);
  } else if (key == "governor.detector_shadow_period") {
    PSD_TAKE(ms, c.duration());
    g.detector_shadow_ns = ns_of(ms);
  } else if (key == "governor.llm_shadow_period") {
    PSD_TAKE(ms, c.duration());
    g.llm_shadow_ns = ns_of(ms);
  } else if (key == "governor.audit_log") {
    PSD_TAKE(o.audit_log, c.text());
  } else if (key == "governor.audit_max_bytes") {
    PSD_TAKE(o.audit_max_bytes, c.count());
  } else if (key == "governor.audit_keep") {
    size_t n = 0;
    PSD_TAKE(n, c.count());
    o.audit_keep = static_cast<unsigned>(n);
  }
  return be::Status::success();
}

} // namespace

std::string nearest_setting(std::string_view key) {
  std::string best;
  size_t best_d = 4; // more than 3 edits away is no suggestion
  for (const SettingInfo &s : setting_table()) {
    std::string_view k = s.key;
    // "window" for "summary.window": compare the last part too.
    size_t dot = k.rfind('.');
    size_t d = std::min(edit_distance(key, k),
                        dot == std::string_view::npos
                            ? edit_distance(key, k)
                            : edit_distance(key, k.substr(dot + 1)) + 1);
    if (d < best_d) {
      best_d = d;
      best = s.key;
    }
  }
  return best;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view t) {
  size_t i = 0;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9')
    ++i;
  if (i == 0 || i > 12)
    return std::nullopt;
  int64_t n = std::stoll(std::string(t.substr(0, i)));
  std::string_view unit = t.substr(i);
  int64_t ms = 0;
  if (unit == "ms")
    ms = n;
  else if (unit == "s")
    ms = n * 1000;
  else if (unit == "m")
    ms = n * 60'000;
  else if (unit == "h")
    ms = n * 3'600'000;
  else
    return std::nullopt;
  return std::chrono::milliseconds(ms);
}

be::Expected<PsdOptions> make_options(const Settings &file,
                                      const Settings &flags) {
  Settings all = file;
  for (const auto &[key, value] : flags)
    all[key] = value;
  PsdOptions o;
  for (const auto &[key, value] : all) {
    if (find_setting(key) == nullptr) {
      std::string near = nearest_setting(key);
      return be::Error(value.where + ": unknown setting '" + key + "'" +
                       (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
    Converter c(key, value);
    if (find_setting(key)->llm) {
      be::Status st = set_llm_key(o.llm, c, key, value);
      if (!st.ok())
        return st.error();
      continue;
    }
    if (find_setting(key)->detector) {
      be::Status st = set_detector_key(o.detector, c, key, value);
      if (!st.ok())
        return st.error();
      continue;
    }
    if (key == "interfaces") {
      PSD_TAKE(o.interfaces, c.list());
      std::set<std::string> seen;
      for (const std::string &name : o.interfaces) {
        be::Status st = check_interface_name(c, name);
        if (!st.ok())
          return st.error();
        if (!seen.insert(name).second)
          return c.error("'" + name + "' is given twice");
      }
    } else if (key == "policy_dir") {
      PSD_TAKE(o.policy_dir, c.path());
      o.policy_dir_given = true;
    } else if (key == "state_dir") {
      PSD_TAKE(o.state_dir, c.path());
    } else if (key == "object_cache_dir") {
      PSD_TAKE(o.object_cache_dir, c.text());
      if (!o.object_cache_dir.empty() && o.object_cache_dir != "off" &&
          o.object_cache_dir.front() != '/')
        return c.error("an absolute path, \"off\" or \"\" "
                       "(<state_dir>/objects)");
    } else if (key == "pin_root") {
      PSD_TAKE(o.pin_root, c.path());
    } else if (key == "xdp_mode") {
      PSD_TAKE(o.xdp_mode, c.one_of({"auto", "native", "generic"}));
    } else if (key == "detach_on_exit") {
      PSD_TAKE(o.detach_on_exit, c.boolean());
    } else if (key == "log_level") {
      PSD_TAKE(o.log_level,
               c.one_of({"trace", "debug", "info", "warn", "error"}));
    } else if (key == "api.listen") {
      PSD_TAKE(o.listen, c.text());
      auto a = psr::api::parse_listen_address(o.listen);
      if (!a.ok())
        return c.error(a.error().message);
    } else if (key == "api.token_file") {
      PSD_TAKE(o.token_file, c.text());
    } else if (key == "api.threads") {
      PSD_TAKE(o.api_threads, c.count());
    } else if (key == "api.max_event_clients") {
      PSD_TAKE(o.max_event_clients, c.count());
    } else if (key == "api.event_queue") {
      PSD_TAKE(o.event_queue, c.count());
    } else if (key == "api.read_timeout") {
      PSD_TAKE(o.read_timeout, c.duration());
    } else if (key == "api.max_body_bytes") {
      PSD_TAKE(o.max_body_bytes, c.count());
    } else if (key == "summary.window") {
      PSD_TAKE(o.window, c.duration());
    } else if (key == "summary.keep") {
      PSD_TAKE(o.keep, c.count());
    } else if (key == "summary.top_talkers") {
      PSD_TAKE(o.top_talkers, c.count());
    } else if (key == "summary.top_fanout") {
      PSD_TAKE(o.top_fanout, c.count());
    } else if (key == "summary.max_rules") {
      PSD_TAKE(o.max_rules, c.count());
    } else if (key == "summary.max_drops") {
      PSD_TAKE(o.max_drops, c.count());
    } else if (key == "trace.sample_every") {
      size_t n = 0;
      PSD_TAKE(n, c.count());
      o.sample_every = static_cast<uint32_t>(n);
    } else if (key == "trace.sample_max_per_sec") {
      size_t n = 0;
      PSD_TAKE(n, c.count());
      o.sample_max_per_sec = static_cast<uint32_t>(n);
    } else if (key == "trace.paths_kept") {
      PSD_TAKE(o.paths_kept, c.count());
    } else if (key == "trace.disable") {
      PSD_TAKE(o.trace_disable, c.list());
      for (const std::string &name : o.trace_disable)
        if (psr::trace::find_hook(name) == nullptr)
          return c.error("no tracing hook is called '" + name +
                         "' (docs/tracing.md lists them)");
    } else if (key == "trace.timed_per_tick") {
      size_t n = 0;
      PSD_TAKE(n, c.count());
      o.trace_timed_per_tick = static_cast<uint32_t>(n);
    } else if (key == "metrics.max_rules") {
      PSD_TAKE(o.metrics_max_rules, c.count());
    } else if (key == "watch_policy_dir") {
      PSD_TAKE(o.watch_policy_dir, c.boolean());
    } else if (key == "reload_debounce") {
      PSD_TAKE(o.reload_debounce, c.duration());
    } else if (key == "api.max_policy_bytes") {
      PSD_TAKE(o.max_policy_bytes, c.count());
    } else if (key == "analyzer.kind") {
      PSD_TAKE(o.analyzer, c.one_of({"embedded", "openai", "ollama", "none"}));
    } else if (key == "analyzer.embedded_with_llm") {
      PSD_TAKE(o.embedded_with_llm, c.boolean());
    } else if (key == "llm.interval") {
      PSD_TAKE(o.llm_interval, c.duration());
    } else if (key == "llm.window") {
      PSD_TAKE(o.llm_window, c.duration());
    } else if (key == "llm.max-refusals") {
      size_t n = 0;
      PSD_TAKE(n, c.count());
      o.llm_max_refusals = static_cast<unsigned>(n);
    } else if (key == "llm.key-file") {
      PSD_TAKE(o.llm_key_file, c.text());
    } else if (key == "analyzer.tick") {
      PSD_TAKE(o.detect_tick, c.duration());
    } else if (key == "analyzer.window") {
      PSD_TAKE(o.detect_window, c.duration());
    } else if (key == "analyzer.proposals_file") {
      PSD_TAKE(o.proposals_file, c.text());
    } else if (key.rfind("governor.", 0) == 0) {
      be::Status st = set_governor_key(o, c, key);
      if (!st.ok())
        return st.error();
    }
  }

  // Settings that only make sense together.
  if (o.interfaces.empty())
    return be::Error("no interface to protect: give --iface IFACE (or "
                     "interfaces = [\"IFACE\"] in the config file)");
  auto where = [&](const char *key) {
    auto it = all.find(key);
    return it != all.end() ? it->second.where + ": " : std::string();
  };
  if (o.max_policy_bytes > o.max_body_bytes)
    return be::Error(where("api.max_policy_bytes") + "api.max_policy_bytes (" +
                     std::to_string(o.max_policy_bytes) +
                     ") is over api.max_body_bytes (" +
                     std::to_string(o.max_body_bytes) +
                     "): no request could bring such a policy");
  if (o.detect_window < o.detect_tick)
    return be::Error(where("analyzer.window") + "analyzer.window (" +
                     std::to_string(o.detect_window.count()) +
                     " ms) is shorter than analyzer.tick (" +
                     std::to_string(o.detect_tick.count()) + " ms)");
  if (be::Status st = psr::analyze::check_detector_options(o.detector);
      !st.ok()) {
    // Where the first key the message names was set.
    const std::string &m = st.error().message;
    std::string at;
    size_t first = std::string::npos;
    for (const auto &[key, value] : all) {
      const size_t pos =
          key.rfind("detector.", 0) == 0 ? m.find(key + " ") : m.npos;
      if (pos < first) {
        first = pos;
        at = value.where + ": ";
      }
    }
    return be::Error(at + m);
  }
  // The LLM analyzer: its provider is the analyzer's kind; a URL or a
  // model missing is found now, not at the first question.
  for (const auto &[key, value] : all)
    if (key.rfind("llm.", 0) == 0 && !o.uses_llm())
      o.llm_unused.push_back(key);
  if (o.uses_llm()) {
    o.llm.provider = o.analyzer == "ollama"
                         ? psr::analyze::llm::Provider::Ollama
                         : psr::analyze::llm::Provider::OpenAi;
    if (be::Status st = psr::analyze::llm::validate(o.llm); !st.ok()) {
      // Where the URL was given when the message is about it, else where
      // the analyzer was chosen.
      const std::string &m = st.error().message;
      std::string at =
          m.find("URL") != std::string::npos ? where("llm.url") : std::string();
      if (at.empty())
        at = where("analyzer.kind");
      return be::Error(at + "the " + o.analyzer + " analyzer: " + m);
    }
  }
  if (o.max_event_clients >= o.api_threads) {
    auto it = all.find("api.max_event_clients");
    std::string where = it != all.end() ? it->second.where + ": " : "";
    return be::Error(where + "api.max_event_clients (" +
                     std::to_string(o.max_event_clients) +
                     ") must be below api.threads (" +
                     std::to_string(o.api_threads) +
                     "): each event stream client holds a thread");
  }
  return o;
}

} // namespace psd
