#include "commands.h"

#ifndef PSC_VERSION
#define PSC_VERSION "0.0.0"
#endif
#ifndef PSC_INFORMATION_URI
#define PSC_INFORMATION_URI ""
#endif

namespace psc {
const char *const kVersion = PSC_VERSION;
const char *const kInformationUri = PSC_INFORMATION_URI;
} // namespace psc
