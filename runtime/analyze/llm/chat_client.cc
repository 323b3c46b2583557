#include "analyze/llm/chat_client.h"

#include <random>
#include <sstream>
#include <thread>

#include "analyze/llm/retry.h"

namespace psr::analyze::llm {

using std::chrono::milliseconds;

const char *failure_name(ChatFailure f) {
  switch (f) {
  case ChatFailure::Budget:
    return "budget";
  case ChatFailure::Connect:
    return "connect";
  case ChatFailure::Timeout:
    return "timeout";
  case ChatFailure::Dropped:
    return "dropped";
  case ChatFailure::Tls:
    return "tls";
  case ChatFailure::TooLarge:
    return "too_large";
  case ChatFailure::RateLimited:
    return "rate_limited";
  case ChatFailure::ServerError:
    return "server_error";
  case ChatFailure::HttpStatus:
    return "http_status";
  case ChatFailure::BadResponse:
    return "bad_response";
  case ChatFailure::Cancelled:
    return "cancelled";
  }
  return "bad_response";
}

uint64_t estimate_tokens(size_t bytes) { return (bytes + 2) / 3; }

ChatClient::ChatClient(LlmConfig config, ApiKey key, Budget &budget,
                       ChatHooks hooks)
    : config_(std::move(config)), key_(std::move(key)), redact_(key_),
      budget_(budget), hooks_(std::move(hooks)) {
  if (!hooks_.sleep)
    hooks_.sleep = [](milliseconds d) { std::this_thread::sleep_for(d); };
  if (!hooks_.random) {
    auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
    hooks_.random = [rng] { return (*rng)(); };
  }
  if (!hooks_.wall_clock)
    hooks_.wall_clock = [] { return std::chrono::system_clock::now(); };
}

void ChatClient::log(const std::string &line) const {
  if (hooks_.log)
    hooks_.log(redact_(line));
}

namespace {

ChatFailure failure_of(const HttpResponse &r) {
  switch (r.transport) {
  case Transport::Connect:
    return ChatFailure::Connect;
  case Transport::Timeout:
    return ChatFailure::Timeout;
  case Transport::Dropped:
    return ChatFailure::Dropped;
  case Transport::Tls:
    return ChatFailure::Tls;
  case Transport::TooLarge:
    return ChatFailure::TooLarge;
  case Transport::Cancelled:
    return ChatFailure::Cancelled;
  case Transport::Other:
    return ChatFailure::BadResponse;
  case Transport::Ok:
    break;
  }
  if (r.status == 429)
    return ChatFailure::RateLimited;
  if (r.status >= 500)
    return ChatFailure::ServerError;
  return ChatFailure::HttpStatus;
}

std::string seconds_text(milliseconds d) {
  std::ostringstream s;
  s.precision(1);
  s << std::fixed << d.count() / 1000.0 << "s";
  return s.str();
}

} // namespace

ChatResult ChatClient::chat(const std::vector<ChatMessage> &messages,
                            const std::string &grammar) {
  ChatResult result;
  const std::string url = endpoint(config_);
  HttpRequest req;
  req.url = url;
  req.headers = {"Content-Type: application/json", "Accept: application/json"};
  if (!key_.empty())
    req.headers.push_back("Authorization: Bearer " + key_.reveal());
  req.body = request_body(config_, messages, grammar).dump();
  req.connect_timeout = config_.connect_timeout;
  req.timeout = config_.timeout;
  req.ca_bundle = config_.ca_bundle;
  req.max_response_bytes = config_.max_response_bytes;
  req.cancelled = hooks_.cancelled;

  const uint64_t estimate =
      estimate_tokens(req.body.size()) + config_.max_tokens;
  auto fail = [&](ChatFailure f, std::string message, int status = 0) {
    result.failure = f;
    result.message = redact_(message);
    result.http_status = status;
    log("llm: " + result.message);
    return result;
  };

  for (unsigned attempt = 1;; ++attempt) {
    if (hooks_.cancelled && hooks_.cancelled())
      return fail(ChatFailure::Cancelled, "cancelled (stopping)");
    std::string why;
    uint64_t ticket = 0;
    if (!budget_.admit(estimate, ticket, why))
      return fail(ChatFailure::Budget, "LLM budget exhausted: " + why);

    HttpResponse r = http_.post(req);
    result.stats.attempts.push_back({r.transport, r.status, r.seconds, {}});
    if (r.transport == Transport::Ok && r.status == 200) {
      auto parsed = parse_reply(config_.provider, r.body);
      if (!parsed) {
        budget_.settle(ticket, estimate_tokens(req.body.size()));
        return fail(ChatFailure::BadResponse, "unusable answer from " + url +
                                                  ": " +
                                                  parsed.error().message);
      }
      ChatReply reply;
      reply.content = std::move(parsed->content);
      reply.tokens_in = parsed->tokens_in;
      reply.tokens_out = parsed->tokens_out;
      if (!parsed->tokens_reported) {
        reply.tokens_in = estimate_tokens(req.body.size());
        reply.tokens_out = estimate_tokens(reply.content.size());
        reply.tokens_estimated = true;
      }
      budget_.settle(ticket, reply.tokens_in + reply.tokens_out);
      result.stats.latency_s = r.seconds;
      result.reply = std::move(reply);
      return result;
    }
    // Nothing came back that the model produced: the tokens of the
    // question were still (at most) spent.
    budget_.settle(ticket, r.transport == Transport::Ok
                               ? estimate_tokens(req.body.size())
                               : 0);

    std::string what =
        r.transport == Transport::Ok
            ? "HTTP " + std::to_string(r.status) +
                  (error_message(r.body).empty()
                       ? std::string()
                       : " (" + error_message(r.body) + ")")
            : std::string(transport_name(r.transport)) + ": " + r.message;
    ChatFailure kind = failure_of(r);
    if (!retryable(r))
      return fail(kind, what + " from " + url, static_cast<int>(r.status));
    if (attempt >= config_.max_attempts)
      return fail(kind,
                  what + " from " + url + " (" + std::to_string(attempt) +
                      " attempts)",
                  static_cast<int>(r.status));

    milliseconds wait = backoff(attempt, config_.backoff_base,
                                config_.backoff_max, hooks_.random());
    if (auto after = parse_retry_after(r.retry_after, hooks_.wall_clock())) {
      if (*after > config_.max_retry_after)
        return fail(ChatFailure::RateLimited,
                    what + " from " + url + " asks to retry after " +
                        seconds_text(*after) + ", longer than the " +
                        seconds_text(config_.max_retry_after) + " allowed",
                    static_cast<int>(r.status));
      wait = std::max(wait, *after);
    }
    result.stats.attempts.back().wait_after = wait;
    log("llm: " + what + " from " + url + "; retrying in " +
        seconds_text(wait) + " (attempt " + std::to_string(attempt + 1) +
        " of " + std::to_string(config_.max_attempts) + ")");
    hooks_.sleep(wait);
  }
}

} // namespace psr::analyze::llm
