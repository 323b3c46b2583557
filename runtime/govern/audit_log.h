// The audit log: one JSON object per line in <state dir>/audit.jsonl (the
// path is psd's configuration), one record per event of the governor and
// the lifecycle:
//
//   proposal          a proposal arrived (its JSON, analyze::to_json)
//   verdict           accepted or refused: reason code, message, the
//                     compiler's diagnostics
//   applied           what changed in the kernel: a set insert (values,
//                     expiry) or a swap (old and new program ids, what
//                     carried over)
//   apply_failed      an accepted proposal the kernel did not take
//   enforced          a shadow rule is enforced after its shadow period
//   shadow_dropped    a shadow rule that matched nothing is dropped
//   expired           a rule's ttl ran out (generated or the operator's)
//   withdrawn         a generated rule withdrawn by name
//   dropped           a generated rule that the operator policy or a
//                     restart made illegal, or that was not in force
//   operator_loaded   the operator policy put in force
//   operator_refused  an operator policy refused (diagnostics), nothing
//                     changed
//   adopted           a restarted lifecycle took over the program in force
//
// Every record has `time_unix_ms`, `event`, `target` ({netns, ifname}) and
// `proposal_id` ("" for the operator's events); `origin` where a proposal
// or a rule has one. Nothing secret goes in: proposals carry PSL, evidence
// and the analyzer's words, never credentials.
//
// Each record is one write(2) on a descriptor opened O_APPEND, so
// records of concurrent writers never interleave. Past `max_bytes` the
// file is renamed to audit.jsonl.1 (.1 to .2, ..., the oldest beyond
// `keep` removed) before the next record. The reader goes through the
// rotated files, oldest first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/status.h"

namespace psr::govern {

namespace be = psl::backend;

struct AuditOptions {
  std::string path;                 // <state dir>/audit.jsonl
  uint64_t max_bytes = 16ull << 20; // rotate past this
  unsigned keep = 4;                // rotated files kept
};

// What /api/v1/decisions filters by; unset members match everything.
struct AuditFilter {
  std::optional<int64_t> since_unix_ms; // time >= since
  std::optional<int64_t> until_unix_ms; // time < until
  std::optional<std::string> verdict;   // "accepted" / "refused": verdicts only
  std::optional<std::string> origin;    // "detector", "llm", "operator"
  std::optional<std::string> event;
  std::optional<std::string> proposal_id;
  std::optional<std::string> ifname; // the record's target.ifname
  size_t limit = 1000;               // the most recent this many
};

class AuditLog {
public:
  explicit AuditLog(AuditOptions options);

  // Appends `record` (an object), adding `time_unix_ms` if it has none.
  // Then the listener (if any) sees it, also when the write failed: the
  // decision it records was made.
  be::Status append(nlohmann::json record);

  // Called with each record after it was appended (psd: the event stream
  // and the decision metrics), outside the log's lock, on the thread that
  // appended it. Set it before records are appended from other threads.
  // `written`: whether the file took it.
  using Listener =
      std::function<void(const nlohmann::json &record, bool written)>;
  void set_listener(Listener listener);

  // The matching records, oldest first, the last `filter.limit` of them.
  // Lines that are not JSON objects are skipped and counted in `skipped`.
  be::Expected<std::vector<nlohmann::json>>
  read(const AuditFilter &filter, size_t *skipped = nullptr) const;

  const AuditOptions &options() const { return options_; }

private:
  be::Status rotate_if_needed(size_t next_record);
  be::Status write_line(const std::string &line);
  AuditOptions options_;
  mutable std::mutex mu_;
  Listener listener_;
};

int64_t unix_now_ms();

} // namespace psr::govern
