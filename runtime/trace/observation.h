// The XDP observation's maps (bpf/runtime/pso_xdp.h) of one policy
// program, as the policy runtime pins them under <pin>/maps/, or as a
// loaded policy object holds them: reading them into a Snapshot and
// writing their sampling configuration.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/bpf_object.h"
#include "backend/status.h"
#include "trace/snapshot.h"

struct pso_src_val;

namespace psr::trace {

// Which packets write path events, at XDP and at every stack hook alike
// (struct pso_cfg). Changing it reloads nothing.
struct Sampling {
  uint32_t every = 0; // 0: no path events; N: one packet in N (1: all)
  uint32_t max_events_per_sec = 1000; // per CPU; the rest count as lost
  // Only packets from or to this address ("192.0.2.1", "2001:db8::1").
  std::string address;
  uint16_t port = 0; // only TCP/UDP from or to this port (0: any)
};
// The address as 16 bytes (IPv4 as ::ffff:a.b.c.d) and its family (4 or
// 6); an error names the text that is not an address.
psl::backend::Status parse_address(const std::string &text,
                                   std::array<uint8_t, 16> &addr,
                                   uint8_t &family);
// Writes `s` into a pso_cfg map (an array of one struct pso_cfg).
psl::backend::Status write_sampling(int cfg_map_fd, const Sampling &s);

class XdpObservation {
public:
  XdpObservation();
  ~XdpObservation();
  XdpObservation(XdpObservation &&) noexcept;
  XdpObservation &operator=(XdpObservation &&) noexcept;

  // The maps pinned in `dir` (<pin>/maps of an interface). Error naming
  // the first one missing.
  static psl::backend::Expected<XdpObservation>
  open_pinned(const std::string &dir);
  // The maps of a loaded policy object (loaded with observe on).
  static psl::backend::Expected<XdpObservation>
  from_object(const psl::backend::BpfObject &obj);

  // Adds what the maps hold to `snap`: nic/xdp_pass/xdp_drop of each
  // class's funnel, the sources and the events lost at XDP. A source's
  // counters are totals kept from reading to reading (source_totals.h): they
  // only go up while the source stays in the table.
  psl::backend::Status read(Snapshot &snap) const;
  psl::backend::Status set_sampling(const Sampling &s) const;
  int events_fd() const { return events_.get(); }

private:
  struct Sources; // the totals and a lock for them
  psl::backend::UniqueFd proto_, src_, cfg_, budget_, events_;
  std::unique_ptr<Sources> sources_;
};

// Sums the per-CPU shares of one source (addr as in psl_pkt, family 4 or
// 6) into a SourceStats; first_seen_ns and last_seen_ns are still in
// jiffies (JiffiesClock converts them).
SourceStats merge_source(const uint8_t *addr, uint8_t family,
                         const std::vector<const ::pso_src_val *> &shares);

// Jiffies (what the XDP observation stamps sources with, bpf_jiffies64)
// to CLOCK_MONOTONIC nanoseconds, from the kernel's own pair in
// /proc/timer_list ("now at N nsecs", "jiffies: J") and its tick rate.
class JiffiesClock {
public:
  static psl::backend::Expected<JiffiesClock> read();
  static JiffiesClock from(uint64_t now_ns, uint64_t jiffies, uint32_t hz) {
    JiffiesClock c;
    c.now_ns_ = now_ns;
    c.jiffies_ = jiffies;
    c.hz_ = hz;
    return c;
  }
  uint64_t to_ns(uint64_t jiffies) const;
  uint32_t hz() const { return hz_; }
  uint64_t jiffies() const { return jiffies_; } // when it was read

private:
  uint64_t now_ns_ = 0, jiffies_ = 0;
  uint32_t hz_ = 250;
};

// Linear counting: the number of distinct values that left `zeros` of
// `bits` bits clear, rounded; at zeros == 0 the bitmap is saturated and
// the result is the estimate for one zero bit (a lower bound).
uint32_t linear_count(uint32_t bits, uint32_t zeros);

// The sample id (bpf/runtime/pso_abi.h, pso_ident_hash) of an Ethernet
// frame, as the XDP observation and the stack hooks compute it: what
// joins a packet sent by a test or a tool with its path.
uint32_t sample_id_of_frame(const uint8_t *frame, size_t len);

// Sums a per-CPU pso_budget array's `lost`.
uint64_t read_lost(int budget_map_fd);

} // namespace psr::trace
