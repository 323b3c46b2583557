// A model server for tests: speaks OpenAI-compatible chat completions
// (POST /v1/chat/completions) or Ollama's POST /api/chat on 127.0.0.1 (a
// port of its own), over plain HTTP or TLS, and answers each request
// with the next step of a script: an answer, a status with headers, a
// delay, a connection dropped halfway. It records every request (headers
// and body) so tests can check what was sent.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace httplib {
class Server;
}

namespace psl::testing {

enum class FakeApi { OpenAi, Ollama };

struct Step {
  int status = 200;
  // The body as sent; when `content` is set instead, the body is the
  // API's answer carrying that content and these token counts.
  std::string body;
  std::optional<std::string> content;
  uint64_t tokens_in = 1000, tokens_out = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds delay{0}; // before answering
  bool drop = false; // send the headers and part of the body, then close
};

// An answer whose message content is `content`. "{newest_seq}" in it is
// replaced by the largest summary window `seq` the request's messages
// show (a scripted answer that cites the newest window, whatever psd
// numbered it).
Step reply(std::string content);
// The substitution above.
std::string with_newest_seq(std::string content, const std::string &request);
// A status with a small JSON error body and a Retry-After if given.
Step status(int code, std::string retry_after = "");
// The headers and half of a body, then the connection closes.
Step dropped();
// `step`, after a delay.
Step delayed(std::chrono::milliseconds d, Step step);

struct Recorded {
  std::string path;
  std::map<std::string, std::string> headers; // names lower-case
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

struct TlsFiles {
  std::string cert; // PEM
  std::string key;  // PEM
};

class FakeLlmServer {
public:
  explicit FakeLlmServer(FakeApi api, const TlsFiles *tls = nullptr);
  ~FakeLlmServer();

  // Steps answer requests in order; past the last one, every request gets
  // a 500 whose body says the script ran out.
  void script(std::vector<Step> steps);
  // One script per model name: a request takes the next step of the
  // script of the model its body names ("model"), whatever order the
  // requests come in (scripts/llm-eval: one scripted model per scenario).
  // A model without a script, or past its last step: the 500 above.
  void script_by_model(std::map<std::string, std::vector<Step>> scripts);

  // The URL to configure: http(s)://127.0.0.1:PORT/v1 (OpenAI) or
  // http(s)://127.0.0.1:PORT (Ollama).
  std::string url() const;
  int port() const { return port_; }
  std::vector<Recorded> requests() const;

private:
  void handle(const std::string &path,
              const std::multimap<std::string, std::string> &headers,
              const std::string &body, int &status_out,
              std::vector<std::pair<std::string, std::string>> &headers_out,
              std::string &body_out, bool &drop_out);

  FakeApi api_;
  bool tls_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::vector<Step> steps_;
  size_t next_ = 0;
  std::map<std::string, std::vector<Step>> by_model_;
  std::map<std::string, size_t> next_by_model_;
  std::vector<Recorded> requests_;
};

// A script as JSON: an array of steps, each an object with "content" (an
// answer carrying that text), or "status" (with "retry_after"), and
// optionally "delay_ms", "drop": true, "tokens_in", "tokens_out".
// Throws std::runtime_error on anything else.
std::vector<Step> steps_from_json(const nlohmann::json &steps);

// A self-signed certificate for 127.0.0.1 and localhost and its key,
// written as PEM files under `dir`.
TlsFiles make_test_certificate(const std::string &dir);

} // namespace psl::testing
