// Fixed differential cases: the compiled program and the interpreter must
// agree on each, verdict and counters, packet by packet. psc-difftest
// prints a failure in exactly this form ("as a regression test"): paste it
// at the end of this file, with a line saying what the bug was.
//
// The first cases pin parser edges where the two sides are most likely to
// drift apart: they are decided by header walks with fixed bounds.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backend/bpf_features.h"
#include "backend/testing/bpf_test_support.h"
#include "generator.h"
#include "runner.h"

namespace psl::difftest {
namespace {

struct HexFrame {
  uint64_t time_ns;
  std::string hex;
};

// split_class_tables: as the odd-numbered generated cases
// (Case::split_class_tables).
void expect_agree(const std::string &policy,
                  const std::vector<SetEntry> &entries,
                  const std::vector<HexFrame> &frames,
                  bool split_class_tables = false,
                  CaseLowering lowering = CaseLowering::Auto) {
  PSC_REQUIRE_OR_SKIP(::psl::backend::bpf_features().xdp_test_run);
  std::vector<TimedFrame> packets;
  for (const HexFrame &f : frames) {
    packets.push_back({f.time_ns, from_hex(f.hex)});
    ASSERT_FALSE(packets.back().bytes.empty()) << "bad hex: " << f.hex;
  }
  Outcome o = run_case(policy, entries, packets, split_class_tables, lowering);
  EXPECT_EQ(o.kind, Outcome::Kind::Agree) << outcome_name(o.kind) << "\n"
                                          << o.detail;
}

// Three VLAN tags, one more than the parser walks: MALFORMED, eth.type is
// the third TPID, vlan.id the outer tag's, no IP.
TEST(DifftestRegression, ThirdVlanTagStopsTheWalk) {
  expect_agree(
      R"PSL(policy p {
  rule tpid: eth.type == 0x8100 and vlan.id == 5 => count
  rule ip: ip.src in 10.0.0.0/8 => drop
  rule outer: vlan.id in { 5..6 } => pass
  default drop
}
)PSL",
      {},
      {{1000000000ull,
        "0200000000010200000000028100000588a800068100000708004500001c00000000"
        "401100000a0000010a0000029c40003500080000"}});
}

// Nine IPv6 destination-options headers: IPv6 stays present with
// ip6.ext_count 8, TCP behind them is not decoded.
TEST(DifftestRegression, NinthIpv6ExtensionHeaderHidesTcp) {
  expect_agree(
      R"PSL(policy p {
  set seen : int dynamic
  rule syn: tcp.syn => drop
  rule deep: ip6.ext_count == 8 and ip.src in 2001:db8::/32 => count
  rule proto: ip.proto == 60 and ip6.ext_count in seen => pass
  default drop
}
)PSL",
      {{"seen", "int", "8", 0}},
      {{1000000000ull, "02000000000102000000000286dd60000000005c3c4020010db8000"
                       "00000000000000000000120010"
                       "db80000000000000000000000023c000104000000003c0001040000"
                       "00003c000104000000003c0001"
                       "04000000003c000104000000003c000104000000003c00010400000"
                       "0003c00010400000000060001"
                       "04000000009c40001600000000000000005002040000000000"}});
}

// An IPv4 first fragment whose UDP length (1500) is the whole datagram's:
// valid for a first fragment, so UDP is present; rate() keyed on it.
TEST(DifftestRegression, FirstFragmentKeepsItsUdpLength) {
  expect_agree(
      R"PSL(policy p {
  rule big: udp.len > 1000 and ip.frag and rate(udp.len, burst 2) > 1/s => drop
  rule frag: ip.frag_off == 0 and ip.frag => pass
}
)PSL",
      {},
      {{1000000000ull,
        "0200000000010200000000020800450000241234200040110000c0000201c000020"
        "29c40003505dc0000abababababababab"},
       {1000000000ull,
        "0200000000010200000000020800450000241234200040110000c0000201c000020"
        "29c40003505dc0000abababababababab"},
       {1000000000ull,
        "0200000000010200000000020800450000241234200040110000c0000201c000020"
        "29c40003505dc0000abababababababab"}});
}

// Found by psc-difftest (seed 1, case 1046) while the lowering grew a
// hash stage in front of LPM groups: the LPM map was sized for one prefix
// but got two, so loading failed with "no space left on device".
TEST(DifftestRegression, LpmGroupMapHoldsEveryPrefix) {
  expect_agree(
      R"PSL(policy difftest {
  const c3 = ff02::a7d5:d20d:beb0:20df
  const c4 = { 7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, 8000::/96, c3, 89.8.170.0/24 }
  const c5 = { c4, 0.0.0.0 }
  rule r3: ip.src in c5 => drop
}
)PSL",
      {},
      {{17525390443ull,
        "6221af08395a8c4a1b6cd10f86dd6ff0000000171140ffffffffffffffffffffff"
        "ffffffffffff02000000000000a7d5d20dbeb020e00400319100170000ababab"
        "abababababababababababab"}});
}

} // namespace
} // namespace psl::difftest
