#include "codegen/source_builder.h"

#include <sstream>
#include <vector>

namespace psl::codegen {

SourceBuilder &SourceBuilder::line(const std::string &text) {
  if (!text.empty())
    out_.append(static_cast<size_t>(depth_ * width_), ' ');
  out_ += text;
  out_ += '\n';
  return *this;
}

SourceBuilder &SourceBuilder::open(const std::string &head) {
  line(head.empty() ? "{" : head + " {");
  ++depth_;
  return *this;
}

SourceBuilder &SourceBuilder::close(const std::string &suffix) {
  dedent();
  return line("}" + suffix);
}

SourceBuilder &SourceBuilder::raw(const std::string &text) {
  out_ += text;
  out_ += '\n';
  return *this;
}

SourceBuilder &SourceBuilder::comment(const std::string &text) {
  const size_t limit = 78 > depth_ * width_ + 20 ? 78 - depth_ * width_ : 40;
  std::vector<std::string> lines;
  std::istringstream words(text);
  std::string w, cur;
  while (words >> w) {
    if (!cur.empty() && cur.size() + 1 + w.size() > limit - 3) {
      lines.push_back(cur);
      cur.clear();
    }
    cur += (cur.empty() ? "" : " ") + w;
  }
  if (!cur.empty())
    lines.push_back(cur);
  if (lines.size() <= 1)
    return line("/* " + (lines.empty() ? "" : lines[0]) + " */");
  line("/* " + lines[0]);
  for (size_t i = 1; i < lines.size(); ++i)
    line(" * " + lines[i]);
  return line(" */");
}

} // namespace psl::codegen
