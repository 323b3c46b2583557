#include "policy/set_values.h"

#include <cstring>
#include <limits>

#include "ast/fields.h"
#include "frontend/literals.h"
#include "psl_dynset.h"

namespace psr::policy {

namespace {

std::vector<uint8_t> int_key(uint64_t v) {
  psl_int_key k{};
  k.value = v;
  const auto *b = reinterpret_cast<const uint8_t *>(&k);
  return std::vector<uint8_t>(b, b + sizeof k);
}

uint64_t int_of(const std::vector<uint8_t> &key) {
  psl_int_key k{};
  std::memcpy(&k, key.data(), std::min(key.size(), sizeof k));
  return k.value;
}

std::string quoted(const std::string &s) { return "'" + s + "'"; }

be::Expected<uint64_t> parse_number(const std::string &text, uint64_t max,
                                    const char *what) {
  psl::frontend::LiteralResult r = psl::frontend::parse_int_literal(text);
  if (!r.ok())
    return be::Error::user(r.error);
  const uint64_t v = std::get<uint64_t>(r.value.v);
  if (v > max)
    return be::Error::user(std::string(what) + " " + quoted(text) +
                           " is out of range (0.." + std::to_string(max) + ")");
  return v;
}

} // namespace

std::optional<SetElem> set_elem_from_name(const std::string &name) {
  for (SetElem e :
       {SetElem::Ip, SetElem::Port, SetElem::Int, SetElem::Mac, SetElem::Proto})
    if (psl::type_kind_name(e) == name)
      return e;
  return std::nullopt;
}

uint32_t set_key_size(SetElem e) {
  return e == SetElem::Ip ? sizeof(psl_ip_key) : sizeof(psl_int_key);
}

be::Expected<std::vector<uint8_t>> encode_set_value(SetElem elem,
                                                    const std::string &text) {
  if (text.empty())
    return be::Error::user("an empty value");
  switch (elem) {
  case SetElem::Ip: {
    psl::frontend::LiteralResult r = psl::frontend::parse_ip_literal(text);
    if (!r.ok())
      return be::Error::user(r.error);
    if (r.kind != psl::TypeKind::Ip)
      return be::Error::user(
          quoted(text) + " is a prefix; a dynamic set holds single addresses");
    const psl::IpAddr &a = std::get<psl::IpAddr>(r.value.v);
    psl_ip_key k{};
    if (a.family == 4) {
      // As the parser stores IPv4 in struct psl_pkt: ::ffff:a.b.c.d.
      k.addr[10] = k.addr[11] = 0xff;
      std::memcpy(k.addr + 12, a.bytes.data(), 4);
    } else {
      std::memcpy(k.addr, a.bytes.data(), 16);
    }
    k.family = a.family;
    const auto *b = reinterpret_cast<const uint8_t *>(&k);
    return std::vector<uint8_t>(b, b + sizeof k);
  }
  case SetElem::Port: {
    be::Expected<uint64_t> v = parse_number(text, 0xffff, "port");
    if (!v)
      return v.error();
    return int_key(*v);
  }
  case SetElem::Int: {
    be::Expected<uint64_t> v =
        parse_number(text, std::numeric_limits<uint64_t>::max(), "integer");
    if (!v)
      return v.error();
    return int_key(*v);
  }
  case SetElem::Mac: {
    psl::frontend::LiteralResult r = psl::frontend::parse_mac_literal(text);
    if (!r.ok())
      return be::Error::user(r.error + " (write it as aa:bb:cc:dd:ee:ff)");
    // Generated code looks a MAC up as psl_mac_u64(): the six bytes as a
    // big-endian number.
    uint64_t v = 0;
    for (uint8_t x : std::get<psl::MacAddr>(r.value.v).bytes)
      v = (v << 8) | x;
    return int_key(v);
  }
  case SetElem::Proto: {
    if (const psl::NamedNumber *n = psl::find_named(psl::proto_names(), text))
      return int_key(n->number);
    std::string number = text;
    if (text.size() > 7 && text.compare(0, 6, "proto(") == 0 &&
        text.back() == ')')
      number = text.substr(6, text.size() - 7);
    else if (text.find_first_not_of("0123456789abcdefABCDEFxX") !=
                 std::string::npos ||
             text.find_first_of("0123456789") != 0) {
      std::string names;
      for (const psl::NamedNumber &n : psl::proto_names())
        names += std::string(names.empty() ? "" : ", ") + n.name;
      return be::Error::user("unknown protocol " + quoted(text) + " (use " +
                             names + ", a number or proto(N))");
    }
    be::Expected<uint64_t> v = parse_number(number, 0xff, "protocol");
    if (!v)
      return v.error();
    return int_key(*v);
  }
  default:
    break;
  }
  // Only a caller that skipped set_elem_from_name() gets here.
  return be::Error::internal("a dynamic set cannot hold " +
                             psl::type_kind_name(elem) + " values");
}

std::string decode_set_key(SetElem elem, const std::vector<uint8_t> &key) {
  switch (elem) {
  case SetElem::Ip: {
    psl_ip_key k{};
    std::memcpy(&k, key.data(), std::min(key.size(), sizeof k));
    psl::IpAddr a;
    a.family = k.family == 4 ? 4 : 6;
    if (a.family == 4)
      std::memcpy(a.bytes.data(), k.addr + 12, 4);
    else
      std::memcpy(a.bytes.data(), k.addr, 16);
    return psl::ip_to_string(a);
  }
  case SetElem::Mac: {
    const uint64_t v = int_of(key);
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x",
                  static_cast<unsigned>((v >> 40) & 0xff),
                  static_cast<unsigned>((v >> 32) & 0xff),
                  static_cast<unsigned>((v >> 24) & 0xff),
                  static_cast<unsigned>((v >> 16) & 0xff),
                  static_cast<unsigned>((v >> 8) & 0xff),
                  static_cast<unsigned>(v & 0xff));
    return buf;
  }
  case SetElem::Proto: {
    const uint64_t v = int_of(key);
    for (const psl::NamedNumber &n : psl::proto_names())
      if (n.number == v)
        return n.name;
    return "proto(" + std::to_string(v) + ")";
  }
  default:
    return std::to_string(int_of(key));
  }
}

