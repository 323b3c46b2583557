#include "inputs.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace psc {
namespace fs = std::filesystem;

namespace {

psl::Diagnostic cannot_read(const std::string &display,
                            const std::string &reason) {
  psl::Diagnostic d;
  d.severity = psl::Severity::Error;
  d.code = psl::DiagCode::E0001;
  d.message = "cannot read '" + display + "': " + reason;
  return d;
}

std::string errno_text(int err) { return std::strerror(err); }

bool is_psl_file(const fs::directory_entry &entry) {
  std::error_code ec;
  return entry.path().extension() == ".psl" && entry.is_regular_file(ec);
}

// The whole file, or the errno that stopped reading it.
int read_file(const std::string &path, std::string &out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno;
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return EISDIR;
  }
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      int err = errno;
      ::close(fd);
      return err;
    }
    if (n == 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return 0;
}

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t utf8_length(const std::string &s, size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80)
    return 1;
  size_t n;
  if (b >= 0xc2 && b <= 0xdf)
    n = 2;
  else if (b >= 0xe0 && b <= 0xef)
    n = 3;
  else if (b >= 0xf0 && b <= 0xf4)
    n = 4;
  else
    return 0;
  if (i + n > s.size())
    return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80)
      return 0;
  auto b1 = static_cast<unsigned char>(s[i + 1]);
  if ((b == 0xe0 && b1 < 0xa0) || (b == 0xed && b1 >= 0xa0) ||
      (b == 0xf0 && b1 < 0x90) || (b == 0xf4 && b1 >= 0x90))
    return 0;
  return n;
}

} // namespace

std::vector<Input> expand_inputs(const std::vector<std::string> &args) {
  std::vector<Input> inputs;
  for (const std::string &arg : args) {
    if (arg == "-") {
      inputs.push_back(Input{"<stdin>", "", true, std::nullopt});
      continue;
    }
    std::error_code ec;
    if (!fs::is_directory(arg, ec)) {
      // Missing and unreadable files are reported when they are read.
      inputs.push_back(Input{arg, arg, false, std::nullopt});
      continue;
    }
    std::vector<std::string> found;
    fs::recursive_directory_iterator it(arg, fs::directory_options::none, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      // Hidden directories (.git, .cache) hold no policies of the project.
      std::error_code dir_ec;
      if (it->path().filename().string().rfind('.', 0) == 0 &&
          it->is_directory(dir_ec)) {
        it.disable_recursion_pending();
        continue;
      }
      if (is_psl_file(*it))
        found.push_back((fs::path(arg) / it->path().lexically_relative(arg))
                            .generic_string());
    }
    if (ec) {
      inputs.push_back(
          Input{arg, arg, false, "cannot read '" + arg + "': " + ec.message()});
      continue;
    }
    if (found.empty()) {
      inputs.push_back(
          Input{arg, arg, false,
                "cannot read '" + arg + "': directory has no .psl files"});
      continue;
    }
    std::sort(found.begin(), found.end());
    for (std::string &f : found)
      inputs.push_back(Input{f, f, false, std::nullopt});
  }
  return inputs;
}

std::optional<psl::Diagnostic> check_text(const std::string &text) {
  uint32_t line = 1, column = 1;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '\0' || utf8_length(text, i) == 0) {
      psl::Diagnostic d;
      d.severity = psl::Severity::Error;
      d.code = psl::DiagCode::E0002;
      if (text[i] == '\0') {
        d.message = "input contains a NUL byte";
      } else {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x",
                      static_cast<unsigned char>(text[i]));
        d.message = std::string("input is not valid UTF-8 (byte ") + hex + ")";
      }
      d.range.begin = {line, column};
      d.range.end = {line, column + 1};
      return d;
    }
    size_t n = utf8_length(text, i);
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      column += static_cast<uint32_t>(n);
    }
    i += n;
  }
  return std::nullopt;
}

LoadedInput load_input(const Input &input, std::istream &in) {
  LoadedInput loaded;
  std::string text;
  if (input.error) {
    loaded.file = std::make_shared<const psl::SourceFile>(input.display, "");
    psl::Diagnostic d = cannot_read(input.display, "");
    d.message = *input.error;
    loaded.problem = std::move(d);
    return loaded;
  }
  if (input.is_stdin) {
    text.assign(std::istreambuf_iterator<char>(in),
                std::istreambuf_iterator<char>());
    if (in.bad()) {
      loaded.file = std::make_shared<const psl::SourceFile>(input.display, "");
      loaded.problem = cannot_read(input.display, "read error");
      return loaded;
    }
  } else if (int err = read_file(input.path, text)) {
    loaded.file = std::make_shared<const psl::SourceFile>(input.display, "");
    loaded.problem = cannot_read(input.display, errno_text(err));
    return loaded;
  }
  loaded.problem = check_text(text);
  loaded.file =
      std::make_shared<const psl::SourceFile>(input.display, std::move(text));
  return loaded;
}

} // namespace psc
