// Field facts the lowering and code generation share: value domains, key
// encodings, C member names. Constants become points through
// analysis/literal_points.h.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "analysis/interval_set.h"
#include "ast/fields.h"
#include "ast/value.h"

namespace psl::lower {

bool is_ip_field(FieldId f);
bool is_mac_field(FieldId f);
// Width in bits of a field's values (bool 1, mac 48, ip: per family).
unsigned field_bits(FieldId f, uint8_t family = 0);
analysis::Point domain_max(FieldId f, uint8_t family = 0);
// Bytes of the field in key data (ip: 17 = family + address).
uint32_t key_bytes(FieldId f);
// The struct psl_pkt member: "tcp_dport".
std::string member_name(FieldId f);
// The PSL_PRESENT_* mask of the field's guard ("PSL_PRESENT_TCP"), empty
// when the field is always present.
std::string guard_mask(FieldId f);

// An IPv4 (32-bit) or IPv6 (128-bit) point as 16 bytes in psl_pkt form.
void ip_point_bytes(uint8_t family, analysis::Point p, uint8_t out[16]);
// Splits [lo, hi] of a width-bit domain into aligned prefixes.
std::vector<std::pair<analysis::Point, unsigned>>
interval_prefixes(analysis::Point lo, analysis::Point hi, unsigned width);
// Appends the big-endian encoding of a value of field f (non-ip).
void put_value(std::vector<uint8_t> &out, FieldId f, analysis::Point v);

} // namespace psl::lower
