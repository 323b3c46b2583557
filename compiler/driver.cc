#include "driver.h"

#include "frontend/parser.h"
#include "passes/pass_manager.h"

namespace psl {

CheckedModule check_source(std::string path, std::string text,
                           const PassOptions &options) {
  return check_source(std::move(path), std::move(text), options, nullptr);
}

CheckedModule check_source(std::string path, std::string text,
                           const PassOptions &options,
                           const BuildAlongside &alongside) {
  return check_source(
      std::make_shared<const SourceFile>(std::move(path), std::move(text)),
      options, alongside);
}

CheckedModule check_source(std::shared_ptr<const SourceFile> file,
                           const PassOptions &options,
                           const BuildAlongside &alongside) {
  CheckedModule out{Module{}, DiagnosticSink(file)};
  out.module = parse_policy(file, out.diags);
  if (out.module.policy) {
    PassContext ctx{out.diags, options};
    AlongsideChecks with_file;
    if (alongside)
      with_file = [&](const Policy &policy) { alongside(policy, *file); };
    run_frontend_passes(*out.module.policy, ctx, with_file);
  }
  out.diags.sort_by_location();
  return out;
}

} // namespace psl
