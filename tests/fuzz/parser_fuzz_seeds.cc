// Writes the seed corpus of parser_fuzz: the frames of the first cases of
// the differential tester (tests/difftest/generator.h), which already aim
// at every header field, VLAN tags, IPv6 extension chains, fragments and
// broken lengths.
//   parser_fuzz_seeds OUT_DIR CASES
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "generator.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: parser_fuzz_seeds OUT_DIR CASES\n");
    return 2;
  }
  namespace fs = std::filesystem;
  const fs::path dir = argv[1];
  const uint64_t cases = std::strtoull(argv[2], nullptr, 10);
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::set<std::vector<uint8_t>> frames; // bursts repeat a frame: keep one
  for (uint64_t n = 0; n < cases; ++n)
    for (const auto &p : psl::difftest::generate_case(1, n).packets)
      frames.insert(p.bytes);
  size_t i = 0;
  for (const auto &f : frames) {
    std::ofstream out(dir / ("frame-" + std::to_string(i++)), std::ios::binary);
    out.write(reinterpret_cast<const char *>(f.data()),
              static_cast<std::streamsize>(f.size()));
    if (!out) {
      std::fprintf(stderr, "parser_fuzz_seeds: cannot write into %s\n",
                   dir.c_str());
      return 1;
    }
  }
  std::printf("parser_fuzz_seeds: %zu frames in %s\n", frames.size(),
              dir.c_str());
  return 0;
}
