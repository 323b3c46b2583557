#include "inputs.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <system_error>

#include <fcntl.h>
#include <sys/mman.h>
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

// Asks the kernel for 2 MiB pages for the whole 2 MiB blocks of
// [p, p + n), before they are first touched: one fault each instead of
// 512. mimalloc serves a large file's buffer from memory it maps with
// small pages (the main thread's first segment predates its large-page
// setting), and reading a 9 MB policy into it took 35-48 ms against 12-16
// with this. A hint: nothing changes if the kernel says no.
void prefer_large_pages(void *p, size_t n) {
  constexpr uintptr_t kLarge = uintptr_t{2} << 20;
  const uintptr_t begin =
      (reinterpret_cast<uintptr_t>(p) + kLarge - 1) & ~(kLarge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + n) & ~(kLarge - 1);
  if (end > begin)
    ::madvise(reinterpret_cast<void *>(begin), end - begin, MADV_HUGEPAGE);
}

// The whole file, or the errno that stopped reading it.
int read_file(const std::string &path, std::string &out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno;
  struct stat st {};
  const bool sized = ::fstat(fd, &st) == 0;
  if (sized && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return EISDIR;
  }
  // Read straight into a string of the file's size: a policy of 100k
  // rules is 7-9 MB, and growing the string from 64 KiB reads touched
  // twice that memory, on hosts where a first touch is dear. A file that
  // grows while read is read to its end all the same.
  size_t have = 0;
  const size_t size = sized && S_ISREG(st.st_mode) && st.st_size > 0
                          ? static_cast<size_t>(st.st_size) + 1
                          : 65536;
  out.reserve(size);
  prefer_large_pages(out.data(), size);
  out.resize(size);
  for (;;) {
    if (have == out.size())
      out.resize(out.size() * 2);
    ssize_t n = ::read(fd, &out[have], out.size() - have);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      int err = errno;
      ::close(fd);
      out.clear();
      return err;
    }
    if (n == 0)
      break;
    have += static_cast<size_t>(n);
  }
  out.resize(have);
  ::close(fd);
  return 0;
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
      inputs.back().no_policies = true;
      continue;
    }
    std::sort(found.begin(), found.end());
    for (std::string &f : found)
      inputs.push_back(Input{f, f, false, std::nullopt});
  }
  return inputs;
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
  loaded.file =
      std::make_shared<const psl::SourceFile>(input.display, std::move(text));
  return loaded;
}

} // namespace psc
