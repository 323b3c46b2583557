// psd's HTTP server: cpp-httplib under a Router.
//
// Bounded on every side, so that many or misbehaving clients never stop
// psd: a fixed pool of worker threads, read/write and keep-alive
// timeouts (an idle or stalled connection is dropped), a cap on request
// bodies, a cap on event stream clients (each holds a worker while
// connected; the cap stays below the pool size so plain requests always
// find one). Errors, also the library's own (413, 414, malformed
// requests), are JSON; no CORS header is ever sent.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/listen_address.h"
#include "api/metrics.h"
#include "api/router.h"
#include "backend/status.h"

namespace httplib {
class Server;
}

namespace psr::api {

struct ServerOptions {
  ListenAddress listen;
  size_t threads = 8;
  // How long a connection may stay silent while a request is read (and
  // hold its worker), and between two requests on one connection
  // (rounded up to whole seconds).
  std::chrono::milliseconds read_timeout{2000};
  std::chrono::milliseconds write_timeout{5000};
  std::chrono::milliseconds keep_alive_timeout{2000};
  size_t keep_alive_max_requests = 100;
  // Connections the kernel queues before psd accepts them (the library
  // listens with 5: a burst of clients would see SYNs dropped and wait
  // seconds for the retry).
  int backlog = 256;
  size_t max_body_bytes = 1 << 20;
  // An event stream without events gets a comment this often, which also
  // finds clients that went away.
  std::chrono::milliseconds heartbeat{15000};
  // Called with a line for each internal error (an exception in a
  // handler). Never with a request's headers.
  std::function<void(const std::string &)> log_error;
};

class ApiServer {
public:
  ApiServer(Router router, ServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer &) = delete;
  ApiServer &operator=(const ApiServer &) = delete;

  // Binds and starts serving on a thread of its own. Fails (nothing
  // started) when the address cannot be bound.
  psl::backend::Status start();
  // Stops accepting, ends the requests in flight and joins the threads.
  // End event streams first (EventHub::close), or stop waits for them.
  void stop();
  // The bound port (the real one when options.listen.port was 0).
  uint16_t port() const { return port_; }

  std::vector<RequestCount> request_counts() const;

private:
  void count(const std::string &route, int code);

  Router router_;
  ServerOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
  int listen_fd_ = -1; // the bound socket, set while binding
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> counts_;
};

} // namespace psr::api
