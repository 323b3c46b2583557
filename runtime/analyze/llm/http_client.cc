#include "analyze/llm/http_client.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <mutex>
#include <stdexcept>

#include <curl/curl.h>

namespace psr::analyze::llm {

const char *transport_name(Transport t) {
  switch (t) {
  case Transport::Ok:
    return "ok";
  case Transport::Connect:
    return "connect";
  case Transport::Timeout:
    return "timeout";
  case Transport::Dropped:
    return "dropped";
  case Transport::Tls:
    return "tls";
  case Transport::TooLarge:
    return "too_large";
  case Transport::Cancelled:
    return "cancelled";
  case Transport::Other:
    return "other";
  }
  return "other";
}

namespace {

// libcurl's process-wide setup, done once before the first handle (the
// library keeps it; nothing of ours is held).
void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct SlistDeleter {
  void operator()(curl_slist *l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

struct Sink {
  std::string *body;
  size_t limit;
  bool too_large = false;
};

size_t on_body(char *data, size_t size, size_t n, void *user) {
  auto *sink = static_cast<Sink *>(user);
  size_t bytes = size * n;
  if (sink->body->size() + bytes > sink->limit) {
    sink->too_large = true;
    return 0; // stops the transfer: CURLE_WRITE_ERROR
  }
  sink->body->append(data, bytes);
  return bytes;
}

struct Headers {
  std::string retry_after;
};

size_t on_header(char *data, size_t size, size_t n, void *user) {
  auto *h = static_cast<Headers *>(user);
  std::string line(data, size * n);
  // A new status line (after a 100 Continue, say): start over.
  if (line.rfind("HTTP/", 0) == 0)
    h->retry_after.clear();
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (name == "retry-after") {
      std::string value = line.substr(colon + 1);
      size_t b = value.find_first_not_of(" \t");
      size_t e = value.find_last_not_of(" \t\r\n");
      h->retry_after = b == std::string::npos ? "" : value.substr(b, e - b + 1);
    }
  }
  return size * n;
}

Transport classify(CURLcode code, bool too_large) {
  switch (code) {
  case CURLE_OK:
    return Transport::Ok;
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_CONNECT:
    return Transport::Connect;
  case CURLE_OPERATION_TIMEDOUT:
    return Transport::Timeout;
  case CURLE_GOT_NOTHING:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_PARTIAL_FILE:
    return Transport::Dropped;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
    return Transport::Tls;
  case CURLE_WRITE_ERROR:
    return too_large ? Transport::TooLarge : Transport::Other;
  default:
    return Transport::Other;
  }
}

} // namespace

struct HttpClient::Handle {
  CURL *curl = nullptr;
  CURLM *multi = nullptr;
  ~Handle() {
    if (curl)
      curl_easy_cleanup(curl);
    if (multi)
      curl_multi_cleanup(multi);
  }
};

namespace {

// Runs the transfer on `multi` until it ends or `cancelled` says so (then
// `was_cancelled` is set and the transfer is abandoned).
CURLcode perform(CURLM *multi, CURL *c, const std::function<bool()> &cancelled,
                 bool &was_cancelled) {
  if (curl_multi_add_handle(multi, c) != CURLM_OK)
    return CURLE_FAILED_INIT;
  CURLcode result = CURLE_OK;
  for (;;) {
    if (cancelled && cancelled()) {
      was_cancelled = true;
      result = CURLE_ABORTED_BY_CALLBACK;
      break;
    }
    int running = 0;
    if (curl_multi_perform(multi, &running) != CURLM_OK) {
      result = CURLE_FAILED_INIT;
      break;
    }
    if (running == 0) {
      int left = 0;
      result = CURLE_GOT_NOTHING;
      while (CURLMsg *m = curl_multi_info_read(multi, &left))
        if (m->msg == CURLMSG_DONE && m->easy_handle == c)
          result = m->data.result;
      break;
    }
    if (curl_multi_poll(multi, nullptr, 0, 100, nullptr) != CURLM_OK) {
      result = CURLE_FAILED_INIT;
      break;
    }
  }
  curl_multi_remove_handle(multi, c);
  return result;
}

} // namespace

HttpClient::HttpClient() : handle_(std::make_unique<Handle>()) {
  init_curl_once();
  handle_->curl = curl_easy_init();
  handle_->multi = curl_multi_init();
  if (!handle_->curl || !handle_->multi)
    throw std::runtime_error("libcurl could not create a handle");
}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::post(const HttpRequest &req) {
  CURL *c = handle_->curl;
  curl_easy_reset(c);
  HttpResponse out;
  Sink sink{&out.body, req.max_response_bytes};
  Headers seen;
  char errbuf[CURL_ERROR_SIZE] = {0};

  Slist headers;
  for (const std::string &h : req.headers)
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
  // No "Expect: 100-continue" round trip before the body.
  headers.reset(curl_slist_append(headers.release(), "Expect:"));

  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(req.body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(req.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(req.timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!req.ca_bundle.empty())
    curl_easy_setopt(c, CURLOPT_CAINFO, req.ca_bundle.c_str());
  // Compressed answers are fine; the limit counts decompressed bytes.
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(c, CURLOPT_USERAGENT, "PacketScope-psd");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &seen);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

  auto start = std::chrono::steady_clock::now();
  bool cancelled = false;
  CURLcode code = perform(handle_->multi, c, req.cancelled, cancelled);
  out.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  out.transport =
      cancelled ? Transport::Cancelled : classify(code, sink.too_large);
  out.retry_after = seen.retry_after;
  if (code == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
  } else {
    out.message = errbuf[0] ? errbuf : curl_easy_strerror(code);
    if (out.transport == Transport::TooLarge)
      out.message = "the answer is larger than " +
                    std::to_string(req.max_response_bytes) + " bytes";
    if (cancelled)
      out.message = "cancelled (stopping)";
  }
  // The handle must not keep pointers to this call's headers, body or
  // error buffer.
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, nullptr);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  return out;
}

} // namespace psr::analyze::llm
