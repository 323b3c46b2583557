// psd's options: one struct, made from the config file and the command
// line (flags override the file), every setting named by its config key.
//
// The settings table is the one list of keys (the [detector] section is
// the detector's own table, analyze/detector/options.h, under the section's
// name): the config file is checked
// against it (an unknown key is an error that suggests the nearest known
// one), flags map onto it, `psd --help` and docs/psd.md list it (a test
// checks that the doc has every key with its default).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "analyze/detector/options.h"
#include "analyze/llm/config.h"
#include "backend/status.h"
#include "govern/options.h"

namespace psd {

struct PsdOptions {
  std::vector<std::string> interfaces;
  std::string policy_dir = "/etc/packetscope/policies";
  bool policy_dir_given = false; // by flag or config: it must exist
  std::string state_dir = "/run/packetscope";
  // Compiled policy objects kept for reuse (backend/object_cache.h):
  // empty means <state_dir>/objects, "off" none.
  std::string object_cache_dir;
  std::string pin_root = "/sys/fs/bpf/packetscope";
  std::string xdp_mode = "auto"; // auto, native, generic
  bool detach_on_exit = false;
  std::string log_level = "info";
  // The policy directory is watched (inotify): a change is read once
  // nothing changed there for `reload_debounce`.
  bool watch_policy_dir = true;
  std::chrono::milliseconds reload_debounce{250};

  // [api]
  std::string listen = "127.0.0.1:9477";
  std::string token_file; // empty: none
  size_t api_threads = 16;
  size_t max_event_clients = 4;
  size_t event_queue = 32;
  std::chrono::milliseconds read_timeout{2000};
  size_t max_body_bytes = 1 << 20;
  size_t max_policy_bytes = 256 << 10; // POST /api/v1/policy

  // [summary]
  std::chrono::milliseconds window{1000};
  size_t keep = 600;
  size_t top_talkers = 10;
  size_t top_fanout = 5;
  size_t max_rules = 64;
  size_t max_drops = 32;

  // [trace]
  uint32_t sample_every = 0;
  uint32_t sample_max_per_sec = 1000;
  size_t paths_kept = 1000;
  // Stack hooks left out ("skb:consume_skb" or "consume_skb"), and how many
  // received skbs per CPU and clock tick are timed (0: every one).
  std::vector<std::string> trace_disable;
  uint32_t trace_timed_per_tick = 64;

  // [metrics]
  size_t metrics_max_rules = 1000;

  // [analyzer]: what runs at each detection tick, on a window of the last
  // `detect_window` read every `detect_tick`.
  std::string analyzer = "embedded"; // embedded, openai, ollama, none
  // openai / ollama: the embedded detector runs at every tick beside the
  // LLM (false: only while the LLM is in fallback).
  bool embedded_with_llm = true;
  std::chrono::milliseconds detect_tick{250};
  std::chrono::milliseconds detect_window{1000};
  // JSON Lines of proposals (analyze::to_json's form) read as they are
  // appended, each submitted like the analyzer's: a seam for tests and
  // for replaying proposals. Empty: none.
  std::string proposals_file;

  // [governor]: its caps, management addresses and shadow periods, and
  // the audit log (empty path: <state_dir>/audit.jsonl).
  psr::govern::GovernorOptions governor;
  std::string audit_log;
  uint64_t audit_max_bytes = 16ull << 20;
  unsigned audit_keep = 4;

  // [detector]
  psr::analyze::DetectorOptions detector;

  // [llm]: the LLM analyzer (--analyzer openai or ollama). `llm` is the
  // library's configuration (llm.KEY through apply_setting(); the
  // provider is the analyzer's); psd's own keys: how often it is asked,
  // over how long a window, after how many refused answers in a row it
  // counts as failing, and where the key is.
  psr::analyze::llm::LlmConfig llm;
  std::chrono::milliseconds llm_interval{30000};
  std::chrono::milliseconds llm_window{300000};
  unsigned llm_max_refusals = 3;
  std::string llm_key_file; // empty: PSC_LLM_API_KEY, or no key
  // llm.* keys given while the analyzer is not an LLM: not used (psd
  // says so when it starts).
  std::vector<std::string> llm_unused;
  bool uses_llm() const { return analyzer == "openai" || analyzer == "ollama"; }

  // What the command line asked for, besides running.
  bool check_config = false;
  std::string config_path;
};

enum class SettingKind { Bool, Count, Duration, Text, TextList };

struct SettingInfo {
  const char *key; // "summary.window": [summary] window = ...
  SettingKind kind;
  const char *default_value; // as written in the config file
  const char *flag;          // "--window", or nullptr
  const char *help;          // one line
  int64_t min = 0, max = 0;  // Count: the range; Duration: in ms
  // [detector] keys come from the detector's own table
  // (analyze::detector_settings()) and are set through it.
  bool detector = false;
  // llm.KEY keys of the LLM library's table (analyze/llm/settings.h),
  // set through apply_setting(): any scalar, read as text.
  bool llm = false;
};
const std::vector<SettingInfo> &setting_table();
const SettingInfo *find_setting(std::string_view key);
// The known key nearest to `key` (for "did you mean"); empty if none is
// close.
std::string nearest_setting(std::string_view key);

// A value from the config file or a flag, and where it came from, for
// errors: "psd.toml:7:10" or "--window".
struct SettingValue {
  std::variant<bool, int64_t, std::string, std::vector<std::string>> value;
  std::string where;
};
using Settings = std::map<std::string, SettingValue>;

// `file` with `flags` over it, checked and converted. Absent keys keep
// their defaults. Errors are "WHERE: KEY: what is wrong", e.g.
// "psd.toml:7:10: summary.window: expected a duration such as 1s or
// 500ms, got \"fast\"".
psl::backend::Expected<PsdOptions> make_options(const Settings &file,
                                                const Settings &flags);

// "500ms", "1s", "5m", "1h" (PSL's duration literals).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

} // namespace psd
