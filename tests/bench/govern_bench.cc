// What the governor and the policy lifecycle cost (docs/performance.md,
// docs/governor.md), on a veth pair between two network namespaces it
// creates (psc-test-<pid>-*), with an operator policy put in force:
//
//   fast path   a SetInsert proposal, from submit() to the map updated
//               (submit returns after psr::policy::set_add): review with
//               its protect check, the target's lock, the map update
//   swap path   a Policy proposal of one rule, from submit() to the new
//               program in force, with 0, 9 and 99 generated rules
//               already in force (1, 10, 100 after it): review, compose,
//               check, build (Clang), load (verifier), carry, switch
//   review      the governor alone, checks only (no build): a rule
//               proposal and a set insert; and a rule proposal's review
//               with the build, the part of the swap path before the
//               kernel
//
//   govern_bench [--policy FILE] [--set NAME] [--inserts N] [--swaps N]
//                [--reviews N]
//
// --policy: the operator policy (default policies/port_scan.psl: 8 rules,
// one dynamic set); --set: its dynamic set that a drop rule uses (default
// scanners). Prints a markdown table: median, 90th percentile and max of
// each, in milliseconds. Needs root.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "backend/testing/netns.h"
#include "govern/lifecycle.h"
#include "policy/files.h"
#include "policy/put_in_force.h"

