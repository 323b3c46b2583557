// The address psd's HTTP server listens on: "127.0.0.1:9477",
// "[::1]:9477", "localhost:9477", "0.0.0.0:9477". An IP literal or
// localhost only (no name lookups), so that whether it is loopback is
// known before anything is bound.
#pragma once

#include <cstdint>
#include <string>

#include "backend/status.h"

namespace psr::api {

struct ListenAddress {
  std::string host; // as bound: "127.0.0.1", "::1", "0.0.0.0"
  uint16_t port = 0;
  bool loopback = false;    // 127.0.0.0/8, ::1 or localhost
  std::string text() const; // "127.0.0.1:9477", "[::1]:9477"
};

// Errors name what was wrong: "expected HOST:PORT", "port 70000 is out of
// range", "'example.org' is not an IP address or localhost".
psl::backend::Expected<ListenAddress>
parse_listen_address(const std::string &text);

} // namespace psr::api
