#include "api/router.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

namespace psr::api {

namespace {

std::vector<std::string> split_path(const std::string &path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos)
      j = path.size();
    if (j > i)
      out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// A path as it is quoted back in errors: bounded, whatever was sent.
std::string shown(const std::string &path) {
  return path.size() <= 120 ? path : path.substr(0, 120) + "...";
}

} // namespace

Response error_response(int status, const std::string &message) {
  Response r;
  r.status = status;
  r.body = nlohmann::json{{"error", message}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response json_response(std::string body) {
  Response r;
  r.body = std::move(body);
  return r;
}

bool constant_time_equal(const std::string &a, const std::string &b) {
  // The length is not secret; the contents are.
  if (a.size() != b.size())
    return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

void Router::add(const std::string &method, const std::string &pattern,
                 Access access, Handler handler) {
  routes_.push_back(
      {method, pattern, split_path(pattern), access, std::move(handler)});
}

bool Router::match(const Route &route, const std::vector<std::string> &path,
                   Request *request) {
  if (route.segments.size() != path.size())
    return false;
  for (size_t i = 0; i < path.size(); ++i) {
    const std::string &seg = route.segments[i];
    if (!seg.empty() && seg[0] == ':') {
      if (request)
        request->params[seg.substr(1)] = path[i];
    } else if (seg != path[i]) {
      return false;
    }
  }
  return true;
}

bool Router::authorized(const Request &request) const {
  if (!token_)
    return false;
  auto header = request.header("authorization");
  const std::string prefix = "Bearer ";
  if (!header || header->compare(0, prefix.size(), prefix) != 0)
    return false;
  return constant_time_equal(header->substr(prefix.size()), *token_);
}

Response Router::dispatch(Request request, std::string *matched) const {
  if (matched)
    *matched = "unmatched";
  std::vector<std::string> path = split_path(request.path);
  std::string method = request.method == "HEAD" ? "GET" : request.method;
  std::set<std::string> allowed;
  for (const Route &route : routes_) {
    if (!match(route, path, nullptr))
      continue;
    allowed.insert(route.method);
    if (route.method != method)
      continue;
    if (matched)
      *matched = route.pattern;
    match(route, path, &request);
    if (route.access == Access::Token && !token_) {
      // Never open: with no token to check against, nobody may change
      // what is in force through the API.
      return error_response(
          403, "no token configured: psd changes what is in force through "
               "the API only with a bearer token (api.token_file, "
               "--token-file)");
    }
    if (route.access == Access::Token ||
        (token_everywhere_ && route.access != Access::Public)) {
      if (!authorized(request)) {
        Response r = error_response(
            401, token_ ? "this request needs the bearer token: "
                          "'Authorization: Bearer <token>'"
                        : "this request needs a bearer token, and psd has "
                          "none configured (--token-file)");
        r.headers.emplace_back("WWW-Authenticate", "Bearer");
        return r;
      }
    }
    return route.handler(request);
  }
  if (allowed.empty())
    return error_response(404, "no such path: " + shown(request.path));
  if (allowed.count("GET"))
    allowed.insert("HEAD");
  std::string allow;
  for (const std::string &m : allowed)
    allow += (allow.empty() ? "" : ", ") + m;
  if (matched) {
    for (const Route &route : routes_)
      if (match(route, path, nullptr)) {
        *matched = route.pattern;
        break;
      }
  }
  Response r = error_response(
      405, "method " + request.method + " is not allowed on " +
               shown(request.path) + " (allowed: " + allow + ")");
  r.headers.emplace_back("Allow", allow);
  return r;
}

} // namespace psr::api
