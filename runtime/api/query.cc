#include "api/query.h"

#include <cerrno>
#include <cstdlib>
#include <set>

namespace psr::api {

namespace {

// A value quoted back in an error: bounded and printable.
std::string shown(const std::string &v) {
  std::string out;
  for (char c : v.substr(0, 40))
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return v.size() > 40 ? out + "..." : out;
}

} // namespace

std::optional<uint64_t> parse_u64(const std::string &text) {
  if (text.empty() || text.size() > 20)
    return std::nullopt;
  for (char c : text)
    if (c < '0' || c > '9')
      return std::nullopt;
  errno = 0;
  unsigned long long n = std::strtoull(text.c_str(), nullptr, 10);
  if (errno == ERANGE)
    return std::nullopt;
  return n;
}

QueryReader::QueryReader(const Request &request,
                         std::initializer_list<const char *> known)
    : request_(request) {
  std::set<std::string> names(known.begin(), known.end());
  for (const auto &[key, value] : request.query) {
    if (names.count(key) != 0)
      continue;
    std::string list;
    for (const char *k : known)
      list += (list.empty() ? "" : ", ") + std::string(k);
    fail("unknown query parameter '" + shown(key) + "'" +
         (list.empty() ? std::string(" (this path takes none)")
                       : " (known: " + list + ")"));
    return;
  }
}

void QueryReader::fail(std::string message) {
  if (error_.empty())
    error_ = std::move(message);
}

Response QueryReader::bad_request() const {
  return error_response(400, error_);
}

std::optional<std::string> QueryReader::value(const char *key) {
  auto range = request_.query.equal_range(key);
  if (range.first == range.second)
    return std::nullopt;
  if (std::next(range.first) != range.second) {
    fail(std::string("query parameter '") + key + "' is given more than once");
    return std::nullopt;
  }
  return range.first->second;
}

std::optional<uint64_t> QueryReader::u64(const char *key, uint64_t max) {
  auto v = value(key);
  if (!v)
    return std::nullopt;
  auto n = parse_u64(*v);
  if (!n || *n > max) {
    fail(std::string(key) + "=" + shown(*v) +
         ": expected a whole number from 0 to " + std::to_string(max));
    return std::nullopt;
  }
  return n;
}

std::optional<uint16_t> QueryReader::port(const char *key) {
  auto v = value(key);
  if (!v)
    return std::nullopt;
  bool digits = !v->empty() && v->size() <= 5;
  for (char c : *v)
    digits = digits && c >= '0' && c <= '9';
  unsigned long n = digits ? std::strtoul(v->c_str(), nullptr, 10) : 0;
  if (!digits || n > 65535) {
    fail(std::string(key) + "=" + shown(*v) +
         ": expected a port from 0 to 65535");
    return std::nullopt;
  }
  return static_cast<uint16_t>(n);
}

std::optional<summary::Address> QueryReader::address(const char *key) {
  auto v = value(key);
  if (!v)
    return std::nullopt;
  auto a = summary::parse_address(*v);
  if (!a)
    fail(std::string(key) + "=" + shown(*v) +
         ": expected an IPv4 or IPv6 address");
  return a;
}

std::optional<trace::Proto> QueryReader::proto(const char *key) {
  auto v = value(key);
  if (!v)
    return std::nullopt;
  auto p = summary::proto_from_label(*v);
  if (!p)
    fail(std::string(key) + "=" + shown(*v) +
         ": expected one of other, ipv4/tcp, ipv4/udp, ipv4/icmp, "
         "ipv4/other, ipv6/tcp, ipv6/udp, ipv6/icmp, ipv6/other");
  return p;
}

std::optional<std::string> QueryReader::text(const char *key, size_t max_len) {
  auto v = value(key);
  if (!v)
    return std::nullopt;
  if (v->empty() || v->size() > max_len) {
    fail(std::string(key) + "=" + shown(*v) + ": expected 1 to " +
         std::to_string(max_len) + " characters");
    return std::nullopt;
  }
  return v;
}

std::optional<std::string>
QueryReader::one_of(const char *key,
                    std::initializer_list<const char *> allowed) {
  auto v = value(key);
  if (!v)
    return std::nullopt;
  std::string list;
  for (const char *a : allowed) {
    if (*v == a)
      return v;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  fail(std::string(key) + "=" + shown(*v) + ": expected one of " + list);
  return std::nullopt;
}

bool is_name(const std::string &t, size_t max_len) {
  if (t.empty() || t.size() > max_len)
    return false;
  auto letter = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  };
  if (!letter(t[0]))
    return false;
  for (char c : t)
    if (!letter(c) && !(c >= '0' && c <= '9') && c != '-' && c != '.')
      return false;
  return true;
}

std::optional<std::string> QueryReader::name(const char *key, size_t max_len) {
  auto v = value(key);
  if (!v)
    return std::nullopt;
  if (!is_name(*v, max_len)) {
    fail(std::string(key) + "=" + shown(*v) +
         ": expected a name (letters, digits, '_', '-', '.', starting with a "
         "letter or '_'; at most " +
         std::to_string(max_len) + " characters)");
    return std::nullopt;
  }
  return v;
}

} // namespace psr::api
