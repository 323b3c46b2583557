#include "backend/xdp_attach.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "backend/bpf_features.h"

namespace psl::backend {
namespace {

bool path_exists(const std::string &path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool on_bpffs(const std::string &path) {
  struct statfs fs;
  return ::statfs(path.c_str(), &fs) == 0 &&
         static_cast<unsigned long>(fs.f_type) == BPF_FS_MAGIC;
}

Status make_dirs(const std::string &path, mode_t mode) {
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty())
      continue;
    if (::mkdir(partial.c_str(), mode) != 0 && errno != EEXIST)
      return errno_error("cannot create directory '" + partial + "'", errno);
  }
  return Status::success();
}

std::vector<std::string> list_dir(const std::string &path) {
  std::vector<std::string> names;
  DIR *dir = ::opendir(path.c_str());
  if (dir == nullptr)
    return names;
  while (struct dirent *entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..")
      names.push_back(std::move(name));
  }
  ::closedir(dir);
  return names;
}

Status check_ifname(const std::string &ifname) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ || ifname == "." ||
      ifname == ".." || ifname.find('/') != std::string::npos ||
      ifname.find_first_of(" \t\n:") != std::string::npos)
    return Error{"'" + ifname + "' is not a valid interface name", EINVAL};
  return Status::success();
}

Expected<uint32_t> interface_index(const std::string &ifname) {
  if (Status s = check_ifname(ifname); !s.ok())
    return s.error();
  const unsigned index = ::if_nametoindex(ifname.c_str());
  if (index == 0)
    return Error{"interface '" + ifname + "' not found", ENODEV};
  return static_cast<uint32_t>(index);
}

Status check_privileges(const std::string &ifname) {
  const Privileges p = current_privileges();
  if (!p.can_load_bpf() || !p.cap_net_admin)
    return Error{"attaching XDP to '" + ifname +
                     "' needs root (CAP_BPF and CAP_NET_ADMIN)",
                 EPERM};
  return Status::success();
}

// The XDP mode the kernel reports for the interface.
XdpMode attached_mode(uint32_t ifindex) {
  LIBBPF_OPTS(bpf_xdp_query_opts, query);
  if (bpf_xdp_query(static_cast<int>(ifindex), 0, &query) != 0)
    return XdpMode::Auto;
  switch (query.attach_mode) {
  case XDP_ATTACHED_DRV:
    return XdpMode::Native;
  case XDP_ATTACHED_SKB:
    return XdpMode::Generic;
  default:
    return XdpMode::Auto;
  }
}

uint32_t foreign_prog_id(uint32_t ifindex) {
  LIBBPF_OPTS(bpf_xdp_query_opts, query);
  if (bpf_xdp_query(static_cast<int>(ifindex), 0, &query) != 0)
    return 0;
  return query.prog_id;
}

// The link pinned at `pin` (which exists).
Expected<UniqueFd> open_pinned_link(const std::string &pin) {
  UniqueFd fd(bpf_obj_get(pin.c_str()));
  if (!fd)
    return errno_error("cannot open the pinned link '" + pin + "'", errno);
  return fd;
}

Expected<LinkInfo> link_info_of_fd(int fd) {
  struct bpf_link_info info;
  std::memset(&info, 0, sizeof info);
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
    return errno_error("cannot read link info", errno);
  LinkInfo out;
  out.id = info.id;
  out.type = info.type;
  out.prog_id = info.prog_id;
  if (info.type == BPF_LINK_TYPE_XDP)
    out.xdp_ifindex = info.xdp.ifindex;
  return out;
}

