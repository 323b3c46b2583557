#include "trace/hooks.h"

#include <bpf/btf.h>

#include "pso_abi.h"

namespace psr::trace {

const std::vector<HookSpec> &stack_hooks() {
  static const std::vector<HookSpec> hooks = {
      {PSO_HOOK_NETIF_RECEIVE_SKB, "net:netif_receive_skb", "netif_receive_skb",
       1},
      {PSO_HOOK_KFREE_SKB, "skb:kfree_skb", "kfree_skb", 3},
      {PSO_HOOK_CONSUME_SKB, "skb:consume_skb", "consume_skb", 1},
      {PSO_HOOK_INET_SOCK_SET_STATE, "sock:inet_sock_set_state",
       "inet_sock_set_state", 3},
      {PSO_HOOK_TCP_RETRANSMIT_SKB, "tcp:tcp_retransmit_skb",
       "tcp_retransmit_skb", 1},
      {PSO_HOOK_TCP_SEND_RESET, "tcp:tcp_send_reset", "tcp_send_reset", 2},
      {PSO_HOOK_TCP_RECEIVE_RESET, "tcp:tcp_receive_reset", "tcp_receive_reset",
       1},
      {PSO_HOOK_SOCK_RCVQUEUE_FULL, "sock:sock_rcvqueue_full",
       "sock_rcvqueue_full", 1},
      // (int rc, struct sock *sk, ...) since 6.0; before, (int rc, sk).
      {PSO_HOOK_UDP_FAIL_QUEUE_RCV_SKB, "udp:udp_fail_queue_rcv_skb",
       "udp_fail_queue_rcv_skb", 2},
      {PSO_HOOK_ICMP_SEND, "icmp:icmp_send", "icmp_send", 3},
      {PSO_HOOK_NET_DEV_XMIT, "net:net_dev_xmit", "net_dev_xmit", 3},
  };
  return hooks;
}

const char *hook_name(uint32_t id) {
  if (id == PSO_HOOK_XDP)
    return "xdp";
  for (const auto &h : stack_hooks())
    if (h.id == id)
      return h.name;
  return "unknown";
}

const HookSpec *find_hook(const std::string &name) {
  for (const auto &h : stack_hooks())
    if (name == h.name || name == h.tracepoint)
      return &h;
  return nullptr;
}

const char *attach_kind_name(AttachKind k) {
  switch (k) {
  case AttachKind::TpBtf:
    return "tp_btf";
  case AttachKind::RawTp:
    return "raw_tp";
  case AttachKind::Missing:
    break;
  }
  return "";
}

TracepointBtf tracepoint_in_btf(const struct btf *vmlinux,
                                const std::string &tracepoint) {
  TracepointBtf out;
  if (vmlinux == nullptr)
    return out;
  const std::string name = "btf_trace_" + tracepoint;
  const int id =
      btf__find_by_name_kind(vmlinux, name.c_str(), BTF_KIND_TYPEDEF);
  if (id < 0)
    return out;
  // typedef -> pointer -> function prototype (void *, args...)
  const struct btf_type *t = btf__type_by_id(vmlinux, id);
  if (t != nullptr)
    t = btf__type_by_id(vmlinux, t->type);
  if (t != nullptr && btf_is_ptr(t))
    t = btf__type_by_id(vmlinux, t->type);
  if (t == nullptr || !btf_is_func_proto(t))
    return out;
  out.found = true;
  out.args = btf_vlen(t) > 0 ? btf_vlen(t) - 1 : 0;
  return out;
}

} // namespace psr::trace
