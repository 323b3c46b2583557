// The object cache (compiler/backend/object_cache.h) and its SHA-256
// (sha256.h): what goes in comes out, a damaged or foreign entry is never
// returned, a directory others can write is refused, and the least
// recently used entries go first when it is full. Files only: needs no
// privileges (the ownership case runs only as root, which can chown).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backend/object_cache.h"
#include "backend/sha256.h"

namespace psl::backend {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir(const std::string &name) {
  const std::string dir = ::testing::TempDir() + "object_cache_" + name;
  fs::remove_all(dir);
  return dir;
}

Sha256Digest key_of(const std::string &text) { return sha256(text); }

std::vector<uint8_t> bytes_of(const std::string &text, size_t repeat = 1) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i < repeat; ++i)
    out.insert(out.end(), text.begin(), text.end());
  return out;
}

std::shared_ptr<ObjectCache> open_cache(const std::string &dir,
                                        uint64_t max_bytes = 256ull << 20) {
  ObjectCacheOptions o;
  o.dir = dir;
  o.max_bytes = max_bytes;
  auto cache = ObjectCache::open(o);
  EXPECT_TRUE(cache.ok()) << cache.error().message;
  return cache.ok() ? cache.value() : nullptr;
}

std::string entry_file(const std::string &dir, const Sha256Digest &key) {
  return dir + "/" + to_hex(key) + ".o";
}

void set_mtime(const std::string &path, time_t seconds) {
  struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

TEST(Sha256, MatchesTheStandardsTestVectors) {
  EXPECT_EQ(to_hex(sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // In pieces, the same as at once.
  EXPECT_EQ(Sha256().update("a").update("bc").finish(), sha256("abc"));
  // Fields carry their length: ("ab", "c") is not ("a", "bc").
  EXPECT_NE(Sha256().field("ab").field("c").finish(),
            Sha256().field("a").field("bc").finish());
}

TEST(ObjectCache, GivesBackWhatWasStored) {
  const std::string dir = fresh_dir("roundtrip") + "/a/b";
  auto cache = open_cache(dir);
  ASSERT_TRUE(cache);
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u); // created for this user only

  const Sha256Digest k1 = key_of("one"), k2 = key_of("two");
  EXPECT_FALSE(cache->find(k1).has_value());
  const std::vector<uint8_t> object = bytes_of("\x7f"
                                               "ELF object bytes",
                                               1000);
  ASSERT_TRUE(cache->store(k1, object).ok());
  auto found = cache->find(k1);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, object);
  EXPECT_FALSE(cache->find(k2).has_value());
  // Replacing an entry.
  ASSERT_TRUE(cache->store(k1, bytes_of("other")).ok());
  EXPECT_EQ(cache->find(k1), bytes_of("other"));
  // An empty object is an entry too.
  ASSERT_TRUE(cache->store(k2, {}).ok());
  EXPECT_EQ(cache->find(k2), std::vector<uint8_t>());

  const ObjectCacheStats s = cache->stats();
  EXPECT_EQ(s.hits, 3u);
  EXPECT_EQ(s.misses, 2u);
  EXPECT_EQ(s.stores, 3u);
  EXPECT_EQ(s.rejected, 0u);
  // Only entries are left: no temporary files.
  size_t files = 0;
  for (const auto &e : fs::directory_iterator(dir)) {
    EXPECT_EQ(e.path().extension(), ".o") << e.path();
    ++files;
  }
  EXPECT_EQ(files, 2u);
  // Another process (another ObjectCache on the directory) sees them.
  auto again = open_cache(dir);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->find(k1), bytes_of("other"));
}

TEST(ObjectCache, NeverReturnsADamagedEntry) {
  const std::string dir = fresh_dir("damaged");
  auto cache = open_cache(dir);
  ASSERT_TRUE(cache);
  const std::vector<uint8_t> object = bytes_of("0123456789abcdef", 64);
  const Sha256Digest k = key_of("k");
  const std::string path = entry_file(dir, k);

  // A byte of the object flipped (a disk error).
  ASSERT_TRUE(cache->store(k, object).ok());
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-10, std::ios::end);
    f.put('X');
  }
  EXPECT_FALSE(cache->find(k).has_value());
  EXPECT_FALSE(fs::exists(path)) << "a damaged entry is removed";

  // Cut short (a torn write that was renamed anyway).
  ASSERT_TRUE(cache->store(k, object).ok());
  fs::resize_file(path, fs::file_size(path) - 1);
  EXPECT_FALSE(cache->find(k).has_value());

  // Shorter than the header, and not one of ours at all.
  std::ofstream(path) << "PSC";
  EXPECT_FALSE(cache->find(k).has_value());
  std::ofstream(path) << std::string(200, 'x');
  EXPECT_FALSE(cache->find(k).has_value());

  // Another key's entry under this key's name.
  const Sha256Digest other = key_of("other");
  ASSERT_TRUE(cache->store(other, object).ok());
  fs::copy_file(entry_file(dir, other), path,
                fs::copy_options::overwrite_existing);
  EXPECT_FALSE(cache->find(k).has_value());
  EXPECT_TRUE(cache->find(other).has_value());

  // A symbolic link in place of an entry is not followed.
  ASSERT_TRUE(cache->store(k, object).ok());
  fs::remove(path);
  fs::create_symlink(entry_file(dir, other), path);
  EXPECT_FALSE(cache->find(k).has_value());

  EXPECT_EQ(cache->stats().rejected, 5u);
  EXPECT_EQ(cache->stats().hits, 1u);
}

