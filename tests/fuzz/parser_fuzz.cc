// libFuzzer target for the packet parser (docs/testing.md, "Fuzzing the
// packet parser"). Every input is one Ethernet frame. Two oracles:
//
//  1. The host twin psl_parse_buffer() (bpf/templates/psl_parse.h, the
//     same C the kernel program runs) decodes it under ASan and UBSan: a
//     read past the frame is an ASan report, not a silent wrong answer.
//     The decoded packet must keep psl_pkt.h's contract (absent layers are
//     zero, presence bits consistent, bounds respected).
//  2. When this machine can run BPF, a policy that reads every field (one
//     `count` rule per field and value class, then terminal rules of each
//     lowering shape) is compiled once; each frame goes through it with
//     BPF_PROG_TEST_RUN and through the reference interpreter, and the
//     verdict and every counter change must agree (tests/difftest runner).
//     Without BPF only the first oracle runs; PSC_REQUIRE_BPF=1 makes that
//     an error.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "ast/fields.h"
#include "codegen/kernel_evaluator.h"
#include "policy_harness.h"
#include "psl_parse.h"
#include "runner.h"

namespace {

using psl::difftest::Outcome;

[[noreturn]] void fail(const char *what, const std::string &detail = {}) {
  std::fprintf(stderr, "parser_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// One or two `count` rules per field that split its values, so the
// counters show what the compiled parser decoded; then terminal rules that
// lower to each kind of lookup (array, hash, LPM), code with rate() and a
// field comparison, and a default.
std::string every_field_policy() {
  std::string rules;
  int n = 0;
  auto rule = [&](const std::string &cond, const char *action = "count") {
    rules +=
        "  rule f" + std::to_string(n++) + ": " + cond + " => " + action + "\n";
  };
  for (const psl::FieldInfo &f : psl::all_fields()) {
    const std::string name = f.name;
    switch (f.type) {
    case psl::TypeKind::Bool:
      rule(name);
      break;
    case psl::TypeKind::Ip:
      rule(name + " in { 10.0.0.0/8, 192.0.2.0/24, 2001:db8::/32 }");
      rule(name + " in { 128.0.0.0/1, 8000::/1 }");
      break;
    case psl::TypeKind::Mac:
      rule(name + " == 02:00:00:00:00:01");
      rule(name + " in { ff:ff:ff:ff:ff:ff, 00:00:00:00:00:00 }");
      break;
    case psl::TypeKind::Proto:
    case psl::TypeKind::IcmpType:
    case psl::TypeKind::Icmp6Type: // no order and no ranges for these
      rule(name + " in { 0, 1, 6, 8, 17, 58, 128, 255 }");
      rule(name + " == 3");
      break;
    default: {
      const uint64_t max = psl::field_max(f);
      rule(name + " >= " + std::to_string(max / 2 + 1));
      rule(name + " in { 0..3, " + std::to_string(max) + " }");
      break;
    }
    }
  }
  rule("tcp.dport in { 22, 80, 443 }", "drop");
  rule("ip.src in 10.0.0.0/8 and udp.dport == 53", "pass");
  rule("ip.proto == icmpv6 and ip.ttl == 255", "pass");
  rule("tcp.sport == tcp.dport or eth.src == eth.dst", "drop");
  rule("rate(ip.src, l4.dport, burst 3) > 10/s", "drop");
  rule("vlan.id in { 1..100 } and not ip.frag", "pass");
  return "policy parser_fuzz {\n" + rules + "  default drop\n}\n";
}

std::unique_ptr<psl::bpftest::CompiledPolicy> kernel_policy;

// psl_pkt.h: "members of absent layers zero"; layers nest.
void check_contract(const psl_pkt &p, size_t len) {
  if (p.status > PSL_STATUS_MALFORMED)
    fail("status out of range");
  if (p.pkt_len != len)
    fail("pkt_len is not the frame length");
  if (len < 14) {
    if (p.present != 0)
      fail("a frame shorter than Ethernet has layers");
    return;
  }
  if (!(p.present & PSL_PRESENT_ETH))
    fail("Ethernet absent in a frame of 14 bytes or more");
  if (p.vlan_count > PSL_VLAN_MAX || p.ip6_ext_count > PSL_IP6_MAX_EXT)
    fail("a walk went past its bound");
  const bool ip = p.present & PSL_PRESENT_IP, v6 = p.present & PSL_PRESENT_IPV6;
  if ((p.present & PSL_PRESENT_IPV4) && v6)
    fail("both IP families present");
  if (!(p.present & PSL_PRESENT_VLAN) && (p.vlan_id || p.vlan_count))
    fail("VLAN fields without a tag");
  if (!ip && (p.ip_version || p.ip_proto || p.ip_ttl || p.ip_len || p.ip_frag))
    fail("IP fields without IP");
  if (ip && p.ip_version != (v6 ? 6 : 4))
    fail("ip_version does not match the family");
  if (ip && (p.l3_off < 14 || p.l3_off >= len))
    fail("l3_off outside the frame");
  if (!v6 && (p.ip6_ext_count || p.ip6_hbh || p.ip6_rh_type))
    fail("IPv6 extension fields without IPv6");
  if ((p.present & PSL_PRESENT_IP6_RH) && !v6)
    fail("routing header without IPv6");
  const bool tcp = p.present & PSL_PRESENT_TCP,
             udp = p.present & PSL_PRESENT_UDP;
  const bool l4 = p.present & PSL_PRESENT_L4;
  if ((tcp || udp || (p.present & (PSL_PRESENT_ICMP | PSL_PRESENT_ICMP6))) &&
      !ip)
    fail("a transport layer without IP");
  if (l4 != (tcp || udp) || (tcp && udp))
    fail("l4 presence does not match TCP/UDP");
  if ((p.present & PSL_PRESENT_ICMP) && !(p.present & PSL_PRESENT_IPV4))
    fail("ICMPv4 without IPv4");
  if ((p.present & PSL_PRESENT_ICMP6) && !v6)
    fail("ICMPv6 without IPv6");
  if (!tcp &&
      (p.tcp_sport || p.tcp_dport || p.tcp_flags || p.tcp_window || p.tcp_syn))
    fail("TCP fields without TCP");
  if (!udp && (p.udp_sport || p.udp_dport || p.udp_len))
    fail("UDP fields without UDP");
  if (!l4 && (p.l4_sport || p.l4_dport))
    fail("l4 ports without TCP or UDP");
  if (l4 && (p.l4_off <= p.l3_off || p.l4_off >= len))
    fail("l4_off outside the frame");
  if (udp && p.udp_len < 8)
    fail("a UDP length below the header");
  if (p.ip_frag_off && !p.ip_frag)
    fail("a fragment offset on a packet that is not a fragment");
  if (p.ip_frag_off && (tcp || udp))
    fail("transport fields in a non-first fragment");
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  const std::string why = psl::codegen::kernel_unavailable_reason();
  if (!why.empty()) {
    const char *required = std::getenv("PSC_REQUIRE_BPF");
    if (required && std::string(required) == "1")
      fail("PSC_REQUIRE_BPF=1 but this machine cannot run compiled policies",
           why);
    std::fprintf(stderr, "parser_fuzz: no BPF here (%s): host parser only\n",
                 why.c_str());
    return 0;
  }
  psl::bpftest::BuildFailure failure;
  kernel_policy =
      psl::bpftest::CompiledPolicy::build(every_field_policy(), &failure);
  if (!kernel_policy)
    fail("the every-field policy does not build", failure.message);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  psl_pkt p;
  psl_parse_buffer(data, static_cast<__u32>(size), &p);
  check_contract(p, size);
  // BPF_PROG_TEST_RUN takes XDP frames from an Ethernet header up to a
  // page minus head- and tailroom.
  if (kernel_policy && size >= 14 && size <= 3000) {
    std::vector<psl::difftest::TimedFrame> frame{
        {1'000'000'000, {data, data + size}}};
    Outcome o = psl::difftest::run_compiled(*kernel_policy, {}, frame);
    if (o.kind != Outcome::Kind::Agree)
      fail("kernel and interpreter disagree on this frame", o.detail);
  }
  return 0;
}
