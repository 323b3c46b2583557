#include "driver.h"

#include "frontend/parser.h"
#include "passes/pass_manager.h"

namespace psl {

CheckedModule check_source(std::string path, std::string text,
                           const PassOptions &options) {
  auto file =
      std::make_shared<const SourceFile>(std::move(path), std::move(text));
  CheckedModule out{Module{}, DiagnosticSink(file)};
  out.module = parse_policy(file, out.diags);
  if (out.module.policy) {
    PassContext ctx{out.diags, options};
    run_frontend_passes(*out.module.policy, ctx);
  }
  out.diags.sort_by_location();
  return out;
}

} // namespace psl
