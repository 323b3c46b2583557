// Capture replay: Ethernet and Linux cooked (SLL, SLL2) captures read as
// Ethernet frames with their timestamps, and `psc run --interp --pcap`
// end to end (per-packet verdicts, rule counters, JSON lines).
#include <pcap/pcap.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "interp/pcap_replay.h"
#include "interp_test_util.h"

#ifndef PSC_BINARY
#error "PSC_BINARY must name the psc executable"
#endif

namespace {

namespace fs = std::filesystem;
using namespace interp_test;

struct Record {
  uint64_t time_ns;
  std::vector<uint8_t> bytes;
  uint32_t wire_len = 0; // 0: bytes.size()
};

void write_pcap(const fs::path &path, int link,
                const std::vector<Record> &records) {
  pcap_t *dead = pcap_open_dead_with_tstamp_precision(
      link, 65535, PCAP_TSTAMP_PRECISION_NANO);
  ASSERT_NE(dead, nullptr);
  pcap_dumper_t *d = pcap_dump_open(dead, path.c_str());
  ASSERT_NE(d, nullptr) << pcap_geterr(dead);
  for (const Record &r : records) {
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(r.time_ns / 1'000'000'000);
    h.ts.tv_usec =
        static_cast<suseconds_t>(r.time_ns % 1'000'000'000); // ns precision
    h.caplen = static_cast<bpf_u_int32>(r.bytes.size());
    h.len = r.wire_len ? r.wire_len : h.caplen;
    pcap_dump(reinterpret_cast<u_char *>(d), &h, r.bytes.data());
  }
  pcap_dump_close(d);
  pcap_close(dead);
}

std::vector<CapturedFrame> read_all(const fs::path &path,
                                    std::optional<std::string> *error) {
  std::vector<CapturedFrame> out;
  *error = replay_pcap(path, [&](const CapturedFrame &f) { out.push_back(f); });
  return out;
}

class Pcap : public ::testing::Test {
protected:
  void SetUp() override {
    char templ[] = "/tmp/interp_pcap_test.XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_F(Pcap, EthernetFramesAndTimes) {
  auto a = frame({{"tcp.dport", num(22)}});
  auto b = frame({{"udp.dport", num(53)}, {"pkt.len", num(200)}});
  std::vector<uint8_t> cut(b.begin(), b.begin() + 40);
  write_pcap(
      dir_ / "e.pcap", DLT_EN10MB,
      {{5'000'000'123, a}, {6'000'000'000, b}, {7'000'000'000, cut, 200}});
  std::optional<std::string> err;
  auto frames = read_all(dir_ / "e.pcap", &err);
  ASSERT_FALSE(err) << *err;
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].index, 1u);
  EXPECT_EQ(frames[0].time_ns, 5'000'000'123u);
  EXPECT_EQ(frames[0].frame, a);
  EXPECT_EQ(frames[0].wire_len, a.size());
  EXPECT_EQ(frames[1].frame, b);
  EXPECT_EQ(frames[2].frame.size(), 40u);
  EXPECT_EQ(frames[2].wire_len, 200u);
}

TEST_F(Pcap, CookedCapturesGetAnEthernetHeader) {
  auto eth = frame({{"ip.src", ip("198.51.100.7")}, {"tcp.dport", num(443)}});
  std::vector<uint8_t> ip_part(eth.begin() + 14, eth.end());
  // SLL: type 0 (to us), ARPHRD_ETHER, 6-byte address, protocol IPv4.
  std::vector<uint8_t> sll = {0,    0,    0,    1,    0, 6, 0xaa, 0xbb,
                              0xcc, 0xdd, 0xee, 0xff, 0, 0, 0x08, 0};
  sll.insert(sll.end(), ip_part.begin(), ip_part.end());
  write_pcap(dir_ / "sll.pcap", DLT_LINUX_SLL, {{1'000, sll}});
  // SLL2: protocol, reserved, ifindex, ARPHRD_ETHER, type, addr_len, addr.
  std::vector<uint8_t> sll2 = {0x08, 0,    0,    0,    0, 0,    0,
                               2,    0,    1,    0,    6, 0x02, 0x11,
                               0x22, 0x33, 0x44, 0x55, 0, 0};
  sll2.insert(sll2.end(), ip_part.begin(), ip_part.end());
  write_pcap(dir_ / "sll2.pcap", DLT_LINUX_SLL2, {{2'000, sll2}});

  std::optional<std::string> err;
  auto frames = read_all(dir_ / "sll.pcap", &err);
  ASSERT_FALSE(err) << *err;
  ASSERT_EQ(frames.size(), 1u);
  const std::vector<uint8_t> want_sll_hdr = {
      0, 0, 0, 0, 0, 0, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x08, 0};
  EXPECT_EQ(std::vector<uint8_t>(frames[0].frame.begin(),
                                 frames[0].frame.begin() + 14),
            want_sll_hdr);
  EXPECT_EQ(
      std::vector<uint8_t>(frames[0].frame.begin() + 14, frames[0].frame.end()),
      ip_part);
  EXPECT_EQ(frames[0].wire_len, ip_part.size() + 14);

  frames = read_all(dir_ / "sll2.pcap", &err);
  ASSERT_FALSE(err) << *err;
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].frame[6], 0x02);
  EXPECT_EQ(frames[0].frame[11], 0x55);
  EXPECT_EQ(frames[0].time_ns, 2'000u);

  Loaded r =
      run("rule web: ip.src == 198.51.100.7 and tcp.dport == 443 => drop");
  EXPECT_EQ(r.eval(frames[0].frame).verdict, Action::Drop);
}

TEST_F(Pcap, Errors) {
  std::optional<std::string> err;
  read_all(dir_ / "missing.pcap", &err);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("cannot open capture"), std::string::npos);
  write_pcap(dir_ / "raw.pcap", DLT_RAW, {{1, {0x45, 0, 0, 20}}});
  read_all(dir_ / "raw.pcap", &err);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("only Ethernet"), std::string::npos) << *err;
}

struct Result {
  int status = -1;
  std::string out, err;
};

Result psc(const fs::path &dir, const std::string &args) {
  auto slurp = [](const fs::path &p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  std::string cmd = "cd '" + dir.string() + "' && '" + PSC_BINARY + "' " +
                    args + " >.out 2>.err";
  int rc = std::system(cmd.c_str());
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, slurp(dir / ".out"),
          slurp(dir / ".err")};
}

TEST_F(Pcap, PscRun) {
  std::ofstream(dir_ / "p.psl") << "policy p {\n"
                                   "  rule ssh: tcp.dport == 22 => drop\n"
                                   "  rule flood: rate(burst 2) > 1/s => drop\n"
                                   "  rule seen: udp.dport == 53 => count\n"
                                   "}\n";
  auto ssh = frame({{"tcp.dport", num(22)}});
  auto dns = frame({{"udp.dport", num(53)}});
  write_pcap(dir_ / "c.pcap", DLT_EN10MB,
             {{1'000'000'000, ssh},
              {1'000'000'000, dns},
              {1'100'000'000, dns},
              {1'200'000'000, dns},
              {3'500'000'000, dns}});
  Result r = psc(dir_, "run --interp p.psl --pcap c.pcap");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1 drop ssh\n"
                   "2 pass default\n"
                   "3 pass default\n"
                   "4 drop flood\n"
                   "5 pass default\n"
                   "summary: 5 packets, 3 pass, 2 drop\n"
                   "  rule ssh (drop): 1 packet, 60 bytes\n"
                   "  rule flood (drop): 1 packet, 60 bytes\n"
                   "  rule seen (count): 3 packets, 180 bytes\n"
                   "  default (pass): 3 packets, 180 bytes\n");

  r = psc(dir_, "run --interp --format json p.psl --pcap c.pcap");
  EXPECT_EQ(r.status, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  std::vector<nlohmann::json> objs;
  while (std::getline(lines, line))
    objs.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(objs.size(), 6u);
  EXPECT_EQ(objs[0], (nlohmann::json{
                         {"index", 1}, {"verdict", "drop"}, {"rule", "ssh"}}));
  EXPECT_EQ(objs[3]["rule"], "flood");
  EXPECT_EQ(objs[5]["summary"]["packets"], 5);
  EXPECT_EQ(objs[5]["summary"]["rules"][2]["rule"], "seen");
  EXPECT_EQ(objs[5]["summary"]["rules"][2]["packets"], 3);
  EXPECT_EQ(objs[5]["summary"]["rules"][3]["rule"], "default");

  // Kernel mode (the default) runs where BPF works, else says what is
  // missing and exits 2.
  r = psc(dir_, "run p.psl --pcap c.pcap");
  if (r.status == 2)
    EXPECT_NE(r.err.find("cannot run the policy in the kernel"),
              std::string::npos);
  else
    EXPECT_EQ(r.status, 0) << r.err;
  r = psc(dir_, "run --interp p.psl --pcap nope.pcap");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cannot open capture"), std::string::npos);
}

} // namespace
