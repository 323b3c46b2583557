// Which layers of a packet a policy's rules read, so that its program
// decodes only those (bpf/templates/psl_parse.h, psl_parse_cut): a policy
// that reads no TCP field does not decode TCP headers, one that reads no
// L4 field or ip.proto does not walk IPv6 extension headers.
//
// The cut never changes a verdict or a counter. A rule's condition reads
// only the fields it names, each behind its layer's `present` bit, so a
// layer no rule names is never looked at; and the layers in front of a
// named field (VLAN tags, the IPv4 or IPv6 header, the IPv6 extension
// chain before L4) are decoded whenever it is named, for every family:
// `tcp.dport == 22` matches TCP over IPv6 as before. The XDP observation,
// when the loader turns it on, adds the layers it reads at load time
// (PSL_PARSE_OBSERVED in psl_classify.h), so its counts stay exact.
#pragma once

#include <cstdint>
#include <string>

#include "ast/ast.h"

namespace psl::codegen {

// The bits of enum psl_parse_layer (psl_parse.h); parse_layers_test checks
// that they are the header's.
enum ParseLayer : uint32_t {
  kParseEthAddr = 1u << 0,
  kParseIp = 1u << 1,
  kParseIp6Ext = 1u << 2,
  kParseTcp = 1u << 3,
  kParseTcpFlags = 1u << 4,
  kParseUdp = 1u << 5,
  kParseIcmp = 1u << 6,
  kParseIcmp6 = 1u << 7,
  kParseAll = 0xffu,
};

// The layers the parser must decode for field `f` to have its value.
uint32_t parse_layers_of(FieldId f);

// The union over every field the policy's rules name (conditions and
// rate() keys).
uint32_t parse_layers(const Policy &policy);

// The C expression of `layers`: "PSL_PARSE_IP | PSL_PARSE_TCP", "0".
std::string parse_layers_expr(uint32_t layers);

} // namespace psl::codegen
