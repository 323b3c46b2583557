#include "trace/drop_reasons.h"

#include <bpf/btf.h>

#include <cerrno>

#include "backend/bpf_object.h"

namespace psr::trace {

namespace {

bool starts_with(const std::string &s, const char *prefix) {
  return s.rfind(prefix, 0) == 0;
}

} // namespace

std::string drop_reason_layer(const std::string &n) {
  if (starts_with(n, "TCP_"))
    return "tcp";
  if (starts_with(n, "UDP_"))
    return "udp";
  if (starts_with(n, "ICMP"))
    return "icmp";
  if (n == "NO_SOCKET" || starts_with(n, "SOCKET_") || n == "PROTO_MEM" ||
      starts_with(n, "UNIX_") || n == "PACKET_SOCK_ERROR")
    return "socket";
  if (starts_with(n, "NETFILTER"))
    return "netfilter";
  if (n == "XDP")
    return "xdp";
  if (starts_with(n, "IP_") || starts_with(n, "IPV6") || n == "OTHERHOST" ||
      n == "PKT_TOO_SMALL" || n == "PKT_TOO_BIG" || n == "DUP_FRAG" ||
      starts_with(n, "FRAG_") || starts_with(n, "XFRM_") ||
      n == "UNICAST_IN_L2_MULTICAST")
    return "ip";
  return "core";
}

psl::backend::Expected<DropReasons>
DropReasons::load(const std::string &btf_path) {
  psl::backend::install_libbpf_log_capture();
  std::string log;
  psl::backend::LibbpfLogCapture capture(&log);
  struct btf *btf = btf_path.empty() ? btf__load_vmlinux_btf()
                                     : btf__parse(btf_path.c_str(), nullptr);
  if (btf == nullptr)
    return psl::backend::Error(
        "cannot read the kernel's BTF" +
            (btf_path.empty() ? std::string() : " from " + btf_path) +
            ": drop reasons are named from `enum skb_drop_reason` there",
        errno, log);
  DropReasons out;
  const int id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
  if (id < 0) {
    btf__free(btf);
    return psl::backend::Error(
        "the kernel's BTF has no enum skb_drop_reason (kernel older than "
        "5.17?): drop reasons cannot be named");
  }
  const struct btf_type *t = btf__type_by_id(btf, id);
  const struct btf_enum *e = btf_enum(t);
  for (int i = 0; i < btf_vlen(t); ++i) {
    std::string name = btf__name_by_offset(btf, e[i].name_off);
    for (const char *prefix : {"SKB_DROP_REASON_", "SKB_"})
      if (starts_with(name, prefix)) {
        name = name.substr(std::string(prefix).size());
        break;
      }
    out.names_.emplace(static_cast<uint32_t>(e[i].val), name);
  }
  btf__free(btf);
  return out;
}

DropReasons DropReasons::from(std::map<uint32_t, std::string> names) {
  DropReasons d;
  d.names_ = std::move(names);
  return d;
}

std::string DropReasons::name(uint32_t reason) const {
  auto it = names_.find(reason);
  if (it != names_.end())
    return it->second;
  return "UNKNOWN_" + std::to_string(reason);
}

} // namespace psr::trace
