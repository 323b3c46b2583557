// Summary windows for tests, in the shape of docs/summary.schema.json
// (version 1): every required member present, numbers chosen by the
// caller where a test cares.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace psl::testing {

struct Talker {
  std::string addr;
  double pps = 0;
  double syn_per_s = 0;
  double echo_per_s = 0;
  double reflection_per_s = 0; // from source port 53
  uint64_t distinct_dports = 0;
};

struct WindowSpec {
  uint64_t seq = 1;
  int64_t start_unix_ms = 1733500000000;
  double duration_s = 10;
  double nic_pps = 1000;
  double xdp_drop_pps = 0;
  double stack_drop_per_s = 0;
  uint64_t half_open = 0;
  std::string drop_reason = "NO_SOCKET";
  std::string ifname = "eth0";
  std::vector<Talker> talkers;
};

nlohmann::json make_summary(const WindowSpec &spec);

} // namespace psl::testing
