#include "proposal_feed.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "backend/bpf_object.h"

namespace psd {

ProposalFeed::ProposalFeed(std::string path, size_t max_line)
    : path_(std::move(path)), max_line_(max_line) {}

ProposalFeed::Read ProposalFeed::poll() {
  Read out;
  psl::backend::UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd)
    return out; // not there (yet)
  struct stat st {};
  std::string complaint;
  if (::fstat(fd.get(), &st) != 0)
    complaint = std::strerror(errno);
  else if (!S_ISREG(st.st_mode))
    complaint = "not a regular file";
  else if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    complaint = "its group or others may write it (chmod go-w)";
  if (!complaint.empty()) {
    // Said once, not at every tick.
    if (complaint != refused_)
      out.errors.push_back(path_ + ": not read: " + complaint);
    refused_ = complaint;
    return out;
  }
  refused_.clear();
  if (static_cast<uint64_t>(st.st_size) < offset_) {
    offset_ = 0; // replaced or truncated
    line_no_ = 0;
    partial_.clear();
    skipping_ = false;
  }
  if (::lseek(fd.get(), static_cast<off_t>(offset_), SEEK_SET) < 0)
    return out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n <= 0)
      break;
    offset_ += static_cast<uint64_t>(n);
    partial_.append(buf, static_cast<size_t>(n));
    if (skipping_) {
      // The rest of a line that was too long.
      const size_t nl = partial_.find('\n');
      if (nl == std::string::npos) {
        partial_.clear();
        continue;
      }
      partial_.erase(0, nl + 1);
      skipping_ = false;
    }
    size_t start = 0;
    for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos;
         start = nl + 1) {
      ++line_no_;
      std::string line = partial_.substr(start, nl - start);
      if (line.find_first_not_of(" \t\r") == std::string::npos)
        continue;
      const std::string where = path_ + ":" + std::to_string(line_no_) + ": ";
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        out.errors.push_back(where + "not a JSON object");
        continue;
      }
      auto p = psr::analyze::proposal_from_json(j);
      if (!p.ok()) {
        out.errors.push_back(where + p.error().message);
        continue;
      }
      out.proposals.push_back(std::move(p.value()));
    }
    partial_.erase(0, start);
    if (partial_.size() > max_line_) {
      ++line_no_;
      out.errors.push_back(path_ + ":" + std::to_string(line_no_) +
                           ": a line longer than " + std::to_string(max_line_) +
                           " bytes; skipped");
      partial_.clear();
      skipping_ = true;
    }
  }
  return out;
}

} // namespace psd
