#include "govern/audit_log.h"

#include <cerrno>
#include <ctime>
#include <deque>
#include <fstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/bpf_object.h"
#include "policy/files.h"

namespace psr::govern {

using nlohmann::json;

int64_t unix_now_ms() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

AuditLog::AuditLog(AuditOptions options) : options_(std::move(options)) {}

be::Status AuditLog::rotate_if_needed(size_t next_record) {
  struct stat st;
  if (::stat(options_.path.c_str(), &st) != 0)
    return be::Status::success();
  if (static_cast<uint64_t>(st.st_size) + next_record <= options_.max_bytes ||
      st.st_size == 0)
    return be::Status::success();
  auto rotated = [&](unsigned i) {
    return options_.path + "." + std::to_string(i);
  };
  if (options_.keep == 0) {
    ::unlink(options_.path.c_str());
    return be::Status::success();
  }
  ::unlink(rotated(options_.keep).c_str());
  for (unsigned i = options_.keep; i > 1; --i)
    ::rename(rotated(i - 1).c_str(), rotated(i).c_str());
  if (::rename(options_.path.c_str(), rotated(1).c_str()) != 0)
    return be::errno_error("cannot rotate '" + options_.path + "'", errno);
  return be::Status::success();
}

be::Status AuditLog::append(json record) {
  if (!record.is_object())
    return be::Error("an audit record is a JSON object");
  if (!record.contains("time_unix_ms"))
    record["time_unix_ms"] = unix_now_ms();
  // One line, invalid UTF-8 replaced rather than refused: a record is
  // never lost to an odd byte in a proposal.
  std::string line =
      record.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  be::Status written = write_line(line);
  // A decision happened whether or not the disk took its record.
  if (listener_)
    listener_(record, written.ok());
  return written;
}

void AuditLog::set_listener(Listener listener) {
  listener_ = std::move(listener);
}

be::Status AuditLog::write_line(const std::string &line) {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t slash = options_.path.rfind('/');
  if (slash != std::string::npos && slash > 0)
    if (be::Status s = policy::make_dirs(options_.path.substr(0, slash), 0755);
        !s.ok())
      return s;
  if (be::Status s = rotate_if_needed(line.size()); !s.ok())
    return s;
  be::UniqueFd fd(::open(options_.path.c_str(),
                         O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  if (!fd)
    return be::errno_error("cannot open the audit log '" + options_.path + "'",
                           errno);
  const ssize_t n = ::write(fd.get(), line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size()))
    return be::errno_error("cannot write the audit log '" + options_.path + "'",
                           n < 0 ? errno : EIO);
  return be::Status::success();
}

namespace {

bool matches(const json &r, const AuditFilter &f) {
  const int64_t t = r.value("time_unix_ms", int64_t{0});
  if (f.since_unix_ms && t < *f.since_unix_ms)
    return false;
  if (f.until_unix_ms && t >= *f.until_unix_ms)
    return false;
  auto str = [&](const char *key) {
    auto it = r.find(key);
    return it != r.end() && it->is_string() ? it->get<std::string>()
                                            : std::string();
  };
  if (f.event && str("event") != *f.event)
    return false;
  if (f.origin && str("origin") != *f.origin)
    return false;
  if (f.proposal_id && str("proposal_id") != *f.proposal_id)
    return false;
  if (f.ifname) {
    auto t = r.find("target");
    if (t == r.end() || !t->is_object() ||
        t->value("ifname", std::string()) != *f.ifname)
      return false;
  }
  if (f.verdict) {
    if (str("event") != "verdict")
      return false;
    auto v = r.find("verdict");
    if (v == r.end() || !v->is_object())
      return false;
    const bool accepted = v->value("accepted", false);
    if ((*f.verdict == "accepted") != accepted)
      return false;
  }
  return true;
}

} // namespace

be::Expected<std::vector<json>> AuditLog::read(const AuditFilter &filter,
                                               size_t *skipped) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> files;
  for (unsigned i = options_.keep; i >= 1; --i)
    files.push_back(options_.path + "." + std::to_string(i));
  files.push_back(options_.path);
  std::deque<json> out;
  size_t bad = 0;
  for (const std::string &path : files) {
    std::ifstream in(path);
    if (!in)
      continue;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty())
        continue;
      json r = json::parse(line, nullptr, false);
      if (r.is_discarded() || !r.is_object()) {
        ++bad;
        continue;
      }
      if (!matches(r, filter))
        continue;
      out.push_back(std::move(r));
      if (out.size() > filter.limit)
        out.pop_front();
    }
  }
  if (skipped != nullptr)
    *skipped = bad;
  return std::vector<json>(std::make_move_iterator(out.begin()),
                           std::make_move_iterator(out.end()));
}

} // namespace psr::govern
