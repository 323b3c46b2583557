// write_map_contents (codegen/policy_build.h): the classifier's entries
// reach hash, array and LPM maps with one batch per map, a key listed twice
// keeps its last value, and an entry of the wrong size is an error that
// names its map. Skips without BPF (fails instead with PSC_REQUIRE_BPF=1).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backend/bpf_features.h"
#include "backend/bpf_object.h"
#include "backend/clang_compiler.h"
#include "backend/testing/bpf_test_support.h"
#include "codegen/policy_build.h"

namespace psl::backend {

// The policy build (compiler/codegen/) this test drives.
using namespace psl::codegen;
namespace {

// Three maps of the kinds the lowering emits, and a program that uses them
// so they are part of the object.
constexpr const char kMapsProgram[] = R"(
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct lpm_key { __u32 prefixlen; __u8 data[4]; };
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, __u32);
  __type(value, __u32);
} t_hash SEC(".maps");
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, __u64);
} t_array SEC(".maps");
struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, 16);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct lpm_key);
  __type(value, __u32);
} t_lpm SEC(".maps");

SEC("xdp")
int maps_user(struct xdp_md *ctx) {
  __u32 k = 0;
  struct lpm_key l = {32, {0}};
  return bpf_map_lookup_elem(&t_hash, &k) && bpf_map_lookup_elem(&t_array, &k) &&
                 bpf_map_lookup_elem(&t_lpm, &l)
             ? XDP_DROP
             : XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
)";

