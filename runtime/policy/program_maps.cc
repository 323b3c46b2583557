#include "policy/program_maps.h"

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include "policy/files.h"

namespace psr::policy {

be::Expected<LinkState> read_link(const StateLayout &layout, const Target &t) {
  LinkState out;
  const std::string pin = layout.link_pin(t);
  if (!path_exists(pin))
    return out;
  out.pinned = true;
  be::UniqueFd fd(bpf_obj_get(pin.c_str()));
  if (!fd)
    return be::errno_error("cannot open the pinned link '" + pin + "'", errno);
  struct bpf_link_info info;
  std::memset(&info, 0, sizeof info);
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0)
    return be::errno_error("cannot read the link '" + pin + "'", errno);
  if (info.type != BPF_LINK_TYPE_XDP)
    return be::Error("'" + pin + "' is not an XDP link", EINVAL);
  out.link_id = info.id;
  out.prog_id = info.prog_id;
  out.ifindex = info.xdp.ifindex;
  return out;
}

be::Expected<MapInfo> map_info(int fd) {
  struct bpf_map_info info;
  std::memset(&info, 0, sizeof info);
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
    return be::errno_error("cannot read map info", errno);
  MapInfo m;
  m.id = info.id;
  m.type = info.type;
  m.key_size = info.key_size;
  m.value_size = info.value_size;
  m.max_entries = info.max_entries;
  m.flags = info.map_flags;
  return m;
}

namespace {

constexpr size_t kKernelNameLen = 15; // BPF_OBJ_NAME_LEN - 1

} // namespace

be::Expected<ProgramMaps> ProgramMaps::of_program(uint32_t prog_id,
                                                  const std::string &pins_dir) {
  be::UniqueFd prog(bpf_prog_get_fd_by_id(prog_id));
  if (!prog)
    return be::errno_error("cannot open program " + std::to_string(prog_id),
                           errno);
  struct bpf_prog_info info;
  std::memset(&info, 0, sizeof info);
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(prog.get(), &info, &len) != 0)
    return be::errno_error("cannot read program " + std::to_string(prog_id),
                           errno);
  std::vector<uint32_t> ids(info.nr_map_ids);
  if (!ids.empty()) {
    const uint32_t n = info.nr_map_ids;
    std::memset(&info, 0, sizeof info);
    info.nr_map_ids = n;
    info.map_ids = reinterpret_cast<uintptr_t>(ids.data());
    len = sizeof info;
    if (bpf_obj_get_info_by_fd(prog.get(), &info, &len) != 0)
      return be::errno_error(
          "cannot list the maps of program " + std::to_string(prog_id), errno);
    ids.resize(std::min(n, info.nr_map_ids));
  }
  ProgramMaps out;
  std::map<uint32_t, std::string> pinned_as;
  if (!pins_dir.empty())
    for (const std::string &name : list_dir(pins_dir)) {
      be::UniqueFd fd(bpf_obj_get((pins_dir + "/" + name).c_str()));
      be::Expected<MapInfo> mi =
          fd ? map_info(fd.get()) : be::Expected<MapInfo>(be::Error(""));
      if (mi)
        pinned_as[mi->id] = name;
    }
  for (uint32_t id : ids) {
    be::UniqueFd fd(bpf_map_get_fd_by_id(id));
    if (!fd)
      continue; // freed meanwhile: the program is going away too
    struct bpf_map_info mi;
    std::memset(&mi, 0, sizeof mi);
    uint32_t mlen = sizeof mi;
    if (bpf_obj_get_info_by_fd(fd.get(), &mi, &mlen) != 0)
      continue;
    Entry e;
    e.info.id = mi.id;
    e.info.type = mi.type;
    e.info.key_size = mi.key_size;
    e.info.value_size = mi.value_size;
    e.info.max_entries = mi.max_entries;
    e.info.flags = mi.map_flags;
    e.fd = std::move(fd);
    auto pin = pinned_as.find(mi.id);
    out.maps_[pin != pinned_as.end() ? pin->second : std::string(mi.name)] =
        std::move(e);
  }
  return out;
}

