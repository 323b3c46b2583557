// psr::api without sockets: the router (404, 405, HEAD, tokens), query
// checking, listen addresses and the token file.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/listen_address.h"
#include "api/query.h"
#include "api/router.h"
#include "api/token_file.h"

namespace psr::api {
namespace {

Request get(const std::string &path) {
  Request r;
  r.method = "GET";
  r.path = path;
  return r;
}

std::string error_of(const Response &r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  return j.is_object() ? j.value("error", "") : "<not JSON: " + r.body + ">";
}

Router sample_router() {
  Router router;
  router.add("GET", "/api/v1/summary", Access::Open,
             [](const Request &) { return json_response("{\"ok\":1}"); });
  router.add(
      "DELETE", "/api/v1/rules/:name", Access::Token, [](const Request &r) {
        return json_response("{\"deleted\":\"" + r.params.at("name") + "\"}");
      });
  router.add("GET", "/api/v1/rules", Access::Open,
             [](const Request &) { return json_response("[]"); });
  return router;
}

const std::string kToken = "0123456789abcdef0123";

TEST(Router, UnknownPathIs404WithAJsonError) {
  std::string matched;
  Response r = sample_router().dispatch(get("/api/v2/nothing"), &matched);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_of(r), "no such path: /api/v2/nothing");
  EXPECT_EQ(matched, "unmatched");
}

TEST(Router, AnotherMethodIs405WithAllow) {
  Request post = get("/api/v1/summary");
  post.method = "POST";
  std::string matched;
  Response r = sample_router().dispatch(post, &matched);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(error_of(r),
            "method POST is not allowed on /api/v1/summary (allowed: GET, "
            "HEAD)");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Allow");
  EXPECT_EQ(r.headers[0].second, "GET, HEAD");
  EXPECT_EQ(matched, "/api/v1/summary");
}

TEST(Router, HeadIsAnsweredByGet) {
  Request head = get("/api/v1/summary");
  head.method = "HEAD";
  EXPECT_EQ(sample_router().dispatch(head).status, 200);
}

TEST(Router, TrailingSlashesAndLongPathsAreHandled) {
  EXPECT_EQ(sample_router().dispatch(get("/api/v1/summary/")).status, 200);
  Response r = sample_router().dispatch(get("/" + std::string(5000, 'a')));
  EXPECT_EQ(r.status, 404);
  EXPECT_LT(r.body.size(), 300u);
}

TEST(Router, TokenRoutesNeedTheBearerToken) {
  Router router = sample_router();
  Request del = get("/api/v1/rules/icmp_flood");
  del.method = "DELETE";
  // No token configured at all: 403, with or without a header.
  Response r = router.dispatch(del);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(error_of(r).find("no token configured"), std::string::npos);
  EXPECT_NE(error_of(r).find("--token-file"), std::string::npos);
  del.headers["authorization"] = "Bearer " + kToken;
  EXPECT_EQ(router.dispatch(del).status, 403);
  del.headers.erase("authorization");
  router.set_token(kToken);
  r = router.dispatch(del);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers[0].first, "WWW-Authenticate");
  del.headers["authorization"] = "Bearer wrong-token-of-some-length";
  EXPECT_EQ(router.dispatch(del).status, 401);
  del.headers["authorization"] = "Basic " + kToken;
  EXPECT_EQ(router.dispatch(del).status, 401);
  del.headers["authorization"] = "Bearer " + kToken;
  r = router.dispatch(del);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"deleted\":\"icmp_flood\"}");
  // The token is never echoed.
  del.headers["authorization"] = "Bearer " + kToken + "x";
  EXPECT_EQ(router.dispatch(del).body.find(kToken), std::string::npos);
}

TEST(Router, OpenRoutesNeedTheTokenWhenItIsRequiredEverywhere) {
  Router router = sample_router();
  router.set_token(kToken);
  router.require_token_everywhere(true);
  EXPECT_EQ(router.dispatch(get("/api/v1/summary")).status, 401);
  Request ok = get("/api/v1/summary");
  ok.headers["authorization"] = "Bearer " + kToken;
  EXPECT_EQ(router.dispatch(ok).status, 200);
  // Unknown paths stay 404: nothing to protect there.
  EXPECT_EQ(router.dispatch(get("/nope")).status, 404);
}

