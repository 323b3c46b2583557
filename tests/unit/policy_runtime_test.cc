// The policy runtime's parts that need no kernel: the state layout, the
// per-target lock, set values and durations as psc set takes them, the
// state file, the carry-over plan by rule name (real PSL through the
// front end and the lowering), counters carried by name, rule starts and
// expiry, taking expired rules out of a policy's text, and whose fault
// each refusal is (the error kinds psc's exit statuses follow).
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codegen/policy_build.h"
#include "driver.h"
#include "lower/lower.h"
#include "policy/carry_plan.h"
#include "policy/counters.h"
#include "policy/dynamic_sets.h"
#include "policy/files.h"
#include "policy/in_force.h"
#include "policy/layout.h"
#include "policy/program_state.h"
#include "policy/put_in_force.h"
#include "policy/rule_expiry.h"
#include "policy/set_values.h"
#include "policy/status.h"
#include "policy/target_lock.h"
#include "psl_dynset.h"
#include "psl_rate.h"

namespace {

namespace be = psl::backend;
namespace pp = psr::policy;
using pp::CarryHow;

// A fresh directory under /tmp, removed by the destructor.
struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/psr-policy-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { pp::remove_tree(path, 6); }
  std::string path;
};

// ------------------------------------------------------------------ layout

TEST(PolicyLayout, PathsAreKeyedByNamespaceAndInterface) {
  pp::StateLayout l;
  l.pin_root = "/sys/fs/bpf/ps";
  l.state_root = "/run/ps";
  const pp::Target t{"net-4026531840", "eth0"};
  EXPECT_EQ(l.pin_dir(t), "/sys/fs/bpf/ps/net-4026531840/eth0");
  EXPECT_EQ(l.link_pin(t), "/sys/fs/bpf/ps/net-4026531840/eth0/link");
  EXPECT_EQ(l.maps_dir(t), "/sys/fs/bpf/ps/net-4026531840/eth0/maps");
  EXPECT_EQ(l.state_dir(t), "/run/ps/net-4026531840/eth0");
  EXPECT_EQ(l.lock_file(t), "/run/ps/net-4026531840/eth0/lock");
  EXPECT_EQ(l.program_dir(t, 42), "/run/ps/net-4026531840/eth0/prog-42");
  // The attacher of the namespace keeps <ifname>/link under it.
  EXPECT_EQ(l.attacher(t).link_pin_path("eth0"), l.link_pin(t));
  EXPECT_EQ(t.display(), "eth0 (net-4026531840)");
  // Same interface name, other namespace: other places.
  const pp::Target other{"net-4026532000", "eth0"};
  EXPECT_NE(l.pin_dir(t), l.pin_dir(other));
  EXPECT_NE(l.state_dir(t), l.state_dir(other));
}

TEST(PolicyLayout, DefaultsAndEnvironment) {
  ::unsetenv("PSC_PIN_ROOT");
  ::unsetenv("PSC_STATE_DIR");
  pp::StateLayout d = pp::StateLayout::from_environment();
  EXPECT_EQ(d.pin_root, "/sys/fs/bpf/packetscope");
  EXPECT_EQ(d.state_root, "/run/packetscope");
  ::setenv("PSC_PIN_ROOT", "/sys/fs/bpf/elsewhere", 1);
  ::setenv("PSC_STATE_DIR", "/tmp/state", 1);
  pp::StateLayout e = pp::StateLayout::from_environment();
  EXPECT_EQ(e.pin_root, "/sys/fs/bpf/elsewhere");
  EXPECT_EQ(e.state_root, "/tmp/state");
  ::unsetenv("PSC_PIN_ROOT");
  ::unsetenv("PSC_STATE_DIR");
}

TEST(PolicyLayout, NamesOfInterfacesAndNamespaces) {
  EXPECT_TRUE(pp::check_ifname("eth0").ok());
  EXPECT_TRUE(pp::check_ifname("veth-a.100").ok());
  for (const char *bad :
       {"", ".", "..", "a/b", "a b", "a:1", "sixteen-chars-xx"})
    EXPECT_FALSE(pp::check_ifname(bad).ok()) << bad;
  EXPECT_EQ(pp::check_ifname("a/b").error().message,
            "'a/b' is not an interface name");
  EXPECT_TRUE(pp::valid_netns_name("net-4026531840"));
  for (const char *bad : {"net-", "net-12a", "foo", "net--1", "enforcer-net-1"})
    EXPECT_FALSE(pp::valid_netns_name(bad)) << bad;
}

TEST(PolicyLayout, CurrentNamespaceIsItsNsfsInode) {
  auto ns = pp::current_netns();
  ASSERT_TRUE(ns.ok()) << ns.error().message;
  struct stat st;
  ASSERT_EQ(::stat("/proc/thread-self/ns/net", &st), 0);
  EXPECT_EQ(ns->inode, st.st_ino);
  EXPECT_EQ(ns->name(), "net-" + std::to_string(st.st_ino));
  EXPECT_TRUE(pp::netns_alive(ns->name())); // this process is in it
  EXPECT_FALSE(pp::netns_alive("net-1"));
  auto t = pp::Target::in_current_netns("eth0");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->netns, ns->name());
  EXPECT_FALSE(pp::Target::in_current_netns("a/b").ok());
}

TEST(PolicyLayout, TargetsComeFromPinsAndState) {
  TempDir d;
  pp::StateLayout l;
  l.pin_root = d.path + "/pins";
  l.state_root = d.path + "/state";
  ASSERT_TRUE(pp::make_dirs(l.pin_root + "/net-7/eth1/maps", 0755).ok());
  ASSERT_TRUE(pp::make_dirs(l.state_root + "/net-7/eth0", 0755).ok());
  ASSERT_TRUE(pp::make_dirs(l.state_root + "/net-9/eth0", 0755).ok());
  std::ofstream(l.state_root + "/enforcer-net-7.lock") << "1\n";
  ASSERT_TRUE(pp::make_dirs(l.state_root + "/junk", 0755).ok());
  EXPECT_EQ(l.namespaces(), (std::vector<std::string>{"net-7", "net-9"}));
  std::vector<pp::Target> t = l.targets("net-7");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].ifname, "eth0");
  EXPECT_EQ(t[1].ifname, "eth1");
}

// -------------------------------------------------------------------- lock