// Creates an XDP link in the requested mode. Auto tries the driver first.
Expected<UniqueFd> create_xdp_link(const std::string &ifname, uint32_t ifindex,
                                   int prog_fd, XdpMode mode) {
  std::vector<uint32_t> attempts;
  if (mode != XdpMode::Generic)
    attempts.push_back(XDP_FLAGS_DRV_MODE);
  if (mode != XdpMode::Native)
    attempts.push_back(XDP_FLAGS_SKB_MODE);
  int err = 0;
  for (uint32_t flags : attempts) {
    LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
    int fd =
        bpf_link_create(prog_fd, static_cast<int>(ifindex), BPF_XDP, &opts);
    if (fd >= 0)
      return UniqueFd(fd);
    err = errno;
    if (err == EBUSY || err == EEXIST) {
      const uint32_t other = foreign_prog_id(ifindex);
      return Error{"interface '" + ifname +
                       "' already has an XDP program attached outside "
                       "PacketScope" +
                       (other ? " (program id " + std::to_string(other) + ")"
                              : std::string()) +
                       "; remove it first (ip link set dev " + ifname +
                       " xdp off)",
                   err};
    }
    if (err == EPERM || err == EACCES)
      return Error{"attaching XDP to '" + ifname +
                       "' was refused: permission denied (needs root, "
                       "CAP_BPF and CAP_NET_ADMIN)",
                   err};
    // Anything else with driver mode: the driver may simply not do XDP;
    // Auto goes on to generic mode.
  }
  if (mode == XdpMode::Native && (err == EOPNOTSUPP || err == EINVAL))
    return Error{"the driver of '" + ifname +
                     "' does not support native XDP; use generic mode",
                 err};
  if (err == EINVAL || err == EOPNOTSUPP || err == 524 /* ENOTSUPP */)
    return Error{"this kernel does not support attaching XDP through a "
                 "bpf_link (needs Linux 5.9 or later)",
                 err};
  return errno_error("cannot attach XDP to '" + ifname + "'", err);
}

// Pins under `staging` and renames into place: a reader of `path` sees the
// old object or the new one, never none. (bpffs forbids dots in names, so
// the staging pin lives in a directory of its own.)
Status pin_atomically(int fd, const std::string &staging,
                      const std::string &path) {
  const std::string tmp = staging + path.substr(path.rfind('/'));
  ::unlink(tmp.c_str());
  if (bpf_obj_pin(fd, tmp.c_str()) != 0)
    return errno_error("cannot pin '" + tmp + "'", errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return errno_error("cannot move pin to '" + path + "'", err);
  }
  return Status::success();
}

} // namespace

const char *xdp_mode_name(XdpMode mode) {
  switch (mode) {
  case XdpMode::Auto:
    return "auto";
  case XdpMode::Native:
    return "native";
  case XdpMode::Generic:
    return "generic";
  }
  return "auto";
}

XdpAttacher::XdpAttacher(XdpAttachOptions options)
    : options_(std::move(options)) {
  install_libbpf_log_capture();
}

std::string XdpAttacher::pin_dir(const std::string &ifname) const {
  return options_.pin_root + "/" + ifname;
}
std::string XdpAttacher::link_pin_path(const std::string &ifname) const {
  return pin_dir(ifname) + "/link";
}
std::string XdpAttacher::maps_pin_dir(const std::string &ifname) const {
  return pin_dir(ifname) + "/maps";
}
std::string XdpAttacher::staging_dir(const std::string &ifname) const {
  return pin_dir(ifname) + "/staging";
}

Status XdpAttacher::prepare_pin_dir(const std::string &ifname) const {
  if (!on_bpffs(options_.bpffs)) {
    if (Status s = make_dirs(options_.bpffs, 0755); !s.ok())
      return s;
    if (::mount("bpf", options_.bpffs.c_str(), "bpf", 0, "mode=0700") != 0) {
      const int err = errno;
      return Error{"bpffs is not mounted at '" + options_.bpffs +
                       "' and mounting it failed: " + std::strerror(err) +
                       " (mount it with: mount -t bpf bpf " + options_.bpffs +
                       ")",
                   err};
    }
  }
  if (Status s = make_dirs(maps_pin_dir(ifname), 0700); !s.ok())
    return s;
  if (Status s = make_dirs(staging_dir(ifname), 0700); !s.ok())
    return s;
  if (!on_bpffs(pin_dir(ifname)))
    return Error{"pin directory '" + pin_dir(ifname) +
                     "' is not on a bpffs mount",
                 EXDEV};
  return Status::success();
}

