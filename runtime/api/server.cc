#include "api/server.h"

#include <httplib.h>
#include <sys/socket.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <exception>
#include <optional>

#include <nlohmann/json.hpp>

namespace psr::api {

namespace be = psl::backend;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s;
}

Request from_httplib(const httplib::Request &in) {
  Request r;
  r.method = in.method;
  r.path = in.path;
  for (const auto &[k, v] : in.params)
    r.query.emplace(k, v);
  for (const auto &[k, v] : in.headers)
    r.headers.emplace(lower(k), v); // the first of a repeated header wins
  r.body = in.body;
  return r;
}

const char *reason_of(int status) {
  switch (status) {
  case 400:
    return "the request could not be parsed";
  case 413:
    return "the request body is too large";
  case 414:
    return "the request URI is too long";
  case 431:
    return "the request headers are too large";
  default:
    return "the request failed";
  }
}

// cpp-httplib compresses "application/json" bodies itself, with brotli
// when the client accepts it (browsers always do) at brotli's slowest
// quality: 2 s of CPU for the 3 MB of /api/v1/summaries. Bodies this
// large are gzipped here instead (tens of ms), typed "application/json;
// charset=utf-8", which the library leaves alone; small ones stay with
// the library.
constexpr size_t kGzipAbove = 16 * 1024;

bool accepts_gzip(const httplib::Request &in) {
  return in.get_header_value("Accept-Encoding").find("gzip") !=
         std::string::npos;
}

std::optional<std::string> gzip(const std::string &body) {
  z_stream z{};
  // 15 + 16: a gzip header and trailer around the deflate stream.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    return std::nullopt;
  std::string out(deflateBound(&z, body.size()), '\0');
  z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(body.data()));
  z.avail_in = static_cast<uInt>(body.size());
  z.next_out = reinterpret_cast<Bytef *>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  size_t n = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END)
    return std::nullopt;
  out.resize(n);
  return out;
}

void to_httplib(Response &&r, const httplib::Request &in,
                httplib::Response &out, std::chrono::milliseconds heartbeat) {
  out.status = r.status;
  out.set_header("X-Content-Type-Options", "nosniff");
  bool cache_set = false;
  for (const auto &[k, v] : r.headers) {
    out.set_header(k.c_str(), v);
    cache_set = cache_set || lower(k) == "cache-control";
  }
  if (!cache_set)
    out.set_header("Cache-Control", "no-store");
  if (!r.stream) {
    if (r.content_type == "application/json" && r.body.size() > kGzipAbove &&
        accepts_gzip(in)) {
      if (auto z = gzip(r.body)) {
        out.set_header("Content-Encoding", "gzip");
        out.set_header("Vary", "Accept-Encoding");
        out.set_content(std::move(*z), "application/json; charset=utf-8");
        return;
      }
    }
    out.set_content(std::move(r.body), r.content_type.c_str());
    return;
  }
  std::shared_ptr<ResponseStream> stream = std::move(r.stream);
  auto idle = std::make_shared<std::chrono::milliseconds>(0);
  auto started = std::make_shared<bool>(false);
  out.set_chunked_content_provider(
      r.content_type,
      [stream, idle, started, heartbeat](size_t, httplib::DataSink &sink) {
        if (!*started) {
          // Something to send at once, so the client sees the headers.
          *started = true;
          const std::string hello = "retry: 2000\n: connected\n\n";
          return sink.write(hello.data(), hello.size());
        }
        const auto wait = std::chrono::milliseconds(500);
        std::optional<std::string> text = stream->next(wait);
        if (!text) {
          sink.done();
          return true;
        }
        if (text->empty()) {
          *idle += wait;
          if (*idle < heartbeat)
            return true;
          text = ": keepalive\n\n";
        }
        *idle = std::chrono::milliseconds(0);
        return sink.write(text->data(), text->size());
      });
}

} // namespace