TEST(PolicyLock, SecondHolderIsToldWhoHasIt) {
  TempDir d;
  pp::StateLayout l;
  l.state_root = d.path;
  const pp::Target t{"net-1", "psc0"};
  auto first = pp::TargetLock::acquire(l, t, "load");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->created_dirs().size(), 2u); // net-1 and psc0
  // flock is per open file: a second acquire in this process conflicts.
  auto second = pp::TargetLock::acquire(l, t, "set");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message,
            "another load on 'psc0' is in progress (pid " +
                std::to_string(::getpid()) + ")");
  pp::LockHolder h = pp::lock_holder(l.lock_file(t));
  EXPECT_EQ(h.purpose, "load");
  EXPECT_EQ(h.pid, ::getpid());
}

TEST(PolicyLock, WaiterGetsItOnceReleased) {
  TempDir d;
  pp::StateLayout l;
  l.state_root = d.path;
  const pp::Target t{"net-1", "psc0"};
  auto first = pp::TargetLock::acquire(l, t, "load");
  ASSERT_TRUE(first.ok());
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    // A take down removes the file while holding it: the waiter must
    // notice and lock the new one.
    first->remove_state_dir();
    first =
        psl::backend::Expected<pp::TargetLock>(psl::backend::Error("released"));
  });
  auto second = pp::TargetLock::acquire(l, t, "set", std::chrono::seconds(5));
  release.join();
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE(pp::path_exists(l.lock_file(t)));
  EXPECT_EQ(pp::lock_holder(l.lock_file(t)).purpose, "set");
}

TEST(PolicyLock, ABriefHolderIsWaitedFor) {
  TempDir d;
  pp::StateLayout l;
  l.state_root = d.path;
  const pp::Target t{"net-1", "psc0"};
  auto sweep = pp::TargetLock::acquire(l, t, "sweep");
  ASSERT_TRUE(sweep.ok());
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    sweep =
        psl::backend::Expected<pp::TargetLock>(psl::backend::Error("released"));
  });
  // No wait asked for, but a sweep is over in a moment.
  auto load = pp::TargetLock::acquire(l, t, "load");
  release.join();
  EXPECT_TRUE(load.ok()) << load.error().message;
}

TEST(PolicyLock, RemoveStateDirLeavesNothing) {
  TempDir d;
  pp::StateLayout l;
  l.state_root = d.path + "/state";
  const pp::Target t{"net-1", "psc0"};
  auto lock = pp::TargetLock::acquire(l, t, "load");
  ASSERT_TRUE(lock.ok());
  ASSERT_TRUE(pp::make_dirs(l.program_dir(t, 5), 0755).ok());
  lock->remove_state_dir();
  pp::remove_created_dirs(lock->created_dirs());
  EXPECT_FALSE(pp::path_exists(d.path + "/state"));
}

TEST(PolicyLock, ExpiryEnforcerIsSeenWhileHeld) {
  TempDir d;
  pp::StateLayout l;
  l.state_root = d.path;
  EXPECT_FALSE(pp::expiry_enforced(l, "net-1"));
  {
    auto e = pp::ExpiryEnforcer::acquire(l, "net-1");
    ASSERT_TRUE(e.ok()) << e.error().message;
    EXPECT_TRUE(pp::expiry_enforced(l, "net-1"));
    EXPECT_FALSE(pp::expiry_enforced(l, "net-2"));
    EXPECT_FALSE(pp::ExpiryEnforcer::acquire(l, "net-1").ok());
  }
  EXPECT_FALSE(pp::expiry_enforced(l, "net-1"));
}

// -------------------------------------------------------------- set values

std::vector<uint8_t> key_of(pp::SetElem e, const std::string &text) {
  auto k = pp::encode_set_value(e, text);
  EXPECT_TRUE(k.ok()) << text << ": " << k.error().message;
  return k.ok() ? *k : std::vector<uint8_t>{};
}
std::string error_of(pp::SetElem e, const std::string &text) {
  auto k = pp::encode_set_value(e, text);
  EXPECT_FALSE(k.ok()) << text;
  return k.ok() ? std::string() : k.error().message;
}
uint64_t int_value(const std::vector<uint8_t> &key) {
  psl_int_key k{};
  EXPECT_EQ(key.size(), sizeof k);
  std::memcpy(&k, key.data(), std::min(key.size(), sizeof k));
  return k.value;
}

TEST(PolicySetValues, AddressesAreKeyedAsTheParserStoresThem) {
  std::vector<uint8_t> v4 = key_of(pp::SetElem::Ip, "198.51.100.7");
  ASSERT_EQ(v4.size(), sizeof(psl_ip_key));
  psl_ip_key k;
  std::memcpy(&k, v4.data(), sizeof k);
  const uint8_t mapped[16] = {0, 0, 0,    0,    0,   0,  0,   0,
                              0, 0, 0xff, 0xff, 198, 51, 100, 7};
  EXPECT_EQ(std::memcmp(k.addr, mapped, 16), 0);
  EXPECT_EQ(k.family, 4);
  EXPECT_EQ(k._pad[0] | k._pad[1] | k._pad[2], 0);
  EXPECT_EQ(pp::decode_set_key(pp::SetElem::Ip, v4), "198.51.100.7");

  std::vector<uint8_t> v6 = key_of(pp::SetElem::Ip, "2001:db8::1");
  std::memcpy(&k, v6.data(), sizeof k);
  EXPECT_EQ(k.family, 6);
  EXPECT_EQ(k.addr[0], 0x20);
  EXPECT_EQ(k.addr[15], 1);
  EXPECT_EQ(pp::decode_set_key(pp::SetElem::Ip, v6), "2001:db8::1");
  // The same bits written as an IPv6 address are another key (family).
  EXPECT_NE(key_of(pp::SetElem::Ip, "::ffff:198.51.100.7"), v4);

  EXPECT_EQ(error_of(pp::SetElem::Ip, "10.0.0.300"),
            "invalid IPv4 address '10.0.0.300'");
  EXPECT_EQ(error_of(pp::SetElem::Ip, "10.0.0.0/8"),
            "'10.0.0.0/8' is a prefix; a dynamic set holds single addresses");
  EXPECT_EQ(error_of(pp::SetElem::Ip, "notanip"),
            "invalid IPv4 address 'notanip'");
}

