#include "api/web_assets.h"

#include <string>

namespace psr::api {

const char kContentSecurityPolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'";

namespace {

bool accepts_gzip(const Request &req) {
  auto h = req.header("accept-encoding");
  return h && h->find("gzip") != std::string::npos;
}

// No Cross-Origin-Opener-Policy: browsers ignore it on plain HTTP beyond
// loopback, and say so as a console error.
void security_headers(Response &r) {
  r.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cross-Origin-Resource-Policy", "same-origin");
}

// cpp-httplib compresses a body itself (brotli or gzip, per request) when
// its type is text/* or exactly "application/javascript" or
// "application/json", and it does not look at a Content-Encoding already
// set. So text/* files (index.html, the CSS: small) go out as they are,
// for the library to compress; the script, typed "application/javascript;
// charset=utf-8" (which the library leaves alone), goes out as the gzip
// copy made at build time: no compression per request.
bool library_compresses(const std::string_view type) {
  return type.substr(0, 5) == "text/";
}

Response serve(const WebAsset &a, const Request &req) {
  Response r;
  r.content_type = a.content_type;
  if (!library_compresses(a.content_type) && accepts_gzip(req) &&
      !a.gzip.empty()) {
    r.body.assign(a.gzip.data(), a.gzip.size());
    r.headers.emplace_back("Content-Encoding", "gzip");
  } else {
    r.body.assign(a.body.data(), a.body.size());
  }
  r.headers.emplace_back("Vary", "Accept-Encoding");
  r.headers.emplace_back("Cache-Control", a.immutable
                                              ? "public, max-age=31536000, "
                                                "immutable"
                                              : "no-cache");
  security_headers(r);
  return r;
}

} // namespace

void add_web_routes(Router &router) {
  const WebAsset *begin = web_assets_begin(), *end = web_assets_end();
  if (begin == end) {
    router.add("GET", "/", Access::Public, [](const Request &) {
      Response r;
      r.content_type = "text/plain; charset=utf-8";
      r.body = "This psd was built without its web view (cmake "
               "-DPSD_WEB_VIEW=OFF, or without Node.js and npm). The API "
               "is at /api/v1/ (docs/psd.md).\n";
      security_headers(r);
      return r;
    });
    return;
  }
  for (const WebAsset *a = begin; a != end; ++a)
    router.add("GET", a->path, Access::Public,
               [a](const Request &req) { return serve(*a, req); });
}

} // namespace psr::api
