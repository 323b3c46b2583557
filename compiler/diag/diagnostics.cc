#include "diag/diagnostics.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace psl {

SourceFile::SourceFile(std::string path, std::string text)
    : path_(std::move(path)), text_(std::move(text)) {
  line_starts_.push_back(0);
  const char *const begin = text_.data();
  const char *const end = begin + text_.size();
  for (const char *at = begin; at < end;) {
    const void *nl = std::memchr(at, '\n', static_cast<size_t>(end - at));
    if (!nl)
      break;
    at = static_cast<const char *>(nl) + 1;
    if (at < end)
      line_starts_.push_back(static_cast<size_t>(at - begin));
  }
}

std::string_view SourceFile::line(uint32_t line) const {
  if (line == 0 || line > line_starts_.size())
    return {};
  size_t begin = line_starts_[line - 1];
  size_t end = text_.find('\n', begin);
  if (end == std::string::npos)
    end = text_.size();
  if (end > begin && text_[end - 1] == '\r')
    --end;
  return std::string_view(text_).substr(begin, end - begin);
}

static bool loc_less(const SourceLoc &a, const SourceLoc &b) {
  return a.line != b.line ? a.line < b.line : a.column < b.column;
}

SourceRange SourceRange::cover(const SourceRange &a, const SourceRange &b) {
  if (!a.valid())
    return b;
  if (!b.valid())
    return a;
  SourceRange r;
  r.begin = loc_less(a.begin, b.begin) ? a.begin : b.begin;
  r.end = loc_less(a.end, b.end) ? b.end : a.end;
  return r;
}

const char *severity_name(Severity s) {
  switch (s) {
  case Severity::Error:
    return "error";
  case Severity::Warning:
    return "warning";
  case Severity::Note:
    return "note";
  }
  return "error";
}

const std::vector<DiagInfo> &all_diag_infos() {
  static const std::vector<DiagInfo> infos = {
#define PSL_DIAG(code, sev, summary)                                           \
  DiagInfo{DiagCode::code, #code, Severity::sev, summary},
#include "diag/codes.def"
#undef PSL_DIAG
  };
  return infos;
}

const DiagInfo &diag_info(DiagCode code) {
  return all_diag_infos().at(static_cast<size_t>(code));
}

DiagnosticSink::DiagnosticSink(std::shared_ptr<const SourceFile> file)
    : file_(std::move(file)) {}

Diagnostic &DiagnosticSink::report(DiagCode code, SourceRange range,
                                   std::string message) {
  return report(diag_info(code).severity, code, range, std::move(message));
}

Diagnostic &DiagnosticSink::report(Severity severity, DiagCode code,
                                   SourceRange range, std::string message) {
  if (severity == Severity::Error)
    ++errors_;
  diags_.push_back(Diagnostic{severity, code, std::move(message), range, {}});
  return diags_.back();
}

void DiagnosticSink::sort_by_location() {
  std::stable_sort(diags_.begin(), diags_.end(),
                   [](const Diagnostic &a, const Diagnostic &b) {
                     return loc_less(a.range.begin, b.range.begin);
                   });
}

void DiagnosticSink::truncate(size_t count) {
  if (count >= diags_.size())
    return;
  diags_.resize(count);
  errors_ = 0;
  for (const auto &d : diags_)
    errors_ += d.severity == Severity::Error ? 1 : 0;
}

// Optimal string alignment distance (Damerau-Levenshtein with adjacent
// transpositions): "tcp.dprot" is one edit from "tcp.dport".
static size_t edit_distance(std::string_view a, std::string_view b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i)
    d[i][0] = i;
  for (size_t j = 0; j <= m; ++j)
    d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      size_t cost = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                            std::tolower(static_cast<unsigned char>(b[j - 1]))
                        ? 0
                        : 1;
      d[i][j] =
          std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

std::string closest_match(std::string_view word,
                          const std::vector<std::string> &candidates) {
  // A typo is plausible when it is small relative to the word: one edit for
  // short names, up to a third of the length for long ones.
  const size_t limit = std::max<size_t>(1, word.size() / 3);
  std::string best;
  size_t best_distance = limit + 1;
  for (const auto &c : candidates) {
    if (c == word)
      continue;
    // Cheap length filter before the quadratic distance.
    size_t diff = c.size() > word.size() ? c.size() - word.size()
                                         : word.size() - c.size();
    if (diff > limit)
      continue;
    size_t dist = edit_distance(word, c);
    if (dist < best_distance) {
      best_distance = dist;
      best = c;
    }
  }
  return best;
}

} // namespace psl
