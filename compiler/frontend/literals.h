// Literal text -> value, for the literal tokens of grammar/Policy.g4. No
// ANTLR here: each function takes the token's text and either returns the
// value or an error message in the diagnostic style (E0103).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ast/value.h"

namespace psl::frontend {

struct LiteralResult {
  TypeKind kind = TypeKind::Error; // Error: see `error`
  Value value;
  std::string error; // set when kind == Error

  bool ok() const { return kind != TypeKind::Error; }
  static LiteralResult fail(std::string message) {
    LiteralResult r;
    r.error = std::move(message);
    return r;
  }
  static LiteralResult of(TypeKind k, Value v) {
    LiteralResult r;
    r.kind = k;
    r.value = std::move(v);
    return r;
  }
};

// Unsigned integer in base 10 or 16 (digits only); nullopt on overflow or
// a bad digit.
std::optional<uint64_t> parse_unsigned(std::string_view digits, int base);

// 42, 0x2a -> Int.
LiteralResult parse_int_literal(std::string_view text);
// 10.0.0.1 -> Ip; 10.0.0.0/8, fd00::/8 -> Cidr (prefix length checked).
LiteralResult parse_ip_literal(std::string_view text);
// aa:bb:cc:dd:ee:ff -> Mac.
LiteralResult parse_mac_literal(std::string_view text);
// 500ms 10s 5m 1h -> Duration (ns).
LiteralResult parse_duration_literal(std::string_view text);
// 100/s 10k/s 2M/s 1G/s 10Mbit/s -> Rate (per second).
LiteralResult parse_rate_literal(std::string_view text);

// The text between the quotes of a string token, escapes resolved
// (\" \\ \n \t \r). On an unknown escape, `error` is set and the escape is
// kept as written.
std::string unescape_string(std::string_view body, std::string *error);

// The message for a BAD_NUMBER token (10sec, 0xZZ, 1.2.3, 10K/s).
std::string describe_bad_number(std::string_view text);

} // namespace psl::frontend
