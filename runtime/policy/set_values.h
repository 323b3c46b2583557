// The values of dynamic sets as people write them, and as the BPF side
// keys them (struct psl_ip_key / psl_int_key, bpf/templates/psl_dynset.h).
// Text is read with the frontend's literal parsers and protocol names come
// from the compiler's table, so `psc set` takes exactly what a policy
// would: `010` is ten, `0x1f` is hex, durations are PSL's (500ms 30s 10m
// 1h), `tcp` is 6.
//
// A text these functions refuse is the user's error (ErrorKind::User): the
// message says what is wrong with it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ast/value.h"
#include "backend/status.h"

namespace psr::policy {

namespace be = psl::backend;

// A dynamic set's element type: one of the type checker's Ip, Port, Int,
// Mac and Proto.
using SetElem = psl::TypeKind;
// A set's `elem` as the state keeps it (psl::type_kind_name: "ip",
// "port", ...) -> its type; nullopt for a type a set cannot have.
std::optional<SetElem> set_elem_from_name(const std::string &name);
// Bytes of the map key: sizeof(struct psl_ip_key) or psl_int_key.
uint32_t set_key_size(SetElem e);

// A value of a set of `elem` -> its key. The error says what is wrong
// with the text ("invalid IPv4 address '10.0.0.300'", "port 70000 is out
// of range (0..65535)").
be::Expected<std::vector<uint8_t>> encode_set_value(SetElem elem,
                                                    const std::string &text);
// A key -> the value as a policy writes it ("198.51.100.7", "tcp",
// "proto(99)", "aa:bb:cc:dd:ee:ff").
std::string decode_set_key(SetElem elem, const std::vector<uint8_t> &key);

// What `set list` may be given: one value, or for ip sets a prefix
// (10.0.0.0/8, 2001:db8::/32) whose addresses it lists.
class SetFilter {
public:
  static be::Expected<SetFilter> parse(SetElem elem, const std::string &text);
  bool matches(const std::vector<uint8_t> &key) const;

private:
  std::vector<uint8_t> key_; // a value: that key
  unsigned prefix_bits_ = 0; // a prefix: the key's leading address bits
  bool prefix_ = false;
};

// An entry's lifetime: a PSL duration ("30s"), or "never".
struct EntryTtl {
  bool never = false;
  uint64_t ns = 0;
};
be::Expected<EntryTtl> parse_entry_ttl(const std::string &text);

// The expiry time (CLOCK_MONOTONIC ns, as bpf_ktime_get_ns) of an entry
// added at `now` for `ttl_ns` (0: never expires, stored as 0). Refuses a
// ttl that would run past the clock's range instead of wrapping.
be::Expected<uint64_t> expiry_time(uint64_t now, uint64_t ttl_ns);

} // namespace psr::policy