TEST(PolicySetValues, IntegersAreDecimalOrHexAsInPsl) {
  EXPECT_EQ(int_value(key_of(pp::SetElem::Port, "010")), 10u); // not 8
  EXPECT_EQ(int_value(key_of(pp::SetElem::Port, "0x1f")), 31u);
  EXPECT_EQ(int_value(key_of(pp::SetElem::Port, "65535")), 65535u);
  EXPECT_EQ(error_of(pp::SetElem::Port, "65536"),
            "port '65536' is out of range (0..65535)");
  EXPECT_EQ(error_of(pp::SetElem::Port, "-1"), "invalid integer '-1'");
  EXPECT_EQ(error_of(pp::SetElem::Port, "22/tcp"), "invalid integer '22/tcp'");
  EXPECT_EQ(int_value(key_of(pp::SetElem::Int, "18446744073709551615")),
            std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(error_of(pp::SetElem::Int, "18446744073709551616"),
            "integer '18446744073709551616' is too large (the largest is "
            "18446744073709551615)");
  EXPECT_EQ(
      pp::decode_set_key(pp::SetElem::Port, key_of(pp::SetElem::Port, "0x50")),
      "80");
}

TEST(PolicySetValues, ProtocolsByTheCompilersNames) {
  EXPECT_EQ(int_value(key_of(pp::SetElem::Proto, "tcp")), 6u);
  EXPECT_EQ(int_value(key_of(pp::SetElem::Proto, "icmpv6")), 58u);
  EXPECT_EQ(int_value(key_of(pp::SetElem::Proto, "47")), 47u);
  EXPECT_EQ(int_value(key_of(pp::SetElem::Proto, "proto(99)")), 99u);
  EXPECT_EQ(
      pp::decode_set_key(pp::SetElem::Proto, key_of(pp::SetElem::Proto, "47")),
      "gre");
  EXPECT_EQ(
      pp::decode_set_key(pp::SetElem::Proto, key_of(pp::SetElem::Proto, "17")),
      "udp");
  EXPECT_EQ(
      pp::decode_set_key(pp::SetElem::Proto, key_of(pp::SetElem::Proto, "99")),
      "proto(99)");
  EXPECT_EQ(error_of(pp::SetElem::Proto, "256"),
            "protocol '256' is out of range (0..255)");
  EXPECT_EQ(error_of(pp::SetElem::Proto, "tpc"),
            "unknown protocol 'tpc' (use icmp, tcp, udp, gre, esp, ah, "
            "icmpv6, sctp, a number or proto(N))");
}

TEST(PolicySetValues, MacAddressesAsTheProgramLooksThemUp) {
  EXPECT_EQ(int_value(key_of(pp::SetElem::Mac, "aa:bb:cc:dd:ee:ff")),
            0xaabbccddeeffull);
  EXPECT_EQ(pp::decode_set_key(pp::SetElem::Mac,
                               key_of(pp::SetElem::Mac, "02:00:00:00:00:0a")),
            "02:00:00:00:00:0a");
  EXPECT_EQ(error_of(pp::SetElem::Mac, "aa:bb"),
            "invalid MAC address 'aa:bb' (write it as aa:bb:cc:dd:ee:ff)");
}

TEST(PolicySetValues, TtlsArePslDurations) {
  auto ten = pp::parse_entry_ttl("10m");
  ASSERT_TRUE(ten.ok());
  EXPECT_EQ(ten->ns, 600000000000ull);
  EXPECT_FALSE(ten->never);
  EXPECT_EQ(pp::parse_entry_ttl("500ms")->ns, 500000000ull);
  EXPECT_TRUE(pp::parse_entry_ttl("never")->never);
  EXPECT_EQ(pp::parse_entry_ttl("2d").error().message,
            "unknown duration unit 'd' in '2d' (use ms, s, m or h)");
  EXPECT_EQ(pp::parse_entry_ttl("99999999h").error().message,
            "duration '99999999h' is too long");
  EXPECT_EQ(pp::parse_entry_ttl("10").error().message,
            "duration '10' needs a unit (ms, s, m or h), e.g. '10s'");
  EXPECT_FALSE(pp::parse_entry_ttl("0s").ok());
  EXPECT_FALSE(pp::parse_entry_ttl("-5s").ok());
}

TEST(PolicySetValues, ExpiryNeverWraps) {
  EXPECT_EQ(*pp::expiry_time(1000, 0), 0u); // never expires
  EXPECT_EQ(*pp::expiry_time(1000, 5), 1005u);
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  EXPECT_FALSE(pp::expiry_time(1000, max).ok());
  EXPECT_EQ(*pp::expiry_time(1000, max - 1000), max);
}

TEST(PolicySetValues, ListFilters) {
  auto prefix = pp::SetFilter::parse(pp::SetElem::Ip, "10.0.0.0/8");
  ASSERT_TRUE(prefix.ok()) << prefix.error().message;
  EXPECT_TRUE(prefix->matches(key_of(pp::SetElem::Ip, "10.1.2.3")));
  EXPECT_FALSE(prefix->matches(key_of(pp::SetElem::Ip, "11.0.0.1")));
  EXPECT_FALSE(prefix->matches(key_of(pp::SetElem::Ip, "::a01:203")));
  auto v6 = pp::SetFilter::parse(pp::SetElem::Ip, "2001:db8::/32");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->matches(key_of(pp::SetElem::Ip, "2001:db8:1::5")));
  EXPECT_FALSE(v6->matches(key_of(pp::SetElem::Ip, "2001:db9::5")));
  EXPECT_EQ(pp::SetFilter::parse(pp::SetElem::Ip, "10.0.0.1/8").error().message,
            "prefix '10.0.0.1/8' has host bits set (did you mean "
            "10.0.0.0/8?)");
  auto exact = pp::SetFilter::parse(pp::SetElem::Proto, "tcp");
  ASSERT_TRUE(exact.ok());
  EXPECT_TRUE(exact->matches(key_of(pp::SetElem::Proto, "6")));
  EXPECT_FALSE(exact->matches(key_of(pp::SetElem::Proto, "udp")));
  EXPECT_FALSE(pp::SetFilter::parse(pp::SetElem::Port, "http").ok());
}

// -------------------------------------------------------------- state file