std::vector<uint8_t> le32(uint32_t v) {
  return {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
}
std::vector<uint8_t> le64(uint64_t v) {
  std::vector<uint8_t> out = le32(uint32_t(v)), high = le32(uint32_t(v >> 32));
  out.insert(out.end(), high.begin(), high.end());
  return out;
}
std::vector<uint8_t> lpm_key(uint32_t prefixlen, uint8_t a, uint8_t b,
                             uint8_t c, uint8_t d) {
  std::vector<uint8_t> key = le32(prefixlen);
  key.insert(key.end(), {a, b, c, d});
  return key;
}

class MapWriteTest : public ::testing::Test {
protected:
  void SetUp() override { load_maps({}); }

  // The program's maps, with `sizes` overriding their max_entries.
  void load_maps(const std::vector<std::pair<std::string, uint32_t>> &sizes) {
    PSC_REQUIRE_OR_SKIP(bpf_features().load);
    CompileOptions options;
    options.cpu = "v3";
    CompileResult compiled =
        BpfCompiler(options).compile(kMapsProgram, "maps.c");
    ASSERT_TRUE(compiled.ok()) << compiled.format_diagnostics();
    auto obj = BpfObject::open(std::move(compiled.object), "maps");
    ASSERT_TRUE(obj.ok()) << obj.error().message;
    BpfLoadOptions load;
    load.max_entries = sizes;
    Status loaded = obj->load(load);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message << "\n"
                             << loaded.error().detail;
    object_ = std::make_unique<BpfObject>(std::move(*obj));

    const auto size_of = [&](const char *map, uint32_t dflt) {
      for (const auto &[name, n] : sizes)
        if (name == map)
          return n;
      return dflt;
    };
    classifier_.maps = {
        {"t_hash", lower::MapKind::Hash, 4, 4, size_of("t_hash", 64), "", {}},
        {"t_array", lower::MapKind::Array, 4, 8, 8, "", {}},
        {"t_lpm", lower::MapKind::Lpm, 8, 4, size_of("t_lpm", 16), "", {}}};
  }

  void add(uint32_t map, std::vector<uint8_t> key, std::vector<uint8_t> value) {
    classifier_.entries.push_back({map, std::move(key), std::move(value)});
  }

  uint64_t lookup(const char *map, const std::vector<uint8_t> &key,
                  size_t value_size) {
    uint64_t value = 0;
    Status s =
        object_->map_lookup(map, key.data(), key.size(), &value, value_size);
    EXPECT_TRUE(s.ok()) << map << ": " << (s.ok() ? "" : s.error().message);
    return value;
  }

  std::unique_ptr<BpfObject> object_;
  lower::Classifier classifier_;
};

TEST_F(MapWriteTest, EveryKindOfMapIsFilled) {
  // Interleaved across maps, as the lowering may list them.
  for (uint32_t i = 0; i < 40; ++i) {
    add(0, le32(i), le32(1000 + i));
    if (i < 8)
      add(1, le32(i), le64(uint64_t{1} << (32 + i)));
  }
  add(2, lpm_key(8, 10, 0, 0, 0), le32(1));
  add(2, lpm_key(24, 10, 1, 2, 0), le32(2));
  add(2, lpm_key(32, 192, 0, 2, 1), le32(3));
  // A key listed twice keeps its last value.
  add(0, le32(7), le32(77));

  Status s = write_map_contents(*object_, classifier_);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(lookup("t_hash", le32(0), 4), 1000u);
  EXPECT_EQ(lookup("t_hash", le32(39), 4), 1039u);
  EXPECT_EQ(lookup("t_hash", le32(7), 4), 77u);
  EXPECT_EQ(lookup("t_array", le32(5), 8), uint64_t{1} << 37);
  // LPM lookups take the longest prefix that matches the address.
  EXPECT_EQ(lookup("t_lpm", lpm_key(32, 10, 9, 9, 9), 4), 1u);
  EXPECT_EQ(lookup("t_lpm", lpm_key(32, 10, 1, 2, 200), 4), 2u);
  EXPECT_EQ(lookup("t_lpm", lpm_key(32, 192, 0, 2, 1), 4), 3u);
}

TEST_F(MapWriteTest, AnEntryOfTheWrongSizeNamesItsMap) {
  add(0, le32(1), le32(10));
  add(0, {1, 2, 3}, le32(20)); // a 3-byte key for a 4-byte map
  add(0, le32(3), le32(30));
  Status s = write_map_contents(*object_, classifier_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("cannot fill map 't_hash'"),
            std::string::npos)
      << s.error().message;
  // The entries before it went in one by one.
  EXPECT_EQ(lookup("t_hash", le32(1), 4), 10u);
}

TEST_F(MapWriteTest, AFullMapIsAnErrorNamingIt) {
  for (uint32_t i = 0; i < 65; ++i) // max_entries is 64
    add(0, le32(i), le32(i));
  Status s = write_map_contents(*object_, classifier_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("cannot fill map 't_hash'"),
            std::string::npos)
      << s.error().message;
}

// Past 16,384 entries the maps are split between two writing threads (the
// LPM trie on one, the rest on the other here); every entry still lands.
class BigMapWriteTest : public MapWriteTest {
protected:
  void SetUp() override { load_maps({{"t_hash", 40000}, {"t_lpm", 40000}}); }
};

TEST_F(BigMapWriteTest, EveryEntryLandsWithTwoWriters) {
  for (uint32_t i = 0; i < 30000; ++i) {
    add(0, le32(i), le32(i * 3));
    add(2, lpm_key(32, 10, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)),
        le32(i + 1));
    if (i < 8)
      add(1, le32(i), le64(i * 5));
  }
  Status s = write_map_contents(*object_, classifier_);
  ASSERT_TRUE(s.ok()) << s.error().message;
  for (uint32_t i = 0; i < 30000; i += 97) {
    EXPECT_EQ(lookup("t_hash", le32(i), 4), i * 3) << i;
    EXPECT_EQ(
        lookup("t_lpm",
               lpm_key(32, 10, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)),
               4),
        i + 1)
        << i;
  }
  EXPECT_EQ(lookup("t_hash", le32(29999), 4), 29999u * 3);
  EXPECT_EQ(lookup("t_array", le32(7), 8), 35u);
}

TEST_F(BigMapWriteTest, TheFirstFailingMapInMapOrderIsReported) {
  // Both writers fail: the hash overflows (40,001 entries for 40,000) and
  // the trie gets an entry of the wrong size. Written one map after the
  // other, the hash's failure came first; it still does.
  for (uint32_t i = 0; i < 40001; ++i)
    add(0, le32(i), le32(i));
  for (uint32_t i = 0; i < 20000; ++i)
    add(2, lpm_key(32, 10, 0, uint8_t(i >> 8), uint8_t(i)), le32(i));
  add(2, {1, 2, 3}, le32(1));
  Status s = write_map_contents(*object_, classifier_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("cannot fill map 't_hash'"),
            std::string::npos)
      << s.error().message;
}

} // namespace
} // namespace psl::backend
