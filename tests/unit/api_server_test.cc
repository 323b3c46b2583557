// The HTTP server for real: JSON errors from the library's own refusals,
// headers, the event stream over a socket, and many clients at once with
// idle and trickling (slowloris-style) connections taking workers.
//
// As root the test runs in a network namespace of its own (loopback
// only), so its connections never mix with anyone else's traffic;
// otherwise on the host's loopback, on a port the kernel picks.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "api/event_hub.h"
#include "api/routes.h"
#include "api/server.h"
#include "private_netns.h"

namespace psr::api {
namespace {

using namespace std::chrono_literals;

int connect_raw(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string read_all(int fd) {
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0)
    out.append(buf, static_cast<size_t>(n));
  return out;
}

// One response with a JSON body (the connection stays open).
std::string read_reply(int fd) {
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  char buf[4096];
  while (out.find("}") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

class ServerTest : public ::testing::Test {
protected:
  void SetUp() override {
    psr::testing::private_network_once();
    events_ = EventHub::create({8, 2, 16});
    ApiBackend b;
    b.ring = &ring_;
    b.paths = &paths_;
    b.events = events_;
    b.latest = [] { return nullptr; };
    b.previous = [] { return nullptr; };
    b.status = [] { return DaemonStatus{}; };
    b.metrics = [] { return DaemonMetrics{}; };
    Router router;
    add_read_routes(router, b);
    router.add("GET", "/big", Access::Open, [](const Request &) {
      return json_response("[" + std::string(40000, '1') + "]");
    });
    router.add("GET", "/boom", Access::Open, [](const Request &) -> Response {
      throw std::runtime_error("handler bug");
    });
    ServerOptions o;
    o.listen = *parse_listen_address("127.0.0.1:0");
    o.threads = 8;
    o.read_timeout = 2s;
    o.keep_alive_timeout = 2s;
    o.max_body_bytes = 1024;
    o.heartbeat = 200ms;
    o.log_error = [this](const std::string &line) { logged_ = line; };
    server_ = std::make_unique<ApiServer>(std::move(router), o);
    auto st = server_->start();
    ASSERT_TRUE(st.ok()) << st.error().message;
    port_ = server_->port();
    ASSERT_NE(port_, 0);
  }
  void TearDown() override {
    events_->close();
    server_->stop();
  }
  httplib::Client client() {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(30s);
    c.set_read_timeout(30s);
    return c;
  }

  summary::SummaryRing ring_{4};
  summary::PathLog paths_{4};
  std::shared_ptr<EventHub> events_;
  std::unique_ptr<ApiServer> server_;
  uint16_t port_ = 0;
  std::string logged_;
};

TEST_F(ServerTest, LargeJsonIsGzippedOnceWhateverElseTheClientAccepts) {
  auto c = client();
  c.set_decompress(false);
  httplib::Headers h = {{"Accept-Encoding", "gzip, deflate, br"}};
  auto r = c.Get("/big", h);
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value_count("Content-Encoding"), 1u);
  EXPECT_EQ(r->get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(r->get_header_value("Content-Type"),
            "application/json; charset=utf-8");
  ASSERT_GE(r->body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(r->body[0]), 0x1f);
  EXPECT_LT(r->body.size(), 1000u);
  // Decompressed by the client, it is the JSON.
  auto d = client();
  auto plain = d.Get("/big", h);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->body, "[" + std::string(40000, '1') + "]");
  // Without gzip it goes out as it is.
  auto none = c.Get("/big");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_header("Content-Encoding"));
  EXPECT_EQ(none->body.size(), 40002u);
}

TEST_F(ServerTest, JsonErrorsAndHeaders) {
  auto c = client();
  auto r = c.Get("/api/v1/summary");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");
  EXPECT_FALSE(r->has_header("Access-Control-Allow-Origin"));
  auto j = nlohmann::json::parse(r->body);
  EXPECT_TRUE(j.contains("error"));

  r = c.Get("/nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(nlohmann::json::parse(r->body)["error"], "no such path: /nope");
  r = c.Post("/api/v1/status", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->get_header_value("Allow"), "GET, HEAD");
  r = c.Options("/api/v1/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_FALSE(r->has_header("Access-Control-Allow-Origin"));
  r = c.Get("/api/v1/summaries?since=abc");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(nlohmann::json::parse(r->body)["error"],
            "since=abc: expected a whole number from 0 to "
            "18446744073709551615");
  r = c.Head("/api/v1/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body.empty());

  auto counts = server_->request_counts();
  bool seen = false;
  for (const RequestCount &rc : counts)
    seen = seen || (rc.route == "unmatched" && rc.code == 404);
  EXPECT_TRUE(seen);
}

TEST_F(ServerTest, BodiesOverTheCapAreRefusedWithJson) {
  auto c = client();
  auto r = c.Post("/api/v1/status", std::string(4096, 'x'), "text/plain");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(nlohmann::json::parse(r->body)["error"],
            "the request body is too large");
}

TEST_F(ServerTest, AHandlerExceptionIsA500AndLogged) {
  auto c = client();
  auto r = c.Get("/boom");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(nlohmann::json::parse(r->body)["error"],
            "internal error; psd logged it");
  EXPECT_EQ(logged_, "internal error in GET /boom: handler bug");
  EXPECT_EQ(c.Get("/api/v1/status")->status, 200);
}

TEST_F(ServerTest, MalformedRequestsGetA400AndTheServerGoesOn) {
  struct Case {
    std::string request;
    bool must_be_400;
  } cases[] = {
      {"GARBAGE\r\n\r\n", true},
      {"GET /api/v1/status\r\n\r\n", true}, // no HTTP version
      {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 tls\r\n\r\n",
                   19),
       true},
      // Tolerated by the library (read as no body): any HTTP answer.
      {"GET /api/v1/status HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
       false},
  };
  for (const Case &c : cases) {
    int fd = connect_raw(port_);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::send(fd, c.request.data(), c.request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(c.request.size()));
    // Not half-closed: the library answers nothing to a peer that has
    // already gone.
    std::string reply = read_reply(fd);
    ::close(fd);
    if (c.must_be_400) {
      EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << c.request << reply;
      EXPECT_NE(reply.find("{\"error\":\"the request could not be parsed\"}"),
                std::string::npos)
          << reply;
    } else {
      EXPECT_EQ(reply.rfind("HTTP/1.1 ", 0), 0u) << c.request << reply;
    }
  }
  // A URI longer than the library's limit.
  auto c = client();
  auto r = c.Get("/api/v1/trace?addr=" + std::string(10000, '1'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 414);
  EXPECT_EQ(c.Get("/api/v1/status")->status, 200);
}

TEST_F(ServerTest, ManyClientsAtOnceWithIdleAndTricklingConnections) {
  // 16 connections that send nothing hold workers until the read timeout;
  // 4 send a header byte every 300 ms for 3 s. 64 clients making 5
  // requests each must all be answered meanwhile.
  std::vector<int> idle;
  for (int i = 0; i < 16; ++i) {
    int fd = connect_raw(port_);
    ASSERT_GE(fd, 0);
    idle.push_back(fd);
  }
  std::atomic<bool> trickling{true};
  std::vector<std::thread> tricklers;
  for (int i = 0; i < 4; ++i)
    tricklers.emplace_back([&] {
      int fd = connect_raw(port_);
      const std::string req = "GET /api/v1/status HTTP/1.1\r\nX-Slow: ";
      for (size_t k = 0; k < req.size() + 10 && trickling; ++k) {
        char ch = k < req.size() ? req[k] : 'a';
        if (::send(fd, &ch, 1, MSG_NOSIGNAL) != 1)
          break;
        std::this_thread::sleep_for(300ms);
      }
      ::close(fd);
    });
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 64; ++i)
    clients.emplace_back([&] {
      auto c = client();
      for (int k = 0; k < 5; ++k) {
        auto r = c.Get("/api/v1/status");
        if (r && r->status == 200 && nlohmann::json::accept(r->body))
          ++ok;
        else
          ++failed;
      }
    });
  for (auto &t : clients)
    t.join();
  trickling = false;
  for (auto &t : tricklers)
    t.join();
  for (int fd : idle)
    ::close(fd);
  EXPECT_EQ(ok.load(), 64 * 5);
  EXPECT_EQ(failed.load(), 0);
}

TEST_F(ServerTest, TheEventStreamDeliversPublishedEvents) {
  int fd = connect_raw(port_);
  ASSERT_GE(fd, 0);
  const std::string req = "GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAccept: "
                          "text/event-stream\r\n\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(req.size()));
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string got;
  char buf[4096];
  // The headers and the hello come at once.
  while (got.find(": connected") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0) << got;
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_NE(got.find("Content-Type: text/event-stream"), std::string::npos)
      << got;
  EXPECT_EQ(events_->clients(), 1u);
  events_->publish("summary",
                   std::make_shared<const std::string>("{\"seq\":1}"));
  while (got.find("data: {\"seq\":1}") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0) << got;
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_NE(got.find("id: 1\nevent: summary\ndata: {\"seq\":1}\n\n"),
            std::string::npos)
      << got;
  // Without events: heartbeats.
  while (got.find(": keepalive") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0) << got;
    got.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  // The server finds out at its next write that the client left.
  for (int i = 0; i < 100 && events_->clients() != 0; ++i)
    std::this_thread::sleep_for(50ms);
  EXPECT_EQ(events_->clients(), 0u);
}

TEST_F(ServerTest, StoppingEndsOpenStreamsAndConnections) {
  int stream = connect_raw(port_);
  const std::string req = "GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_GT(::send(stream, req.data(), req.size(), MSG_NOSIGNAL), 0);
  int idle = connect_raw(port_);
  for (int i = 0; i < 100 && events_->clients() == 0; ++i)
    std::this_thread::sleep_for(20ms);
  ASSERT_EQ(events_->clients(), 1u);
  events_->close();
  server_->stop(); // returns: the test would time out otherwise
  std::string rest = read_all(stream);
  EXPECT_NE(rest.find("0\r\n\r\n"), std::string::npos) << rest;
  ::close(stream);
  ::close(idle);
}

// The library listens with a backlog of 5; psd raises it, so a burst of
// clients is queued by the kernel instead of having SYNs dropped.
TEST_F(ServerTest, TheListenBacklogTakesABurstOfClients) {
  const std::string cmd =
      "ss -Hltn 'sport = :" + std::to_string(port_) + "' 2>&1";
  FILE *p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char line[512] = {};
  std::string out;
  while (::fgets(line, sizeof line, p) != nullptr)
    out += line;
  ::pclose(p);
  // State, Recv-Q (waiting to be accepted), Send-Q (the backlog), ...
  char state[32] = {};
  unsigned queued = 0, backlog = 0;
  ASSERT_EQ(std::sscanf(out.c_str(), "%31s %u %u", state, &queued, &backlog), 3)
      << out;
  EXPECT_STREQ(state, "LISTEN");
  EXPECT_EQ(backlog, 256u) << out;
}

TEST_F(ServerTest, ABoundPortIsAClearError) {
  ServerOptions o;
  o.listen = *parse_listen_address("127.0.0.1:" + std::to_string(port_));
  ApiServer second(Router{}, o);
  auto st = second.start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message,
            "cannot listen on 127.0.0.1:" + std::to_string(port_) +
                ": Address already in use");
}

} // namespace
} // namespace psr::api
