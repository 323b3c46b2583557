#include "api/listen_address.h"

#include <arpa/inet.h>

#include <algorithm>

#include "api/query.h"

namespace psr::api {

namespace be = psl::backend;

std::string ListenAddress::text() const {
  if (host.find(':') != std::string::npos)
    return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

be::Expected<ListenAddress> parse_listen_address(const std::string &text) {
  std::string host, port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() ||
        text[close + 1] != ':')
      return be::Error("'" + text + "': expected [IPV6]:PORT");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos ||
        text.find(':') != colon) // a bare IPv6 address needs brackets
      return be::Error("'" + text +
                       "': expected HOST:PORT (IPv6 as [ADDR]:PORT)");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  auto n = parse_u64(port);
  if (!n || *n > 65535)
    return be::Error("'" + text +
                     "': the port must be a number from 0 to 65535");
  ListenAddress a;
  a.port = static_cast<uint16_t>(*n);
  if (host == "localhost") {
    a.host = "127.0.0.1";
    a.loopback = true;
    return a;
  }
  unsigned char v4[4];
  unsigned char v6[16];
  if (::inet_pton(AF_INET, host.c_str(), v4) == 1) {
    a.host = host;
    a.loopback = v4[0] == 127;
    return a;
  }
  if (::inet_pton(AF_INET6, host.c_str(), v6) == 1) {
    a.host = host;
    static const unsigned char kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                                0, 0, 0, 0, 0, 0, 0, 1};
    a.loopback = std::equal(v6, v6 + 16, kLoopback);
    return a;
  }
  return be::Error("'" + text + "': '" + host +
                   "' is not an IP address or localhost");
}

} // namespace psr::api
