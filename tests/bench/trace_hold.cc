// scripts/bench-trace's switch: puts a policy in force on an interface of a
// network namespace, with or without the tracing runtime (the XDP
// observation and every stack hook), says "ready" and holds it until its
// standard input closes or it is told to stop (SIGTERM, SIGINT); then
// takes it all down. The benchmark times real traffic in both states,
// interleaved.
//
//   trace_hold --netns NAME --dev IF --policy FILE --pin-root DIR
//              [--trace [--disable HOOK]... [--empty-hooks] | --xdp-only]
//
// --disable leaves a stack hook out ("kfree_skb" or "skb:kfree_skb");
// --empty-hooks attaches the stack programs with bodies that return at
// once (the cost of being called at all); --xdp-only is the XDP
// observation without any stack hook: what each part costs, apart.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "backend/testing/netns.h"
#include "backend/xdp_attach.h"
#include "codegen/policy_build.h"
#include "driver.h"
#include "trace/tracer.h"

namespace {

volatile sig_atomic_t stop = 0;
void on_signal(int) { stop = 1; }

int fail(const std::string &what, const psl::backend::Error &e) {
  std::fprintf(stderr, "trace_hold: %s: %s\n%s\n", what.c_str(),
               e.message.c_str(), e.detail.c_str());
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  std::string netns, dev, policy, pin_root;
  bool trace = false, xdp_only = false;
  std::set<std::string> disable;
  bool empty_hooks = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      return i + 1 < argc ? argv[++i] : std::string();
    };
    if (a == "--netns")
      netns = value();
    else if (a == "--dev")
      dev = value();
    else if (a == "--policy")
      policy = value();
    else if (a == "--pin-root")
      pin_root = value();
    else if (a == "--trace")
      trace = true;
    else if (a == "--xdp-only")
      xdp_only = true;
    else if (a == "--disable" && i + 1 < argc)
      disable.insert(value());
    else if (a == "--empty-hooks")
      empty_hooks = true;
    else {
      std::fprintf(
          stderr,
          "usage: trace_hold --netns NAME --dev IF --policy FILE "
          "--pin-root DIR [--trace [--disable HOOK]... [--empty-hooks] | "
          "--xdp-only]\n");
      return 2;
    }
  }
  if (netns.empty() || dev.empty() || policy.empty() || pin_root.empty()) {
    std::fprintf(stderr, "trace_hold: --netns, --dev, --policy and "
                         "--pin-root are required\n");
    return 2;
  }
  std::ifstream in(policy);
  std::stringstream text;
  text << in.rdbuf();
  psl::CheckedModule checked = psl::check_source(policy, text.str());
  if (!checked.ok()) {
    std::fprintf(stderr, "trace_hold: %s does not check\n", policy.c_str());
    return 1;
  }
  auto art = psl::backend::build_policy(*checked.module.policy,
                                        checked.diags.file_ptr().get());
  if (!art)
    return fail("build", art.error());
  psl::backend::PolicyLoadOptions lo;
  lo.observe = trace || xdp_only;
  auto obj = psl::backend::load_policy(*art, lo);
  if (!obj)
    return fail("load", obj.error());

  psl::backend::testing::ScopedNetns in_ns(netns);
  if (!in_ns.ok()) {
    std::fprintf(stderr, "trace_hold: %s\n", in_ns.error().c_str());
    return 1;
  }
  psl::backend::XdpAttachOptions ao;
  ao.pin_root = pin_root;
  psl::backend::XdpAttacher attacher(ao);
  auto at = attacher.attach(dev, *obj);
  if (!at)
    return fail("attach", at.error());
  std::unique_ptr<psr::trace::Tracer> tracer;
  if (trace) {
    psr::trace::TracerOptions to;
    to.disable = disable;
    to.empty_bodies = empty_hooks;
    auto t = psr::trace::Tracer::create(to);
    if (!t) {
      (void)attacher.detach(dev);
      return fail("tracer", t.error());
    }
    tracer = std::move(*t);
    for (const auto &h : tracer->hooks())
      if (!h.missing.empty())
        std::fprintf(stderr, "trace_hold: %s missing: %s\n", h.name.c_str(),
                     h.missing.c_str());
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  std::printf("ready %s %s\n", xdp_mode_name(at->mode),
              trace      ? "traced"
              : xdp_only ? "xdp-observed"
                         : "policy-only");
  std::fflush(stdout);
  char c;
  while (!stop && ::read(0, &c, 1) > 0) {
  }
  tracer.reset();
  (void)attacher.detach(dev);
  return 0;
}
