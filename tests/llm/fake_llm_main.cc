// fake_llm_server: the scripted model server of tests/llm as a process,
// for scripts/llm-eval and shell tests. It serves OpenAI-compatible chat
// completions (or Ollama's /api/chat) on 127.0.0.1 at a port of its own,
// prints its URL on the first line of standard output, and answers each
// request with the next step of the script of the model the request
// names, until it gets SIGTERM or SIGINT.
//
//   fake_llm_server [--ollama] SCRIPTS.json
//
// SCRIPTS.json: {"MODEL": [STEP, ...], ...}, steps as steps_from_json()
// reads them ({"content": "..."}, {"status": 429, "retry_after": "1"},
// "delay_ms", "drop").
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <pthread.h>
#include <string>

#include "fake_llm_server.h"

int main(int argc, char **argv) {
  // Blocked in every thread (the server's start after this), taken by
  // sigwait() below.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  bool ollama = false;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--ollama") == 0)
      ollama = true;
    else if (path.empty())
      path = argv[i];
    else
      path.clear(), i = argc;
  }
  if (path.empty()) {
    std::cerr << "usage: fake_llm_server [--ollama] SCRIPTS.json\n";
    return 2;
  }
  std::ifstream in(path);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object()) {
    std::cerr << path << ": not a JSON object of scripts by model\n";
    return 2;
  }
  std::map<std::string, std::vector<psl::testing::Step>> scripts;
  try {
    for (const auto &[model, steps] : j.items())
      scripts[model] = psl::testing::steps_from_json(steps);
  } catch (const std::exception &e) {
    std::cerr << path << ": " << e.what() << "\n";
    return 2;
  }
  psl::testing::FakeLlmServer server(ollama ? psl::testing::FakeApi::Ollama
                                            : psl::testing::FakeApi::OpenAi);
  server.script_by_model(std::move(scripts));
  std::cout << server.url() << std::endl;
  int sig = 0;
  sigwait(&stop, &sig);
  std::cerr << "fake_llm_server: " << server.requests().size() << " requests\n";
  return 0;
}
