// The benchmark packets: gen_policy.py's sidecar describes its `hit` and
// `miss` packets as JSON fields; this builds the frame packet_bench times
// and gen_policy_test checks against the reference interpreter.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "packet_builder.h"

namespace psl::bench {

inline std::vector<uint8_t> frame_of(const nlohmann::json &spec) {
  bpftest::Pkt p;
  p.ip_version = spec["family"].get<int>();
  p.src = spec["src"].get<std::string>();
  p.dst = spec["dst"].get<std::string>();
  p.proto = spec["proto"].get<uint8_t>();
  if (!spec["dport"].is_null())
    p.dport = spec["dport"].get<uint16_t>();
  p.tcp_flags = spec["tcp_flags"].get<uint8_t>();
  p.icmp_type = spec["icmp_type"].get<uint8_t>();
  return bpftest::build(p);
}

} // namespace psl::bench
