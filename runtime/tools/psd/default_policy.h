// The bytes of policies/default.psl, embedded when psd is built
// (psc_embed_object in CMakeLists.txt).
#pragma once

#include "backend/static_link.h"

namespace psl::backend {
ObjectBytes psd_default_policy_bytes();
} // namespace psl::backend
