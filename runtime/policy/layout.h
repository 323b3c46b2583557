// Where the policy runtime keeps what must outlive a process: the pins on
// bpffs and the state files, one directory per target. psc and psd use the
// same layout, so each sees what the other put in force.
//
// A target is a network interface *in a network namespace*: bpffs is one
// for the whole host, while interface names are per namespace, so two
// namespaces may each have an `eth0`. Everything is keyed by both:
//
//   <pin root>/<netns>/<ifname>/link        the pinned XDP link
//                               maps/NAME   the maps of the program in force
//                               staging/    pins on their way into place
//   <state root>/<netns>/<ifname>/lock      serializes changes (flock)
//                               prog-ID/    the state of program ID
//
// <netns> is `net-<inode>`, the inode of the namespace's nsfs file
// (/proc/PID/ns/net, what `lsns -t net` and `ls -l /proc/PID/ns/net`
// show): stable while the namespace lives. The kernel may give the number
// to a new namespace once the old one is gone, so the state also records
// the namespace's cookie (SO_NETNS_COOKIE, never reused while the machine
// runs) and state whose cookie differs is treated as left over.
//
// The pin root is /sys/fs/bpf/packetscope and the state root
// /run/packetscope unless PSC_PIN_ROOT / PSC_STATE_DIR say otherwise (tests,
// several instances).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backend/status.h"
#include "backend/xdp_attach.h"

namespace psr::policy {

namespace be = psl::backend;

// The identity of a network namespace.
struct NetnsId {
  uint64_t inode = 0;  // of its nsfs file
  uint64_t cookie = 0; // SO_NETNS_COOKIE; 0 when the kernel has none
  std::string name() const { return "net-" + std::to_string(inode); }
};

// The namespace the calling thread is in (setns(2) changes it per thread).
be::Expected<NetnsId> current_netns();

// Whether a namespace named `net-<inode>` still exists, as far as this
// process can see: some process is in it or a file under /var/run/netns
// (ip netns) holds it. A namespace kept alive only by an open descriptor
// is not found.
bool netns_alive(const std::string &netns);

// "eth0" and "net-4026531840": an interface in a network namespace.
struct Target {
  std::string netns;
  std::string ifname;

  // The interface `ifname` in the calling thread's namespace. Refuses a
  // name that cannot be an interface's; does not require it to exist.
  static be::Expected<Target> in_current_netns(const std::string &ifname);
  // "eth0 (net-4026531840)"
  std::string display() const { return ifname + " (" + netns + ")"; }
  bool operator==(const Target &o) const {
    return netns == o.netns && ifname == o.ifname;
  }
  bool operator<(const Target &o) const {
    return netns != o.netns ? netns < o.netns : ifname < o.ifname;
  }
};

// An interface name the kernel could have (IFNAMSIZ, no '/' or spaces).
// A name that cannot be is the user's error (code EINVAL).
be::Status check_ifname(const std::string &ifname);

// Whether `t` can be acted on at all, as far as the calling thread can
// tell: in its own namespace, the interface must exist (else an error with
// code ENODEV); another namespace must still exist (else ENOENT). Both
// are the environment's errors: nothing in the request is wrong, the
// machine does not have it.
be::Status target_exists(const Target &t);
// "interface 'eth0' does not exist in this network namespace (net-...)":
// the environment's error, code ENODEV.
be::Error no_such_interface(const Target &t);
// "net-<digits>".
bool valid_netns_name(const std::string &netns);

struct StateLayout {
  std::string pin_root = "/sys/fs/bpf/packetscope";
  std::string state_root = "/run/packetscope";
  std::string bpffs = "/sys/fs/bpf"; // mounted there when it is not yet

  // The defaults, with PSC_PIN_ROOT and PSC_STATE_DIR when set.
  static StateLayout from_environment();

  std::string netns_pin_dir(const std::string &netns) const;
  std::string pin_dir(const Target &t) const;
  std::string link_pin(const Target &t) const;
  std::string maps_dir(const Target &t) const;
  std::string netns_state_dir(const std::string &netns) const;
  std::string state_dir(const Target &t) const;
  std::string lock_file(const Target &t) const;
  std::string program_dir(const Target &t, uint32_t prog_id) const;

  // The XdpAttacher of `t`'s namespace: its pin root is the namespace's
  // directory, so it keeps <ifname>/link and <ifname>/maps there.
  be::XdpAttacher attacher(const Target &t,
                           be::XdpMode mode = be::XdpMode::Auto) const;

  // Namespaces with pins or state, sorted.
  std::vector<std::string> namespaces() const;
  // Targets with pins or state in `netns`, sorted by interface name.
  std::vector<Target> targets(const std::string &netns) const;
};

} // namespace psr::policy
