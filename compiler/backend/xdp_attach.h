// Attaching a loaded XDP program to a network interface, and swapping it.
//
// PacketScope attaches through a bpf_link pinned on bpffs, one directory per
// interface:
//
//   <pin_root>/<ifname>/link          the XDP link
//   <pin_root>/<ifname>/maps/<name>   the program's maps
//   <pin_root>/<ifname>/staging/      new pins before they move into place
//
// The pin keeps the program attached after the process exits (protection
// survives a daemon restart) and lets the next process find it. A second
// attach() to the same interface does not detach anything: it points the
// pinned link at the new program with one bpf_link_update, so at every
// moment exactly one of the two programs is in force, and any failure
// before that call leaves the old program attached and its pins untouched.
//
// A swap keeps the mode (native or generic) the link was created with;
// XdpAttachment::mode reports the mode in force.
//
// Network namespaces: the interface is looked up, and the link created, in
// the calling thread's network namespace (setns(CLONE_NEWNET) semantics).
// Do not use `ip netns exec` for BPF work: it remounts /sys and so hides
// the bpffs with the pins.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backend/bpf_object.h"
#include "backend/status.h"

namespace psl::backend {

enum class XdpMode {
  Auto,    // native (driver) XDP, else generic if the driver refuses
  Native,  // driver mode only: fail if the driver has no XDP support
  Generic, // skb mode: works on every interface, slower
};
const char *xdp_mode_name(XdpMode mode); // "auto", "native", "generic"

struct XdpAttachOptions {
  XdpMode mode = XdpMode::Auto;
  // Where bpffs is (mounted there if it is not yet).
  std::string bpffs = "/sys/fs/bpf";
  // Must be on the bpffs above.
  std::string pin_root = "/sys/fs/bpf/packetscope";
  // Pin the object's (non-internal) maps under <ifname>/maps after the
  // switch, replacing the previous program's pins.
  bool pin_maps = true;
};

struct XdpAttachment {
  std::string ifname;
  uint32_t ifindex = 0;
  XdpMode mode = XdpMode::Auto; // Native or Generic, as in force
  uint32_t link_id = 0;
  uint32_t prog_id = 0;
  uint32_t replaced_prog_id = 0; // 0: a new link was created
  std::string link_pin;
  std::vector<std::string> pinned_maps; // map names
};

struct XdpStatus {
  std::string ifname;
  bool attached = false; // a PacketScope link is pinned and in force
  uint32_t ifindex = 0;
  std::string link_pin;
  uint32_t link_id = 0;
  XdpMode mode = XdpMode::Auto; // Native or Generic when attached
  ProgramInfo program;
  std::vector<std::string> pinned_maps;
};

class XdpAttacher {
public:
  explicit XdpAttacher(XdpAttachOptions options = {});

  // Attaches `program` of a loaded object (empty: its first program), or
  // switches the interface's pinned link to it.
  Expected<XdpAttachment> attach(const std::string &ifname,
                                 const BpfObject &object,
                                 std::string_view program = {}) const;
  // The same with a program fd; maps are pinned from `maps_from` if given.
  Expected<XdpAttachment> attach_fd(const std::string &ifname, int prog_fd,
                                    const BpfObject *maps_from) const;

  // Detaches PacketScope's program from the interface and removes its
  // pins. Works also after the interface is gone (removes stale pins).
  Status detach(const std::string &ifname) const;

  Expected<XdpStatus> status(const std::string &ifname) const;

  const XdpAttachOptions &options() const { return options_; }
  std::string pin_dir(const std::string &ifname) const;
  std::string link_pin_path(const std::string &ifname) const;
  // Pass this as BpfLoadOptions::reuse_maps_dir to carry map contents
  // (counters, dynamic sets) over to the next program.
  std::string maps_pin_dir(const std::string &ifname) const;

private:
  std::string staging_dir(const std::string &ifname) const;
  Status prepare_pin_dir(const std::string &ifname) const;
  Expected<std::vector<std::string>> pin_maps(const std::string &ifname,
                                              const BpfObject &object) const;

  XdpAttachOptions options_;
};

} // namespace psl::backend
