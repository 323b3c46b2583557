// Compact JSON written as text, element by element, for the tables that
// grow with a policy (the map sidecar's entries, rules and rates; the
// policy runtime's state file): a tree per element costs more than the
// text, and a tree of the whole table far more. What these write is what
// nlohmann's dump() writes for the same values.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

namespace psl::codegen {

inline void append_json_uint(std::string &out, uint64_t v) {
  char digits[20];
  const auto r = std::to_chars(digits, digits + sizeof digits, v);
  out.append(digits, r.ptr);
}

// `s` as a JSON string: '"', '\\' and the control characters escaped,
// everything else as it is. A string with a byte past ASCII goes through
// nlohmann, which also checks that it is UTF-8 (and throws if not).
inline void append_json_string(std::string &out, std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) {
      out += nlohmann::json(std::string(s)).dump();
      return;
    }
  static const char *hex = "0123456789abcdef";
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20) {
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
      } else {
        out += static_cast<char>(c);
      }
    }
  }
  out += '"';
}

// An array of numbers or of strings, compact.
template <class T>
void append_json_array(std::string &out, const std::vector<T> &v) {
  out += '[';
  for (size_t i = 0; i < v.size(); ++i) {
    if (i != 0)
      out += ',';
    if constexpr (std::is_convertible_v<const T &, std::string_view>)
      append_json_string(out, v[i]);
    else
      append_json_uint(out, v[i]);
  }
  out += ']';
}

// One compact object, member by member, onto `out`; the members in the
// order given (nlohmann's objects keep theirs sorted by name).
class JsonObjectText {
public:
  explicit JsonObjectText(std::string &out) : out_(out) { out_ += '{'; }
  ~JsonObjectText() { out_ += '}'; }
  JsonObjectText(const JsonObjectText &) = delete;
  JsonObjectText &operator=(const JsonObjectText &) = delete;

  JsonObjectText &number(std::string_view key, uint64_t v) {
    append_json_uint(name(key), v);
    return *this;
  }
  JsonObjectText &boolean(std::string_view key, bool v) {
    name(key) += v ? "true" : "false";
    return *this;
  }
  JsonObjectText &string(std::string_view key, std::string_view v) {
    append_json_string(name(key), v);
    return *this;
  }
  template <class T>
  JsonObjectText &array(std::string_view key, const std::vector<T> &v) {
    append_json_array(name(key), v);
    return *this;
  }

private:
  std::string &name(std::string_view key) {
    out_ += first_ ? "\"" : ",\"";
    first_ = false;
    out_ += key;
    out_ += "\":";
    return out_;
  }

  std::string &out_;
  bool first_ = true;
};

} // namespace psl::codegen