namespace {

namespace be = psl::backend;
namespace pp = psr::policy;
namespace gv = psr::govern;
namespace an = psr::analyze;
using Clock = std::chrono::steady_clock;

struct Stats {
  explicit Stats(std::string w) : what(std::move(w)) {}
  std::string what;
  std::vector<double> ms;
  void print() const {
    if (ms.empty())
      return;
    std::vector<double> v = ms;
    std::sort(v.begin(), v.end());
    auto at = [&](double q) {
      return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
    };
    std::printf("| %s | %zu | %.3f | %.3f | %.3f |\n", what.c_str(), v.size(),
                at(0.5), at(0.9), v.back());
  }
};

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string address(size_t i) {
  // 198.18.0.0/15 (benchmarking, RFC 2544): never a host or gateway here.
  return "198.18." + std::to_string(i / 250 % 250) + "." +
         std::to_string(i % 250 + 1);
}

an::Proposal rule_proposal(size_t n) {
  an::Proposal p;
  p.id = "bench-" + std::to_string(n);
  p.origin = an::Origin::Detector;
  p.kind = an::Proposal::Kind::Policy;
  p.psl = "policy bench {\n  rule detector_bench_" + std::to_string(n) +
          ": ip.src == " + address(n) +
          " and udp.dport == 53 => drop ttl 10m\n}\n";
  p.policy_name = "bench";
  return p;
}

an::Proposal insert_proposal(const std::string &set, size_t n) {
  an::Proposal p;
  p.id = "bench-ins-" + std::to_string(n);
  p.origin = an::Origin::Detector;
  p.kind = an::Proposal::Kind::SetInsert;
  p.insert.set = set;
  p.insert.values = {address(n)};
  p.insert.ttl_ms = 600000;
  return p;
}

int run(int argc, char **argv) {
  std::string policy_path =
      std::string(PSC_SOURCE_DIR) + "/policies/port_scan.psl";
  std::string set = "scanners";
  size_t inserts = 500, swaps = 5, reviews = 200;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "govern_bench: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--policy")
      policy_path = next();
    else if (a == "--set")
      set = next();
    else if (a == "--inserts")
      inserts = std::stoul(next());
    else if (a == "--swaps")
      swaps = std::stoul(next());
    else if (a == "--reviews")
      reviews = std::stoul(next());
    else {
      std::cerr << "govern_bench: unknown argument '" << a << "'\n";
      return 2;
    }
  }
  std::optional<std::string> text = pp::read_file(policy_path);
  if (!text) {
    std::cerr << "govern_bench: cannot read " << policy_path << "\n";
    return 1;
  }
  be::testing::remove_stale_test_state();
  auto pair = be::testing::VethPair::create();
  if (!pair) {
    std::cerr << "govern_bench: " << pair.error().message << "\n";
    return 1;
  }
  // The state on tmpfs, as /run is on most machines (on a disk, the
  // target lock's pid note costs a writeback per change).
  char tmpl[] = "/dev/shm/govern-bench-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  pp::StateLayout layout;
  layout.pin_root =
      "/sys/fs/bpf/psc-test-" + std::to_string(::getpid()) + "-govern-bench";
  layout.state_root = dir + "/state";
  gv::AuditLog audit({dir + "/audit.jsonl"});
  int rc = 0;
  {
    be::testing::ScopedNetns in((*pair)->ns());
    gv::LifecycleOptions o;
    o.layout = layout;
    o.ifname = (*pair)->ifname();
    o.audit = &audit;
    o.governor.max_rules_per_proposal = 128;
    o.governor.set_inserts_per_second = 1e6;
    o.governor.set_insert_burst = 1e6;
    auto lc = gv::Lifecycle::open(o, policy_path, *text);
    if (!lc) {
      std::cerr << "govern_bench: " << lc.error().message << "\n";
      rc = 1;
    } else {
      std::printf("operator policy %s, set %s\n\n", policy_path.c_str(),
                  set.c_str());
      std::printf(
          "| what | n | median ms | p90 ms | max ms |\n|---|---|---|---|"
          "---|\n");
      // The fast path.
      Stats fast("set insert: submit -> map updated");
      for (size_t i = 0; i < inserts && rc == 0; ++i) {
        auto t0 = Clock::now();
        gv::SubmitResult r = (*lc)->submit(insert_proposal(set, i));
        fast.ms.push_back(ms_since(t0));
        if (!r.applied) {
          std::cerr << "govern_bench: insert refused: " << r.verdict.message
                    << r.error << "\n";
          rc = 1;
        }
      }
      if (rc == 0)
        fast.print();
      // The swap path with 1, 10, 100 generated rules after it.
      size_t n = 1000;
      size_t in_force = 0;
      for (size_t target : {size_t{1}, size_t{10}, size_t{100}}) {
        // Fill up to target - 1 generated rules, one proposal.
        if (rc == 0 && in_force + 1 < target) {
          an::Proposal fill;
          fill.id = "bench-fill-" + std::to_string(target);
          fill.origin = an::Origin::Detector;
          fill.kind = an::Proposal::Kind::Policy;
          fill.psl = "policy fill {\n";
          for (; in_force + 1 < target; ++in_force, ++n)
            fill.psl += "  rule detector_fill_" + std::to_string(n) +
                        ": ip.src == " + address(n) +
                        " and udp.dport == 53 => drop ttl 10m\n";
          fill.psl += "}\n";
          gv::SubmitResult r = (*lc)->submit(fill);
          if (!r.applied) {
            std::cerr << "govern_bench: fill refused: " << r.verdict.message
                      << r.error << "\n";
            rc = 1;
          }
        }
        Stats swap("rule proposal: submit -> swapped, " +
                   std::to_string(target) + " generated");
        for (size_t k = 0; k < swaps && rc == 0; ++k, ++n) {
          auto t0 = Clock::now();
          gv::SubmitResult r = (*lc)->submit(rule_proposal(n));
          swap.ms.push_back(ms_since(t0));
          if (!r.applied) {
            std::cerr << "govern_bench: proposal refused: " << r.verdict.message
                      << r.error << "\n";
            rc = 1;
            break;
          }
          if (!(*lc)->withdraw("detector_bench_" + std::to_string(n))) {
            rc = 1;
            break;
          }
        }
        if (rc == 0)
          swap.print();
      }
      // The governor alone, checks only, with the rules in force now.
      if (rc == 0) {
        std::shared_ptr<const gv::OperatorPolicy> op = (*lc)->operator_policy();
        std::vector<gv::GeneratedRule> gen = (*lc)->generated();
        gv::ProtectedAddresses prot;
        gv::NetnsAddressSource src;
        if (auto h = src.discover())
          prot.host = *h;
        gv::GovernorContext ctx;
        ctx.op = op.get();
        ctx.generated = &gen;
        ctx.protect = &prot;
        ctx.options = o.governor;
        ctx.build = false;
        Stats rule("review, checks only: a rule proposal (" +
                   std::to_string(gen.size()) + " generated in force)");
        Stats ins("review: a set insert");
        Stats built("review with the build (compose, check, lower, Clang, "
                    "link): a rule proposal (" +
                    std::to_string(gen.size()) + " generated in force)");
        for (size_t i = 0; i < swaps; ++i, ++n) {
          gv::GovernorContext with_build = ctx;
          with_build.build = true;
          auto t0 = Clock::now();
          gv::Verdict v = gv::review(rule_proposal(n), with_build);
          built.ms.push_back(ms_since(t0));
          if (!v.accepted) {
            std::cerr << "govern_bench: review refused: " << v.message << "\n";
            rc = 1;
          }
        }
        for (size_t i = 0; i < reviews; ++i, ++n) {
          auto t0 = Clock::now();
          gv::Verdict v = gv::review(rule_proposal(n), ctx);
          rule.ms.push_back(ms_since(t0));
          t0 = Clock::now();
          gv::Verdict w = gv::review(insert_proposal(set, n), ctx);
          ins.ms.push_back(ms_since(t0));
          if (!v.accepted || !w.accepted) {
            std::cerr << "govern_bench: review refused: " << v.message << " / "
                      << w.message << "\n";
            rc = 1;
            break;
          }
        }
        if (rc == 0) {
          rule.print();
          ins.print();
          built.print();
        }
      }
    }
    auto t = pp::Target::in_current_netns((*pair)->ifname());
    if (t)
      (void)pp::take_down(layout, *t);
  }
  pp::remove_tree(dir, 6);
  pp::remove_tree(layout.pin_root, 5);
  return rc;
}

} // namespace

int main(int argc, char **argv) { return run(argc, argv); }