Expected<std::vector<std::string>>
XdpAttacher::pin_maps(const std::string &ifname,
                      const BpfObject &object) const {
  std::vector<std::string> pinned;
  const std::string dir = maps_pin_dir(ifname);
  struct bpf_map *map = nullptr;
  bpf_object__for_each_map(map, object.get()) {
    if (bpf_map__is_internal(map))
      continue;
    const std::string name = bpf_map__name(map);
    if (Status s = pin_atomically(bpf_map__fd(map), staging_dir(ifname),
                                  dir + "/" + name);
        !s.ok())
      return s.error();
    pinned.push_back(name);
  }
  // Pins of the previous program's maps that the new one does not have.
  for (const std::string &name : list_dir(dir)) {
    bool current = false;
    for (const std::string &p : pinned)
      current = current || p == name;
    if (!current)
      ::unlink((dir + "/" + name).c_str());
  }
  return pinned;
}

Expected<XdpAttachment> XdpAttacher::attach(const std::string &ifname,
                                            const BpfObject &object,
                                            std::string_view program) const {
  if (!object.loaded())
    return Error{"BPF object '" + object.name() + "' is not loaded"};
  const int prog_fd = object.program_fd(program);
  if (prog_fd < 0)
    return Error{"BPF object '" + object.name() + "' has no program '" +
                 std::string(program) + "'"};
  return attach_fd(ifname, prog_fd, &object);
}

Expected<XdpAttachment>
XdpAttacher::attach_fd(const std::string &ifname, int prog_fd,
                       const BpfObject *maps_from) const {
  std::string log;
  LibbpfLogCapture capture(&log);
  if (Status s = check_privileges(ifname); !s.ok())
    return s.error();
  Expected<uint32_t> ifindex = interface_index(ifname);
  if (!ifindex)
    return ifindex.error();
  if (Status s = prepare_pin_dir(ifname); !s.ok())
    return s.error();

  XdpAttachment out;
  out.ifname = ifname;
  out.ifindex = *ifindex;
  out.link_pin = link_pin_path(ifname);

  UniqueFd link_fd;
  if (path_exists(out.link_pin)) {
    Expected<UniqueFd> pinned = open_pinned_link(out.link_pin);
    if (!pinned)
      return pinned.error();
    link_fd = std::move(*pinned);
    Expected<LinkInfo> info = link_info_of_fd(link_fd.get());
    if (!info)
      return info.error();
    if (info->type != BPF_LINK_TYPE_XDP)
      return Error{"'" + out.link_pin + "' is not an XDP link", EINVAL};
    if (info->xdp_ifindex == *ifindex) {
      // The swap. Compare-and-swap against the program we saw, so two
      // concurrent swaps cannot silently overwrite each other.
      UniqueFd old_prog(bpf_prog_get_fd_by_id(info->prog_id));
      LIBBPF_OPTS(bpf_link_update_opts, update);
      if (old_prog) {
        update.flags = BPF_F_REPLACE;
        update.old_prog_fd = static_cast<__u32>(old_prog.get());
      }
      if (bpf_link_update(link_fd.get(), prog_fd, &update) != 0) {
        const int err = errno;
        Error e = errno_error("cannot switch '" + ifname +
                                  "' to the new program; the previous "
                                  "program stays attached",
                              err);
        if (err == EPERM && update.flags == BPF_F_REPLACE)
          e.message += " (another process replaced it meanwhile)";
        return e;
      }
      out.replaced_prog_id = info->prog_id;
    } else if (info->xdp_ifindex != 0) {
      return Error{"the link pinned at '" + out.link_pin +
                       "' is attached to interface index " +
                       std::to_string(info->xdp_ifindex) + ", not to '" +
                       ifname + "' (index " + std::to_string(*ifindex) +
                       "); detach it first",
                   EEXIST};
    } else {
      // The interface it was attached to is gone: the pin is stale.
      link_fd.reset();
      if (::unlink(out.link_pin.c_str()) != 0)
        return errno_error(
            "cannot remove the stale link pin '" + out.link_pin + "'", errno);
    }
  }

  if (!link_fd) {
    Expected<UniqueFd> created =
        create_xdp_link(ifname, *ifindex, prog_fd, options_.mode);
    if (!created)
      return created.error();
    link_fd = std::move(*created);
    // Until pinned, the link lives only through our fd: if pinning fails,
    // closing it detaches the program again.
    if (bpf_obj_pin(link_fd.get(), out.link_pin.c_str()) != 0)
      return errno_error("cannot pin the link at '" + out.link_pin + "'",
                         errno);
  }

  Expected<LinkInfo> info = link_info_of_fd(link_fd.get());
  if (info) {
    out.link_id = info->id;
    out.prog_id = info->prog_id;
  }
  out.mode = attached_mode(*ifindex);

  if (options_.pin_maps && maps_from != nullptr) {
    Expected<std::vector<std::string>> pinned = pin_maps(ifname, *maps_from);
    if (!pinned) {
      Error e = pinned.error();
      e.message = "the program is attached, but " + e.message;
      return e;
    }
    out.pinned_maps = std::move(*pinned);
  }
  return out;
}