pp::ProgramState sample_state() {
  pp::ProgramState s;
  s.netns = "net-4026531840";
  s.netns_cookie = 4096;
  s.ifname = "eth0";
  s.prog_id = 77;
  s.mode = "native";
  s.policy = "edge";
  s.source = "/etc/ps/edge \"x\".psl";
  s.default_action = "drop";
  s.loaded_at_unix_ns = 1700000000000000000ull;
  s.attached_at_unix_ns = 1690000000000000000ull;
  s.expired_rules = {"old"};
  s.rules = {{"a", "pass", false, 1, 0},
             {"b\u00e9", "drop", true, 2, 5000000000ull}};
  s.dynsets = {{"banned", "ip", 100, 600000000000ull}};
  s.rates = {{0, "b\u00e9", 0, {"ip.src", "tcp.dport"}, 100, false, 200, 21}};
  s.counter_base["a"] = {1, 2, 3, 4};
  s.default_base = {5, 6, 0, 0};
  s.rule_started_ns["b\u00e9"] = 123456789;
  return s;
}

TEST(PolicyState, JsonRoundTrip) {
  const pp::ProgramState s = sample_state();
  auto back = pp::state_from_json(pp::state_to_json(s));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->netns, s.netns);
  EXPECT_EQ(back->netns_cookie, s.netns_cookie);
  EXPECT_EQ(back->ifname, s.ifname);
  EXPECT_EQ(back->prog_id, s.prog_id);
  EXPECT_EQ(back->mode, s.mode);
  EXPECT_EQ(back->policy, s.policy);
  EXPECT_EQ(back->source, s.source);
  EXPECT_EQ(back->default_action, s.default_action);
  EXPECT_EQ(back->loaded_at_unix_ns, s.loaded_at_unix_ns);
  EXPECT_EQ(back->attached_at_unix_ns, s.attached_at_unix_ns);
  EXPECT_EQ(back->expired_rules, s.expired_rules);
  EXPECT_EQ(back->rules, s.rules);
  ASSERT_EQ(back->dynsets.size(), 1u);
  EXPECT_EQ(back->dynsets[0].capacity, 100u);
  EXPECT_EQ(back->dynsets[0].ttl_ns, 600000000000ull);
  ASSERT_EQ(back->rates.size(), 1u);
  EXPECT_EQ(back->rates[0].keys, s.rates[0].keys);
  EXPECT_EQ(back->rates[0].shift, 21u);
  EXPECT_EQ(back->counter_base.at("a"), (pp::RuleCounts{1, 2, 3, 4}));
  EXPECT_EQ(back->default_base, (pp::RuleCounts{5, 6, 0, 0}));
  EXPECT_EQ(back->rule_started_ns, s.rule_started_ns);
}

TEST(PolicyState, RuleOriginsRoundTripAndDefaultToTheOperator) {
  pp::ProgramState s = sample_state();
  s.rules[1].origin = "detector";
  const std::string text = pp::state_to_json(s);
  // Operator rules keep the five-element row of earlier state files; a
  // generated rule has its origin as a sixth element.
  EXPECT_NE(text.find("[\"a\",\"pass\",false,1,0]"), std::string::npos) << text;
  EXPECT_NE(text.find(",5000000000,\"detector\"]"), std::string::npos) << text;
  auto back = pp::state_from_json(text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->rules.size(), 2u);
  EXPECT_EQ(back->rules[0].origin, "operator");
  EXPECT_EQ(back->rules[1].origin, "detector");
}

// A state the size of a 100k-rule rate policy's (rules, rates, counter
// bases, rule starts by the ten thousand): read back whole. It was read
// in seconds, quadratically, before the reader went SAX.
TEST(PolicyState, LargeTablesRoundTrip) {
  pp::ProgramState s = sample_state();
  s.rules.clear();
  s.rates.clear();
  s.counter_base.clear();
  s.rule_started_ns.clear();
  for (uint32_t i = 0; i < 50000; ++i) {
    const std::string name = "r" + std::to_string(i);
    s.rules.push_back({name, i % 2 ? "drop" : "pass", i % 7 == 0, i + 1,
                       i % 3 ? 0 : 60000000000ull});
    if (i % 5 == 0)
      s.rules.back().origin = "detector";
    s.rates.push_back({i, name, 0, {"ip.src"}, 100 + i, i % 2 == 0, 200, 21});
    s.counter_base[name] = {i, 2ull * i, 0, 0};
    s.rule_started_ns[name] = 1000ull + i;
  }
  auto back = pp::state_from_json(pp::state_to_json(s));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->rules, s.rules);
  ASSERT_EQ(back->rates.size(), s.rates.size());
  EXPECT_EQ(back->rates[49999].rule, "r49999");
  EXPECT_EQ(back->rates[49999].per_second, 100u + 49999);
  EXPECT_EQ(back->counter_base.size(), s.counter_base.size() - 1)
      << "r0's base is zero and not kept";
  EXPECT_EQ(back->counter_base.at("r12345"),
            (pp::RuleCounts{12345, 24690, 0, 0}));
  EXPECT_EQ(back->rule_started_ns, s.rule_started_ns);
  EXPECT_EQ(back->ifname, s.ifname);
}

TEST(PolicyState, BadFilesAreErrorsNotCrashes) {
  EXPECT_FALSE(pp::state_from_json("").ok());
  EXPECT_FALSE(pp::state_from_json("[]").ok());
  EXPECT_EQ(pp::state_from_json("{\"version\": 2}").error().message,
            "the state file has an unknown version");
  std::string text = pp::state_to_json(sample_state());
  text.replace(text.find("\"rules\""), 7, "\"rulez\"");
  EXPECT_FALSE(pp::state_from_json(text).ok());
  // A rule row of the wrong shape names what is wrong.
  std::string row = pp::state_to_json(sample_state());
  row.replace(row.find("[\"a\""), 4, "[7");
  auto bad_row = pp::state_from_json(row);
  ASSERT_FALSE(bad_row.ok());
  EXPECT_EQ(bad_row.error().message.rfind("the state file is malformed: ", 0),
            0u)
      << bad_row.error().message;
  std::string nested = pp::state_to_json(sample_state());
  nested.replace(nested.find("[\"a\""), 4, "[[1]");
  EXPECT_FALSE(pp::state_from_json(nested).ok());
  EXPECT_EQ(pp::state_from_json("{\"version\": 1").error().message,
            "the state file is not valid JSON");
}

