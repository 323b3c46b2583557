// The two wire formats: OpenAI-compatible chat completions and Ollama's
// /api/chat. Building a request body and reading an answer, nothing else
// (no I/O: chat_client.h sends).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyze/llm/config.h"
#include "backend/status.h"

namespace psr::analyze::llm {

struct ChatMessage {
  enum class Role { System, User, Assistant };
  Role role = Role::User;
  std::string content;
};
const char *role_name(ChatMessage::Role r); // "system", "user", "assistant"

// The JSON schema of a structured answer: {analysis, policy, evidence}.
// `policy` is the whole PSL text ("" for no change); `evidence` the
// summary windows (seq numbers) and counters the answer rests on.
const nlohmann::json &answer_schema();

// The request body. `grammar` is the exported grammar for the Gbnf and
// VllmGrammar output modes (ignored otherwise).
nlohmann::json request_body(const LlmConfig &config,
                            const std::vector<ChatMessage> &messages,
                            const std::string &grammar);

struct ProviderReply {
  std::string content;
  uint64_t tokens_in = 0, tokens_out = 0;
  bool tokens_reported = false; // false: the server sent no counts
  std::string finish_reason;    // "stop", "length", ...
};

// Reads a 200 answer. An error says what is missing ("no choices in the
// answer"); the server's own error object ({"error": {"message"}}) is
// reported as its message, which the caller redacts.
psl::backend::Expected<ProviderReply> parse_reply(Provider provider,
                                                  std::string_view body);

// The message of an error answer (4xx/5xx) when the body carries one in
// either API's form; empty otherwise. At most 300 bytes.
std::string error_message(std::string_view body);

} // namespace psr::analyze::llm
