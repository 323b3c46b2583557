// Query string parameters, checked: every route names the keys it takes;
// an unknown key, a key given twice or a value that does not parse is a
// 400 with a message that names the key and what was expected.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>

#include "api/http.h"
#include "summary/labels.h"
#include "trace/snapshot.h"

namespace psr::api {

// A whole decimal number (digits only, no sign or space) that fits 64
// bits; none otherwise.
std::optional<uint64_t> parse_u64(const std::string &text);
// What name() accepts (also for path segments).
bool is_name(const std::string &text, size_t max_len = 128);

class QueryReader {
public:
  // Checks that every key of `request` is one of `known`.
  QueryReader(const Request &request,
              std::initializer_list<const char *> known);

  // Each returns none when the key is absent or wrong (then error() says
  // why; the first error is kept).
  std::optional<uint64_t> u64(const char *key, uint64_t max = UINT64_MAX);
  std::optional<uint16_t> port(const char *key);
  std::optional<summary::Address> address(const char *key);
  std::optional<trace::Proto> proto(const char *key);
  std::optional<std::string> text(const char *key, size_t max_len = 64);
  // One of `allowed`, exactly.
  std::optional<std::string>
  one_of(const char *key, std::initializer_list<const char *> allowed);
  // A name: a letter or '_', then letters, digits, '_' and '-' (interface
  // names, rule names, proposal ids), at most `max_len`.
  std::optional<std::string> name(const char *key, size_t max_len = 128);

  bool ok() const { return error_.empty(); }
  const std::string &error() const { return error_; }
  // 400 with error().
  Response bad_request() const;

private:
  std::optional<std::string> value(const char *key);
  void fail(std::string message);

  const Request &request_;
  std::string error_;
};

} // namespace psr::api
