// Field facts the lowering and code generation share: value domains, how a
// constant becomes a set of points, key encodings, C member names.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ast/fields.h"
#include "ast/value.h"
#include "passes/condition_space.h"

namespace psl::lower {

bool is_ip_field(FieldId f);
bool is_mac_field(FieldId f);
// Width in bits of a field's values (bool 1, mac 48, ip: per family).
unsigned field_bits(FieldId f, uint8_t family = 0);
cs::Point domain_max(FieldId f, uint8_t family = 0);
// Bytes of the field in key data (ip: 17 = family + address).
uint32_t key_bytes(FieldId f);
// The struct psl_pkt member: "tcp_dport".
std::string member_name(FieldId f);
// The PSL_PRESENT_* mask of the field's guard ("PSL_PRESENT_TCP"), empty
// when the field is always present.
std::string guard_mask(FieldId f);

struct FamilySets {
  cs::IntervalSet v4, v6; // ip fields
  cs::IntervalSet other;  // everything else
};
// The points a constant stands for when compared with field f: a scalar, a
// cidr, a range or a literal set. False if the value has an unexpected
// shape (reported as an internal error by the caller).
bool value_points(FieldId f, const Value &v, FamilySets &out);

// An IPv4 (32-bit) or IPv6 (128-bit) point as 16 bytes in psl_pkt form.
void ip_point_bytes(uint8_t family, cs::Point p, uint8_t out[16]);
// Splits [lo, hi] of a width-bit domain into aligned prefixes.
std::vector<std::pair<cs::Point, unsigned>>
interval_prefixes(cs::Point lo, cs::Point hi, unsigned width);
// Appends the big-endian encoding of a value of field f (non-ip).
void put_value(std::vector<uint8_t> &out, FieldId f, cs::Point v);

} // namespace psl::lower