Status XdpAttacher::detach(const std::string &ifname) const {
  std::string log;
  LibbpfLogCapture capture(&log);
  if (Status s = check_ifname(ifname); !s.ok())
    return s;
  const std::string link_pin = link_pin_path(ifname);
  const bool had_pins = path_exists(pin_dir(ifname));
  if (path_exists(link_pin)) {
    const Privileges p = current_privileges();
    if (!p.can_load_bpf() || !p.cap_net_admin)
      return Error{"detaching XDP from '" + ifname +
                       "' needs root (CAP_BPF and CAP_NET_ADMIN)",
                   EPERM};
    Expected<UniqueFd> link_fd = open_pinned_link(link_pin);
    if (!link_fd)
      return link_fd.error();
    // Detach first (works even if another process holds the link), then
    // drop the pin. A link whose device is gone is already detached.
    if (bpf_link_detach(link_fd->get()) != 0 && errno != ENOLINK &&
        errno != EINVAL && errno != EOPNOTSUPP)
      return errno_error("cannot detach XDP from '" + ifname + "'", errno);
    if (::unlink(link_pin.c_str()) != 0)
      return errno_error("cannot remove '" + link_pin + "'", errno);
  } else if (!had_pins) {
    return Error{"no PacketScope program is attached to '" + ifname + "'",
                 ENOENT};
  }
  const std::string maps = maps_pin_dir(ifname);
  for (const std::string &name : list_dir(maps))
    ::unlink((maps + "/" + name).c_str());
  ::rmdir(maps.c_str());
  for (const std::string &name : list_dir(staging_dir(ifname)))
    ::unlink((staging_dir(ifname) + "/" + name).c_str());
  ::rmdir(staging_dir(ifname).c_str());
  ::rmdir(pin_dir(ifname).c_str());
  return Status::success();
}

Expected<XdpStatus> XdpAttacher::status(const std::string &ifname) const {
  std::string log;
  LibbpfLogCapture capture(&log);
  if (Status s = check_ifname(ifname); !s.ok())
    return s.error();
  XdpStatus out;
  out.ifname = ifname;
  out.link_pin = link_pin_path(ifname);
  out.ifindex = ::if_nametoindex(ifname.c_str());
  out.pinned_maps = list_dir(maps_pin_dir(ifname));
  if (!path_exists(out.link_pin))
    return out;
  Expected<UniqueFd> link_fd = open_pinned_link(out.link_pin);
  if (!link_fd)
    return link_fd.error();
  Expected<LinkInfo> info = link_info_of_fd(link_fd->get());
  if (!info)
    return info.error();
  out.link_id = info->id;
  out.attached = info->xdp_ifindex != 0 && info->xdp_ifindex == out.ifindex;
  UniqueFd prog(bpf_prog_get_fd_by_id(info->prog_id));
  if (prog) {
    Expected<ProgramInfo> program = program_info(prog.get());
    if (program)
      out.program = *program;
  }
  if (out.attached)
    out.mode = attached_mode(out.ifindex);
  return out;
}

} // namespace psl::backend
