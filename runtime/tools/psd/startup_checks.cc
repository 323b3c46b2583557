#include "startup_checks.h"

#include <chrono>
#include <ostream>

#include "api/listen_address.h"
#include "api/token_file.h"
#include "command_line.h"
#include "policy_dir.h"

namespace psd {

namespace be = psl::backend;

be::Expected<std::optional<std::string>>
load_api_token(const PsdOptions &options) {
  auto listen = psr::api::parse_listen_address(options.listen);
  if (!listen.ok())
    return be::Error("api.listen: " + listen.error().message);
  if (options.token_file.empty()) {
    if (!listen->loopback)
      return be::Error(
          "psd will not listen on " + listen->text() +
          ", which is not a loopback address, without a token file: give "
          "--token-file FILE (mode 0600), or listen on 127.0.0.1");
    return std::optional<std::string>();
  }
  auto token = psr::api::read_token_file(options.token_file);
  if (!token.ok())
    return token.error();
  return std::optional<std::string>(std::move(token.value()));
}

int check_configuration(const PsdOptions &options, std::ostream &out,
                        std::ostream &err) {
  bool ok = true;
  auto token = load_api_token(options);
  if (!token.ok()) {
    err << "psd: " << token.error().message << "\n";
    ok = false;
  } else {
    out << "api: " << options.listen
        << (token->has_value()
                ? " (bearer token from " + options.token_file + ")"
                : std::string(" (no token: read-only API)"))
        << "\n";
  }
  // The analyzer (the LLM's key was read before: a bad one stopped psd).
  out << "analyzer: " << options.analyzer;
  if (options.uses_llm())
    out << ", model '" << options.llm.model << "' at " << options.llm.url
        << ", asked every "
        << std::chrono::duration<double>(options.llm_interval).count()
        << " s about the last "
        << std::chrono::duration<double>(options.llm_window).count() << " s"
        << (options.embedded_with_llm ? ", with the embedded detector beside it"
                                      : "");
  out << "\n";
  for (const std::string &key : options.llm_unused)
    out << "note: " << key << " is not used (the analyzer is "
        << options.analyzer << ")\n";
  auto policies = find_operator_policies(
      options.policy_dir, options.policy_dir_given, options.interfaces);
  if (!policies.ok()) {
    err << "psd: " << policies.error().message << "\n";
    return kExitUsage;
  }
  for (const OperatorPolicy &p : *policies) {
    PolicyCheck c = check_policy(p);
    err << c.diagnostics;
    out << p.iface << ": " << p.path;
    if (!c.ok)
      out << ": " << c.errors << (c.errors == 1 ? " error" : " errors");
    else if (c.warnings)
      out << ": " << c.warnings << (c.warnings == 1 ? " warning" : " warnings");
    else
      out << ": ok";
    out << "\n";
    ok = ok && c.ok;
  }
  out << (ok ? "the configuration is valid\n"
             : "the configuration has errors\n");
  return ok ? kExitOk : kExitUsage;
}

} // namespace psd
