#include "backend/bpf_features.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/if_link.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backend/bpf_object.h"

namespace psl::backend {
namespace {

// The kernel-internal ENOTSUPP leaks out of some bpf() paths.
constexpr int kKernelENOTSUPP = 524;

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

// r0 = XDP_PASS; exit
const struct bpf_insn kPassProgram[] = {
    {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_PASS},
    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
};
// r0 = XDP_PASS; if w0 == 0 goto +0 (a JMP32 instruction); exit
const struct bpf_insn kJmp32Program[] = {
    {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_PASS},
    {BPF_JMP32 | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, 0},
    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
};

template <size_t N>
UniqueFd load_xdp(const struct bpf_insn (&insns)[N], const char *name) {
  return UniqueFd(
      bpf_prog_load(BPF_PROG_TYPE_XDP, name, "GPL", insns, N, nullptr));
}

FeatureProbe yes() { return FeatureProbe{true, {}}; }
FeatureProbe no(std::string reason) {
  return FeatureProbe{false, std::move(reason)};
}

bool ip_tool_found() {
  const char *path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  dirs += ":/usr/sbin:/sbin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos)
      end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/ip";
    if (end > start && ::access(candidate.c_str(), X_OK) == 0)
      return true;
    start = end + 1;
  }
  return false;
}

// In a thread of its own, so the namespace switch cannot leak into the
// caller: a fresh network namespace has only `lo` (ifindex 1), and
// disappears when the thread ends.
//
// XDP links are probed by asking for one in driver mode on `lo`, which has
// no native XDP: a kernel with XDP links (5.9+, which brought
// bpf_link_update for them in the same release) gets as far as the driver
// and answers EOPNOTSUPP; one without rejects the attach type with EINVAL.
// Nothing is attached. Attaching for real (generic mode) and swapping the
// program would prove the same but flips the kernel's generic-XDP static
// key twice, about 30 ms that every `psc load` would wait for.
void probe_in_private_netns(int prog_fd, FeatureProbe &link,
                            FeatureProbe &netns) {
  std::thread worker([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      const int err = errno;
      netns = no(std::string("cannot create a network namespace: ") +
                 std::strerror(err));
      link = no("cannot probe XDP links without a private network "
                "namespace: " +
                std::string(std::strerror(err)));
      return;
    }
    netns = ip_tool_found() ? yes()
                            : no("the 'ip' tool (iproute2) is not installed");
    LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = XDP_FLAGS_DRV_MODE);
    UniqueFd link_fd(bpf_link_create(prog_fd, 1, BPF_XDP, &opts));
    const int err = link_fd ? 0 : errno;
    if (link_fd || err == EOPNOTSUPP)
      link = yes();
    else if (err == EINVAL || err == kKernelENOTSUPP)
      link = no("this kernel does not support XDP links (needs Linux 5.9 "
                "or later)");
    else
      link = no(std::string("cannot attach XDP through a link: ") +
                std::strerror(err));
  });
  worker.join();
}

} // namespace

Privileges current_privileges() {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  Privileges p;
  if (::syscall(SYS_capget, &header, data) != 0)
    return p;
  auto has = [&](int cap) {
    return (data[cap / 32].effective & (1u << (cap % 32))) != 0;
  };
  p.cap_sys_admin = has(CAP_SYS_ADMIN);
  p.cap_bpf = has(CAP_BPF);
  p.cap_perfmon = has(CAP_PERFMON);
  p.cap_net_admin = has(CAP_NET_ADMIN);
  return p;
}

BpfFeatures probe_bpf_features() {
  install_libbpf_log_capture();
  BpfFeatures f;
  const std::string skipped = "skipped: BPF programs cannot be loaded";
  f.xdp_test_run = f.xdp_link = f.jmp32 = no(skipped);
  f.netns = no("skipped: needs CAP_SYS_ADMIN");

  const Privileges privileges = current_privileges();
  if (!privileges.can_load_bpf()) {
    f.load = no("loading BPF programs needs root, or CAP_BPF with "
                "CAP_PERFMON and CAP_NET_ADMIN");
    return f;
  }
  UniqueFd prog = load_xdp(kPassProgram, "psc_probe");
  if (!prog) {
    const int err = errno;
    if (err == EPERM)
      f.load = no("the kernel refused to load a BPF program (permission "
                  "denied: a LSM or sysctl may forbid BPF here)");
    else if (err == ENOSYS)
      f.load = no("this kernel has no bpf() system call");
    else
      f.load =
          no(std::string("cannot load an XDP program: ") + std::strerror(err));
    return f;
  }
  f.load = yes();

  std::vector<uint8_t> packet(64, 0);
  packet[12] = 0x08; // IPv4 EtherType, not that it matters
  LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = packet.data(),
              .data_size_in = static_cast<__u32>(packet.size()), .repeat = 1);
  if (bpf_prog_test_run_opts(prog.get(), &run) == 0 && run.retval == XDP_PASS)
    f.xdp_test_run = yes();
  else
    f.xdp_test_run = no(std::string("BPF_PROG_TEST_RUN does not run XDP "
                                    "programs here: ") +
                        std::strerror(errno));

  f.jmp32 = load_xdp(kJmp32Program, "psc_probe_j32")
                ? yes()
                : no("this kernel does not take JMP32 instructions (-mcpu=v3 "
                     "needs Linux 5.1)");

  if (!privileges.cap_net_admin || !privileges.cap_sys_admin) {
    f.xdp_link = no("attaching XDP needs CAP_NET_ADMIN");
    f.netns = no("network namespaces need CAP_SYS_ADMIN");
  } else {
    probe_in_private_netns(prog.get(), f.xdp_link, f.netns);
  }
  return f;
}

const BpfFeatures &bpf_features() {
  static const BpfFeatures features = probe_bpf_features();
  return features;
}

} // namespace psl::backend
