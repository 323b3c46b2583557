// Reading a proposal's evidence: what a cited counter names in a summary
// window, and how much traffic, in packets per second, the evidence shows.
//
// A counter's name is its place in the summary (docs/summary.schema.json)
// written as a path: members joined by `.`, an element of a list picked
// by its key in brackets — the address of a talker, the class of a
// protocol row, a port, a drop reason, a rule's name:
//
//   talkers.top[203.0.113.7].tcp_syn.per_s
//   talkers.all.udp_reflection[53].per_s
//   protocols[ipv4/icmp].nic.packets
//   tcp.syn_ports[443].per_s
//
// A name may stop at a `{count, per_s}` member (`...tcp_syn`: its rate,
// as the compact summaries the LLM reads show it) or at a volume
// (`...traffic`: its `pps`).
//
// The cited rate. The governor enforces a shadow rule once the traffic
// it would drop matches what its proposal cited (docs/governor.md,
// "Shadow, then enforced on evidence"); this is the "cited" side: per
// cited window, every packet counter turned into packets per second (a
// `per_s` or `pps` as it is, a `count` or `packets` divided by the
// window's length; anything else — bits, bytes, distinct ports, sources
// — is not a packet rate and is left out); the counters of one talker
// (one address, whichever list it was read in) are one stream, its
// largest rate; talkers add up; a counter of the whole window (totals,
// protocols, tcp, `talkers.all`) stands alone. The window's rate is the
// larger of the talkers' sum and the largest whole-window counter; the
// evidence's is its largest window's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyze/proposal.h"

namespace psr::analyze {

// One step of a counter's path: a member, and the key of the list
// element it picks (`top[203.0.113.7]`: member "top", key "203.0.113.7").
struct CounterStep {
  std::string member;
  std::optional<std::string> key;
};

// Splits a counter name; nullopt when it is not a path (empty steps,
// unbalanced brackets, more than 16 steps or 200 bytes).
std::optional<std::vector<CounterStep>> parse_counter_name(std::string_view n);

// What a counter name found in a summary window.
struct ResolvedCounter {
  std::string name; // canonical: `...tcp_syn.per_s`, `...traffic.pps`
  double value = 0;
};

// Looks `name` up in one summary (its JSON, summary_json.h). A list
// element is picked by the first of addr, proto, port, reason, name,
// layer it has that equals the key. nullopt: no such member or element,
// or what it names is not a number (a list, a string).
std::optional<ResolvedCounter> resolve_counter(const nlohmann::json &summary,
                                               std::string_view name);

// What kind of quantity a canonical name holds, by its last member.
enum class CounterUnit : uint8_t {
  PacketRate,  // per_s, pps
  PacketCount, // count, packets
  Other,       // bps, bytes, distinct_*, active_sources, ...
};
CounterUnit counter_unit(std::string_view name);

// The traffic the evidence shows (above). `known` is false when no
// counter of a cited window is a packet quantity (a grammar-constrained
// answer cites nothing; a scan's evidence of distinct ports alone).
struct CitedRate {
  bool known = false;
  double pps = 0;
  uint64_t window = 0; // the window it comes from
  // The counters it adds up, "name = value" ("talkers.top[203.0.113.7]
  // .tcp_syn.per_s = 5400"), the largest first, at most 4.
  std::string basis;
};
CitedRate cited_rate(const Evidence &e);

} // namespace psr::analyze
