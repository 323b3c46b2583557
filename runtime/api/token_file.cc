#include "api/token_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "backend/bpf_object.h"

namespace psr::api {

namespace be = psl::backend;

namespace {

std::string octal_mode(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

} // namespace

be::Expected<std::string> read_token_file(const std::string &path) {
  // Opened first, then checked through the descriptor: the file checked
  // is the file read.
  be::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd)
    return be::Error("cannot open the token file '" + path +
                         "': " + std::strerror(errno),
                     errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return be::Error("cannot stat the token file '" + path +
                         "': " + std::strerror(errno),
                     errno);
  if (!S_ISREG(st.st_mode))
    return be::Error("the token file '" + path + "' is not a regular file");
  if ((st.st_mode & 077) != 0)
    return be::Error(
        "the token file '" + path + "' has mode " + octal_mode(st.st_mode) +
        "; it must be readable by its owner only (chmod 600 '" + path + "')");
  std::string text;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fd.get(), buf, sizeof buf)) > 0 && text.size() < 4096)
    text.append(buf, static_cast<size_t>(n));
  if (n < 0)
    return be::Error("cannot read the token file '" + path +
                         "': " + std::strerror(errno),
                     errno);
  size_t eol = text.find('\n');
  std::string token = text.substr(0, eol);
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  };
  while (!token.empty() && space(token.back()))
    token.pop_back();
  size_t start = 0;
  while (start < token.size() && space(token[start]))
    ++start;
  token.erase(0, start);
  if (token.empty())
    return be::Error("the token file '" + path + "' is empty");
  if (token.size() < 16)
    return be::Error("the token in '" + path +
                     "' is shorter than 16 characters; make a long random "
                     "one (head -c 32 /dev/urandom | base64)");
  for (char c : token)
    if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f)
      return be::Error("the token in '" + path +
                       "' holds a space or control character");
  return token;
}

} // namespace psr::api
