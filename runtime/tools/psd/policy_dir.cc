#include "policy_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "default_policy.h"
#include "driver.h"
#include "report/report.h"

namespace psd {

namespace be = psl::backend;

const char *const kDefaultPolicyPath = "default.psl (built into psd)";

namespace {

constexpr off_t kMaxPolicyBytes = 64 << 20;

be::Expected<std::string> read_policy(const std::string &path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return be::Error("cannot read '" + path + "': " + std::strerror(errno),
                     errno);
  if (!S_ISREG(st.st_mode))
    return be::Error("'" + path + "' is not a regular file");
  if (st.st_size > kMaxPolicyBytes)
    return be::Error("'" + path + "' is larger than 64 MiB");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof())
    return be::Error("cannot read '" + path + "': " + std::strerror(errno),
                     errno);
  return text.str();
}

} // namespace

std::string default_policy_text() {
  be::ObjectBytes b = be::psd_default_policy_bytes();
  return std::string(reinterpret_cast<const char *>(b.data), b.size);
}

be::Expected<std::vector<OperatorPolicy>>
find_operator_policies(const std::string &dir, bool dir_required,
                       const std::vector<std::string> &interfaces) {
  std::set<std::string> files; // *.psl in dir
  DIR *d = ::opendir(dir.c_str());
  if (d == nullptr) {
    int err = errno;
    if (err != ENOENT || dir_required)
      return be::Error("cannot read the policy directory '" + dir +
                           "': " + std::strerror(err),
                       err);
  } else {
    while (struct dirent *e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 4 && n.compare(n.size() - 4, 4, ".psl") == 0 &&
          n[0] != '.')
        files.insert(n);
    }
    ::closedir(d);
  }

  std::set<std::string> used;
  std::vector<OperatorPolicy> out;
  for (const std::string &iface : interfaces) {
    OperatorPolicy p;
    p.iface = iface;
    std::string own = iface + ".psl";
    std::string chosen = files.count(own)            ? own
                         : files.count("policy.psl") ? "policy.psl"
                                                     : "";
    if (chosen.empty()) {
      p.path = kDefaultPolicyPath;
      p.from = "default";
      p.text = default_policy_text();
    } else {
      p.path = dir + (dir.empty() || dir.back() == '/' ? "" : "/") + chosen;
      p.from = "policy-dir";
      auto text = read_policy(p.path);
      if (!text.ok())
        return text.error();
      p.text = std::move(text.value());
      used.insert(chosen);
    }
    out.push_back(std::move(p));
  }
  // policy.psl is fine unused (every interface has its own); any other
  // file names an interface psd was not given, or nothing.
  for (const std::string &f : files) {
    if (used.count(f) || f == "policy.psl")
      continue;
    std::string list;
    for (const std::string &i : interfaces)
      list += (list.empty() ? "" : ", ") + i;
    return be::Error("'" + dir + "/" + f +
                     "' is neither policy.psl nor IFACE.psl for an interface "
                     "psd manages (" +
                     list + "); rename or remove it");
  }
  return out;
}

std::string api_policy_file(const std::string &dir, const std::string &iface,
                            size_t interfaces) {
  const std::string base = dir + (dir.empty() || dir.back() == '/' ? "" : "/");
  struct stat st {};
  if (interfaces == 1 && ::stat((base + iface + ".psl").c_str(), &st) != 0)
    return base + "policy.psl";
  return base + iface + ".psl";
}

be::Status write_policy_file(const std::string &path, const std::string &text) {
  const size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : path.substr(0, slash);
  const std::string name =
      slash == std::string::npos ? path : path.substr(slash + 1);
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return be::Error("cannot make the policy directory '" + dir +
                         "': " + std::strerror(errno),
                     errno);
  // Hidden and not *.psl: never taken for a policy, even half-written.
  const std::string tmp =
      dir + "/." + name + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return be::Error("cannot write '" + tmp + "': " + std::strerror(errno),
                     errno);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      ::close(fd);
      ::unlink(tmp.c_str());
      return be::Error("cannot write '" + tmp + "': " + std::strerror(err),
                       err);
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return be::Error("cannot write '" + path + "': " + std::strerror(err), err);
  }
  return be::Status::success();
}

PolicyCheck check_policy(const OperatorPolicy &policy) {
  psl::CheckedModule m = psl::check_source(policy.path, policy.text);
  PolicyCheck c;
  for (const psl::Diagnostic &d : m.diags.diagnostics()) {
    if (d.severity == psl::Severity::Error)
      ++c.errors;
    else if (d.severity == psl::Severity::Warning)
      ++c.warnings;
  }
  c.ok = m.ok();
  if (!m.diags.diagnostics().empty()) {
    auto file =
        m.module.file
            ? m.module.file
            : std::make_shared<const psl::SourceFile>(policy.path, policy.text);
    psl::FileReport report{file, m.diags.diagnostics()};
    c.diagnostics = psl::render_text(report);
  }
  return c;
}

} // namespace psd
