#include "report/report.h"

#include <algorithm>
#include <filesystem>
#include <string_view>

#include <nlohmann/json.hpp>

namespace psl {
namespace {

using Json = nlohmann::ordered_json;

// ANSI escapes. Kept in one place so the colourless output is exactly the
// coloured one with the escapes removed.
constexpr const char *kReset = "\x1b[0m";
constexpr const char *kBold = "\x1b[1m";
constexpr const char *kRed = "\x1b[1;31m";
constexpr const char *kMagenta = "\x1b[1;35m";
constexpr const char *kCyan = "\x1b[1;36m";

const char *severity_color(Severity s) {
  switch (s) {
  case Severity::Error:
    return kRed;
  case Severity::Warning:
    return kMagenta;
  case Severity::Note:
    return kCyan;
  }
  return kBold;
}

// One displayed character of a source line: a valid UTF-8 sequence, a tab,
// or a byte shown as '?' (control bytes and invalid UTF-8, so a binary
// line never reaches the terminal raw).
struct Unit {
  size_t offset; // byte offset in the line
  size_t length; // bytes
  char kind;     // 't' tab, 'c' printable character, 'x' replaced byte
};

size_t utf8_sequence_length(std::string_view s, size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t n = 0;
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
  // Reject overlong forms and surrogates, as a strict decoder would.
  auto b1 = static_cast<unsigned char>(s[i + 1]);
  if (b == 0xe0 && b1 < 0xa0)
    return 0;
  if (b == 0xed && b1 >= 0xa0)
    return 0;
  if (b == 0xf0 && b1 < 0x90)
    return 0;
  if (b == 0xf4 && b1 >= 0x90)
    return 0;
  return n;
}

std::vector<Unit> split_units(std::string_view line) {
  std::vector<Unit> units;
  size_t i = 0;
  while (i < line.size()) {
    auto b = static_cast<unsigned char>(line[i]);
    if (b == '\t') {
      units.push_back({i, 1, 't'});
      ++i;
    } else if (b < 0x20 || b == 0x7f) {
      units.push_back({i, 1, 'x'});
      ++i;
    } else if (b < 0x80) {
      units.push_back({i, 1, 'c'});
      ++i;
    } else if (size_t n = utf8_sequence_length(line, i)) {
      units.push_back({i, n, 'c'});
      i += n;
    } else {
      units.push_back({i, 1, 'x'});
      ++i;
    }
  }
  return units;
}

// Code points before byte column `column` (1-based) on `line`, plus one.
uint32_t code_point_column(std::string_view line, uint32_t column) {
  if (column == 0)
    return 0;
  size_t byte = column - 1;
  uint32_t cp = 1;
  for (const Unit &u : split_units(line)) {
    if (u.offset >= byte)
      break;
    ++cp;
  }
  // Past the end of the line (an end column one past the last character,
  // or a position at the newline): count the remaining bytes one by one.
  if (byte > line.size())
    cp += static_cast<uint32_t>(byte - line.size());
  return cp;
}

std::string location_prefix(const SourceFile &file, const SourceRange &range) {
  std::string out = file.path();
  if (range.valid()) {
    out += ':';
    out += std::to_string(range.begin.line);
    out += ':';
    out += std::to_string(range.begin.column);
  }
  out += ": ";
  return out;
}

std::string diag_label(const Diagnostic &d) {
  std::string label = severity_name(d.severity);
  label += '[';
  label += diag_info(d.code).name;
  label += "]:";
  return label;
}

Json json_location(const SourceFile &file, const SourceRange &r) {
  Json j;
  j["file"] = file.path();
  if (r.valid()) {
    j["line"] = r.begin.line;
    j["column"] = r.begin.column;
    j["end_line"] = r.end.line;
    j["end_column"] = r.end.column;
  } else {
    j["line"] = nullptr;
    j["column"] = nullptr;
    j["end_line"] = nullptr;
    j["end_column"] = nullptr;
  }
  return j;
}

bool unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
         c == '~' || c == '/';
}

std::string percent_encode(std::string_view s) {
  static const char *hex = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (unreserved(c)) {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

bool starts_with_dotdot(const std::filesystem::path &p) {
  return !p.empty() && *p.begin() == "..";
}

Json sarif_physical_location(const SourceFile &file, const SourceRange &r,
                             const SarifOptions &options) {
  Json loc;
  ArtifactUri uri = artifact_uri(file.path(), options.source_root);
  Json artifact;
  artifact["uri"] = uri.uri;
  if (uri.relative)
    artifact["uriBaseId"] = "%SRCROOT%";
  loc["artifactLocation"] = artifact;
  Json region;
  if (r.valid()) {
    region["startLine"] = r.begin.line;
    region["startColumn"] =
        code_point_column(file.line(r.begin.line), r.begin.column);
    if (r.end.line != 0) {
      region["endLine"] = r.end.line;
      region["endColumn"] =
          code_point_column(file.line(r.end.line), r.end.column);
    }
  } else {
    // A diagnostic about the whole file (unreadable, binary): code
    // scanning wants a line, so point at the first.
    region["startLine"] = 1;
  }
  loc["region"] = region;
  return loc;
}

} // namespace

std::string render_snippet(const SourceFile &file, const SourceRange &range,
                           const TextOptions &options) {
  if (!range.valid() || range.begin.line > file.line_count())
    return {};
  std::string_view line = file.line(range.begin.line);
  if (!line.empty() && line.back() == '\r') // CRLF files
    line.remove_suffix(1);
  // A byte-order mark is invisible: neither shown nor counted for the caret.
  size_t skipped = 0;
  if (range.begin.line == 1 && line.substr(0, 3) == "\xef\xbb\xbf") {
    line.remove_prefix(3);
    skipped = 3;
  }
  std::vector<Unit> units = split_units(line);

  std::string shown;
  for (const Unit &u : units) {
    if (u.kind == 'x')
      shown += '?';
    else
      shown.append(line.substr(u.offset, u.length));
  }
  // Trailing blanks would only make expected outputs fragile.
  while (!shown.empty() && (shown.back() == ' ' || shown.back() == '\t'))
    shown.pop_back();
  // A caret under an empty line (an empty file, the end of the file) shows
  // nothing the location does not already say.
  if (shown.empty())
    return {};

  auto offset = [&](uint32_t column) -> size_t {
    size_t byte = column == 0 ? 0 : column - 1;
    return byte > skipped ? byte - skipped : 0;
  };
  const size_t begin = offset(range.begin.column);
  size_t end; // exclusive byte offset of the underline on this line
  if (range.end.line == range.begin.line &&
      range.end.column > range.begin.column)
    end = std::max(offset(range.end.column), begin + 1);
  else if (range.end.line > range.begin.line)
    end = std::max(line.size(), begin + 1);
  else
    end = begin + 1;

  std::string marks;
  size_t covered = 0; // bytes of the line accounted for so far
  bool caret_done = false;
  for (const Unit &u : units) {
    if (u.offset >= end)
      break;
    covered = u.offset + u.length;
    if (u.offset < begin) {
      marks += u.kind == 't' ? '\t' : ' ';
      continue;
    }
    marks += caret_done ? '~' : '^';
    caret_done = true;
  }
  // A position past the end of the line (an error at the newline or at
  // the end of the file) still gets a caret, after padding.
  if (!caret_done && begin > covered)
    marks.append(begin - covered, ' ');
  if (!caret_done)
    marks += '^';

  std::string out = shown + "\n";
  if (options.color) {
    size_t first = marks.find_first_of("^~");
    out += marks.substr(0, first);
    out += kBold;
    out += "\x1b[32m"; // green, as clang draws carets
    out += marks.substr(first);
    out += kReset;
  } else {
    out += marks;
  }
  out += "\n";
  return out;
}

std::string render_text(const SourceFile &file, const Diagnostic &diag,
                        const TextOptions &options) {
  std::string out;
  auto header = [&](const SourceRange &range, const std::string &label,
                    Severity sev, const std::string &message, bool bold_message,
                    bool snippet) {
    if (options.color) {
      out += kBold;
      out += location_prefix(file, range);
      out += severity_color(sev);
      out += label;
      out += kReset;
      if (bold_message)
        out += kBold;
      out += ' ';
      out += message;
      out += kReset;
    } else {
      out += location_prefix(file, range);
      out += label;
      out += ' ';
      out += message;
    }
    out += '\n';
    if (snippet)
      out += render_snippet(file, range, options);
  };
  header(diag.range, diag_label(diag), diag.severity, diag.message, true, true);
  for (const Diagnostic::Note &note : diag.notes) {
    // A note about the very same range ("did you mean") would only repeat
    // the snippet just shown.
    bool same = note.range.begin.line == diag.range.begin.line &&
                note.range.begin.column == diag.range.begin.column &&
                note.range.end.line == diag.range.end.line &&
                note.range.end.column == diag.range.end.column;
    header(note.range, "note:", Severity::Note, note.message, false, !same);
  }
  return out;
}

std::string render_text(const FileReport &report, const TextOptions &options) {
  std::string out;
  for (const Diagnostic &d : report.diagnostics)
    out += render_text(*report.file, d, options);
  return out;
}

std::string render_json(const std::vector<FileReport> &reports) {
  Json all = Json::array();
  for (const FileReport &report : reports) {
    for (const Diagnostic &d : report.diagnostics) {
      Json j = json_location(*report.file, d.range);
      j["severity"] = severity_name(d.severity);
      j["code"] = diag_info(d.code).name;
      j["message"] = d.message;
      Json notes = Json::array();
      for (const Diagnostic::Note &n : d.notes) {
        Json jn = json_location(*report.file, n.range);
        jn["message"] = n.message;
        notes.push_back(std::move(jn));
      }
      j["notes"] = std::move(notes);
      all.push_back(std::move(j));
    }
  }
  return all.dump(2) + "\n";
}

ArtifactUri artifact_uri(const std::string &path,
                         const std::string &source_root) {
  namespace fs = std::filesystem;
  if (path == "<stdin>")
    return {"stdin", false};
  fs::path p = fs::path(path).lexically_normal();
  fs::path root = source_root.empty()
                      ? fs::path()
                      : fs::path(source_root).lexically_normal();
  if (p.is_relative() && !starts_with_dotdot(p))
    return {percent_encode(p.generic_string()), true};
  if (!root.empty()) {
    fs::path abs = p.is_absolute() ? p : (root / p).lexically_normal();
    fs::path rel = abs.lexically_relative(root);
    if (!rel.empty() && rel != "." && !starts_with_dotdot(rel))
      return {percent_encode(rel.generic_string()), true};
    p = abs;
  }
  if (p.is_absolute())
    return {"file://" + percent_encode(p.generic_string()), false};
  return {percent_encode(p.generic_string()), true};
}

std::string render_sarif(const std::vector<FileReport> &reports,
                         const SarifOptions &options) {
  Json rules = Json::array();
  const std::vector<DiagInfo> &infos = all_diag_infos();
  for (const DiagInfo &info : infos) {
    Json rule;
    rule["id"] = info.name;
    rule["shortDescription"] = Json{{"text", info.summary}};
    rule["defaultConfiguration"] =
        Json{{"level", severity_name(info.severity)}};
    rules.push_back(std::move(rule));
  }
  auto rule_index = [&](DiagCode code) -> int {
    for (size_t i = 0; i < infos.size(); ++i)
      if (infos[i].code == code)
        return static_cast<int>(i);
    return -1;
  };

  Json results = Json::array();
  for (const FileReport &report : reports) {
    for (const Diagnostic &d : report.diagnostics) {
      Json result;
      result["ruleId"] = diag_info(d.code).name;
      int index = rule_index(d.code);
      if (index >= 0)
        result["ruleIndex"] = index;
      result["level"] = severity_name(d.severity);
      std::string text = d.message;
      Json related = Json::array();
      for (const Diagnostic::Note &n : d.notes) {
        if (!n.range.valid()) {
          text += "\nnote: " + n.message;
          continue;
        }
        Json rel;
        rel["id"] = related.size();
        rel["physicalLocation"] =
            sarif_physical_location(*report.file, n.range, options);
        rel["message"] = Json{{"text", n.message}};
        related.push_back(std::move(rel));
      }
      result["message"] = Json{{"text", text}};
      result["locations"] = Json::array(
          {Json{{"physicalLocation",
                 sarif_physical_location(*report.file, d.range, options)}}});
      if (!related.empty())
        result["relatedLocations"] = std::move(related);
      results.push_back(std::move(result));
    }
  }

  Json driver;
  driver["name"] = "psc";
  // Optional in SARIF; only set when the build names a home page.
  if (!options.information_uri.empty())
    driver["informationUri"] = options.information_uri;
  driver["version"] = options.tool_version;
  driver["semanticVersion"] = options.tool_version;
  driver["rules"] = std::move(rules);

  Json run;
  run["tool"] = Json{{"driver", std::move(driver)}};
  run["columnKind"] = "unicodeCodePoints";
  run["results"] = std::move(results);

  Json log;
  log["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  log["version"] = "2.1.0";
  log["runs"] = Json::array({std::move(run)});
  return log.dump(2) + "\n";
}

DiagnosticCounts count_diagnostics(const std::vector<FileReport> &reports) {
  DiagnosticCounts c;
  c.files = reports.size();
  for (const FileReport &r : reports)
    for (const Diagnostic &d : r.diagnostics) {
      if (d.severity == Severity::Error)
        ++c.errors;
      else if (d.severity == Severity::Warning)
        ++c.warnings;
    }
  return c;
}

std::string summary_line(const DiagnosticCounts &c) {
  if (c.errors == 0 && c.warnings == 0)
    return {};
  auto plural = [](size_t n, const char *word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
  };
  std::string out;
  if (c.errors)
    out += plural(c.errors, "error");
  if (c.warnings) {
    if (!out.empty())
      out += ", ";
    out += plural(c.warnings, "warning");
  }
  out += " in " + plural(c.files, "file");
  return out;
}

} // namespace psl
