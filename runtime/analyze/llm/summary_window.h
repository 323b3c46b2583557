// The long context of the prompt: a window of traffic summaries (the JSON
// of docs/summary.schema.json, read as nlohmann::json so this library
// does not link runtime/summary), made safe to show and trimmed to a
// token budget.
//
// Safe to show. A summary is numbers and addresses, but some strings in
// it (a drop reason, an interface or rule name) come from the host and,
// through it, possibly from traffic. Every string is checked against the
// shape its member allows -- an address must parse as one, a drop reason
// is [A-Z0-9_], names are [A-Za-z0-9_.:@-] -- and anything else is
// replaced by "(withheld: N bytes, not a name or an address)": no
// sentence, no space, no quote, no '<' from a summary reaches the prompt.
// The windows then go into the prompt as JSON inside a data block the
// system prompt declares to be measurements, never instructions.
//
// Compact. Members a model does not need are left out (the tracer's hooks
// and notes, histogram buckets, program ids, monotonic times, totals since
// start, an address's family); a fan-out entry keeps only the source and
// its spread; a {count, per_s} pair becomes its per-second rate, a
// {packets, bytes, pps, bps} volume its two rates; zeros, false and empty
// lists are left out (absent means zero); lists are cut to the `top`
// first entries (talkers, fan-out, drops, ICMP errors, rules); numbers
// keep 4 significant digits.
//
// Trimmed, most significant first. Each window gets a significance score:
// the packets per second of trouble it shows -- drops at XDP and in the
// stack, half-open TCP connections, resets and ICMP errors the host sent
// (answers to scans), socket receive overflows, reflected UDP, the
// busiest source's SYN and echo-request rate -- plus one per ten
// distinct destination ports of the widest-fanout source (a slow scan has
// a low rate and a wide fanout). Then:
//   1. an index of every window (one short line each: seq, times, packets
//      per second, drops per second, score), newest kept if it alone
//      passes a quarter of the budget;
//   2. windows in full detail by descending score (newer first on a tie),
//      each with `top` entries per list, else 3, else 1, as long as it
//      fits in what the budget has left; a window that fits in none of
//      these is left out and named;
//   3. the chosen windows in time order.
// Tokens are estimated as bytes / 3, rounded up (chat_client.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyze/proposal.h"

namespace psr::analyze::llm {

// `value` if it has the shape member `key` allows, else the withheld
// marker.
std::string safe_string(std::string_view key, std::string_view value);
// The marker that replaces a string of `bytes` bytes.
std::string withheld(size_t bytes);

// One summary, safe and compact (see above); members in the schema's
// order (seq and window first).
nlohmann::ordered_json compact_summary(const nlohmann::json &summary,
                                       size_t top);

// The significance score (see above); 0 for an idle window.
double significance(const nlohmann::json &summary);

struct WindowOptions {
  size_t token_budget = 6000;
  size_t top = 10;
  size_t index_max = 120; // index lines at most
};

struct WindowSelection {
  std::string index;   // one line per window
  std::string details; // one JSON object per line, in time order
  std::vector<EvidenceWindow> shown;
  std::vector<uint64_t> omitted;  // in detail; seq numbers, in time order
  size_t index_lines_dropped = 0; // oldest windows not in the index
  size_t tokens = 0;              // estimate of index + details
};

// `summaries` oldest first.
WindowSelection select_windows(const std::vector<nlohmann::json> &summaries,
                               const WindowOptions &options);

} // namespace psr::analyze::llm
