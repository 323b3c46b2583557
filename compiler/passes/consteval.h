#pragma once

#include <memory>

#include "passes/pass.h"

namespace psl {

std::unique_ptr<Pass> create_consteval_pass();

} // namespace psl
