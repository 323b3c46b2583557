// psc run: replays a packet capture through a policy. Only the reference
// interpreter exists so far (--interp); kernel mode says so instead of
// quietly using it.
#include <ostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "driver.h"
#include "inputs.h"
#include "interp/interpreter.h"
#include "interp/pcap_replay.h"
#include "psl_parse.h"
#include "report/report.h"

namespace psc {

namespace {

using nlohmann::json;

std::string describe(const psl::RuleDecl &r) {
  std::string s = psl::action_name(r.action);
  if (r.shadow)
    s += " shadow";
  return s;
}

} // namespace

int run_replay(const RunOptions &options, Streams io) {
  if (!options.interp) {
    io.err << "psc run: kernel mode is not available yet (running compiled "
              "policies in the kernel is not wired up); run 'psc run "
              "--interp' to replay the capture on the reference interpreter\n";
    return kExitUsage;
  }
  const bool text = options.format == RunOptions::Format::Text;

  auto inputs = expand_inputs({options.path});
  if (inputs.size() != 1) {
    io.err << "psc run: expected one policy file, got " << inputs.size()
           << "\n";
    return kExitUsage;
  }
  LoadedInput loaded = load_input(inputs[0], io.in);
  psl::TextOptions text_options;
  text_options.color = options.color;
  if (loaded.problem) {
    io.err << psl::render_text(*loaded.file, *loaded.problem, text_options);
    return kExitFindings;
  }
  psl::CheckedModule checked =
      psl::check_source(loaded.file->path(), loaded.file->text());
  if (!checked.ok()) {
    psl::FileReport report{checked.diags.file_ptr(),
                           checked.diags.diagnostics()};
    io.err << psl::render_text(report, text_options);
    return kExitFindings;
  }
  const psl::Policy &policy = *checked.module.policy;

  std::optional<psl::interp::Interpreter> interp;
  try {
    interp.emplace(policy);
  } catch (const psl::interp::InterpError &e) {
    io.err << loaded.file->path()
           << ": error: cannot run the policy: " << e.what() << "\n";
    return kExitFindings;
  }

  uint64_t packets = 0, passed = 0, dropped = 0;
  auto error = psl::interp::replay_pcap(
      options.pcap, [&](const psl::interp::CapturedFrame &f) {
        psl_pkt p;
        psl_parse_buffer(f.frame.data(), static_cast<__u32>(f.frame.size()),
                         &p);
        p.pkt_len =
            f.wire_len; // pkt.len is the frame's length, not what was kept
        psl::interp::Decision d = interp->evaluate(p, f.time_ns);
        ++packets;
        (d.verdict == psl::Action::Drop ? dropped : passed)++;
        if (text) {
          io.out << f.index << " " << psl::action_name(d.verdict) << " "
                 << d.rule_name() << "\n";
        } else {
          io.out << json{{"index", f.index},
                         {"verdict", psl::action_name(d.verdict)},
                         {"rule", d.rule_name()}}
                        .dump()
                 << "\n";
        }
      });
  if (error) {
    io.out.flush();
    io.err << "psc run: " << *error << "\n";
    return kExitFindings;
  }

  if (text) {
    io.out << "summary: " << packets << (packets == 1 ? " packet" : " packets")
           << ", " << passed << " pass, " << dropped << " drop\n";
    for (const psl::RuleDecl *r : policy.rules) {
      const auto &c = interp->rule_counter(r->index);
      io.out << "  rule " << r->name << " (" << describe(*r)
             << "): " << c.packets
             << (c.packets == 1 ? " packet, " : " packets, ") << c.bytes
             << " bytes\n";
    }
    const auto &c = interp->default_counter();
    io.out << "  default (" << psl::action_name(policy.default_action())
           << "): " << c.packets
           << (c.packets == 1 ? " packet, " : " packets, ") << c.bytes
           << " bytes\n";
  } else {
    json rules = json::array();
    for (const psl::RuleDecl *r : policy.rules) {
      const auto &c = interp->rule_counter(r->index);
      rules.push_back(json{{"rule", r->name},
                           {"action", psl::action_name(r->action)},
                           {"shadow", r->shadow},
                           {"packets", c.packets},
                           {"bytes", c.bytes}});
    }
    const auto &c = interp->default_counter();
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
  return kExitOk;
}

} // namespace psc
