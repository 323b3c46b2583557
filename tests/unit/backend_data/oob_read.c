// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Compiles, but the verifier must reject it: the byte after the Ethernet
 * header is read after checking only that the header itself fits.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int oob_read(struct xdp_md *ctx) {
  unsigned char *data = (void *)(long)ctx->data;
  unsigned char *end = (void *)(long)ctx->data_end;

  if (data + ETH_HLEN > end)
    return XDP_PASS;
  /* One byte past the checked range. */
  return data[ETH_HLEN] == 0x45 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