// A file made in pieces (the policy's sidecar) lands whole, or not at all
// and the old one stays.
TEST(PolicyFiles, PiecesLandWholeOrNotAtAll) {
  TempDir dir;
  const std::string path = dir.path + "/policy.json";
  ASSERT_TRUE(pp::write_file_atomically(path, "old\n").ok());
  ASSERT_TRUE(pp::write_file_atomically(path, [](const pp::PieceEmitter &emit) {
                return emit("{\n") && emit("") && emit(" \"a\": 1\n") &&
                       emit("}\n");
              }).ok());
  EXPECT_EQ(pp::read_file(path).value_or(""), "{\n \"a\": 1\n}\n");
  // A producer that stops: an error, the file as it was, no temporary.
  be::Status stopped =
      pp::write_file_atomically(path, [](const pp::PieceEmitter &emit) {
        return emit("partial") && false;
      });
  ASSERT_FALSE(stopped.ok());
  EXPECT_NE(stopped.error().message.find(path), std::string::npos)
      << stopped.error().message;
  EXPECT_EQ(pp::read_file(path).value_or(""), "{\n \"a\": 1\n}\n");
  EXPECT_EQ(pp::list_dir(dir.path), std::vector<std::string>{"policy.json"});
}

TEST(PolicyState, ProgramDirectories) {
  TempDir d;
  pp::StateLayout l;
  l.state_root = d.path;
  const pp::Target t{"net-1", "eth0"};
  pp::ProgramState s = sample_state();
  for (uint32_t id : {5u, 77u}) {
    s.prog_id = id;
    ASSERT_TRUE(pp::make_dirs(l.program_dir(t, id), 0755).ok());
    ASSERT_TRUE(pp::write_program_state(l, t, s).ok());
  }
  ASSERT_TRUE(pp::make_dirs(l.state_dir(t) + "/prog-x", 0755).ok());
  EXPECT_EQ(pp::program_dirs(l, t), (std::vector<uint32_t>{5, 77}));
  auto read = pp::read_program_state(l, t, 77);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->prog_id, 77u);
  pp::remove_program_dirs(l, t, 77);
  EXPECT_EQ(pp::program_dirs(l, t), (std::vector<uint32_t>{77}));
  EXPECT_FALSE(pp::read_program_state(l, t, 5).ok());
}

// -------------------------------------------------------- the carry plan

// The tables put_in_force writes for `body` (inside `policy t { }`).
pp::ProgramState tables(const std::string &body) {
  psl::CheckedModule m =
      psl::check_source("t.psl", "policy t {\n" + body + "\n}\n");
  EXPECT_TRUE(m.ok()) << body;
  if (!m.ok())
    return {};
  psl::lower::LowerResult l =
      psl::lower::lower_policy(*m.module.policy, m.diags.file_ptr().get());
  EXPECT_TRUE(l.ok());
  return pp::describe_program(l.classifier, pp::rule_ttls(*m.module.policy));
}

const char *const kBase = R"(
  set banned : ip dynamic ttl 10m capacity 100
  set ports : port dynamic
  rule drop_banned: ip.src in banned => drop
  rule web: tcp.dport in ports => pass
  rule flood: icmp.type == echo_request and rate(ip.src) > 100/s => drop ttl 10m
  rule udp_flood: udp.dport == 53 and rate(ip.src, udp.sport) > 1k/s => drop
  default pass
)";

std::string edit(std::string text, const std::string &from,
                 const std::string &to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos)
    text.replace(at, from.size(), to);
  return text;
}

TEST(PolicyCarryPlan, DescribeProgramKeepsTheTables) {
  pp::ProgramState s = tables(kBase);
  ASSERT_EQ(s.rules.size(), 4u);
  EXPECT_EQ(s.rules[2].name, "flood");
  EXPECT_EQ(s.rules[2].counter, 3u);
  EXPECT_EQ(s.rules[2].ttl_ns, 600000000000ull);
  EXPECT_EQ(s.rules[0].ttl_ns, 0u);
  ASSERT_EQ(s.dynsets.size(), 2u);
  EXPECT_EQ(s.dynsets[0].elem, "ip");
  EXPECT_EQ(s.dynsets[1].elem, "port");
  EXPECT_EQ(s.dynsets[1].capacity, 65536u);
  ASSERT_EQ(s.rates.size(), 2u);
  EXPECT_EQ(s.rates[1].rule, "udp_flood");
  EXPECT_EQ(s.rates[1].keys, (std::vector<std::string>{"ip.src", "udp.sport"}));
  EXPECT_EQ(s.rates[1].per_second, 1000u);
}

TEST(PolicyCarryPlan, TheSamePolicyKeepsEveryMap) {
  pp::ProgramState a = tables(kBase), b = tables(kBase);
  pp::CarryPlan p = pp::plan_carry(&a, b, false);
  ASSERT_EQ(p.sets.size(), 2u);
  for (const auto &s : p.sets)
    EXPECT_EQ(s.how, CarryHow::Keep) << s.name;
  EXPECT_TRUE(p.keep_rate_map);
  for (const auto &r : p.rates)
    EXPECT_EQ(r.how, CarryHow::Keep) << r.rule;
  EXPECT_TRUE(p.keep_counter_maps);
  EXPECT_EQ(p.maps_to_reuse(),
            (std::set<std::string>{"banned", "ports", "psl_rate",
                                   "psl_rule_cnt", "psl_shadow_cnt"}));
}

// A 100k-rule rate policy swapped for itself planned in 45 s (a scan of
// the old rates per new one); the plan of a large table is what the small
// one's is. Rule starts too (a scan of the old rules per rule with a ttl).
TEST(PolicyCarryPlan, LargeRateTablesAreMatchedByPlace) {
  pp::ProgramState a, b;
  for (uint32_t i = 0; i < 30000; ++i) {
    const std::string name = "r" + std::to_string(i);
    pp::RuleEntry rule{name, "drop", false, i + 1, 60000000000ull};
    a.rules.push_back(rule);
    b.rules.push_back(rule);
    a.rates.push_back({i, name, 0, {"ip.src"}, 100, false, 200, 21});
    b.rates.push_back(a.rates.back());
    a.rule_started_ns[name] = 1000 + i;
  }
  // One rate changed, one re-keyed: they alone are not kept as they were.
  b.rates[7].per_second = 50;
  b.rates[9].keys = {"ip.dst"};
  pp::CarryPlan p = pp::plan_carry(&a, b, false);
  ASSERT_EQ(p.rates.size(), b.rates.size());
  EXPECT_FALSE(p.keep_rate_map);
  EXPECT_EQ(p.rates[7].how, CarryHow::Rescale);
  EXPECT_EQ(p.rates[9].how, CarryHow::Fresh);
  EXPECT_EQ(p.rates[9].why, "its key changed from (ip.src) to (ip.dst)");
  for (size_t i = 0; i < p.rates.size(); ++i)
    if (i != 7 && i != 9) {
      ASSERT_EQ(p.rates[i].how, CarryHow::Copy) << i;
      ASSERT_EQ(*p.rates[i].old_id, i);
    }
  b.rates[7] = a.rates[7];
  b.rates[9] = a.rates[9];
  EXPECT_TRUE(pp::plan_carry(&a, b, false).keep_rate_map);
  const auto starts = pp::rule_starts(&a, b, 999999, false);
  ASSERT_EQ(starts.size(), b.rules.size());
  EXPECT_EQ(starts.at("r29999"), 1000u + 29999);
  EXPECT_EQ(pp::rule_starts(&a, b, 999999, true).at("r5"), 999999u);
}

