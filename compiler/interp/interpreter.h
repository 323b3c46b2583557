// The reference interpreter: one obvious meaning for every PSL construct,
// evaluated by walking the checked AST over a decoded packet. Compiled
// policies are tested against it, so it favours being plainly right over
// being fast, and it shares with the kernel everything where "the same"
// must mean bit for bit: the decoder (psl_parse.h), the decoded packet
// (psl_pkt.h) and the token-bucket arithmetic (psl_rate.h).
//
// Semantics (docs/language.md, "Evaluation order", "rate()"):
//
//  - Rules are tried top to bottom. A rule whose condition holds bumps its
//    counter (packets, bytes). `count` rules and `shadow` rules go on; the
//    first other rule (pass/drop, not shadow) decides. Rules after it are
//    not evaluated at all (their rate() buckets are not touched). No
//    terminal match: `default` decides (absent: pass). A rule's `ttl` is
//    the daemon's business and is ignored here.
//
//  - Guards. A field implies its layer (ast/fields.h Guard), read from the
//    `present` bits exactly as generated code reads them, so truncated and
//    malformed packets lose the layers the decoder did not finish. An atom
//    (a comparison, a membership test, a bool field, a rate()) is
//        guard ∧ test
//    and its negation is
//        guard ∧ ¬test
//    i.e. `not` never negates a guard: `not tcp.syn` is true only for TCP
//    without SYN, and `not (tcp.dport == 22)` is FALSE for a UDP packet
//    (as is `tcp.dport != 22`). `not` over `and`/`or` is pushed down to
//    the atoms (De Morgan), which is the same as three-valued (Kleene)
//    logic with "layer absent" as unknown and unknown finally read as
//    false: `not (tcp.dport == 22 or udp.dport == 53)` holds for no packet.
//
//  - `and`/`or` short-circuit left to right, after the De Morgan push: the
//    left operand is evaluated first and the right one only when the left
//    does not decide. That matters for rate(): only packets that reach a
//    rate() take tokens.
//
//  - Constants: an address matches only packets of its family (an IPv4
//    address or prefix never matches an IPv6 packet, whatever its bits);
//    ranges are inclusive; sets match if any element does.
//
//  - rate(KEYS, burst N) > R: one token bucket per (rate() expression, key
//    values); the keys' guards are the atom's guard (a packet without the
//    key's layer is neither over nor under the rate and takes nothing).
//    Bucket arithmetic is psl_rate_cfg_make() / psl_rate_over_seq(): a
//    packet costs 1 token (packet rates) or pkt.len * 8 (bit rates); the
//    burst defaults to one second of the rate. `>=` means exactly what `>`
//    means (language.md: "`>=` reads the same way"). Buckets have no
//    capacity limit here (the kernel's LRU map may evict cold keys).
//
//  - Dynamic sets start empty; the caller adds and removes entries
//    (set_add / set_del) with an expiry on the same injected clock the
//    packets carry. An entry with expiry E is a member while now < E
//    (psl_dynset.h: expired when expires_ns <= now; 0 = never).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ast/ast.h"
#include "ast/fields.h"
#include "ast/value.h"
#include "psl_pkt.h"
#include "psl_rate.h"

namespace psl::interp {

// A policy the interpreter cannot run (a rate whose bucket parameters
// psl_rate_cfg_make() rejects, a tree that did not pass the checker).
// Not a bug in the interpreter: reported to the user like a check error.
class InterpError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// One field of a decoded packet, normalised for comparison with constants.
struct FieldValue {
  enum class Kind : uint8_t { Int, Ip, Mac } kind = Kind::Int;
  // Int: ints, ports, bools (0/1), protocol and ICMP type numbers.
  uint64_t num = 0;
  IpAddr ip; // Ip: family 4 (address in bytes[0..3], rest 0) or 6
  MacAddr mac;
  bool operator==(const FieldValue &o) const;
  bool operator!=(const FieldValue &o) const { return !(*this == o); }
};

// Whether the layer a guard names was decoded (psl_pkt.present).
bool guard_holds(Guard g, const psl_pkt &p);
// The field's value, or nullopt when its layer is absent.
std::optional<FieldValue> read_field(const psl_pkt &p, const FieldInfo &f);
// A scalar constant (bool, int, port, proto, ICMP type, ip, mac) as a
// FieldValue; nullopt for anything else (sets, ranges, prefixes, rates).
std::optional<FieldValue> scalar_of(const Value &v);
// "443", "10.0.0.1", "tcp", "echo_request", "0x0806" (eth.type), "true".
std::string field_value_to_string(const FieldValue &v, const FieldInfo &f);
// Whether `v` is a member of `set` (a SetValue, RangeValue or Cidr).
bool value_in(const FieldValue &v, const Value &set);

struct RuleCounter {
  uint64_t packets = 0;
  uint64_t bytes = 0; // pkt.len of the packets
};

// What one packet got.
struct Decision {
  Action verdict = Action::Pass;
  const RuleDecl *rule = nullptr; // the deciding rule; null: the default
  // Rules whose condition held on the way, in order: `count` rules, and
  // `shadow` rules (what they would have done is their action).
  std::vector<const RuleDecl *> counted;
  std::vector<const RuleDecl *> shadow_hits;