TEST(ObjectCache, RefusesADirectoryOthersCanWrite) {
  const std::string dir = fresh_dir("shared");
  fs::create_directories(dir);
  ASSERT_EQ(::chmod(dir.c_str(), 0777), 0);
  ObjectCacheOptions o;
  o.dir = dir;
  auto cache = ObjectCache::open(o);
  ASSERT_FALSE(cache.ok());
  EXPECT_EQ(cache.error().kind, ErrorKind::User);
  EXPECT_EQ(cache.error().message, "the object cache directory '" + dir +
                                       "' is writable by group or others "
                                       "(mode 0777): not used");
  ASSERT_EQ(::chmod(dir.c_str(), 0720), 0);
  EXPECT_FALSE(ObjectCache::open(o).ok()); // group-writable
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  EXPECT_TRUE(ObjectCache::open(o).ok()); // readable by others is fine

  // Another user's directory (root can give it away to test this).
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);
    auto theirs = ObjectCache::open(o);
    ASSERT_FALSE(theirs.ok());
    EXPECT_NE(theirs.error().message.find("belongs to user 65534"),
              std::string::npos)
        << theirs.error().message;
  }

  // A file where the directory should be.
  const std::string file = fresh_dir("file");
  std::ofstream(file) << "x";
  o.dir = file;
  auto not_dir = ObjectCache::open(o);
  ASSERT_FALSE(not_dir.ok());
  EXPECT_NE(not_dir.error().message.find("is not a directory"),
            std::string::npos)
      << not_dir.error().message;
  // A parent that cannot hold it.
  o.dir = file + "/sub";
  auto under_file = ObjectCache::open(o);
  ASSERT_FALSE(under_file.ok());
  EXPECT_EQ(under_file.error().kind, ErrorKind::Environment);
  EXPECT_NE(under_file.error().message.find("cannot create the object cache "
                                            "directory"),
            std::string::npos)
      << under_file.error().message;
}

TEST(ObjectCache, IgnoresAnEntryItDoesNotOwn) {
  if (::geteuid() != 0)
    return; // only root can make a file another user's
  const std::string dir = fresh_dir("foreign");
  auto cache = open_cache(dir);
  ASSERT_TRUE(cache);
  const Sha256Digest k = key_of("k");
  ASSERT_TRUE(cache->store(k, bytes_of("object")).ok());
  ASSERT_EQ(::chown(entry_file(dir, k).c_str(), 65534, 65534), 0);
  EXPECT_FALSE(cache->find(k).has_value());
}

TEST(ObjectCache, RemovesTheLeastRecentlyUsedWhenFull) {
  const std::string dir = fresh_dir("full");
  // Room for four entries of about 1 KiB (with their headers).
  auto cache = open_cache(dir, 4 * 1100);
  ASSERT_TRUE(cache);
  std::vector<Sha256Digest> keys;
  for (int i = 0; i < 4; ++i) {
    keys.push_back(key_of("entry " + std::to_string(i)));
    ASSERT_TRUE(cache->store(keys[i], bytes_of("x", 1000)).ok());
    set_mtime(entry_file(dir, keys[i]), 1000000 + i);
  }
  EXPECT_EQ(cache->stats().evicted, 0u);
  // Entry 0, the oldest, is used: a hit makes it the most recent.
  ASSERT_TRUE(cache->find(keys[0]).has_value());
  // A fifth entry goes past the limit: the oldest go until 3/4 is left.
  const Sha256Digest fifth = key_of("entry 4");
  ASSERT_TRUE(cache->store(fifth, bytes_of("x", 1000)).ok());
  EXPECT_EQ(cache->stats().evicted, 2u);
  EXPECT_TRUE(fs::exists(entry_file(dir, keys[0])));
  EXPECT_FALSE(fs::exists(entry_file(dir, keys[1])));
  EXPECT_FALSE(fs::exists(entry_file(dir, keys[2])));
  EXPECT_TRUE(fs::exists(entry_file(dir, keys[3])));
  EXPECT_TRUE(fs::exists(entry_file(dir, fifth)));

  // A temporary file a writer left behind an hour ago goes too.
  const std::string stale = dir + "/.tmp-abcdef", fresh = dir + "/.tmp-ghijkl";
  std::ofstream(stale) << "partial";
  std::ofstream(fresh) << "partial";
  set_mtime(stale, ::time(nullptr) - 7200);
  ASSERT_TRUE(cache->store(key_of("entry 5"), bytes_of("y")).ok());
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh)) << "a write may still be going on";
}

TEST(ObjectCache, AnEntryTooLargeIsRefusedAndNothingChanges) {
  const std::string dir = fresh_dir("large");
  auto cache = open_cache(dir);
  ASSERT_TRUE(cache);
  std::vector<uint8_t> huge((64u << 20) + 1);
  Status s = cache->store(key_of("huge"), huge);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("larger than the object cache takes"),
            std::string::npos);
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(ObjectCache, DefaultDirectoryFollowsXdgThenHome) {
  const char *xdg = std::getenv("XDG_CACHE_HOME");
  const char *home = std::getenv("HOME");
  const std::string saved_xdg = xdg ? xdg : "", saved_home = home ? home : "";
  ::setenv("XDG_CACHE_HOME", "/x/cache", 1);
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(default_object_cache_dir(), "/x/cache/psc");
  ::setenv("XDG_CACHE_HOME", "relative", 1); // ignored, as the spec says
  EXPECT_EQ(default_object_cache_dir(), "/home/u/.cache/psc");
  ::unsetenv("XDG_CACHE_HOME");
  ::unsetenv("HOME");
  EXPECT_EQ(default_object_cache_dir(), "");
  if (xdg)
    ::setenv("XDG_CACHE_HOME", saved_xdg.c_str(), 1);
  if (home)
    ::setenv("HOME", saved_home.c_str(), 1);
}

} // namespace
} // namespace psl::backend
