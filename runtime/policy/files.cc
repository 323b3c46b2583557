#include "policy/files.h"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace psr::policy {

std::vector<std::string> list_dir(const std::string &dir) {
  std::vector<std::string> names;
  if (DIR *d = ::opendir(dir.c_str())) {
    while (struct dirent *e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..")
        names.push_back(std::move(n));
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool path_exists(const std::string &path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

be::Status make_dirs(const std::string &path, unsigned mode,
                     std::vector<std::string> *created) {
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    const std::string partial = path.substr(0, pos);
    if (partial.empty())
      continue;
    if (::mkdir(partial.c_str(), static_cast<mode_t>(mode)) == 0) {
      if (created != nullptr)
        created->push_back(partial);
    } else if (errno != EEXIST) {
      return be::errno_error("cannot create directory '" + partial + "'",
                             errno);
    } else {
      struct stat st;
      if (::stat(partial.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
        return be::Error("cannot create directory '" + partial +
                             "': a file of that name is in the way",
                         ENOTDIR);
    }
  }
  return be::Status::success();
}

void remove_created_dirs(const std::vector<std::string> &created) {
  for (auto it = created.rbegin(); it != created.rend(); ++it)
    ::rmdir(it->c_str());
}

void remove_tree(const std::string &path, int depth) {
  if (::unlink(path.c_str()) == 0 || errno == ENOENT || depth == 0)
    return;
  for (const std::string &name : list_dir(path))
    remove_tree(path + "/" + name, depth - 1);
  ::rmdir(path.c_str());
}

be::Status write_file_atomically(const std::string &path,
                                 std::string_view content, unsigned mode) {
  return write_file_atomically(
      path, [&](const PieceEmitter &emit) { return emit(content); }, mode);
}

be::Status write_file_atomically(const std::string &path,
                                 const ContentProducer &produce,
                                 unsigned mode) {
  const size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? std::string(".") : path.substr(0, slash);
  std::string tmp = dir + "/.tmp-XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    return be::errno_error("cannot write '" + path + "'", errno);
  int err = ::fchmod(fd, static_cast<mode_t>(mode)) == 0 ? 0 : errno;
  int write_error = 0;
  if (err == 0 && !produce([&](std::string_view piece) {
        size_t done = 0;
        while (done < piece.size()) {
          const ssize_t n =
              ::write(fd, piece.data() + done, piece.size() - done);
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0) {
            write_error = n < 0 ? errno : EIO;
            return false;
          }
          done += static_cast<size_t>(n);
        }
        return true;
      }))
    err = write_error != 0 ? write_error : EIO;
  if (err == 0 && ::fsync(fd) != 0)
    err = errno;
  ::close(fd);
  if (err != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = err != 0 ? err : errno;
    ::unlink(tmp.c_str());
    return be::errno_error("cannot write '" + path + "'", e);
  }
  return be::Status::success();
}

std::optional<std::string> read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad())
    return std::nullopt;
  return ss.str();
}

} // namespace psr::policy
