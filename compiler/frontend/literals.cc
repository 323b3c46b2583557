#include "frontend/literals.h"

#include <cctype>
#include <limits>

namespace psl::frontend {
namespace {

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// a * b, nullopt on overflow.
std::optional<uint64_t> mul(uint64_t a, uint64_t b) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a)
    return std::nullopt;
  return a * b;
}

} // namespace

std::optional<uint64_t> parse_unsigned(std::string_view digits, int base) {
  if (digits.empty())
    return std::nullopt;
  uint64_t v = 0;
  for (char c : digits) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (base == 16 && c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (base == 16 && c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return std::nullopt;
    auto scaled = mul(v, static_cast<uint64_t>(base));
    if (!scaled || *scaled > std::numeric_limits<uint64_t>::max() - d)
      return std::nullopt;
    v = *scaled + static_cast<uint64_t>(d);
  }
  return v;
}

LiteralResult parse_int_literal(std::string_view text) {
  bool hex =
      text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  auto v = parse_unsigned(hex ? text.substr(2) : text, hex ? 16 : 10);
  if (!v) {
    // The lexer hands over well-formed digits, so this is an overflow
    // unless the text came from elsewhere.
    std::string_view digits = hex ? text.substr(2) : text;
    bool well_formed = !digits.empty();
    for (char c : digits)
      if (!(hex ? std::isxdigit(static_cast<unsigned char>(c))
                : std::isdigit(static_cast<unsigned char>(c))))
        well_formed = false;
    if (well_formed)
      return LiteralResult::fail(
          "integer " + quoted(text) +
          " is too large (the largest is 18446744073709551615)");
    return LiteralResult::fail("invalid integer " + quoted(text));
  }
  return LiteralResult::of(TypeKind::Int, Value{*v});
}

LiteralResult parse_ip_literal(std::string_view text) {
  std::string_view addr_text = text;
  std::optional<std::string_view> prefix_text;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    addr_text = text.substr(0, slash);
    prefix_text = text.substr(slash + 1);
  }
  bool v6 = addr_text.find(':') != std::string_view::npos;
  auto addr = parse_ip(std::string(addr_text));
  if (!addr)
    return LiteralResult::fail(
        std::string(v6 ? "invalid IPv6 address " : "invalid IPv4 address ") +
        quoted(addr_text));
  if (!prefix_text)
    return LiteralResult::of(TypeKind::Ip, Value{*addr});
  unsigned max_len = addr->family == 6 ? 128 : 32;
  auto len = parse_unsigned(*prefix_text, 10);
  if (!len || *len > max_len)
    return LiteralResult::fail("prefix length " + quoted(*prefix_text) +
                               " is out of range for an " +
                               (addr->family == 6 ? "IPv6" : "IPv4") +
                               " address (0.." + std::to_string(max_len) + ")");
  Cidr c;
  c.addr = *addr;
  c.prefix_len = static_cast<uint8_t>(*len);
  return LiteralResult::of(TypeKind::Cidr, Value{c});
}

LiteralResult parse_mac_literal(std::string_view text) {
  auto mac = parse_mac(std::string(text));
  if (!mac)
    return LiteralResult::fail("invalid MAC address " + quoted(text));
  return LiteralResult::of(TypeKind::Mac, Value{*mac});
}

LiteralResult parse_duration_literal(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
    ++i;
  std::string_view digits = text.substr(0, i), unit = text.substr(i);
  if (digits.empty())
    return LiteralResult::fail("invalid duration " + quoted(text));
  if (unit.empty())
    return LiteralResult::fail("duration " + quoted(text) +
                               " needs a unit (ms, s, m or h), e.g. '" +
                               std::string(text) + "s'");
  uint64_t scale;
  if (unit == "ms")
    scale = 1000000ull;
  else if (unit == "s")
    scale = 1000000000ull;
  else if (unit == "m")
    scale = 60ull * 1000000000ull;
  else if (unit == "h")
    scale = 3600ull * 1000000000ull;
  else
    return LiteralResult::fail("unknown duration unit " + quoted(unit) +
                               " in " + quoted(text) + " (use ms, s, m or h)");
  auto n = parse_unsigned(digits, 10);
  std::optional<uint64_t> ns = n ? mul(*n, scale) : std::nullopt;
  if (!ns)
    return LiteralResult::fail("duration " + quoted(text) + " is too long");
  return LiteralResult::of(TypeKind::Duration, Value{Duration{*ns}});
}

LiteralResult parse_rate_literal(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
    ++i;
  std::string_view digits = text.substr(0, i), rest = text.substr(i);
  if (rest.size() < 2 || rest.substr(rest.size() - 2) != "/s" || digits.empty())
    return LiteralResult::fail("invalid rate " + quoted(text));
  rest.remove_suffix(2);
  uint64_t scale = 1;
  if (!rest.empty() && (rest[0] == 'k' || rest[0] == 'M' || rest[0] == 'G')) {
    scale = rest[0] == 'k'   ? 1000ull
            : rest[0] == 'M' ? 1000000ull
                             : 1000000000ull;
    rest.remove_prefix(1);
  }
  RateValue r;
  if (rest == "bit")
    r.unit = RateValue::Unit::Bits;
  else if (rest.empty())
    r.unit = RateValue::Unit::Packets;
  else
    return LiteralResult::fail("invalid rate " + quoted(text));
  auto n = parse_unsigned(digits, 10);
  std::optional<uint64_t> v = n ? mul(*n, scale) : std::nullopt;
  if (!v)
    return LiteralResult::fail("rate " + quoted(text) + " is too large");
  r.per_second = *v;
  return LiteralResult::of(TypeKind::Rate, Value{r});
}

std::string unescape_string(std::string_view body, std::string *error) {
  std::string out;
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\' || i + 1 == body.size()) {
      out += c;
      continue;
    }
    char e = body[++i];
    switch (e) {
    case '"':
      out += '"';
      break;
    case '\\':
      out += '\\';
      break;
    case 'n':
      out += '\n';
      break;
    case 't':
      out += '\t';
      break;
    case 'r':
      out += '\r';
      break;
    default:
      if (error && error->empty())
        *error = std::string("unknown escape sequence '\\") + e +
                 "' in string (use \\\", \\\\, \\n, \\t or \\r)";
      out += '\\';
      out += e;
    }
  }
  return out;
}

std::string describe_bad_number(std::string_view text) {
  std::string q = quoted(text);
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    return "invalid hexadecimal number " + q;
  if (text.find('/') != std::string_view::npos)
    return "invalid rate " + q +
           " (write N/s, Nk/s, NM/s or NG/s for packets, Nbit/s, Nkbit/s, "
           "NMbit/s or NGbit/s for bits)";
  if (text.find('.') != std::string_view::npos) {
    bool dotted_digits = true;
    for (char c : text)
      if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.')
        dotted_digits = false;
    if (dotted_digits)
      return "invalid IPv4 address " + q +
             " (an address has four parts: a.b.c.d)";
    return "invalid literal " + q;
  }
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
    ++i;
  std::string_view suffix = text.substr(i);
  bool letters = !suffix.empty();
  for (char c : suffix)
    if (!std::isalpha(static_cast<unsigned char>(c)))
      letters = false;
  if (letters)
    return "unknown unit " + quoted(suffix) + " in " + q +
           " (durations use ms, s, m or h; rates end in '/s')";
  return "invalid literal " + q;
}

} // namespace psl::frontend
