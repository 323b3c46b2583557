// The embedded detector against real traffic: a victim namespace with
// psd's default policy (two dynamic block sets) put in force on its veth
// through the policy runtime, the tracer on its namespace, and an
// attacker namespace that runs the real tools. Readings every 250 ms
// become 1 s windows (the snapshots four ticks apart) through the
// summary builder, as psd makes them, and each goes to the detector with
// the policy's context. Nothing it proposes is applied: the tests assert
// the proposals.
//
//   victim   psc0  192.0.2.1/24 (+ 192.0.2.101..132 for horizontal scans)
//   attacker psc1  192.0.2.2/24 (the tools), 192.0.2.3 (benign clients)
//
// Benign traffic from 192.0.2.3 runs alongside: TCP requests to a service
// on port 80, DNS-like UDP queries to port 53, a ping every 200 ms.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "analyze/detector/detector.h"
#include "backend/testing/netns.h"
#include "policy/layout.h"
#include "summary/builder.h"
#include "trace/observation.h"
#include "trace/tracer.h"

namespace psr::detect_test {

inline constexpr const char *kVictim = "192.0.2.1";
inline constexpr const char *kAttacker = "192.0.2.2";
inline constexpr const char *kClient = "192.0.2.3";

// TCP requests and DNS-like queries from kClient, answered in the victim,
// and a slow ping; stops (and joins) on destruction.
class BenignTraffic {
public:
  // `victim_ns` and `attacker_ns`: ip netns names.
  BenignTraffic(const std::string &victim_ns, const std::string &attacker_ns);
  ~BenignTraffic();
  BenignTraffic(const BenignTraffic &) = delete;
  BenignTraffic &operator=(const BenignTraffic &) = delete;

  bool ok() const { return error_.empty(); }
  const std::string &error() const { return error_; }
  uint64_t requests() const { return requests_; }
  uint64_t answered() const { return answered_; }

private:
  void serve_tcp();
  void serve_udp();
  void clients();

  std::string victim_ns_, attacker_ns_, error_;
  int tcp_listener_ = -1, udp_server_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> requests_{0}, answered_{0};
  std::vector<std::thread> threads_;
};

// What one run of `watch` saw.
struct Watched {
  std::vector<analyze::Proposal> proposals;
  // When each proposal was made: seconds since the tool was started.
  std::vector<double> proposed_after_s;
  std::vector<summary::Summary> windows;
  std::string tool_output;
  int tool_exit = -1;
  uint64_t benign_requests = 0, benign_answered = 0;
};

class DetectHarness {
public:
  // Skips (or with PSC_REQUIRE_BPF=1 fails) are the caller's: it checks
  // the features first. Errors: the setup that failed.
  static psl::backend::Expected<std::unique_ptr<DetectHarness>>
  create(analyze::DetectorOptions options = {});
  ~DetectHarness();

  // Gives the victim 32 more addresses (192.0.2.101..132).
  psl::backend::Status add_victim_addresses();

  // Runs `tool` (a shell command, bounded in time by itself) in the
  // attacker's namespace, with benign traffic alongside, ticking every
  // 250 ms from before it starts until `seconds` have passed.
  Watched watch(const std::string &tool, double seconds);

  const std::string &victim_ns() const;
  const std::string &attacker_ns() const;

private:
  DetectHarness() = default;
  psl::backend::Status put_policy_in_force();
  psl::backend::Expected<trace::Snapshot> read();
  analyze::DetectorContext context() const;

  std::unique_ptr<psl::backend::testing::VethPair> veth_;
  policy::StateLayout layout_;
  policy::Target target_;
  std::string state_dir_;
  std::unique_ptr<trace::Tracer> tracer_;
  std::unique_ptr<trace::XdpObservation> xdp_;
  std::vector<analyze::BlockSet> block_sets_;
  std::vector<std::string> rule_names_;
  analyze::DetectorOptions options_;
  bool in_force_ = false;
};

} // namespace psr::detect_test