TEST(Router, PublicRoutesNeverNeedTheToken) {
  Router router = sample_router();
  router.add("GET", "/", Access::Public,
             [](const Request &) { return json_response("{\"page\":1}"); });
  router.set_token(kToken);
  router.require_token_everywhere(true);
  EXPECT_EQ(router.dispatch(get("/")).status, 200);
  // The data beside it still needs the token.
  EXPECT_EQ(router.dispatch(get("/api/v1/summary")).status, 401);
  Request wrong = get("/");
  wrong.headers["authorization"] = "Bearer nope";
  EXPECT_EQ(router.dispatch(wrong).status, 200);
}

TEST(Router, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

Request
with_query(std::initializer_list<std::pair<const char *, const char *>> q) {
  Request r = get("/x");
  for (const auto &[k, v] : q)
    r.query.emplace(k, v);
  return r;
}

TEST(Query, NumbersPortsAddressesAndProtocols) {
  Request r = with_query({{"since", "1700000000000"},
                          {"port", "443"},
                          {"addr", "2001:db8::1"},
                          {"proto", "ipv4/udp"}});
  QueryReader q(r, {"since", "port", "addr", "proto", "limit"});
  EXPECT_EQ(q.u64("since"), 1700000000000u);
  EXPECT_EQ(q.port("port"), 443);
  EXPECT_TRUE(q.address("addr").has_value());
  EXPECT_EQ(q.proto("proto"), trace::Proto::Ipv4Udp);
  EXPECT_FALSE(q.u64("limit").has_value());
  EXPECT_TRUE(q.ok()) << q.error();
}

TEST(Query, EachMistakeIsNamed) {
  struct Case {
    const char *key, *value, *error;
  } cases[] = {
      {"since", "yesterday",
       "since=yesterday: expected a whole number from 0 to "
       "18446744073709551615"},
      {"since", "-5",
       "since=-5: expected a whole number from 0 to 18446744073709551615"},
      {"since", "99999999999999999999999",
       "since=99999999999999999999999: expected a whole number from 0 to "
       "18446744073709551615"},
      {"since", "",
       "since=: expected a whole number from 0 to "
       "18446744073709551615"},
      {"port", "65536", "port=65536: expected a port from 0 to 65535"},
      {"port", "80x", "port=80x: expected a port from 0 to 65535"},
      {"addr", "198.51.100.300",
       "addr=198.51.100.300: expected an IPv4 or IPv6 address"},
      {"proto", "sctp",
       "proto=sctp: expected one of other, ipv4/tcp, ipv4/udp, ipv4/icmp, "
       "ipv4/other, ipv6/tcp, ipv6/udp, ipv6/icmp, ipv6/other"},
  };
  for (const Case &c : cases) {
    Request r = with_query({{c.key, c.value}});
    QueryReader q(r, {"since", "port", "addr", "proto"});
    (void)q.u64("since");
    (void)q.port("port");
    (void)q.address("addr");
    (void)q.proto("proto");
    EXPECT_EQ(q.error(), c.error) << c.key << "=" << c.value;
    EXPECT_EQ(q.bad_request().status, 400);
  }
}

TEST(Query, UnknownAndRepeatedKeys) {
  Request r = with_query({{"sinec", "5"}});
  QueryReader q(r, {"since", "limit"});
  EXPECT_EQ(q.error(), "unknown query parameter 'sinec' (known: since, limit)");
  Request none = with_query({{"x", "1"}});
  QueryReader q2(none, {});
  EXPECT_EQ(q2.error(), "unknown query parameter 'x' (this path takes none)");
  Request twice = with_query({{"since", "1"}, {"since", "2"}});
  QueryReader q3(twice, {"since"});
  EXPECT_FALSE(q3.u64("since").has_value());
  EXPECT_EQ(q3.error(), "query parameter 'since' is given more than once");
  // What is quoted back is bounded and printable.
  Request odd = with_query(
      {{"since", "\x01\x02"
                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}});
  QueryReader q4(odd, {"since"});
  (void)q4.u64("since");
  EXPECT_EQ(q4.error().find('\x01'), std::string::npos);
  EXPECT_LT(q4.error().size(), 120u);
}

TEST(Query, LimitsHaveAMaximum) {
  Request r = with_query({{"limit", "5000"}});
  QueryReader q(r, {"limit"});
  EXPECT_FALSE(q.u64("limit", 3600).has_value());
  EXPECT_EQ(q.error(), "limit=5000: expected a whole number from 0 to 3600");
}

TEST(ListenAddress, LoopbackAndNot) {
  struct Case {
    const char *text;
    const char *host;
    uint16_t port;
    bool loopback;
  } ok[] = {
      {"127.0.0.1:9477", "127.0.0.1", 9477, true},
      {"127.3.4.5:80", "127.3.4.5", 80, true},
      {"localhost:9477", "127.0.0.1", 9477, true},
      {"[::1]:9477", "::1", 9477, true},
      {"0.0.0.0:9477", "0.0.0.0", 9477, false},
      {"[::]:9477", "::", 9477, false},
      {"192.0.2.1:0", "192.0.2.1", 0, false},
  };
  for (const Case &c : ok) {
    auto a = parse_listen_address(c.text);
    ASSERT_TRUE(a.ok()) << c.text << ": " << a.error().message;
    EXPECT_EQ(a->host, c.host);
    EXPECT_EQ(a->port, c.port);
    EXPECT_EQ(a->loopback, c.loopback) << c.text;
  }
  EXPECT_EQ(parse_listen_address("[::1]:9477")->text(), "[::1]:9477");
}

TEST(ListenAddress, MistakesAreNamed) {
  struct Case {
    const char *text, *error;
  } bad[] = {
      {"9477", "'9477': expected HOST:PORT (IPv6 as [ADDR]:PORT)"},
      {"::1:9477", "'::1:9477': expected HOST:PORT (IPv6 as [ADDR]:PORT)"},
      {"127.0.0.1:70000",
       "'127.0.0.1:70000': the port must be a number from 0 to 65535"},
      {"127.0.0.1:", "'127.0.0.1:': the port must be a number from 0 to 65535"},
      {"example.org:80",
       "'example.org:80': 'example.org' is not an IP address or localhost"},
      {"[::1", "'[::1': expected [IPV6]:PORT"},
  };
  for (const Case &c : bad) {
    auto a = parse_listen_address(c.text);
    ASSERT_FALSE(a.ok()) << c.text;
    EXPECT_EQ(a.error().message, c.error);
  }
}

class TokenFile : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/psr-token-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    EXPECT_EQ(std::system(("rm -rf '" + dir_ + "'").c_str()), 0);
  }
  std::string write(const std::string &text, mode_t mode) {
    std::string path = dir_ + "/token";
    ::unlink(path.c_str());
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }
  std::string dir_;
};

