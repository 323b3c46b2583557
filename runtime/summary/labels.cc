#include "summary/labels.h"

#include <arpa/inet.h>

#include <cstring>

namespace psr::summary {

namespace {

constexpr const char *kProtoLabels[trace::kProtoCount] = {
    "other",    "ipv4/tcp", "ipv4/udp",  "ipv4/icmp",  "ipv4/other",
    "ipv6/tcp", "ipv6/udp", "ipv6/icmp", "ipv6/other",
};

bool is_v4_mapped(const Address &a) {
  for (int i = 0; i < 10; ++i)
    if (a[i] != 0)
      return false;
  return a[10] == 0xff && a[11] == 0xff;
}

} // namespace

const char *proto_label(trace::Proto proto) {
  auto i = static_cast<size_t>(proto);
  return i < trace::kProtoCount ? kProtoLabels[i] : "other";
}

std::optional<trace::Proto> proto_from_label(std::string_view label) {
  for (size_t i = 0; i < trace::kProtoCount; ++i)
    if (label == kProtoLabels[i])
      return static_cast<trace::Proto>(i);
  return std::nullopt;
}

Address normalize_address(const Address &addr, uint8_t family) {
  if (family != 4 || is_v4_mapped(addr))
    return addr;
  Address out{};
  out[10] = out[11] = 0xff;
  std::memcpy(&out[12], &addr[0], 4);
  return out;
}

std::string format_address(const Address &addr, uint8_t family) {
  char buf[INET6_ADDRSTRLEN] = {};
  Address a = normalize_address(addr, family);
  if (family == 4 || (family != 6 && is_v4_mapped(a))) {
    ::inet_ntop(AF_INET, &a[12], buf, sizeof buf);
  } else {
    ::inet_ntop(AF_INET6, a.data(), buf, sizeof buf);
  }
  return buf;
}

std::optional<Address> parse_address(std::string_view text, uint8_t *family) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN)
    return std::nullopt;
  std::string s(text);
  Address out{};
  unsigned char v4[4];
  if (::inet_pton(AF_INET, s.c_str(), v4) == 1) {
    out[10] = out[11] = 0xff;
    std::memcpy(&out[12], v4, 4);
    if (family)
      *family = 4;
    return out;
  }
  if (::inet_pton(AF_INET6, s.c_str(), out.data()) == 1) {
    if (family)
      *family = is_v4_mapped(out) ? 4 : 6;
    return out;
  }
  return std::nullopt;
}

} // namespace psr::summary
