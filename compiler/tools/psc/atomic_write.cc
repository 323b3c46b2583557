#include "atomic_write.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace psc {
namespace fs = std::filesystem;

namespace {

// Closes the descriptor and removes the temporary unless released.
class TempFile {
public:
  TempFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  TempFile(const TempFile &) = delete;
  TempFile &operator=(const TempFile &) = delete;
  ~TempFile() {
    if (fd_ >= 0)
      ::close(fd_);
    if (!released_)
      ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  const std::string &path() const { return path_; }
  int close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }
  void release() { released_ = true; }

private:
  int fd_;
  std::string path_;
  bool released_ = false;
};

std::string error_text(int err) { return std::strerror(err); }

} // namespace

std::optional<std::string> stage_file(const std::string &path,
                                      const ContentProducer &produce,
                                      unsigned mode, std::string &staged) {
  fs::path target(path);
  fs::path dir = target.parent_path();
  std::string templ =
      (dir / ("." + target.filename().string() + ".psc-XXXXXX")).string();
  std::vector<char> name(templ.begin(), templ.end());
  name.push_back('\0');
  int fd = ::mkstemp(name.data());
  if (fd < 0)
    return error_text(errno);
  TempFile tmp(fd, name.data());

  int write_error = 0;
  const bool produced = produce([&](std::string_view piece) {
    const char *data = piece.data();
    size_t left = piece.size();
    while (left > 0) {
      ssize_t n = ::write(tmp.fd(), data, left);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        write_error = errno;
        return false;
      }
      data += n;
      left -= static_cast<size_t>(n);
    }
    return true;
  });
  if (write_error != 0)
    return error_text(write_error);
  if (!produced)
    return std::string("the content could not be made");
  if (::fchmod(tmp.fd(), mode & 07777) != 0)
    return error_text(errno);
  if (::fsync(tmp.fd()) != 0)
    return error_text(errno);
  if (tmp.close() != 0)
    return error_text(errno);
  tmp.release();
  staged = tmp.path();
  return std::nullopt;
}

std::optional<std::string> stage_file(const std::string &path,
                                      const std::string &content, unsigned mode,
                                      std::string &staged) {
  return stage_file(
      path, [&](const PieceEmitter &emit) { return emit(content); }, mode,
      staged);
}

std::optional<std::string> write_file_atomically(const std::string &path,
                                                 const std::string &content) {
  return write_file_atomically(
      path, [&](const PieceEmitter &emit) { return emit(content); });
}

std::optional<std::string>
write_file_atomically(const std::string &path, const ContentProducer &produce) {
  // Rewrite the file a symlink points to, not the link itself; a file that
  // does not exist yet is created.
  fs::path target = path;
  struct stat st;
  bool exists = ::stat(path.c_str(), &st) == 0;
  if (!exists && errno != ENOENT)
    return error_text(errno);
  if (exists) {
    std::error_code ec;
    target = fs::canonical(path, ec);
    if (ec)
      return ec.message();
  }

  std::string staged;
  if (auto err = stage_file(target.string(), produce,
                            exists ? st.st_mode : 0644, staged))
    return err;
  // Keeping the owner only works for root or the same owner; a file owned
  // by someone else that we may write ends up ours, as with any editor.
  if (exists && ::chown(staged.c_str(), st.st_uid, st.st_gid) != 0) {
  }
  if (::rename(staged.c_str(), target.c_str()) != 0) {
    int err = errno;
    ::unlink(staged.c_str());
    return error_text(err);
  }

  // Make the rename itself durable.
  fs::path dir = target.parent_path();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(),
                   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return std::nullopt;
}

} // namespace psc