TEST_F(TokenFile, ReadsTheFirstLineOfAPrivateFile) {
  auto t = read_token_file(write("  s3cr3t-t0ken-0123456789 \nsecond\n", 0600));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(*t, "s3cr3t-t0ken-0123456789");
  EXPECT_TRUE(read_token_file(write("s3cr3t-t0ken-0123456789", 0400)).ok());
}

TEST_F(TokenFile, RefusesAFileOthersCanReadNamingPathAndMode) {
  std::string path = write("s3cr3t-t0ken-0123456789\n", 0644);
  auto t = read_token_file(path);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message,
            "the token file '" + path +
                "' has mode 0644; it must be readable by its owner only "
                "(chmod 600 '" +
                path + "')");
  EXPECT_EQ(t.error().message.find("s3cr3t"), std::string::npos);
  EXPECT_FALSE(read_token_file(write("s3cr3t-t0ken-0123456789\n", 0660)).ok());
  EXPECT_FALSE(read_token_file(write("s3cr3t-t0ken-0123456789\n", 0602)).ok());
}

TEST_F(TokenFile, RefusesEmptyShortMissingAndDirectories) {
  auto empty = read_token_file(write("\n\n", 0600));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("is empty"), std::string::npos);
  auto shorter = read_token_file(write("short\n", 0600));
  ASSERT_FALSE(shorter.ok());
  EXPECT_NE(shorter.error().message.find("shorter than 16"), std::string::npos);
  EXPECT_EQ(shorter.error().message.find("short\n"), std::string::npos);
  auto spaced = read_token_file(write("s3cr3t t0ken 0123456789\n", 0600));
  ASSERT_FALSE(spaced.ok());
  EXPECT_EQ(spaced.error().message.find("s3cr3t"), std::string::npos);
  auto missing = read_token_file(dir_ + "/absent");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos);
  ::chmod(dir_.c_str(), 0700);
  auto dir = read_token_file(dir_);
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.error().message.find("not a regular file"), std::string::npos);
}

} // namespace
} // namespace psr::api
