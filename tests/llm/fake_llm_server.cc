#include "fake_llm_server.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace psl::testing {

using nlohmann::json;

Step reply(std::string content) {
  Step s;
  s.content = std::move(content);
  return s;
}

Step status(int code, std::string retry_after) {
  Step s;
  s.status = code;
  s.body =
      json{{"error", {{"message", "scripted status " + std::to_string(code)}}}}
          .dump();
  if (!retry_after.empty())
    s.headers.emplace_back("Retry-After", retry_after);
  return s;
}

Step dropped() {
  Step s;
  s.drop = true;
  s.content = std::string(400, 'x');
  return s;
}

Step delayed(std::chrono::milliseconds d, Step step) {
  step.delay = d;
  return step;
}

namespace {

// With a charset the library does not compress the answer: brotli on a
// few megabytes of test answer would take seconds of the tests' time.
const char *const kJson = "application/json; charset=utf-8";

std::string answer_body(FakeApi api, const Step &s) {
  if (api == FakeApi::Ollama)
    return json{{"model", "fake"},
                {"message", {{"role", "assistant"}, {"content", *s.content}}},
                {"done", true},
                {"done_reason", "stop"},
                {"prompt_eval_count", s.tokens_in},
                {"eval_count", s.tokens_out}}
        .dump();
  return json{{"id", "chatcmpl-fake"},
              {"object", "chat.completion"},
              {"model", "fake"},
              {"choices",
               {{{"index", 0},
                 {"message", {{"role", "assistant"}, {"content", *s.content}}},
                 {"finish_reason", "stop"}}}},
              {"usage",
               {{"prompt_tokens", s.tokens_in},
                {"completion_tokens", s.tokens_out},
                {"total_tokens", s.tokens_in + s.tokens_out}}}}
      .dump();
}

} // namespace

