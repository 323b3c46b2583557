#include "backend/object_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <utility>

#include "backend/bpf_object.h" // UniqueFd

namespace psl::backend {

namespace {

constexpr char kMagic[8] = {'P', 'S', 'C', 'O', 'B', 'J', '1', '\n'};
constexpr size_t kHeaderSize = sizeof kMagic + 8 + 32 + 32;
// Larger than any policy object (100k rules: a few hundred KiB); a file
// that claims more is not one of ours.
constexpr uint64_t kMaxEntryBytes = 64ull << 20;
constexpr const char kSuffix[] = ".o";

std::string mode_text(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// mkdir -p with mode 0700 for what it creates.
Status make_dirs(const std::string &dir) {
  if (dir.empty())
    return Error::user("the object cache directory is empty");
  for (size_t pos = 1;; ++pos) {
    pos = dir.find('/', pos);
    const std::string part = dir.substr(0, pos);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST)
      return errno_error(
          "cannot create the object cache directory '" + part + "'", errno);
    if (pos == std::string::npos)
      return Status::success();
  }
}

// read(2) or write(2) until all `size` bytes are through; false on an
// error or an early end of file.
template <class Transfer, class Byte>
bool transfer_all(Transfer transfer, int fd, Byte *bytes, size_t size) {
  while (size > 0) {
    const ssize_t n = transfer(fd, bytes, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    bytes += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool read_all(int fd, uint8_t *out, size_t size) {
  return transfer_all(::read, fd, out, size);
}

bool write_all(int fd, const uint8_t *data, size_t size) {
  return transfer_all(::write, fd, data, size);
}

} // namespace

ObjectCache::ObjectCache(ObjectCacheOptions options)
    : options_(std::move(options)) {}

Expected<std::shared_ptr<ObjectCache>>
ObjectCache::open(const ObjectCacheOptions &options) {
  ObjectCacheOptions o = options;
  while (o.dir.size() > 1 && o.dir.back() == '/')
    o.dir.pop_back();
  if (Status made = make_dirs(o.dir); !made.ok())
    return made.error();
  struct stat st {};
  if (::stat(o.dir.c_str(), &st) != 0)
    return errno_error("cannot read the object cache directory '" + o.dir + "'",
                       errno);
  if (!S_ISDIR(st.st_mode))
    return Error::user("the object cache directory '" + o.dir +
                       "' is not a directory");
  // Its objects go into the kernel: nobody else may put them there.
  if (st.st_uid != ::geteuid())
    return Error::user("the object cache directory '" + o.dir +
                       "' belongs to user " + std::to_string(st.st_uid) +
                       ", not to this user (" + std::to_string(::geteuid()) +
                       "): not used");
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    return Error::user("the object cache directory '" + o.dir +
                       "' is writable by group or others (mode " +
                       mode_text(st.st_mode) + "): not used");
  return std::make_shared<ObjectCache>(std::move(o));
}

std::string ObjectCache::entry_path(const Sha256Digest &key) const {
  return options_.dir + "/" + to_hex(key) + kSuffix;
}

std::optional<std::vector<uint8_t>> ObjectCache::find(const Sha256Digest &key) {
  const std::string path = entry_path(key);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    ++misses_;
    return std::nullopt;
  }
  auto reject = [&]() -> std::optional<std::vector<uint8_t>> {
    ::unlink(path.c_str());
    ++rejected_;
    ++misses_;
    return std::nullopt;
  };
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_uid != ::geteuid() ||
      static_cast<uint64_t>(st.st_size) < kHeaderSize ||
      static_cast<uint64_t>(st.st_size) > kHeaderSize + kMaxEntryBytes)
    return reject();
  uint8_t header[kHeaderSize];
  if (!read_all(fd.get(), header, sizeof header) ||
      std::memcmp(header, kMagic, sizeof kMagic) != 0)
    return reject();
  uint64_t size = 0;
  for (int i = 0; i < 8; ++i)
    size |= uint64_t(header[sizeof kMagic + i]) << (8 * i);
  const uint8_t *stored_key = header + sizeof kMagic + 8;
  const uint8_t *stored_digest = stored_key + 32;
  if (size != static_cast<uint64_t>(st.st_size) - kHeaderSize ||
      std::memcmp(stored_key, key.data(), key.size()) != 0)
    return reject();
  std::vector<uint8_t> bytes(size);
  if (!read_all(fd.get(), bytes.data(), bytes.size()))
    return reject();
  const Sha256Digest digest =
      sha256({reinterpret_cast<const char *>(bytes.data()), bytes.size()});
  if (std::memcmp(digest.data(), stored_digest, digest.size()) != 0)
    return reject();
  // Recently used: trim() keeps it.
  ::futimens(fd.get(), nullptr);
  ++hits_;
  return bytes;
}

Status ObjectCache::store(const Sha256Digest &key,
                          const std::vector<uint8_t> &bytes) {
  Status stored = write_entry(key, bytes);
  if (!stored.ok()) {
    ++store_failures_;
    return stored;
  }
  ++stores_;
  trim();
  return stored;
}

Status ObjectCache::write_entry(const Sha256Digest &key,
                                const std::vector<uint8_t> &bytes) {
  if (bytes.size() > kMaxEntryBytes)
    return Error::user("an object of " + std::to_string(bytes.size()) +
                       " bytes is larger than the object cache takes");
  std::vector<uint8_t> header(kHeaderSize);
  std::memcpy(header.data(), kMagic, sizeof kMagic);
  for (int i = 0; i < 8; ++i)
    header[sizeof kMagic + i] =
        static_cast<uint8_t>(uint64_t(bytes.size()) >> (8 * i));
  std::memcpy(header.data() + sizeof kMagic + 8, key.data(), key.size());
  const Sha256Digest digest =
      sha256({reinterpret_cast<const char *>(bytes.data()), bytes.size()});
  std::memcpy(header.data() + sizeof kMagic + 8 + 32, digest.data(),
              digest.size());

  std::string tmp = options_.dir + "/.tmp-XXXXXX";
  UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (fd.get() < 0)
    return errno_error(
        "cannot write to the object cache '" + options_.dir + "'", errno);
  const bool written = write_all(fd.get(), header.data(), header.size()) &&
                       write_all(fd.get(), bytes.data(), bytes.size());
  const int write_errno = errno;
  if (!written || ::close(fd.release()) != 0) {
    const int err = written ? errno : write_errno;
    ::unlink(tmp.c_str());
    return errno_error(
        "cannot write to the object cache '" + options_.dir + "'", err);
  }
  const std::string path = entry_path(key);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return errno_error(
        "cannot write to the object cache '" + options_.dir + "'", err);
  }
  return Status::success();
}

void ObjectCache::trim() {
  struct Entry {
    std::string path;
    uint64_t size;
    struct timespec mtime;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  DIR *d = ::opendir(options_.dir.c_str());
  if (d == nullptr)
    return;
  const size_t name_size = 64 + sizeof kSuffix - 1;
  const time_t stale = std::time(nullptr) - 3600;
  while (const dirent *e = ::readdir(d)) {
    const std::string name = e->d_name;
    // A writer that died between mkostemp and rename leaves its file.
    if (name.rfind(".tmp-", 0) == 0) {
      struct stat st {};
      const std::string path = options_.dir + "/" + name;
      if (::lstat(path.c_str(), &st) == 0 && st.st_mtim.tv_sec < stale)
        ::unlink(path.c_str());
      continue;
    }
    if (name.size() != name_size ||
        name.compare(64, std::string::npos, kSuffix) != 0)
      continue;
    struct stat st {};
    const std::string path = options_.dir + "/" + name;
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      continue;
    entries.push_back({path, static_cast<uint64_t>(st.st_size), st.st_mtim});
    total += static_cast<uint64_t>(st.st_size);
  }
  ::closedir(d);
  if (total <= options_.max_bytes)
    return;
  std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
    if (a.mtime.tv_sec != b.mtime.tv_sec)
      return a.mtime.tv_sec < b.mtime.tv_sec;
    return a.mtime.tv_nsec < b.mtime.tv_nsec;
  });
  const uint64_t goal = options_.max_bytes / 4 * 3;
  for (const Entry &e : entries) {
    if (total <= goal)
      break;
    if (::unlink(e.path.c_str()) == 0) {
      total -= e.size;
      ++evicted_;
    }
  }
}

ObjectCacheStats ObjectCache::stats() const {
  ObjectCacheStats s;
  s.hits = hits_;
  s.misses = misses_;
  s.stores = stores_;
  s.rejected = rejected_;
  s.evicted = evicted_;
  s.store_failures = store_failures_;
  return s;
}

std::string default_object_cache_dir() {
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/')
    return std::string(xdg) + "/psc";
  if (const char *home = std::getenv("HOME"); home && *home == '/')
    return std::string(home) + "/.cache/psc";
  return {};
}

} // namespace psl::backend
