// The web view's files as psd serves them (runtime/api/web_assets.cc over
// the table runtime/web's build embeds): `/` and the content-hashed files,
// their types, caching, compression and security headers.
#include <string>

#include <gtest/gtest.h>

#include "api/router.h"
#include "api/web_assets.h"

namespace psr::api {
namespace {

Request get(const std::string &path, bool gzip) {
  Request r;
  r.method = "GET";
  r.path = path;
  if (gzip)
    r.headers["accept-encoding"] = "gzip, deflate, br";
  return r;
}

std::string header(const Response &r, const std::string &name) {
  for (const auto &[k, v] : r.headers)
    if (k == name)
      return v;
  return "";
}

int count_header(const Response &r, const std::string &name) {
  int n = 0;
  for (const auto &h : r.headers)
    n += h.first == name;
  return n;
}

TEST(WebAssets, EveryFileWithItsTypeCachingAndSecurityHeaders) {
  Router router;
  add_web_routes(router);
  router.set_token(std::string("secret-token-0123"));
  router.require_token_everywhere(true); // the files never need it
  Response index = router.dispatch(get("/", false));
  ASSERT_EQ(index.status, 200);
  EXPECT_NE(header(index, "Content-Security-Policy").find("default-src 'self'"),
            std::string::npos);
  EXPECT_EQ(header(index, "Content-Security-Policy").find("unsafe-inline"),
            std::string::npos);
  EXPECT_EQ(header(index, "X-Frame-Options"), "DENY");
  EXPECT_EQ(count_header(index, "Access-Control-Allow-Origin"), 0);
  if (web_assets_begin() == web_assets_end()) {
    // Built without the view: `/` says so.
    EXPECT_NE(index.body.find("without its web view"), std::string::npos);
    return;
  }
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(header(index, "Cache-Control"), "no-cache");
  EXPECT_NE(index.body.find("<script type=\"module\" src=\"/app-"),
            std::string::npos);
  bool script = false;
  for (const WebAsset *a = web_assets_begin(); a != web_assets_end(); ++a) {
    Response plain = router.dispatch(get(a->path, false));
    ASSERT_EQ(plain.status, 200) << a->path;
    EXPECT_EQ(plain.body, std::string(a->body)) << a->path;
    EXPECT_EQ(count_header(plain, "Content-Encoding"), 0) << a->path;
    EXPECT_EQ(plain.content_type, a->content_type);
    EXPECT_EQ(header(plain, "Cache-Control"),
              a->immutable ? "public, max-age=31536000, immutable" : "no-cache")
        << a->path;
    EXPECT_EQ(a->immutable, std::string(a->path).rfind("/app-", 0) == 0);
    Response gz = router.dispatch(get(a->path, true));
    if (std::string(a->content_type).rfind("text/", 0) == 0) {
      // text/*: the HTTP library compresses it per request.
      EXPECT_EQ(count_header(gz, "Content-Encoding"), 0) << a->path;
      continue;
    }
    script = true;
    EXPECT_EQ(header(gz, "Content-Encoding"), "gzip") << a->path;
    ASSERT_GE(gz.body.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(gz.body[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>(gz.body[1]), 0x8b);
    EXPECT_LT(gz.body.size(), plain.body.size());
  }
  EXPECT_TRUE(script) << "the table has no script";
  EXPECT_EQ(router.dispatch(get("/app-nope.js", false)).status, 404);
}

} // namespace
} // namespace psr::api
