#include "backend/test_run.h"

#include <cerrno>

#include <bpf/bpf.h>
#include <linux/bpf.h>

namespace psl::backend {

std::string xdp_action_name(uint32_t action) {
  switch (action) {
  case XDP_ABORTED:
    return "XDP_ABORTED";
  case XDP_DROP:
    return "XDP_DROP";
  case XDP_PASS:
    return "XDP_PASS";
  case XDP_TX:
    return "XDP_TX";
  case XDP_REDIRECT:
    return "XDP_REDIRECT";
  }
  return "XDP_" + std::to_string(action);
}

Expected<TestRunResult> test_run_xdp(int prog_fd,
                                     const std::vector<uint8_t> &packet,
                                     const TestRunOptions &options) {
  if (packet.size() < 14)
    return Error{"a test packet needs at least an Ethernet header (14 "
                 "bytes), got " +
                 std::to_string(packet.size())};
  TestRunResult result;
  result.repeat = options.repeat == 0 ? 1 : options.repeat;
  result.data_out.resize(options.data_out_capacity != 0
                             ? options.data_out_capacity
                             : packet.size() + 4096);

  struct xdp_md ctx = {};
  ctx.ingress_ifindex = options.ingress_ifindex;
  ctx.rx_queue_index = options.rx_queue_index;
  const bool with_ctx = options.ingress_ifindex != 0;

  LIBBPF_OPTS(bpf_test_run_opts, run);
  run.data_in = packet.data();
  run.data_size_in = static_cast<__u32>(packet.size());
  run.data_out = result.data_out.data();
  run.data_size_out = static_cast<__u32>(result.data_out.size());
  run.repeat = result.repeat;
  if (with_ctx) {
    run.ctx_in = &ctx;
    run.ctx_size_in = sizeof ctx;
  }
  if (bpf_prog_test_run_opts(prog_fd, &run) != 0) {
    const int err = errno;
    if (err == ENOSPC)
      return Error{"the program's output packet is larger than the " +
                       std::to_string(result.data_out.size()) +
                       " bytes reserved for it",
                   err};
    return errno_error("BPF_PROG_TEST_RUN failed", err);
  }
  result.retval = run.retval;
  result.data_out.resize(run.data_size_out);
  result.duration = std::chrono::nanoseconds(run.duration);
  return result;
}

} // namespace psl::backend