be::Expected<SetFilter> SetFilter::parse(SetElem elem,
                                         const std::string &text) {
  SetFilter f;
  if (elem == SetElem::Ip && text.find('/') != std::string::npos) {
    psl::frontend::LiteralResult r = psl::frontend::parse_ip_literal(text);
    if (!r.ok())
      return be::Error::user(r.error);
    const psl::Cidr &c = std::get<psl::Cidr>(r.value.v);
    // Host bits must be zero, as in a policy.
    psl::IpAddr masked = c.addr;
    const unsigned total = c.addr.family == 4 ? 32 : 128;
    for (unsigned bit = c.prefix_len; bit < total; ++bit)
      masked.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
    if (!(masked == c.addr))
      return be::Error::user("prefix " + quoted(text) +
                             " has host bits set (did you mean " +
                             psl::ip_to_string(masked) + "/" +
                             std::to_string(c.prefix_len) + "?)");
    be::Expected<std::vector<uint8_t>> k =
        encode_set_value(elem, psl::ip_to_string(c.addr));
    if (!k)
      return k.error();
    f.key_ = std::move(*k);
    f.prefix_ = true;
    f.prefix_bits_ = c.addr.family == 4 ? 96 + c.prefix_len : c.prefix_len;
    return f;
  }
  be::Expected<std::vector<uint8_t>> k = encode_set_value(elem, text);
  if (!k)
    return k.error();
  f.key_ = std::move(*k);
  return f;
}

bool SetFilter::matches(const std::vector<uint8_t> &key) const {
  if (!prefix_)
    return key == key_;
  // psl_ip_key: the family byte must match, then the leading bits.
  psl_ip_key a{}, b{};
  std::memcpy(&a, key.data(), std::min(key.size(), sizeof a));
  std::memcpy(&b, key_.data(), std::min(key_.size(), sizeof b));
  if (a.family != b.family)
    return false;
  for (unsigned bit = 0; bit < prefix_bits_; ++bit) {
    const uint8_t m = static_cast<uint8_t>(0x80u >> (bit % 8));
    if ((a.addr[bit / 8] & m) != (b.addr[bit / 8] & m))
      return false;
  }
  return true;
}

be::Expected<EntryTtl> parse_entry_ttl(const std::string &text) {
  EntryTtl t;
  if (text == "never") {
    t.never = true;
    return t;
  }
  psl::frontend::LiteralResult r = psl::frontend::parse_duration_literal(text);
  if (!r.ok())
    return be::Error::user(r.error);
  t.ns = std::get<psl::Duration>(r.value.v).ns;
  if (t.ns == 0)
    return be::Error::user(
        "a ttl must be longer than 0 (use 'never' for an entry "
        "that does not expire)");
  return t;
}

be::Expected<uint64_t> expiry_time(uint64_t now, uint64_t ttl_ns) {
  if (ttl_ns == 0)
    return uint64_t{0};
  if (ttl_ns > std::numeric_limits<uint64_t>::max() - now)
    return be::Error::user("a ttl of " +
                           std::to_string(ttl_ns / 1000000000ull) +
                           " s runs past the end of the clock; use 'never'");
  return now + ttl_ns;
}

} // namespace psr::policy
