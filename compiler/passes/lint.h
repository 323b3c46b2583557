#pragma once

#include <memory>

#include "passes/pass.h"

namespace psl {

std::unique_ptr<Pass> create_lint_pass();

} // namespace psl
