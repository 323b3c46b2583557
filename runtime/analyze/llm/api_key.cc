#include "analyze/llm/api_key.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace psr::analyze::llm {

using psl::backend::Error;
using psl::backend::Expected;

Expected<ApiKey> make_api_key(std::string value, const std::string &from) {
  size_t b = value.find_first_not_of(" \t\r\n");
  size_t e = value.find_last_not_of(" \t\r\n");
  value = b == std::string::npos ? "" : value.substr(b, e - b + 1);
  if (value.empty())
    return Error("the API key in " + from + " is empty");
  for (unsigned char c : value)
    if (c < 0x21 || c > 0x7e)
      // Never quote the key, not even a piece of it.
      return Error("the API key in " + from +
                   " has a character that cannot go into an HTTP header "
                   "(space, control or non-ASCII)");
  return ApiKey(std::move(value));
}

Expected<ApiKey> load_api_key(const std::string &key_file,
                              const char *env_value) {
  if (key_file.empty()) {
    if (!env_value || !*env_value)
      return ApiKey();
    return make_api_key(env_value, kApiKeyEnv);
  }
  const std::string from = "key file '" + key_file + "'";
  // O_NOFOLLOW: the file itself, not what a link points to.
  int fd = ::open(key_file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return Error("cannot open the " + from + ": " + std::strerror(errno),
                 errno);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return Error("cannot stat the " + from + ": " + std::strerror(errno),
                 errno);
  if (!S_ISREG(st.st_mode))
    return Error("the " + from + " is not a regular file");
  if (st.st_mode & 077) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o",
                  static_cast<unsigned>(st.st_mode & 07777));
    return Error("the " + from + " is readable or writable by group or " +
                 "others (mode " + mode + "); make it 0600: chmod 600 " +
                 key_file);
  }
  if (st.st_uid != ::geteuid() && st.st_uid != 0)
    return Error("the " + from + " belongs to another user (uid " +
                 std::to_string(st.st_uid) + ")");
  if (st.st_size > 16384)
    return Error("the " + from + " is larger than an API key (" +
                 std::to_string(st.st_size) + " bytes)");
  std::string text(static_cast<size_t>(st.st_size), '\0');
  ssize_t n = ::read(fd, text.data(), text.size());
  if (n < 0)
    return Error("cannot read the " + from + ": " + std::strerror(errno),
                 errno);
  text.resize(static_cast<size_t>(n));
  return make_api_key(std::move(text), from);
}

Redactor::Redactor(const ApiKey &key) : key_(key.reveal()) {
  if (key_.size() >= kPiece)
    for (size_t i = 0; i + kPiece <= key_.size(); ++i)
      pieces_.insert(key_.substr(i, kPiece));
}

std::vector<std::pair<size_t, size_t>>
Redactor::find(std::string_view text) const {
  std::vector<std::pair<size_t, size_t>> runs;
  if (key_.empty())
    return runs;
  if (key_.size() < kPiece) {
    for (size_t at = text.find(key_); at != std::string_view::npos;
         at = text.find(key_, at + key_.size()))
      runs.emplace_back(at, at + key_.size());
    return runs;
  }
  for (size_t i = 0; i + kPiece <= text.size(); ++i) {
    if (!pieces_.count(std::string(text.substr(i, kPiece))))
      continue;
    if (!runs.empty() && i <= runs.back().second)
      runs.back().second = i + kPiece;
    else
      runs.emplace_back(i, i + kPiece);
  }
  return runs;
}

bool Redactor::contains_secret(std::string_view text) const {
  return !find(text).empty();
}

std::string Redactor::operator()(std::string_view text) const {
  std::string out;
  size_t at = 0;
  for (const auto &[b, e] : find(text)) {
    out.append(text.substr(at, b - at));
    out += "[redacted]";
    at = e;
  }
  out.append(text.substr(at));
  return out;
}

} // namespace psr::analyze::llm
