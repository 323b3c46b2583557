// psc build with the object cache, as users run it: the second build of a
// policy takes the stored object (the same bytes), --no-cache and
// PSC_CACHE_DIR=off do without, the default directory is under HOME, and
// a directory others can write is an error when named and a warning when
// it comes from the environment (docs/psc.md, "The object cache").
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "backend/bpf_features.h"
#include "backend/testing/bpf_test_support.h"
#include "psc_dir_test.h"

namespace {

namespace fs = std::filesystem;
using psc_test::quote;
using psc_test::read_file;
using psc_test::Result;

class PscCacheTest : public psc_test::PscDirTest {
protected:
  void SetUp() override {
    PscDirTest::SetUp();
    write("a.psl", "policy p {\n"
                   "  rule ssh: tcp.dport == 22 => drop\n"
                   "  rule dns: udp.dport in {53, 853} => pass\n"
                   "  default pass\n"
                   "}\n");
  }
  // psc with HOME in the test's directory and no cache from the caller's
  // environment.
  Result run(const std::string &args, const std::string &env = "") {
    return shell("env -u XDG_CACHE_HOME -u PSC_CACHE_DIR HOME=" +
                 quote(path("home").string()) + " " + env + " " +
                 quote(PSC_BINARY) + " " + args);
  }
  size_t entries(const std::string &dir) const {
    size_t n = 0;
    for (const auto &e : fs::directory_iterator(path(dir)))
      n += e.path().extension() == ".o";
    return n;
  }
};

constexpr const char kStored[] =
    "compile: the object stored in the object cache";
constexpr const char kTaken[] = "(Clang not run)";

TEST_F(PscCacheTest, TheSecondBuildTakesTheStoredObject) {
  Result first = run("build -v --cache-dir cache a.psl -o a.o");
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_NE(first.err.find(kStored), std::string::npos) << first.err;
  EXPECT_EQ(first.err.find(kTaken), std::string::npos) << first.err;
  const std::string object = read_file(path("a.o"));
  const std::string sidecar = read_file(path("a.o.maps.json"));
  fs::remove(path("a.o"));
  fs::remove(path("a.o.maps.json"));
  EXPECT_EQ(entries("cache"), 1u);

  Result second = run("build -v --cache-dir cache a.psl -o a.o");
  ASSERT_EQ(second.status, 0) << second.err;
  EXPECT_NE(second.err.find("compile: the object from the object cache cache "),
            std::string::npos)
      << second.err;
  EXPECT_NE(second.err.find(kTaken), std::string::npos) << second.err;
  EXPECT_EQ(read_file(path("a.o")), object);
  EXPECT_EQ(read_file(path("a.o.maps.json")), sidecar);

  // Without the cache: Clang runs and makes the same bytes.
  Result uncached = run("build -v --no-cache a.psl -o a.o");
  ASSERT_EQ(uncached.status, 0) << uncached.err;
  EXPECT_EQ(uncached.err.find("object cache"), std::string::npos)
      << uncached.err;
  EXPECT_EQ(read_file(path("a.o")), object);
  EXPECT_EQ(entries("cache"), 1u);
}

TEST_F(PscCacheTest, TheDirectoryComesFromTheEnvironmentOrHome) {
  // The default: ~/.cache/psc, made for this user only.
  Result r = run("build -v a.psl -o a.o");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find(kStored), std::string::npos) << r.err;
  EXPECT_EQ(entries("home/.cache/psc"), 1u);
  struct stat st {};
  ASSERT_EQ(::stat(path("home/.cache/psc").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  // XDG_CACHE_HOME, then PSC_CACHE_DIR, win over HOME.
  r = run("build a.psl -o a.o", "XDG_CACHE_HOME=" + quote(path("xdg")));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(entries("xdg/psc"), 1u);
  r = run("build a.psl -o a.o", "PSC_CACHE_DIR=" + quote(path("env")));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(entries("env"), 1u);

  // PSC_CACHE_DIR=off: none.
  r = run("build -v a.psl -o b.o", "PSC_CACHE_DIR=off");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find("object cache"), std::string::npos) << r.err;
  EXPECT_EQ(entries("home/.cache/psc"), 1u);
}

TEST_F(PscCacheTest, ADirectoryOthersCanWriteIsNotUsed) {
  fs::create_directories(path("shared"));
  ASSERT_EQ(::chmod(path("shared").c_str(), 0777), 0);
  const std::string message = "the object cache directory '" +
                              path("shared").string() +
                              "' is writable by group or others (mode 0777): "
                              "not used";
  // Named on the command line: an error, nothing built.
  Result named =
      run("build --cache-dir " + quote(path("shared")) + " a.psl -o a.o");
  EXPECT_EQ(named.status, 1) << named.err;
  EXPECT_EQ(named.err, "psc build: error: " + message + "\n");
  EXPECT_FALSE(fs::exists(path("a.o")));

  // From the environment: a warning, and the build goes on without it.
  Result env =
      run("build -v a.psl -o a.o", "PSC_CACHE_DIR=" + quote(path("shared")));
  EXPECT_EQ(env.status, 0) << env.err;
  EXPECT_EQ(env.err.rfind("psc build: warning: " + message +
                              "; compiling without the object cache\n",
                          0),
            0u)
      << env.err;
  EXPECT_EQ(env.err.find(kStored), std::string::npos) << env.err;
  EXPECT_TRUE(fs::exists(path("a.o")));
  EXPECT_EQ(entries("shared"), 0u);
}

// psc test builds in the kernel with the cache too (as psc run does): a
// CI job that runs the same policies' tests again compiles none of them.
TEST_F(PscCacheTest, TestInTheKernelUsesItToo) {
  PSC_REQUIRE_OR_SKIP(psl::backend::bpf_features().xdp_test_run);
  write("t.psl", "policy t {\n"
                 "  rule ssh: tcp.dport == 22 => drop\n"
                 "  default pass\n"
                 "  test \"ssh is dropped\" {\n"
                 "    packet { ip.src = 10.0.0.1, tcp.dport = 22 } => drop\n"
                 "  }\n"
                 "}\n");
  auto entry_inode = [&] {
    struct stat st {};
    for (const auto &e : fs::directory_iterator(path("cache")))
      if (::stat(e.path().c_str(), &st) == 0)
        return st.st_ino;
    return ino_t(0);
  };
  Result first = run("test --cache-dir cache t.psl");
  ASSERT_EQ(first.status, 0) << first.out << first.err;
  EXPECT_EQ(entries("cache"), 1u);
  const ino_t stored = entry_inode();
  Result again = run("test --cache-dir cache t.psl");
  ASSERT_EQ(again.status, 0) << again.out << again.err;
  EXPECT_EQ(again.out, first.out);
  EXPECT_EQ(entries("cache"), 1u);
  // Found, not stored again: a store renames a new file into place.
  EXPECT_EQ(entry_inode(), stored);
  Result uncached = run("test --no-cache t.psl");
  EXPECT_EQ(uncached.status, 0) << uncached.err;
  EXPECT_EQ(uncached.out, first.out);
}

TEST_F(PscCacheTest, TheOptionsAreExplained) {
  Result both = run("build --no-cache --cache-dir x a.psl -o a.o");
  EXPECT_EQ(both.status, 2) << both.err;
  Result help = run("build --help");
  EXPECT_EQ(help.status, 0);
  for (const char *s :
       {"--no-cache", "--cache-dir DIR", "PSC_CACHE_DIR", "The object cache"})
    EXPECT_NE(help.out.find(s), std::string::npos) << s << "\n" << help.out;
  for (const char *verb : {"load", "test", "run"}) {
    Result other = run(std::string(verb) + " --help");
    for (const char *s : {"--no-cache", "--cache-dir DIR"})
      EXPECT_NE(other.out.find(s), std::string::npos)
          << verb << ": " << s << "\n"
          << other.out;
  }
}

} // namespace
