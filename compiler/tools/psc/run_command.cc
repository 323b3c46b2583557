// psc run: replays a packet capture through a policy: by default the
// compiled policy in the kernel (BPF_PROG_TEST_RUN, the clock injected
// from the capture timestamps; codegen/kernel_evaluator.h), with --interp
// the reference interpreter. --write-passed copies the records that got
// `pass` to a new capture (libpcap dump: the input's link type, snap length
// and timestamp precision, the records' original bytes).
//
// One difference between the two: the interpreter sees pkt.len as the
// length on the wire, the kernel the bytes the capture kept (a capture
// taken with a snap length shorter than its frames gives smaller byte
// counts and bit rates in the kernel).
#include <memory>
#include <ostream>
#include <vector>

#include <pcap/pcap.h>

#include <nlohmann/json.hpp>

#include "backend/clang_module.h"
#include "codegen/kernel_evaluator.h"
#include "commands.h"
#include "driver.h"
#include "interp/interpreter.h"
#include "interp/pcap_replay.h"
#include "object_cache_choice.h"
#include "psl_parse.h"
#include "single_policy.h"

namespace psc {

namespace {

using nlohmann::json;

std::string describe(const psl::RuleDecl &r) {
  std::string s = psl::action_name(r.action);
  if (r.shadow)
    s += " shadow";
  return s;
}

// Copies the records of `in` whose index (from 1) is marked in `keep` to
// `out`, keeping the link type. Returns an error message or "".
std::string write_passed(const std::string &in, const std::string &out,
                         const std::vector<bool> &keep) {
  char err[PCAP_ERRBUF_SIZE] = {0};
  pcap_t *p = pcap_open_offline_with_tstamp_precision(
      in.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  if (!p)
    return "cannot reopen capture '" + in + "': " + err;
  pcap_dumper_t *d = pcap_dump_open(p, out.c_str());
  if (!d) {
    std::string e = "cannot write '" + out + "': " + pcap_geterr(p);
    pcap_close(p);
    return e;
  }
  struct pcap_pkthdr *h = nullptr;
  const u_char *data = nullptr;
  uint64_t index = 0;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
    ++index;
    if (index < keep.size() && keep[index])
      pcap_dump(reinterpret_cast<u_char *>(d), h, data);
  }
  std::string e;
  if (rc == PCAP_ERROR)
    e = "cannot reread capture '" + in + "': " + pcap_geterr(p);
  if (pcap_dump_flush(d) != 0 && e.empty())
    e = "cannot write '" + out + "'";
  pcap_dump_close(d);
  pcap_close(p);
  return e;
}

std::string rule_name(const psl::Policy &policy, int index) {
  if (index >= 0)
    for (const psl::RuleDecl *r : policy.rules)
      if (static_cast<int>(r->index) == index)
        return r->name;
  return "default";
}

} // namespace

int run_replay(const RunOptions &options, Streams io) {
  if (!options.interp) {
    std::string missing = psl::codegen::kernel_unavailable_reason();
    if (!missing.empty()) {
      io.err << "psc run: cannot run the policy in the kernel: " << missing
             << "; run 'psc run --interp' to "
                "replay the capture on the reference interpreter\n";
      return kExitEnvironment;
    }
    psl::backend::preload_clang(); // loads while the policy is checked
  }
  const bool text = options.format == RunOptions::Format::Text;

  psl::TextOptions text_options;
  text_options.color = options.color;
  int status = kExitOk;
  psl::codegen::PolicyBuildOptions build;
  if (!options.interp) {
    auto cache = open_object_cache({options.no_cache, options.cache_dir}, "run",
                                   io, &status);
    if (!cache)
      return status;
    build.object_cache = std::move(*cache);
  }
  std::optional<CheckedPolicy> checked_policy =
      check_single_policy("run", options.path, text_options, io,
                          ShowDiagnostics::OnlyOnError, &status);
  if (!checked_policy)
    return status;
  const psl::CheckedModule &checked = checked_policy->checked;
  const psl::Policy &policy = *checked.module.policy;

  std::optional<psl::interp::Interpreter> interp;
  std::unique_ptr<psl::codegen::KernelEvaluator> kernel;
  auto report = [&](const char *what, const psl::backend::Error &e) {
    io.err << checked_policy->file->path() << ": error: " << what << ": "
           << e.message << "\n"
           << psl::backend::format_notes(e.notes);
    if (!e.detail.empty())
      io.err << e.detail << (e.detail.back() == '\n' ? "" : "\n");
    return exit_status(e.kind);
  };
  try {
    if (options.interp) {
      interp.emplace(policy);
    } else {
      auto k = psl::codegen::KernelEvaluator::create(
          policy, checked.diags.file_ptr().get(), build);
      if (!k.ok())
        return report("cannot build the policy", k.error());
      kernel = std::move(k.value());
      report_store_failures(build.object_cache, "run", io);
      if (psl::backend::Status s = kernel->ensure_loaded(); !s.ok())
        return report("cannot run the policy", s.error());
    }
  } catch (const psl::interp::InterpError &e) {
    return report("cannot run the policy", psl::backend::Error::user(e.what()));
  }

  uint64_t packets = 0, passed = 0, dropped = 0;
  std::vector<bool> keep; // by capture index: the record got `pass`
  std::optional<psl::backend::Error> kernel_error;
  auto error = psl::interp::replay_pcap(
      options.pcap, [&](const psl::interp::CapturedFrame &f) {
        if (kernel_error)
          return;
        psl::Action verdict;
        std::string rule;
        if (kernel) {
          auto ev = kernel->evaluate(f.frame, f.time_ns);
          if (!ev.ok()) {
            kernel_error = ev.error();
            kernel_error->message =
                "packet " + std::to_string(f.index) + ": " + ev.error().message;
            return;
          }
          verdict = ev->verdict;
          rule = rule_name(policy, ev->rule);
        } else {
          psl_pkt p;
          psl_parse_buffer(f.frame.data(), static_cast<__u32>(f.frame.size()),
                           &p);
          p.pkt_len =
              f.wire_len; // pkt.len is the frame's length, not what was kept
          psl::interp::Decision d = interp->evaluate(p, f.time_ns);
          verdict = d.verdict;
          rule = d.rule_name();
        }
        ++packets;
        (verdict == psl::Action::Drop ? dropped : passed)++;
        if (verdict == psl::Action::Pass) {
          if (keep.size() <= f.index)
            keep.resize(f.index + 1, false);
          keep[f.index] = true;
        }
        if (text) {
          io.out << f.index << " " << psl::action_name(verdict) << " " << rule
                 << "\n";
        } else {
          io.out << json{{"index", f.index},
                         {"verdict", psl::action_name(verdict)},
                         {"rule", rule}}
                        .dump()
                 << "\n";
        }
      });
  if (error) {
    io.out.flush();
    io.err << "psc run: " << *error << "\n";
    return kExitFindings;
  }
  if (kernel_error) {
    io.out.flush();
    io.err << "psc run: " << kernel_error->message << "\n";
    return exit_status(kernel_error->kind);
  }

  if (!options.write_passed.empty()) {
    std::string e = write_passed(options.pcap, options.write_passed, keep);
    if (!e.empty()) {
      io.out.flush();
      io.err << "psc run: " << e << "\n";
      return kExitEnvironment;
    }
  }

  struct Counter {
    uint64_t packets = 0, bytes = 0;
  };
  std::optional<psl::backend::Error> counter_error;
  auto from_kernel =
      [&](psl::backend::Expected<psl::codegen::KernelCounter> c) -> Counter {
    if (!c.ok()) {
      counter_error = c.error();
      return {};
    }
    return {c->packets, c->bytes};
  };
  auto rule_counter = [&](uint32_t index) -> Counter {
    if (interp) {
      const auto &c = interp->rule_counter(index);
      return {c.packets, c.bytes};
    }
    return from_kernel(kernel->rule_counter(index));
  };
  auto default_counter = [&]() -> Counter {
    if (interp) {
      const auto &c = interp->default_counter();
      return {c.packets, c.bytes};
    }
    return from_kernel(kernel->default_counter());
  };

  if (text) {
    io.out << "summary: " << packets << (packets == 1 ? " packet" : " packets")
           << ", " << passed << " pass, " << dropped << " drop\n";
    for (const psl::RuleDecl *r : policy.rules) {
      const Counter c = rule_counter(r->index);
      io.out << "  rule " << r->name << " (" << describe(*r)
             << "): " << c.packets
             << (c.packets == 1 ? " packet, " : " packets, ") << c.bytes
             << " bytes\n";
    }
    const Counter c = default_counter();
    io.out << "  default (" << psl::action_name(policy.default_action())
           << "): " << c.packets
           << (c.packets == 1 ? " packet, " : " packets, ") << c.bytes
           << " bytes\n";
  } else {
    json rules = json::array();
    for (const psl::RuleDecl *r : policy.rules) {
      const Counter c = rule_counter(r->index);
      rules.push_back(json{{"rule", r->name},
                           {"action", psl::action_name(r->action)},
                           {"shadow", r->shadow},
                           {"packets", c.packets},
                           {"bytes", c.bytes}});
    }
    const Counter c = default_counter();
    rules.push_back(json{{"rule", "default"},
                         {"action", psl::action_name(policy.default_action())},
                         {"shadow", false},
                         {"packets", c.packets},
                         {"bytes", c.bytes}});
    io.out << json{{"summary",
                    {{"packets", packets},
                     {"pass", passed},
                     {"drop", dropped},
                     {"rules", rules}}}}
                  .dump()
           << "\n";
  }
  io.out.flush();
  if (counter_error) {
    io.err << "psc run: cannot read the rule counters: "
           << counter_error->message << "\n";
    return exit_status(counter_error->kind);
  }
  return kExitOk;
}

} // namespace psc
