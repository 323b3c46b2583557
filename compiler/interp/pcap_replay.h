// Reads a packet capture (libpcap format, also pcapng where libpcap reads
// it) as Ethernet frames with their capture time, for replaying traffic
// through the interpreter (`psc run --interp --pcap`).
//
// Link types: Ethernet (DLT_EN10MB) frames are used as they are. Linux
// "cooked" captures (DLT_LINUX_SLL, DLT_LINUX_SLL2: `tcpdump -i any`) have
// no Ethernet header; one is synthesized: destination 00:00:00:00:00:00,
// source the captured link-layer address when it is 6 bytes long (else
// zero), EtherType the cooked header's protocol. Other link types are an
// error.
//
// Time: the capture timestamp in nanoseconds (files written with
// microsecond precision are scaled). Length: `wire_len` is the frame's
// length on the wire (pkt.len), which exceeds the bytes kept when the
// capture used a snap length; fields beyond the kept bytes are absent, as
// the decoder finds them truncated.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace psl::interp {

struct CapturedFrame {
  uint64_t index = 0;         // position in the capture, from 1
  uint64_t time_ns = 0;       // capture timestamp
  uint32_t wire_len = 0;      // length on the wire, as an Ethernet frame
  std::vector<uint8_t> frame; // the captured bytes, as an Ethernet frame
};

// Calls `on_frame` for every frame in order. Returns an error message
// ("cannot open capture: ...", "unsupported link type ...") or nullopt.
// Frames too short for their link header are skipped.
std::optional<std::string>
replay_pcap(const std::string &path,
            const std::function<void(const CapturedFrame &)> &on_frame);

} // namespace psl::interp
