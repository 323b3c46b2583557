// Shared helpers of the interpreter tests: real PSL text through the real
// pipeline, frames from the test-packet builder.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "driver.h"
#include "interp/interpreter.h"
#include "interp/packet_builder.h"

namespace interp_test {

using namespace psl;
using namespace psl::interp;

inline std::string errors_of(const CheckedModule &m) {
  std::string out;
  for (const auto &d : m.diags.diagnostics())
    if (d.severity == Severity::Error)
      out += std::to_string(d.range.begin.line) + ":" +
             std::to_string(d.range.begin.column) + ": " +
             diag_info(d.code).name + " " + d.message + "\n";
  return out;
}

// A checked policy and an interpreter over it.
struct Loaded {
  std::unique_ptr<CheckedModule> m;
  std::unique_ptr<Interpreter> interp;

  const Policy &policy() const { return *m->module.policy; }
  Decision eval(const std::vector<uint8_t> &frame,
                uint64_t now = 1'000'000'000) {
    return interp->evaluate_frame(frame.data(), frame.size(), now);
  }
};

// `body` goes inside `policy t { ... }`.
inline Loaded run(const std::string &body) {
  Loaded r;
  r.m = std::make_unique<CheckedModule>(
      check_source("t.psl", "policy t {\n" + body + "\n}\n"));
  EXPECT_TRUE(r.m->ok()) << errors_of(*r.m);
  if (r.m->ok())
    r.interp = std::make_unique<Interpreter>(*r.m->module.policy);
  return r;
}

inline Value ip(const std::string &text) {
  auto a = parse_ip(text);
  EXPECT_TRUE(a) << text;
  return Value{a.value_or(IpAddr{})};
}
inline Value num(uint64_t n) { return Value{n}; }
inline Value yes() { return Value{true}; }
inline Value proto(uint8_t n) { return Value{ProtoValue{n}}; }
inline Value icmp(uint8_t n) { return Value{IcmpTypeValue{false, n}}; }
inline Value icmp6(uint8_t n) { return Value{IcmpTypeValue{true, n}}; }
inline Value mac(const std::string &text) {
  auto m = parse_mac(text);
  EXPECT_TRUE(m) << text;
  return Value{m.value_or(MacAddr{})};
}

using Fields = std::vector<std::pair<std::string, Value>>;

// A frame with these fields; fails the test if it cannot be built.
inline std::vector<uint8_t> frame(const Fields &fields) {
  BuiltPacket b = build_packet(fields_of(fields));
  EXPECT_TRUE(b.ok()) << (b.error ? b.error->message : "");
  return b.frame;
}

// The builder's error message, or "" if the frame was built.
inline std::string build_error(const Fields &fields) {
  BuiltPacket b = build_packet(fields_of(fields));
  return b.error ? b.error->message : "";
}

} // namespace interp_test
