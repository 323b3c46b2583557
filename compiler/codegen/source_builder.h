// An indenting builder for generated C (the p4c CodeBuilder idea): code is
// emitted line by line at the current depth, never by concatenating
// strings across files.
#pragma once

#include <string>

namespace psl::codegen {

class SourceBuilder {
public:
  explicit SourceBuilder(int indent_width = 2) : width_(indent_width) {}

  // One line at the current indentation ("" gives an empty line).
  SourceBuilder &line(const std::string &text = "");
  // `head {` and one level deeper; close() ends it with `}` + suffix.
  SourceBuilder &open(const std::string &head);
  SourceBuilder &close(const std::string &suffix = "");
  // A `/* ... */` comment, wrapped to the line width.
  SourceBuilder &comment(const std::string &text);
  // A line at column 0 (preprocessor directives, labels).
  SourceBuilder &raw(const std::string &text);
  void indent() { ++depth_; }
  void dedent() {
    if (depth_ > 0)
      --depth_;
  }

  int depth() const { return depth_; }
  const std::string &str() const { return out_; }

private:
  std::string out_;
  int depth_ = 0;
  int width_;
};

} // namespace psl::codegen