ApiServer::ApiServer(Router router, ServerOptions options)
    : router_(std::move(router)), options_(std::move(options)),
      server_(std::make_unique<httplib::Server>()) {
  httplib::Server &s = *server_;
  size_t threads = std::max<size_t>(options_.threads, 1);
  s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.set_read_timeout(options_.read_timeout);
  s.set_write_timeout(options_.write_timeout);
  s.set_keep_alive_timeout(
      std::max<time_t>(1, (options_.keep_alive_timeout.count() + 999) / 1000));
  s.set_keep_alive_max_count(options_.keep_alive_max_requests);
  s.set_payload_max_length(options_.max_body_bytes);
  s.set_tcp_nodelay(true);
  // The library's default also sets SO_REUSEPORT, which would let a
  // second psd bind the same port and take half of the connections.
  s.set_socket_options([this](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd_ = sock;
  });

  auto handle = [this](const httplib::Request &in, httplib::Response &out) {
    std::string route;
    Response r = router_.dispatch(from_httplib(in), &route);
    count(route, r.status);
    to_httplib(std::move(r), in, out, options_.heartbeat);
  };
  // Every method reaches the router, which answers 404 and 405 itself.
  s.Get(".*", handle);
  s.Post(".*", handle);
  s.Put(".*", handle);
  s.Patch(".*", handle);
  s.Delete(".*", handle);
  s.Options(".*", handle);

  s.set_error_handler([this](const httplib::Request &, httplib::Response &out) {
    // The library's own refusals (malformed requests, bodies or URIs too
    // large) come without a body: give them the API's JSON error.
    if (!out.body.empty())
      return;
    count("unmatched", out.status);
    out.set_header("X-Content-Type-Options", "nosniff");
    out.set_header("Cache-Control", "no-store");
    out.set_content(nlohmann::json{{"error", reason_of(out.status)}}.dump(),
                    "application/json");
  });
  s.set_exception_handler([this](const httplib::Request &in,
                                 httplib::Response &out,
                                 std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep)
        std::rethrow_exception(ep);
    } catch (const std::exception &e) {
      what = e.what();
    } catch (...) {
    }
    if (options_.log_error)
      options_.log_error("internal error in " + in.method + " " + in.path +
                         ": " + what);
    out.status = 500;
    out.set_content(
        nlohmann::json{{"error", "internal error; psd logged it"}}.dump(),
        "application/json");
  });
}

ApiServer::~ApiServer() { stop(); }

be::Status ApiServer::start() {
  const ListenAddress &a = options_.listen;
  errno = 0;
  int port = 0;
  if (a.port == 0) {
    port = server_->bind_to_any_port(a.host);
  } else {
    port = server_->bind_to_port(a.host, a.port) ? a.port : -1;
  }
  if (port <= 0) {
    int err = errno;
    return be::Error("cannot listen on " + a.text() +
                         (err ? std::string(": ") + std::strerror(err) : ""),
                     err);
  }
  port_ = static_cast<uint16_t>(port);
  // listen() again on a listening socket only sets its backlog.
  if (listen_fd_ >= 0)
    ::listen(listen_fd_, std::max(options_.backlog, 5));
  auto done = std::make_shared<std::atomic<bool>>(false);
  thread_ = std::thread([this, done] {
    server_->listen_after_bind();
    *done = true;
  });
  // stop() only stops a server that is running: wait until it is, or a
  // stop() right after start() would leave the thread in accept().
  while (!server_->is_running() && !*done)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return be::Status::success();
}

void ApiServer::stop() {
  if (server_)
    server_->stop();
  if (thread_.joinable())
    thread_.join();
}

void ApiServer::count(const std::string &route, int code) {
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_[{route, code}];
}

std::vector<RequestCount> ApiServer::request_counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<RequestCount> out;
  for (const auto &[key, n] : counts_)
    out.push_back({key.first, key.second, n});
  return out;
}

} // namespace psr::api
