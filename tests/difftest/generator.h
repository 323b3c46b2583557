// Random well-typed PSL policies and packets aimed at them, for
// differential testing of the compiled program against the reference
// interpreter (docs/testing.md, "Differential testing").
//
// Coverage. Every field of ast/fields.def appears in conditions, with
// every operator its type allows (== != < <= > >= in, not in), constants
// on either side, ranges, set literals (mixed scalars, ranges, prefixes of
// both families, constant names), named constants (also nested), field
// against field, bool fields bare and compared, protocol and ICMP type
// names and numbers, `proto(N)`, hex literals, dynamic sets of every
// element type, rate() with 0..3 keys, `burst`, packet and bit rates,
// `>` and `>=`; `not`/`and`/`or` nested; `count`, `shadow`, `ttl`,
// `protect`, `default pass|drop` or none.
//
// Packets. Each case keeps, per field, the constants its policy mentions
// and their boundaries (c-1, c, c+1; range ends and their neighbours; the
// first and last address of a prefix and the addresses just outside), and
// builds frames whose fields take those values (Frame in frames.h). A
// share of the frames is then damaged: truncated at a random byte, bytes
// overwritten, or replaced by random bytes. Times advance by gaps from 0
// to seconds, so rate() buckets both fill and refill.
//
// Everything is a function of (seed, case number): a case can be rebuilt
// from those two numbers alone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace psl::difftest {

// A condition kept as a tree so the shrinker can cut it.
struct CondNode {
  enum class Kind { Atom, Not, And, Or };
  Kind kind = Kind::Atom;
  std::string atom;           // Atom: one comparison, bool field or rate()
  std::vector<CondNode> kids; // Not: one; And, Or: two
  // PSL text, parenthesised where precedence needs it.
  std::string text() const;
  size_t size() const; // nodes in the tree
};

struct RuleSpec {
  std::string name;
  CondNode cond;
  std::string action = "pass"; // pass, drop, count
  bool shadow = false;
  std::string ttl;                // "" or a duration: "10m"
  bool modifiers_swapped = false; // `shadow ttl D` instead of `ttl D shadow`
  std::string text() const;       // "rule NAME: COND => ACTION ..."
};

// A declaration other than a rule, as one line of PSL, and the name it
// defines ("" for protect).
struct DeclSpec {
  std::string name;
  std::string text;
};

struct PolicySpec {
  std::vector<DeclSpec> consts;   // const NAME = EXPR
  std::vector<DeclSpec> sets;     // set NAME : T dynamic ...
  std::vector<DeclSpec> protects; // protect COND
  std::vector<RuleSpec> rules;
  std::string default_action; // "", "pass" or "drop"
  std::string text() const;   // the whole policy file
};

// An entry put into a dynamic set before the first packet.
struct SetEntry {
  std::string set;
  std::string elem;        // ip, port, int, mac, proto
  std::string value;       // as text: "10.0.0.1", "443", "tcp", "02:..."
  uint64_t expires_ns = 0; // on the injected clock; 0 = never
};

struct TimedFrame {
  uint64_t time_ns = 0;
  std::vector<uint8_t> bytes;
};

// How a case is lowered (lower::CostOptions): the cost model with its
// default budgets; every part of the policy in maps (the model off); every
// part as code or a decision tree where the budgets allow; the cost model
// with budgets small enough (CaseLowering's kTight*) that random policies
// fall on both sides of them.
enum class CaseLowering : uint8_t { Auto, Maps, Code, TightBudgets };
inline constexpr size_t kTightCodeTests = 12;
inline constexpr size_t kTightTreeLeaves = 6;
const char *lowering_name(CaseLowering l);

struct Case {
  uint64_t seed = 0, number = 0;
  PolicySpec policy;
  std::vector<SetEntry> entries;
  std::vector<TimedFrame> packets;
  // Compile with every class table's IPv4 and IPv6 prefixes split off the
  // trie (lower::GroupLimits::ipv4_split_min_prefixes and
  // ipv6_split_min_prefixes 0) and every class-keyed port group behind its
  // bitmap of ports (value_filter_min_entries 0), which the default
  // thresholds keep for large tables: set on odd-numbered cases, so a run
  // compares both paths with the interpreter.
  bool split_class_tables = false;
  // The split is a layout of maps: odd-numbered cases are lowered to maps.
  // Even-numbered ones cycle through the lowerings (number / 2 % 4).
  CaseLowering lowering = CaseLowering::Auto;
};

struct GenOptions {
  int max_rules = 12;
  int max_depth = 3;
  int packets = 64;
};

Case generate_case(uint64_t seed, uint64_t number,
                   const GenOptions &options = {});

// Lowercase hex without separators, and back (empty on bad input).
std::string to_hex(const std::vector<uint8_t> &bytes);
std::vector<uint8_t> from_hex(const std::string &hex);

} // namespace psl::difftest