  // Position among the policy's rules; -1 for the default.
  int rule_index() const { return rule ? static_cast<int>(rule->index) : -1; }
  // The rule's name, or "default".
  std::string rule_name() const { return rule ? rule->name : "default"; }
};

class Interpreter {
public:
  // `policy` must have passed the checker (no errors) and outlive the
  // interpreter. Throws InterpError for a policy it cannot run.
  explicit Interpreter(const Policy &policy);

  // One packet at time `now_ns` (the clock of rate buckets and set expiry;
  // callers keep it monotonic, as the kernel clock is).
  Decision evaluate(const psl_pkt &pkt, uint64_t now_ns);
  // Decodes the frame with psl_parse_buffer() (the kernel's parser), then
  // evaluates it.
  Decision evaluate_frame(const uint8_t *data, size_t len, uint64_t now_ns);

  // ---- dynamic sets
  enum class SetResult {
    Added,      // a new entry
    Refreshed,  // the entry existed; its expiry was replaced
    Full,       // the set holds `capacity` entries (expired ones count
                // until removed or swept, as in the kernel's hash map)
    UnknownSet, // no dynamic set of that name
    WrongType,  // the value does not fit the set's element type
  };
  // Adds (or refreshes) `value` in the dynamic set `set`. Expiry is
  // now_ns + ttl: `ttl_ns` nullopt takes the set's declared ttl (none
  // declared: never expires); 0 means never expires.
  SetResult set_add(std::string_view set, const Value &value, uint64_t now_ns,
                    std::optional<uint64_t> ttl_ns = std::nullopt);
  // Removes an entry; false if it was not there.
  bool set_del(std::string_view set, const Value &value);
  // Membership as a rule sees it at `now_ns`.
  bool set_contains(std::string_view set, const Value &value,
                    uint64_t now_ns) const;
  // Drops expired entries (the daemon's sweep); returns how many.
  size_t set_sweep(uint64_t now_ns);
  // Entries a set holds, expired or not.
  size_t set_size(std::string_view set) const;

  // ---- state
  // Empty buckets, empty sets, zero counters: a freshly loaded policy.
  void reset();
  // Matches of rule `index` (shadow rules: what they would have decided).
  const RuleCounter &rule_counter(uint32_t index) const;
  // Packets the default decided.
  const RuleCounter &default_counter() const { return default_counter_; }
  const Policy &policy() const { return policy_; }

private:
  struct RateMeter {
    psl_rate_cfg cfg{};
    bool bits = false; // a bit rate: a packet costs pkt.len * 8 tokens
    // Key: the key fields' values, serialised.
    std::map<std::string, psl_rate_state> buckets;
  };
  struct DynSet {
    const SetDecl *decl = nullptr;
    std::optional<uint64_t> capacity; // absent: no limit here
    // Key: the element, serialised; value: expiry (0 = never).
    std::map<std::string, uint64_t> entries;
  };

  // Evaluation of one condition in negation normal form: `negate` says
  // the expression stands under an odd number of `not`s.
  bool cond(const Expr &e, bool negate);
  bool compare(const CompareExpr &c, bool negate);
  // Whether the packet is over the rate; guard_ok false when a key's
  // layer is absent (then the packet takes no token).
  bool rate_over(const RateExpr &r, bool &guard_ok);

  DynSet *find_set(std::string_view name);
  const DynSet *find_set(std::string_view name) const;
  static std::optional<std::string> set_key(const DynSet &s, const Value &v);

  const Policy &policy_;
  std::map<const RateExpr *, RateMeter> meters_;
  std::vector<DynSet> sets_;
  std::vector<RuleCounter> counters_;
  RuleCounter default_counter_;

  // The packet being evaluated.
  const psl_pkt *pkt_ = nullptr;
  uint64_t now_ = 0;
};

// The element of a dynamic set a FieldValue looks up, serialised.
std::string dynset_key(const FieldValue &v);

} // namespace psl::interp
