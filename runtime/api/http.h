// Requests and responses as the router sees them: plain structs, so that
// routes are tested without sockets and the HTTP library stays inside
// server.cc.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace psr::api {

struct Request {
  std::string method; // "GET", "POST", ...
  std::string path;   // without the query string
  // Decoded query parameters; a key given twice appears twice.
  std::multimap<std::string, std::string> query;
  // Header names in lower case.
  std::map<std::string, std::string> headers;
  std::string body;
  // Filled by the router: the values of `:name` segments of the route.
  std::map<std::string, std::string> params;

  std::optional<std::string> header(const std::string &lower_name) const {
    auto it = headers.find(lower_name);
    if (it == headers.end())
      return std::nullopt;
    return it->second;
  }
};

// A response body written piece by piece (the event stream). The server
// calls next() until it returns nullopt (the stream ended) or the client
// goes away.
class ResponseStream {
public:
  virtual ~ResponseStream() = default;
  // Waits at most `wait` for more text: "" when there is none yet,
  // nullopt when the stream has ended.
  virtual std::optional<std::string> next(std::chrono::milliseconds wait) = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<ResponseStream> stream; // set: `body` is ignored
};

// {"error": message} with `status`.
Response error_response(int status, const std::string &message);
// A JSON body with status 200.
Response json_response(std::string body);

} // namespace psr::api
