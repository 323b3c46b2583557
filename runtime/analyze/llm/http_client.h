// One HTTPS POST through libcurl, with the limits a client of an
// untrusted server needs: connect and total timeouts, TLS peer and host
// verification always on (an extra CA file optional), no redirects (a
// redirect could carry the Authorization header elsewhere), http and
// https only, and at most `max_response_bytes` of the answer read (the
// transfer stops there). Proxies are libcurl's: http_proxy, https_proxy,
// no_proxy/NO_PROXY from the environment, never overridden here.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace psr::analyze::llm {

struct HttpRequest {
  std::string url;
  // "Name: value" lines. May hold the Authorization header: never log a
  // request.
  std::vector<std::string> headers;
  std::string body;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{60000};
  std::string ca_bundle; // empty: the system's CA store
  size_t max_response_bytes = 1 << 20;
  // Asked every 100 ms at most while the request runs (connecting,
  // sending, waiting for the answer): true ends it at once with
  // Transport::Cancelled (psd stopping). Empty: never.
  std::function<bool()> cancelled;
};

// Why a request got no complete HTTP answer.
enum class Transport {
  Ok,        // an HTTP status arrived (any status)
  Connect,   // could not resolve or connect (refused, unreachable)
  Timeout,   // connect or total timeout
  Dropped,   // the connection closed before the answer was complete
  Tls,       // TLS handshake or certificate verification failed
  TooLarge,  // the answer passed max_response_bytes
  Cancelled, // HttpRequest::cancelled said so
  Other,     // anything else libcurl reports
};
const char *transport_name(Transport t); // "connect", "timeout", ...

struct HttpResponse {
  Transport transport = Transport::Other;
  long status = 0; // HTTP status when transport is Ok
  std::string body;
  std::string retry_after; // the Retry-After header, as sent
  std::string message;     // libcurl's words when transport is not Ok
  double seconds = 0;      // from sending to the last byte (or the error)
};

class HttpClient {
public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient &) = delete;
  HttpClient &operator=(const HttpClient &) = delete;

  HttpResponse post(const HttpRequest &request);

private:
  struct Handle;
  // One CURL easy handle, reused, driven through a multi handle: the
  // loop polls the sockets 100 ms at a time and asks `cancelled` between
  // polls (curl_easy_perform waits up to a second before libcurl's own
  // progress callback runs again: too long for psd's stop).
  std::unique_ptr<Handle> handle_;
};

} // namespace psr::analyze::llm
