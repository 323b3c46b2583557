// The floor of packet_bench: an XDP program that drops every packet without
// reading it. What BPF_PROG_TEST_RUN costs per packet on this machine
// before any filtering.
#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_drop(struct xdp_md *ctx) {
  (void)ctx;
  return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