TEST(PolicyCarryPlan, AnEditedPolicyCarriesByName) {
  pp::ProgramState a = tables(kBase);
  // A rule in front (every id moves), a set grown, a rate changed.
  std::string text = edit(kBase, "  rule drop_banned",
                          "  rule first: ip.ttl < 2 => drop\n  rule "
                          "drop_banned");
  text = edit(text, "capacity 100", "capacity 200");
  text = edit(text, "> 1k/s", "> 2k/s");
  pp::ProgramState b = tables(text);
  pp::CarryPlan p = pp::plan_carry(&a, b, false);
  EXPECT_EQ(p.sets[0].how, CarryHow::Copy); // banned: capacity changed
  EXPECT_EQ(p.sets[1].how, CarryHow::Keep); // ports
  EXPECT_FALSE(p.keep_rate_map);
  ASSERT_EQ(p.rates.size(), 2u);
  EXPECT_EQ(p.rates[0].rule, "flood");
  EXPECT_EQ(p.rates[0].how, CarryHow::Copy);
  EXPECT_EQ(p.rates[1].how, CarryHow::Rescale); // 1k/s -> 2k/s
  ASSERT_TRUE(p.rates[1].old_id.has_value());
  EXPECT_FALSE(p.keep_counter_maps); // counter ids moved
  EXPECT_EQ(p.maps_to_reuse(), (std::set<std::string>{"ports"}));
}

TEST(PolicyCarryPlan, ChangedLayoutsStartAfreshAndSayWhy) {
  pp::ProgramState a = tables(kBase);
  std::string text =
      edit(kBase, "set ports : port dynamic", "set ports : int dynamic");
  text = edit(text, "tcp.dport in ports", "ip.ttl in ports");
  text = edit(text, "rate(ip.src, udp.sport)", "rate(ip.src)");
  text = edit(text, "  set banned : ip dynamic ttl 10m capacity 100\n", "");
  text = edit(text, "ip.src in banned", "ip.ttl < 2");
  pp::ProgramState b = tables(text);
  pp::CarryPlan p = pp::plan_carry(&a, b, false);
  ASSERT_EQ(p.sets.size(), 1u);
  EXPECT_EQ(p.sets[0].how, CarryHow::Fresh);
  EXPECT_EQ(p.sets[0].why, "its element type changed from port to int");
  EXPECT_EQ(p.sets_dropped, (std::vector<std::string>{"banned"}));
  EXPECT_EQ(p.rates[1].how, CarryHow::Fresh);
  EXPECT_EQ(p.rates[1].why,
            "its key changed from (ip.src, udp.sport) to (ip.src)");
  EXPECT_EQ(p.rates[0].how, CarryHow::Copy);
}

TEST(PolicyCarryPlan, ResetCarriesNothingButTracing) {
  pp::ProgramState a = tables(kBase), b = tables(kBase);
  pp::CarryPlan p = pp::plan_carry(&a, b, true);
  for (const auto &s : p.sets) {
    EXPECT_EQ(s.how, CarryHow::Fresh);
    EXPECT_EQ(s.why, "--reset");
  }
  EXPECT_FALSE(p.keep_rate_map);
  EXPECT_FALSE(p.keep_counter_maps);
  EXPECT_TRUE(p.maps_to_reuse().empty());
  EXPECT_TRUE(pp::tracing_map("pso_stats"));
  EXPECT_FALSE(pp::tracing_map("psl_rule_cnt"));
  // Nothing in force: everything is new, nothing to explain.
  pp::CarryPlan first = pp::plan_carry(nullptr, b, false);
  for (const auto &s : first.sets)
    EXPECT_TRUE(s.why.empty());
  EXPECT_FALSE(first.keep_counter_maps);
}

TEST(PolicyCarryPlan, RuleStartsFollowTheRuleName) {
  pp::ProgramState a = tables(kBase);
  a.rule_started_ns["flood"] = 1000;
  std::string text = edit(kBase, "=> drop\n  default",
                          "=> drop ttl 1h\n  default"); // udp_flood gets one
  text = edit(text, "  rule drop_banned",
              "  rule x: ip.ttl < 2 => drop\n"
              "  rule drop_banned");
  pp::ProgramState b = tables(text);
  auto starts = pp::rule_starts(&a, b, 5000, false);
  EXPECT_EQ(starts.at("flood"), 1000u); // kept across the swap
  EXPECT_EQ(starts.at("udp_flood"), 5000u);
  EXPECT_EQ(starts.size(), 2u);
  EXPECT_EQ(pp::rule_starts(&a, b, 5000, true).at("flood"), 5000u);
  EXPECT_EQ(pp::rule_starts(nullptr, b, 7, false).at("flood"), 7u);
}

TEST(PolicyCarryPlan, RescaledBucketsKeepTheirShareOfTheBurst) {
  pp::RateEntry from{0, "r", 0, {"ip.src"}, 100, false, 100, 0};
  pp::RateEntry to{0, "r", 0, {"ip.src"}, 200, false, 400, 0};
  psl_rate_cfg a{}, b{};
  ASSERT_EQ(psl_rate_cfg_make(100, 100, &a), 0);
  ASSERT_EQ(psl_rate_cfg_make(200, 400, &b), 0);
  from.shift = a.shift;
  to.shift = b.shift;
  const int64_t half = static_cast<int64_t>(a.burst_units / 2);
  EXPECT_EQ(pp::rescale_tokens(half, from, to),
            static_cast<int64_t>(b.burst_units / 2));
  EXPECT_EQ(pp::rescale_tokens(0, from, to), 0);
  EXPECT_EQ(
      pp::rescale_tokens(static_cast<int64_t>(a.burst_units) * 3, from, to),
      static_cast<int64_t>(b.burst_units)); // capped at the burst
}