FakeLlmServer::FakeLlmServer(FakeApi api, const TlsFiles *tls)
    : api_(api), tls_(tls != nullptr) {
  if (tls)
    server_ = std::make_unique<httplib::SSLServer>(tls->cert.c_str(),
                                                   tls->key.c_str());
  else
    server_ = std::make_unique<httplib::Server>();
  if (!server_->is_valid())
    throw std::runtime_error("fake LLM server: invalid setup");
  const char *path =
      api == FakeApi::OpenAi ? "/v1/chat/completions" : "/api/chat";
  server_->Post(
      path, [this, path](const httplib::Request &req, httplib::Response &res) {
        int st = 200;
        std::vector<std::pair<std::string, std::string>> headers;
        std::string body;
        bool drop = false;
        std::multimap<std::string, std::string> in(req.headers.begin(),
                                                   req.headers.end());
        handle(path, in, req.body, st, headers, body, drop);
        res.status = st;
        for (const auto &[k, v] : headers)
          res.set_header(k.c_str(), v);
        if (drop) {
          // Announce the whole body, send half, then give up: the client sees
          // the connection close early.
          auto shared = std::make_shared<std::string>(body);
          res.set_content_provider(
              shared->size(), kJson,
              [shared](size_t offset, size_t, httplib::DataSink &sink) {
                if (offset == 0)
                  sink.write(shared->data(), shared->size() / 2);
                return offset == 0;
              });
          return;
        }
        res.set_content(body, kJson);
      });
  port_ = server_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0)
    throw std::runtime_error("fake LLM server: cannot bind 127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() only stops a loop that runs: wait for it, so that a server
  // made and destroyed at once (a port to be refused) shuts down too.
  for (int i = 0; i < 5000 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeLlmServer::~FakeLlmServer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  server_->stop();
  if (thread_.joinable())
    thread_.join();
}

void FakeLlmServer::script(std::vector<Step> steps) {
  std::lock_guard<std::mutex> lock(mu_);
  steps_ = std::move(steps);
  next_ = 0;
}

void FakeLlmServer::script_by_model(
    std::map<std::string, std::vector<Step>> scripts) {
  std::lock_guard<std::mutex> lock(mu_);
  by_model_ = std::move(scripts);
  next_by_model_.clear();
}

std::vector<Step> steps_from_json(const json &steps) {
  if (!steps.is_array())
    throw std::runtime_error("a script is an array of steps");
  std::vector<Step> out;
  for (const json &j : steps) {
    if (!j.is_object())
      throw std::runtime_error("a step is an object: " + j.dump());
    Step s;
    if (auto c = j.find("content"); c != j.end())
      s = reply(c->get<std::string>());
    else if (auto st = j.find("status"); st != j.end())
      s = status(st->get<int>(), j.value("retry_after", std::string()));
    else
      throw std::runtime_error("a step has \"content\" or \"status\": " +
                               j.dump());
    s.delay = std::chrono::milliseconds(j.value("delay_ms", 0));
    s.drop = j.value("drop", false);
    s.tokens_in = j.value("tokens_in", s.tokens_in);
    s.tokens_out = j.value("tokens_out", s.tokens_out);
    out.push_back(std::move(s));
  }
  return out;
}

std::string FakeLlmServer::url() const {
  std::string u = std::string(tls_ ? "https" : "http") +
                  "://127.0.0.1:" + std::to_string(port_);
  return api_ == FakeApi::OpenAi ? u + "/v1" : u;
}

std::vector<Recorded> FakeLlmServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void FakeLlmServer::handle(
    const std::string &path,
    const std::multimap<std::string, std::string> &headers,
    const std::string &body, int &status_out,
    std::vector<std::pair<std::string, std::string>> &headers_out,
    std::string &body_out, bool &drop_out) {
  Step step;
  {
    std::unique_lock<std::mutex> lock(mu_);
    Recorded r;
    r.path = path;
    for (const auto &[k, v] : headers) {
      std::string name = k;
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      r.headers[name] = v;
    }
    r.body = body;
    requests_.push_back(std::move(r));
    const std::vector<Step> *steps = &steps_;
    size_t *next = &next_;
    if (!by_model_.empty()) {
      json j = json::parse(body, nullptr, false);
      std::string model = j.is_object() ? j.value("model", "") : "";
      auto it = by_model_.find(model);
      steps = it == by_model_.end() ? nullptr : &it->second;
      next = &next_by_model_[model];
    }
    if (steps == nullptr || *next >= steps->size()) {
      status_out = 500;
      body_out = R"({"error":{"message":"fake server: script ran out"}})";
      return;
    }
    step = (*steps)[(*next)++];
    if (step.delay.count() > 0)
      stop_cv_.wait_for(lock, step.delay, [this] { return stopping_; });
  }
  status_out = step.status;
  headers_out = step.headers;
  if (step.content)
    step.content = with_newest_seq(*step.content, body);
  body_out = step.content ? answer_body(api_, step) : step.body;
  drop_out = step.drop;
}

std::string with_newest_seq(std::string content, const std::string &request) {
  static const std::string kMark = "{newest_seq}";
  if (content.find(kMark) == std::string::npos)
    return content;
  uint64_t newest = 0;
  json j = json::parse(request, nullptr, false);
  if (j.is_object() && j.contains("messages") && j["messages"].is_array())
    for (const json &m : j["messages"]) {
      const std::string text = m.value("content", "");
      static const std::string kSeq = "\"seq\":";
      for (size_t at = text.find(kSeq); at != std::string::npos;
           at = text.find(kSeq, at + 1)) {
        uint64_t n = 0;
        size_t i = at + kSeq.size();
        bool digits = false;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
          n = n * 10 + static_cast<uint64_t>(text[i++] - '0');
          digits = true;
        }
        if (digits)
          newest = std::max(newest, n);
      }
    }
  for (size_t at = content.find(kMark); at != std::string::npos;
       at = content.find(kMark, at))
    content.replace(at, kMark.size(), std::to_string(newest));
  return content;
}

TlsFiles make_test_certificate(const std::string &dir) {
  EVP_PKEY *pkey = EVP_EC_gen("P-256");
  if (!pkey)
    throw std::runtime_error("cannot make a test key");
  X509 *cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600L * 24 * 30);
  X509_set_pubkey(cert, pkey);
  X509_NAME *name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_ASC,
      reinterpret_cast<const unsigned char *>("packetscope test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] :
       {std::pair<int, const char *>{NID_subject_alt_name,
                                     "IP:127.0.0.1,DNS:localhost"},
        {NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION *ext =
        X509V3_EXT_conf_nid(nullptr, &ctx, nid, const_cast<char *>(value));
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert, pkey, EVP_sha256());
  TlsFiles files{dir + "/cert.pem", dir + "/key.pem"};
  FILE *f = std::fopen(files.cert.c_str(), "w");
  PEM_write_X509(f, cert);
  std::fclose(f);
  f = std::fopen(files.key.c_str(), "w");
  PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(cert);
  EVP_PKEY_free(pkey);
  return files;
}

} // namespace psl::testing
