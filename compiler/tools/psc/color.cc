#include <cstdlib>
#include <cstring>

#include <unistd.h>

#include "commands.h"

namespace psc {

bool use_color(ColorMode mode, int fd) {
  switch (mode) {
  case ColorMode::Always:
    return true;
  case ColorMode::Never:
    return false;
  case ColorMode::Auto:
    break;
  }
  // https://no-color.org: any non-empty NO_COLOR turns colour off.
  const char *no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color)
    return false;
  const char *term = std::getenv("TERM");
  if (term && std::strcmp(term, "dumb") == 0)
    return false;
  return ::isatty(fd) == 1;
}

} // namespace psc
