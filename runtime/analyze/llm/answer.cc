#include "analyze/llm/answer.h"

#include <cctype>
#include <regex>

#include <nlohmann/json.hpp>

namespace psr::analyze::llm {

using nlohmann::json;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

struct Fence {
  std::string info; // the word after ``` ("psl", "json", "c", "")
  std::string body;
  size_t begin = 0, end = 0; // of the whole block in the text
};

std::vector<Fence> fences(std::string_view text) {
  std::vector<Fence> out;
  size_t at = 0;
  while (true) {
    size_t open = text.find("```", at);
    if (open == std::string_view::npos)
      break;
    size_t eol = text.find('\n', open);
    if (eol == std::string_view::npos)
      break;
    size_t close = text.find("```", eol + 1);
    Fence f;
    f.info = std::string(trim(text.substr(open + 3, eol - open - 3)));
    f.begin = open;
    f.end = close == std::string_view::npos ? text.size() : close + 3;
    f.body = std::string(text.substr(
        eol + 1,
        (close == std::string_view::npos ? text.size() : close) - eol - 1));
    out.push_back(std::move(f));
    if (close == std::string_view::npos)
      break;
    at = close + 3;
  }
  return out;
}

const std::regex &policy_start() {
  static const std::regex re(
      R"((^|[^A-Za-z0-9_.])policy\s+[A-Za-z_][A-Za-z0-9_]*\s*\{)");
  return re;
}

// From `policy NAME {` to its closing brace, skipping strings and
// comments; to the end when it never closes.
bool bare_policy(std::string_view text, size_t &begin, size_t &end) {
  std::cmatch m;
  if (!std::regex_search(text.begin(), text.end(), m, policy_start()))
    return false;
  begin = static_cast<size_t>(m.position(0)) + m.length(1);
  int depth = 0;
  for (size_t i = begin; i < text.size(); ++i) {
    char c = text[i];
    if (c == '#') {
      while (i < text.size() && text[i] != '\n')
        ++i;
    } else if (c == '"') {
      for (++i; i < text.size() && text[i] != '"' && text[i] != '\n'; ++i)
        if (text[i] == '\\')
          ++i;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      end = i + 1;
      return true;
    }
  }
  end = text.size();
  return true;
}

void read_evidence(const json &j, ExtractedAnswer &out) {
  auto ev = j.find("evidence");
  if (ev == j.end() || !ev->is_object())
    return;
  if (auto w = ev->find("windows"); w != ev->end() && w->is_array())
    for (const json &x : *w)
      if (x.is_number_unsigned())
        out.windows.push_back(x.get<uint64_t>());
  if (auto c = ev->find("counters"); c != ev->end() && c->is_array())
    for (const json &x : *c) {
      if (!x.is_object())
        continue;
      EvidenceCounter ec;
      auto w = x.find("window");
      auto n = x.find("name");
      auto v = x.find("value");
      if (w == x.end() || !w->is_number_unsigned() || n == x.end() ||
          !n->is_string() || v == x.end() || !v->is_number())
        continue;
      ec.window = w->get<uint64_t>();
      ec.name = n->get<std::string>();
      ec.value = v->get<double>();
      out.counters.push_back(std::move(ec));
    }
}

bool from_json(std::string_view text, ExtractedAnswer &out) {
  std::string_view body = trim(text);
  std::vector<Fence> fs; // holds what `body` views
  if (body.rfind("```", 0) == 0) {
    fs = fences(body);
    if (fs.size() != 1)
      return false;
    body = trim(fs[0].body);
  }
  if (body.empty() || body.front() != '{')
    return false;
  json j = json::parse(body, nullptr, false);
  if (!j.is_object())
    return false;
  auto policy = j.find("policy");
  if (policy == j.end() || !policy->is_string())
    return false;
  out.json = true;
  out.policy = std::string(trim(policy->get<std::string>()));
  if (auto a = j.find("analysis"); a != j.end() && a->is_string())
    out.analysis = a->get<std::string>();
  read_evidence(j, out);
  out.kind = out.policy.empty() ? ExtractedAnswer::Kind::NoPolicy
                                : ExtractedAnswer::Kind::Policy;
  return true;
}

} // namespace

std::string clean_text(std::string_view text, size_t max_bytes) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (out.size() >= max_bytes) {
      // Back to a character boundary.
      while (!out.empty() &&
             (static_cast<unsigned char>(out.back()) & 0xc0) == 0x80)
        out.pop_back();
      if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xc0)
        out.pop_back();
      return out + "...";
    }
    out += (c < 0x20 && c != '\n') || c == 0x7f ? ' ' : static_cast<char>(c);
  }
  return out;
}

ExtractedAnswer extract_answer(std::string_view content) {
  ExtractedAnswer out;
  std::string_view text = trim(content);
  if (text.empty())
    return out;
  if (from_json(text, out))
    return out;

  std::vector<Fence> fs = fences(text);
  const Fence *pick = nullptr;
  for (const Fence &f : fs)
    if (f.info == "psl" || f.info == "PSL") {
      pick = &f;
      break;
    }
  if (!pick)
    for (const Fence &f : fs) {
      std::cmatch m;
      if (f.info != "json" &&
          std::regex_search(f.body.c_str(), m, policy_start())) {
        pick = &f;
        break;
      }
    }
  if (!pick)
    for (const Fence &f : fs)
      if (f.info != "json" && !trim(f.body).empty()) {
        pick = &f;
        break;
      }
  if (pick) {
    out.kind = ExtractedAnswer::Kind::Policy;
    out.policy = std::string(trim(pick->body));
    out.analysis = std::string(trim(text.substr(0, pick->begin))) + "\n" +
                   std::string(trim(text.substr(pick->end)));
    out.analysis = std::string(trim(out.analysis));
    return out;
  }
  size_t begin = 0, end = 0;
  if (bare_policy(text, begin, end)) {
    out.kind = ExtractedAnswer::Kind::Policy;
    out.policy = std::string(text.substr(begin, end - begin));
    out.analysis = std::string(trim(text.substr(0, begin))) + "\n" +
                   std::string(trim(text.substr(end)));
    out.analysis = std::string(trim(out.analysis));
    return out;
  }
  out.kind = ExtractedAnswer::Kind::NoPolicy;
  out.analysis = std::string(text);
  return out;
}

} // namespace psr::analyze::llm