// --------------------------------------------------------------- counters

TEST(PolicyCounters, TotalsAreBasePlusMaps) {
  pp::ProgramState s;
  s.rules = {{"a", "drop", false, 1, 0}, {"b", "drop", true, 2, 0}};
  s.counter_base["a"] = {10, 1000, 0, 0};
  s.default_base = {1, 60, 0, 0};
  std::vector<psl_counter> rule_cnt = {{2, 120}, {3, 300}, {0, 0}};
  std::vector<psl_counter> shadow_cnt = {{0, 0}, {0, 0}, {4, 400}};
  pp::CounterTotals t = pp::total_counts(s, rule_cnt, shadow_cnt);
  EXPECT_EQ(t.rules.at("a"), (pp::RuleCounts{13, 1300, 0, 0}));
  EXPECT_EQ(t.rules.at("b"), (pp::RuleCounts{0, 0, 4, 400}));
  EXPECT_EQ(t.default_counts, (pp::RuleCounts{3, 180, 0, 0}));
  // Slots the maps do not have count as zero.
  EXPECT_EQ(pp::total_counts(s, {}, {}).rules.at("a"),
            (pp::RuleCounts{10, 1000, 0, 0}));
}

TEST(PolicyCounters, CarriedByRuleName) {
  pp::CounterTotals old;
  old.rules["a"] = {5, 500, 0, 0};
  old.rules["b"] = {3, 300, 1, 100};
  old.rules["gone"] = {7, 700, 0, 0};
  old.rules["idle"] = {};
  old.default_counts = {9, 900, 0, 0};
  pp::CounterCarry c = pp::carry_counters(old, {"new", "b", "a", "idle"});
  EXPECT_EQ(c.base.size(), 2u);
  EXPECT_EQ(c.base.at("a"), (pp::RuleCounts{5, 500, 0, 0}));
  EXPECT_EQ(c.base.at("b"), (pp::RuleCounts{3, 300, 1, 100}));
  EXPECT_EQ(c.carried, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(c.dropped, (std::vector<std::string>{"gone"}));
  EXPECT_EQ(c.default_base, (pp::RuleCounts{9, 900, 0, 0}));
  pp::ProgramState x = tables(kBase), y = tables(kBase);
  EXPECT_TRUE(pp::same_counter_layout(x.rules, y.rules));
  y.rules[1].name = "web2";
  EXPECT_FALSE(pp::same_counter_layout(x.rules, y.rules));
}

// ------------------------------------------------------------ rule expiry

TEST(PolicyRuleExpiry, ExpiredAtStartPlusTtl) {
  pp::ProgramState s;
  s.rules = {{"a", "drop", false, 1, 50}, {"b", "drop", false, 2, 0}};
  s.rule_started_ns["a"] = 100;
  EXPECT_TRUE(pp::expired_rules(s, 149).empty());
  std::vector<pp::ExpiredRule> e = pp::expired_rules(s, 150);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].name, "a");
  EXPECT_EQ(e[0].expired_ns, 150u);
}

TEST(PolicyRuleExpiry, RulesComeOutOfTheText) {
  const std::string text = R"(# header
policy p {
  set banned : ip dynamic
  # why we drop pings
  # (for a while)
  rule no_ping: ip.proto == icmp => drop ttl 5s  # temporary

  rule keep: ip.src in banned => drop
  rule tmp2: tcp.dport == 9 => drop shadow ttl 1m
  default pass
}
)";
  auto out = pp::remove_rules_from_text("p.psl", text, {"no_ping", "tmp2"});
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(*out, R"(# header
policy p {
  set banned : ip dynamic

  rule keep: ip.src in banned => drop
  default pass
}
)");
  EXPECT_EQ(pp::remove_rules_from_text("p.psl", text, {"nope"}).error().message,
            "the policy has no rule 'nope'");
  EXPECT_FALSE(
      pp::remove_rules_from_text("p.psl", "policy p { rule", {"x"}).ok());
}

// ------------------------------------------------------------- error kinds
//
// Whose fault each refusal is (backend/status.h): psc's exit statuses
// follow from the kind, never from the text. Everything here is refused
// before the kernel is asked anything.

using be::ErrorKind;

TEST(PolicyErrorKinds, ValuesAndTtlsASetRefusesAreTheUsers) {
  const std::vector<std::pair<pp::SetElem, const char *>> refused = {
      {pp::SetElem::Ip, "10.0.0.300"}, {pp::SetElem::Ip, "10.0.0.0/8"},
      {pp::SetElem::Port, "70000"},    {pp::SetElem::Port, ""},
      {pp::SetElem::Int, "ten"},       {pp::SetElem::Mac, "aa:bb"},
      {pp::SetElem::Proto, "nope"},    {pp::SetElem::Proto, "proto(300)"}};
  for (const auto &[elem, text] : refused) {
    auto k = pp::encode_set_value(elem, text);
    ASSERT_FALSE(k.ok()) << text;
    EXPECT_EQ(k.error().kind, ErrorKind::User) << text;
  }
  for (const char *ttl : {"2d", "99999999h", "10", "0s", "-5s"}) {
    auto t = pp::parse_entry_ttl(ttl);
    ASSERT_FALSE(t.ok()) << ttl;
    EXPECT_EQ(t.error().kind, ErrorKind::User) << ttl;
  }
  auto past = pp::expiry_time(1000, std::numeric_limits<uint64_t>::max());
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.error().kind, ErrorKind::User);
  for (const char *filter : {"10.0.0.1/8", "10.0.0.0/40", "nope"}) {
    auto f = pp::SetFilter::parse(pp::SetElem::Ip, filter);
    ASSERT_FALSE(f.ok()) << filter;
    EXPECT_EQ(f.error().kind, ErrorKind::User) << filter;
  }
  auto name = pp::check_ifname("a/b");
  ASSERT_FALSE(name.ok());
  EXPECT_EQ(name.error().kind, ErrorKind::User);
  // A type no set can have only reaches encode_set_value through a bug.
  auto bool_set = pp::encode_set_value(psl::TypeKind::Bool, "true");
  ASSERT_FALSE(bool_set.ok());
  EXPECT_EQ(bool_set.error().kind, ErrorKind::Internal);
}

