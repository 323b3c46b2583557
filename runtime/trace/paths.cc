#include "trace/paths.h"

#include <bpf/libbpf.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "codegen/json_table_reader.h"
#include "pso_abi.h"
#include "trace/hooks.h"
#include "trace/observation.h"

namespace psr::trace {

using psl::backend::Error;
using psl::backend::Expected;

namespace {

bool terminal(const PathStep &s) {
  return s.verdict == "drop" || s.verdict == "consumed" ||
         s.verdict == "dropped" || s.verdict == "sent";
}

const char *verdict_name(uint8_t v) {
  switch (v) {
  case PSO_VERDICT_PASS:
    return "pass";
  case PSO_VERDICT_DROP:
    return "drop";
  case PSO_VERDICT_RECEIVED:
    return "received";
  case PSO_VERDICT_CONSUMED:
    return "consumed";
  case PSO_VERDICT_DROPPED:
    return "dropped";
  case PSO_VERDICT_SENT:
    return "sent";
  case PSO_VERDICT_REPLIED:
    return "replied";
  }
  return "";
}

} // namespace

Expected<RuleNamer> rule_namer_from_sidecar(const std::string &text) {
  // Only the rule table is read, row by row: a 100k-rule policy's sidecar
  // is tens of MB, most of it map entries (as one tree, 1-3.3 s and 570
  // MB for `gen_policy.py --shape mixed`).
  std::map<uint32_t, std::string> names{{0, "default"}};
  bool lacks = false;
  psl::codegen::JsonTableReader reader(
      "rules", /*keep_others=*/false, [&](nlohmann::json &r) {
        if (!r.is_object() || !r.contains("name") || !r.contains("counter") ||
            !r["name"].is_string() || !r["counter"].is_number_unsigned()) {
          lacks = true;
          return false;
        }
        names[r["counter"].get<uint32_t>()] = r["name"].get<std::string>();
        return true;
      });
  reader.read(text);
  if (lacks)
    return Error("a rule of the policy sidecar lacks its name or counter");
  if (reader.not_json())
    return Error("the policy sidecar is not valid JSON");
  if (!reader.saw_table() || !reader.root().is_object())
    return Error("the policy sidecar has no \"rules\" array");
  return RuleNamer([names](uint32_t id) {
    auto it = names.find(id);
    return it != names.end() ? it->second : "#" + std::to_string(id);
  });
}

PathCollector::PathCollector(size_t keep, DropReasons reasons, RuleNamer namer)
    : keep_(keep), reasons_(std::move(reasons)), namer_(std::move(namer)) {}

void PathCollector::add(const pso_event &e) {
  ++events_;
  PathStep step;
  step.ts_ns = e.ts_ns;
  step.hook = hook_name(e.hook);
  step.verdict = verdict_name(e.verdict);
  if (e.hook == PSO_HOOK_XDP)
    step.rule = namer_ ? namer_(e.detail) : "#" + std::to_string(e.detail);
  if (e.hook == PSO_HOOK_KFREE_SKB)
    step.reason = reasons_.name(e.detail);
  if (e.hook == PSO_HOOK_ICMP_SEND)
    step.reason = "type " + std::to_string(e.detail >> 8) + " code " +
                  std::to_string(e.detail & 0xff);

  const uint64_t id = e.id;
  auto it = open_.find(id);
  // The same id entering again after its path ended, or entering XDP
  // twice, is another packet (a retransmission with the same identity).
  // The rings are drained one after the other, so a packet's stack events
  // may come before its XDP event: that alone starts nothing new.
  if (it != open_.end() && !it->second.steps.empty()) {
    const PacketPath &q = it->second;
    bool ended = false, had_xdp = false;
    for (const PathStep &s : q.steps) {
      ended |= terminal(s) && s.ts_ns <= step.ts_ns;
      had_xdp |= s.hook == "xdp";
    }
    const bool entering =
        e.hook == PSO_HOOK_XDP || e.hook == PSO_HOOK_NETIF_RECEIVE_SKB;
    if (entering && (ended || (e.hook == PSO_HOOK_XDP && had_xdp))) {
      finish(id);
      it = open_.end();
    }
  }
  if (it == open_.end()) {
    PacketPath p;
    p.id = id;
    it = open_.emplace(id, std::move(p)).first;
  }
  PacketPath &p = it->second;
  if (p.family == 0 && e.ident.family != 0) {
    p.family = e.ident.family;
    std::memcpy(p.saddr.data(), e.ident.saddr, 16);
    std::memcpy(p.daddr.data(), e.ident.daddr, 16);
    p.sport = e.ident.sport;
    p.dport = e.ident.dport;
    p.proto = static_cast<Proto>(e.proto < kProtoCount ? e.proto : 0);
    p.len = e.len;
  }
  // Rings are drained one after the other: keep the steps in time order.
  auto pos = std::upper_bound(
      p.steps.begin(), p.steps.end(), step,
      [](const PathStep &a, const PathStep &b) { return a.ts_ns < b.ts_ns; });
  p.steps.insert(pos, step);
}

std::string PathCollector::outcome(const PacketPath &p) const {
  for (const PathStep &s : p.steps) {
    if (s.verdict == "drop")
      return "dropped at xdp by rule '" + s.rule + "'";
    if (s.verdict == "dropped")
      return "dropped in the stack: " + s.reason;
  }
  for (const PathStep &s : p.steps) {
    if (s.verdict == "consumed")
      return "delivered";
    if (s.verdict == "sent")
      return "sent";
  }
  if (!p.steps.empty() && p.steps.back().hook == "xdp")
    return "passed xdp; not seen in the stack";
  return "in the stack";
}

void PathCollector::finish(uint64_t id) {
  auto it = open_.find(id);
  if (it == open_.end())
    return;
  it->second.outcome = outcome(it->second);
  done_.push_back(std::move(it->second));
  open_.erase(it);
  while (done_.size() > keep_)
    done_.pop_front();
}

void PathCollector::expire(uint64_t now_ns, uint64_t idle_ns) {
  // Finished in the order their packets entered.
  std::vector<std::pair<uint64_t, uint64_t>> old; // first step's time, id
  for (const auto &[id, p] : open_)
    if (!p.steps.empty() && p.steps.back().ts_ns + idle_ns <= now_ns)
      old.emplace_back(p.steps.front().ts_ns, id);
  std::sort(old.begin(), old.end());
  for (const auto &[ts, id] : old)
    finish(id);
}

std::vector<PacketPath> PathCollector::paths(const PathFilter &f,
                                             bool include_open) const {
  std::array<uint8_t, 16> addr{};
  uint8_t family = 0;
  if (!f.address.empty() && !parse_address(f.address, addr, family).ok())
    return {};
  auto match = [&](const PacketPath &p) {
    if (family != 0 &&
        (p.family != family || (p.saddr != addr && p.daddr != addr)))
      return false;
    if (f.port != 0 && p.sport != f.port && p.dport != f.port)
      return false;
    return true;
  };
  std::vector<PacketPath> out;
  for (const PacketPath &p : done_)
    if (match(p))
      out.push_back(p);
  if (include_open)
    for (const auto &[id, p] : open_)
      if (match(p)) {
        out.push_back(p);
        out.back().outcome = outcome(p);
      }
  return out;
}

Expected<std::unique_ptr<PathPoller>>
PathPoller::create(PathCollector &collector, const std::vector<int> &fds) {
  if (fds.empty())
    return Error("no ring buffer to poll");
  std::unique_ptr<PathPoller> p(new PathPoller());
  p->collector_ = &collector;
  p->rb_ = ring_buffer__new(fds[0], &PathPoller::on_event, p.get(), nullptr);
  if (p->rb_ == nullptr)
    return Error(std::string("cannot poll the path events: ") +
                     std::strerror(errno),
                 errno);
  for (size_t i = 1; i < fds.size(); ++i)
    if (ring_buffer__add(p->rb_, fds[i], &PathPoller::on_event, p.get()) != 0)
      return Error(std::string("cannot poll the path events: ") +
                       std::strerror(errno),
                   errno);
  return p;
}

PathPoller::~PathPoller() {
  if (rb_ != nullptr)
    ring_buffer__free(rb_);
}

int PathPoller::on_event(void *ctx, void *data, size_t size) {
  if (size < sizeof(pso_event))
    return 0;
  pso_event e;
  std::memcpy(&e, data, sizeof e);
  static_cast<PathPoller *>(ctx)->collector_->add(e);
  return 0;
}

Expected<int> PathPoller::poll(int timeout_ms) {
  const int n = ring_buffer__poll(rb_, timeout_ms);
  if (n < 0 && n != -EINTR)
    return Error(std::string("polling the path events failed: ") +
                     std::strerror(-n),
                 -n);
  return n < 0 ? 0 : n;
}

} // namespace psr::trace
