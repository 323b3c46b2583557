// The API's routes: method + path pattern -> handler, each either open
// (read-only: served without a token on a loopback address), guarded by
// the bearer token (changes: policy, rules) or public (the web view's
// static files, which hold no data). Unknown paths get 404, known
// paths with another method 405 (with Allow), missing or wrong tokens
// 401, a token route while no token is configured 403 (never open);
// always a JSON {"error": "..."} body.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/http.h"

namespace psr::api {

enum class Access {
  Open,   // read-only data
  Token,  // needs "Authorization: Bearer <token>"
  Public, // no data at all (the web view's files): never needs the token
};

using Handler = std::function<Response(const Request &)>;

class Router {
public:
  // `pattern` is a path whose segments may be `:name` (one segment, put
  // in Request::params). HEAD is answered by the GET route.
  void add(const std::string &method, const std::string &pattern, Access access,
           Handler handler);

  // The token that Access::Token routes need; none: they answer 403.
  void set_token(std::optional<std::string> token) {
    token_ = std::move(token);
  }
  // Every route but the public ones needs the token (psd listening
  // beyond loopback).
  void require_token_everywhere(bool on) { token_everywhere_ = on; }

  // The pattern the request matched ("unmatched" when none): a bounded
  // label for the request metrics.
  Response dispatch(Request request, std::string *matched = nullptr) const;

private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Access access;
    Handler handler;
  };
  static bool match(const Route &route, const std::vector<std::string> &path,
                    Request *request);
  bool authorized(const Request &request) const;

  std::vector<Route> routes_;
  std::optional<std::string> token_;
  bool token_everywhere_ = false;
};

// Compares in time independent of where the strings differ.
bool constant_time_equal(const std::string &a, const std::string &b);

} // namespace psr::api