const ProgramMaps::Entry *ProgramMaps::find(const std::string &name) const {
  auto it = maps_.find(name);
  if (it != maps_.end())
    return &it->second;
  if (name.size() <= kKernelNameLen)
    return nullptr;
  it = maps_.find(name.substr(0, kKernelNameLen));
  if (it == maps_.end())
    return nullptr;
  // Another map with the same first 15 characters: ambiguous.
  for (const auto &[other, e] : maps_)
    if (other != it->first && other.compare(0, kKernelNameLen, it->first) == 0)
      return nullptr;
  return &it->second;
}

int ProgramMaps::fd(const std::string &name) const {
  const Entry *e = find(name);
  return e == nullptr ? -1 : e->fd.get();
}

const MapInfo *ProgramMaps::info(const std::string &name) const {
  const Entry *e = find(name);
  return e == nullptr ? nullptr : &e->info;
}

std::vector<std::string> ProgramMaps::names() const {
  std::vector<std::string> out;
  for (const auto &[name, e] : maps_)
    out.push_back(name);
  return out;
}

namespace {

// libbpf's internal maps (.rodata, .bss, ...) get names with a dot, which
// bpffs refuses anyway; XdpAttacher does not pin them either.
bool internal_map(const std::string &name) {
  return name.find('.') != std::string::npos;
}

} // namespace

bool pins_match(const StateLayout &layout, const Target &t,
                const ProgramMaps &maps) {
  const std::string dir = layout.maps_dir(t);
  for (const std::string &name : maps.names()) {
    if (internal_map(name))
      continue;
    be::UniqueFd fd(bpf_obj_get((dir + "/" + name).c_str()));
    if (!fd)
      return false;
    be::Expected<MapInfo> mi = map_info(fd.get());
    if (!mi || mi->id != maps.info(name)->id)
      return false;
  }
  return true;
}

be::Status pin_program_maps(const StateLayout &layout, const Target &t,
                            const ProgramMaps &maps,
                            const std::vector<std::string> &full_names) {
  const std::string dir = layout.maps_dir(t);
  const std::string staging = layout.pin_dir(t) + "/staging";
  if (be::Status s = make_dirs(dir, 0700); !s.ok())
    return s;
  if (be::Status s = make_dirs(staging, 0700); !s.ok())
    return s;
  for (const std::string &name : maps.names()) {
    if (internal_map(name))
      continue;
    std::string pin_name = name;
    for (const std::string &full : full_names)
      if (name.size() == kKernelNameLen && full.size() > name.size() &&
          full.compare(0, name.size(), name) == 0)
        pin_name = full;
    const std::string tmp = staging + "/" + pin_name;
    ::unlink(tmp.c_str());
    if (bpf_obj_pin(maps.fd(name), tmp.c_str()) != 0)
      return be::errno_error("cannot pin '" + tmp + "'", errno);
    if (::rename(tmp.c_str(), (dir + "/" + pin_name).c_str()) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      return be::errno_error("cannot move a pin into '" + dir + "'", err);
    }
  }
  return be::Status::success();
}

void wait_for_running_programs() {
  LIBBPF_OPTS(bpf_map_create_opts, inner_opts);
  be::UniqueFd inner(
      bpf_map_create(BPF_MAP_TYPE_ARRAY, "psr_sync_in", 4, 4, 1, &inner_opts));
  if (inner) {
    LIBBPF_OPTS(bpf_map_create_opts, outer_opts,
                .inner_map_fd = static_cast<__u32>(inner.get()));
    be::UniqueFd outer(bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "psr_sync", 4,
                                      4, 1, &outer_opts));
    const uint32_t key = 0;
    const uint32_t value = static_cast<uint32_t>(inner.get());
    if (outer && bpf_map_update_elem(outer.get(), &key, &value, BPF_ANY) == 0)
      return; // the kernel waited for a grace period before returning
  }
  // No map-in-map: an XDP program runs for microseconds; wait far longer.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

} // namespace psr::policy