// A target in this namespace: its interface must exist; one in another
// namespace: that namespace must. Neither is the request's fault.
TEST(PolicyErrorKinds, AMissingInterfaceOrNamespaceIsTheEnvironments) {
  auto ns = pp::current_netns();
  ASSERT_TRUE(ns.ok()) << ns.error().message;
  const pp::Target lo{ns->name(), "lo"}, missing{ns->name(), "nosuch0"},
      gone{"net-1", "eth0"};
  EXPECT_TRUE(pp::target_exists(lo).ok());
  be::Status m = pp::target_exists(missing);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().kind, ErrorKind::Environment);
  EXPECT_EQ(m.error().code, ENODEV);
  EXPECT_EQ(m.error().message,
            "interface 'nosuch0' does not exist in this network namespace (" +
                ns->name() + ")");
  be::Status g = pp::target_exists(gone);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().kind, ErrorKind::Environment);
  EXPECT_EQ(g.error().message, "network namespace net-1 does not exist (any "
                               "more)");
  // Nothing loaded on an interface that exists: the request's.
  be::Error none = pp::no_policy_error(lo);
  EXPECT_EQ(none.kind, ErrorKind::User);
  EXPECT_EQ(none.code, ENOENT);
  EXPECT_EQ(none.message, "no PacketScope policy on 'lo'");
  EXPECT_EQ(pp::no_policy_error(missing).kind, ErrorKind::Environment);
  EXPECT_EQ(pp::no_policy_error(gone).kind, ErrorKind::Environment);
}

TEST(PolicyErrorKinds, NothingLoadedIsTheUsersWhereTheTargetExists) {
  TempDir d;
  pp::StateLayout l;
  l.pin_root = d.path + "/pins";
  l.state_root = d.path + "/state";
  auto ns = pp::current_netns();
  ASSERT_TRUE(ns.ok()) << ns.error().message;
  const pp::Target lo{ns->name(), "lo"}, missing{ns->name(), "nosuch0"},
      gone{"net-1", "eth0"};
  struct Case {
    pp::Target target;
    ErrorKind kind;
  };
  for (const Case &c :
       {Case{lo, ErrorKind::User}, Case{missing, ErrorKind::Environment},
        Case{gone, ErrorKind::Environment}}) {
    const std::string who = c.target.display();
    auto down = pp::take_down(l, c.target);
    ASSERT_FALSE(down.ok()) << who;
    EXPECT_EQ(down.error().kind, c.kind) << who << ": " << down.error().message;
    auto add = pp::set_add(l, c.target, "banned", "10.0.0.1", {});
    ASSERT_FALSE(add.ok()) << who;
    EXPECT_EQ(add.error().kind, c.kind) << who << ": " << add.error().message;
    be::Status del = pp::set_del(l, c.target, "banned", "10.0.0.1");
    ASSERT_FALSE(del.ok()) << who;
    EXPECT_EQ(del.error().kind, c.kind) << who;
    auto list = pp::set_list(l, c.target, "banned");
    ASSERT_FALSE(list.ok()) << who;
    EXPECT_EQ(list.error().kind, c.kind) << who;
  }
  EXPECT_EQ(pp::take_down(l, lo).error().message,
            "no PacketScope policy on 'lo'");
  // Nothing was made on the way.
  EXPECT_FALSE(pp::path_exists(l.pin_root));
  EXPECT_FALSE(pp::path_exists(l.state_root));

  // status: a target with nothing is shown when it exists ...
  auto shown = pp::target_status(l, lo);
  ASSERT_TRUE(shown.ok()) << shown.error().message;
  EXPECT_FALSE(shown->pinned);
  EXPECT_TRUE(pp::named_interface_exists(*shown).ok());
  // ... and the environment's error when it does not.
  for (const pp::Target &t : {missing, gone}) {
    auto st = pp::target_status(l, t);
    ASSERT_FALSE(st.ok()) << t.display();
    EXPECT_EQ(st.error().kind, ErrorKind::Environment) << t.display();
  }
  // A named interface that is gone but left something is shown, and still
  // the environment's error.
  pp::TargetStatus left;
  left.target = missing;
  left.current_netns = true;
  left.interface_exists = false;
  be::Status named = pp::named_interface_exists(left);
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.error().kind, ErrorKind::Environment);
  EXPECT_EQ(named.error().code, ENODEV);
}

// What put_in_force refuses before it loads anything: a caller's bug or
// the machine's.
TEST(PolicyErrorKinds, PutInForceRefusalsBeforeTheKernel) {
  TempDir d;
  pp::StateLayout l;
  l.pin_root = d.path + "/pins";
  l.state_root = d.path + "/state";
  auto ns = pp::current_netns();
  ASSERT_TRUE(ns.ok()) << ns.error().message;
  const pp::Target lo{ns->name(), "lo"};
  const char *const text = "policy no_ping {\n"
                           "  rule no_ping: ip.proto == icmp => drop\n"
                           "  default pass\n"
                           "}\n";
  psl::CheckedModule m = psl::check_source("p.psl", text);
  ASSERT_TRUE(m.ok());
  auto built = be::build_policy(*m.module.policy, m.diags.file_ptr().get());
  ASSERT_TRUE(built.ok()) << built.error().message;

  pp::PolicyToLoad nothing;
  auto r = pp::put_in_force(l, lo, nothing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Internal) << r.error().message;

  pp::PolicyToLoad load;
  load.artifact = &*built;
  load.text = text;
  load.source = "p.psl";
  // A target of another namespace: the caller should have entered it.
  r = pp::put_in_force(l, pp::Target{"net-1", "lo"}, load);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Internal) << r.error().message;
  r = pp::put_in_force(l, pp::Target{ns->name(), "nosuch0"}, load);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Environment) << r.error().message;
  EXPECT_EQ(r.error().code, ENODEV);
  EXPECT_FALSE(pp::path_exists(l.state_root));

  // (A lock another change holds, the environment's, is tested on a veth
  // pair: policy_runtime_kernel_test, never on this namespace's lo.)
}

TEST(PolicyErrorKinds, RuleExpiryTextRefusals) {
  auto nope = pp::remove_rules_from_text(
      "p.psl", "policy p {\n  rule a: tcp.dport == 9 => drop\n}\n", {"nope"});
  ASSERT_FALSE(nope.ok());
  EXPECT_EQ(nope.error().kind, ErrorKind::User);
  auto broken = pp::remove_rules_from_text("p.psl", "policy p { rule", {"x"});
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().kind, ErrorKind::User);
  EXPECT_EQ(
      broken.error().message.rfind("the policy in force does not check", 0), 0u)
      << broken.error().message;
}

} // namespace
