#include "analyze/llm/provider.h"

namespace psr::analyze::llm {

using nlohmann::json;
using psl::backend::Error;
using psl::backend::Expected;

const char *role_name(ChatMessage::Role r) {
  switch (r) {
  case ChatMessage::Role::System:
    return "system";
  case ChatMessage::Role::User:
    return "user";
  case ChatMessage::Role::Assistant:
    return "assistant";
  }
  return "user";
}

const json &answer_schema() {
  static const json schema = json::parse(R"({
  "type": "object",
  "additionalProperties": false,
  "required": ["analysis", "policy", "evidence"],
  "properties": {
    "analysis": {
      "type": "string",
      "description": "what the summaries show and why the policy answers it, in a few sentences"
    },
    "policy": {
      "type": "string",
      "description": "one complete PSL policy (policy NAME { ... }) of const and rule declarations, every rule with a ttl; empty when no change is needed"
    },
    "evidence": {
      "type": "object",
      "additionalProperties": false,
      "required": ["windows", "counters"],
      "properties": {
        "windows": {
          "type": "array",
          "items": {"type": "integer"},
          "description": "seq numbers of the summary windows the policy rests on"
        },
        "counters": {
          "type": "array",
          "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["window", "name", "value"],
            "properties": {
              "window": {"type": "integer"},
              "name": {"type": "string"},
              "value": {"type": "number"}
            }
          }
        }
      }
    }
  }
})");
  return schema;
}

json request_body(const LlmConfig &c, const std::vector<ChatMessage> &messages,
                  const std::string &grammar) {
  json msgs = json::array();
  for (const ChatMessage &m : messages)
    msgs.push_back({{"role", role_name(m.role)}, {"content", m.content}});
  json body;
  body["model"] = c.model;
  body["messages"] = msgs;
  body["stream"] = false;
  if (c.provider == Provider::Ollama) {
    body["options"] = {{"temperature", c.temperature},
                       {"num_predict", c.max_tokens}};
    if (c.output == OutputMode::JsonSchema)
      body["format"] = answer_schema();
    else if (c.output == OutputMode::JsonObject)
      body["format"] = "json";
    return body;
  }
  body["temperature"] = c.temperature;
  body["max_tokens"] = c.max_tokens;
  switch (c.output) {
  case OutputMode::Text:
    break;
  case OutputMode::JsonObject:
    body["response_format"] = {{"type", "json_object"}};
    break;
  case OutputMode::JsonSchema:
    body["response_format"] = {{"type", "json_schema"},
                               {"json_schema",
                                {{"name", "psl_proposal"},
                                 {"strict", true},
                                 {"schema", answer_schema()}}}};
    break;
  case OutputMode::Gbnf:
    body["grammar"] = grammar;
    break;
  case OutputMode::VllmGrammar:
    body["structured_outputs"] = {{"grammar", grammar}};
    break;
  }
  return body;
}

namespace {

uint64_t count(const json &j, const char *key, bool &found) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned())
    return 0;
  found = true;
  return it->get<uint64_t>();
}

std::string bounded(std::string s) {
  if (s.size() > 300)
    s = s.substr(0, 300) + "...";
  return s;
}

} // namespace

std::string error_message(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_object())
    return "";
  auto it = j.find("error");
  if (it == j.end())
    return "";
  if (it->is_string())
    return bounded(it->get<std::string>()); // Ollama: {"error": "..."}
  if (it->is_object()) {
    auto m = it->find("message");
    if (m != it->end() && m->is_string())
      return bounded(m->get<std::string>());
  }
  return "";
}

Expected<ProviderReply> parse_reply(Provider provider, std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_object())
    return Error("the answer is not a JSON object");
  if (std::string m = error_message(body); !m.empty())
    return Error("the server answered with an error: " + m);
  ProviderReply r;
  if (provider == Provider::Ollama) {
    auto msg = j.find("message");
    if (msg == j.end() || !msg->is_object())
      return Error("no 'message' in the answer");
    auto content = msg->find("content");
    if (content == msg->end() || !content->is_string())
      return Error("no 'message.content' string in the answer");
    r.content = content->get<std::string>();
    bool a = false, b = false;
    r.tokens_in = count(j, "prompt_eval_count", a);
    r.tokens_out = count(j, "eval_count", b);
    r.tokens_reported = a || b;
    if (auto d = j.find("done_reason"); d != j.end() && d->is_string())
      r.finish_reason = d->get<std::string>();
    return r;
  }
  auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty())
    return Error("no choices in the answer");
  const json &first = (*choices)[0];
  auto msg = first.find("message");
  if (msg == first.end() || !msg->is_object())
    return Error("no 'message' in the first choice");
  auto content = msg->find("content");
  if (content != msg->end() && content->is_string())
    r.content = content->get<std::string>();
  else if (content == msg->end() || !content->is_null())
    return Error("the first choice's content is not a string");
  if (auto f = first.find("finish_reason"); f != first.end() && f->is_string())
    r.finish_reason = f->get<std::string>();
  if (auto u = j.find("usage"); u != j.end() && u->is_object()) {
    bool a = false, b = false;
    r.tokens_in = count(*u, "prompt_tokens", a);
    r.tokens_out = count(*u, "completion_tokens", b);
    r.tokens_reported = a || b;
  }
  return r;
}

} // namespace psr::analyze::llm
