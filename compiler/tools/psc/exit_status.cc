#include "commands.h"

namespace psc {

int exit_status(psl::backend::ErrorKind kind) {
  switch (kind) {
  case psl::backend::ErrorKind::User:
    return kExitFindings;
  case psl::backend::ErrorKind::Environment:
    return kExitEnvironment;
  case psl::backend::ErrorKind::Internal:
    return kExitInternal;
  }
  return kExitInternal;
}

} // namespace psc
