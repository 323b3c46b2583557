// analyzer.proposals_file: proposals written by something else (a test,
// a replay of an audit log's proposals, an external analyzer), one JSON
// object per line in analyze::to_json's form, read as lines are
// appended. Each goes to the governor like the analyzer's own: the file
// can propose, never decide.
//
// The file may not exist yet; it must be a regular file that only its
// owner may write. A line is taken once complete (ends in '\n'); a file
// that shrank was replaced and is read from its start.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyze/proposal.h"

namespace psd {

class ProposalFeed {
public:
  explicit ProposalFeed(std::string path, size_t max_line = 1 << 20);

  struct Read {
    std::vector<psr::analyze::Proposal> proposals;
    // "FILE:LINE: why" for each line that is not a proposal, and for a
    // file psd will not read (its mode).
    std::vector<std::string> errors;
  };
  // What was appended since the last call.
  Read poll();

  const std::string &path() const { return path_; }

private:
  std::string path_;
  size_t max_line_;
  uint64_t offset_ = 0;
  uint64_t line_no_ = 0;
  std::string partial_;
  bool skipping_ = false; // inside a line over max_line
  std::string refused_;   // the last complaint about the file itself
};

} // namespace psd
