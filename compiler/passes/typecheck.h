#pragma once

#include <memory>

#include "passes/pass.h"

namespace psl {

std::unique_ptr<Pass> create_typecheck_pass();

} // namespace psl
