#include "backend/bpf_object.h"

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

namespace psl::backend {
namespace {

// The capture active on this thread (see LibbpfLogCapture). Per-thread
// routing state for libbpf's single global callback, not compile state.
thread_local std::string *t_log_sink = nullptr;
thread_local bool t_log_debug = false;

int route_libbpf_print(enum libbpf_print_level level, const char *format,
                       va_list args) {
  std::string *sink = t_log_sink;
  if (sink == nullptr || (level == LIBBPF_DEBUG && !t_log_debug))
    return 0;
  char line[1024];
  va_list copy;
  va_copy(copy, args);
  int n = std::vsnprintf(line, sizeof line, format, copy);
  va_end(copy);
  if (n < 0)
    return 0;
  if (static_cast<size_t>(n) < sizeof line) {
    sink->append(line, static_cast<size_t>(n));
  } else {
    std::string big(static_cast<size_t>(n) + 1, '\0');
    std::vsnprintf(big.data(), big.size(), format, args);
    big.pop_back();
    sink->append(big);
  }
  return n;
}

std::string hex_tag(const unsigned char (&tag)[BPF_TAG_SIZE]) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : tag) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

// Where a global variable lives: which DATASEC (".rodata", ".data", ".bss")
// and at what offset, from the object's BTF.
struct GlobalLocation {
  std::string section;
  uint32_t offset = 0;
  uint32_t size = 0;
};

bool find_global(const struct btf *btf, std::string_view var,
                 GlobalLocation &out) {
  if (btf == nullptr)
    return false;
  const uint32_t count = btf__type_cnt(btf);
  for (uint32_t id = 1; id < count; ++id) {
    const struct btf_type *t = btf__type_by_id(btf, id);
    if (!btf_is_datasec(t))
      continue;
    const struct btf_var_secinfo *info = btf_var_secinfos(t);
    for (uint16_t i = 0; i < btf_vlen(t); ++i, ++info) {
      const struct btf_type *v = btf__type_by_id(btf, info->type);
      if (v == nullptr || !btf_is_var(v))
        continue;
      if (var != btf__name_by_offset(btf, v->name_off))
        continue;
      out.section = btf__name_by_offset(btf, t->name_off);
      out.offset = info->offset;
      out.size = info->size;
      return true;
    }
  }
  return false;
}

// libbpf names internal maps "<object prefix>.<section>".
bool map_is_section(const struct bpf_map *map, const std::string &section) {
  if (!bpf_map__is_internal(map))
    return false;
  std::string_view name = bpf_map__name(map);
  return name.size() >= section.size() &&
         name.substr(name.size() - section.size()) == section;
}

// "prog 'NAME': BPF program load failed" in libbpf's log names the program
// the verifier rejected.
std::string failed_program_from_log(const std::string &log) {
  static const char marker[] = "': BPF program load failed";
  size_t end = log.find(marker);
  if (end == std::string::npos)
    return {};
  size_t begin = log.rfind("prog '", end);
  if (begin == std::string::npos)
    return {};
  begin += std::strlen("prog '");
  return log.substr(begin, end - begin);
}

Error permission_error(const std::string &what, int err) {
  Error e = errno_error(what, err);
  e.message += " (BPF needs root, or CAP_BPF with CAP_PERFMON and "
               "CAP_NET_ADMIN)";
  return e;
}

} // namespace

void UniqueFd::reset(int fd) {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = fd;
}

void install_libbpf_log_capture() {
  static std::once_flag once;
  std::call_once(once, [] { libbpf_set_print(route_libbpf_print); });
}

LibbpfLogCapture::LibbpfLogCapture(std::string *sink, bool include_debug)
    : previous_sink_(t_log_sink), previous_debug_(t_log_debug) {
  install_libbpf_log_capture();
  t_log_sink = sink;
  t_log_debug = include_debug;
}

LibbpfLogCapture::~LibbpfLogCapture() {
  t_log_sink = previous_sink_;
  t_log_debug = previous_debug_;
}

Expected<ProgramInfo> program_info(int prog_fd) {
  struct bpf_prog_info info;
  std::memset(&info, 0, sizeof info);
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) != 0)
    return errno_error("cannot read BPF program info", errno);
  ProgramInfo out;
  out.id = info.id;
  out.type = info.type;
  out.name = info.name;
  out.tag = hex_tag(info.tag);
  out.load_time_ns = info.load_time;
  return out;
}

std::string fill_verifier_log_source(const std::string &log,
                                     const std::string &file,
                                     const std::string &text) {
  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos)
      end = text.size();
    lines.emplace_back(text.data() + start, end - start);
    start = end + 1;
  }
  const std::string marker = "@ " + file + ":";
  std::string out;
  out.reserve(log.size());
  for (size_t start = 0; start < log.size();) {
    size_t end = log.find('\n', start);
    if (end == std::string::npos)
      end = log.size();
    std::string_view line(log.data() + start, end - start);
    const size_t at = line.rfind(marker);
    const bool no_code =
        at != std::string_view::npos && line.substr(0, 1) == ";" &&
        line.substr(1, at - 1).find_first_not_of(' ') == std::string::npos;
    char *digits_end = nullptr;
    const unsigned long number =
        no_code
            ? std::strtoul(line.data() + at + marker.size(), &digits_end, 10)
            : 0;
    if (number >= 1 && number <= lines.size()) {
      std::string_view code = lines[number - 1];
      const size_t first = code.find_first_not_of(" \t");
      code = first == std::string_view::npos ? std::string_view()
                                             : code.substr(first);
      out += "; ";
      out.append(code.data(), code.size());
      out += ' ';
      out.append(line.data() + at, line.size() - at);
    } else {
      out.append(line.data(), line.size());
    }
    if (end < log.size())
      out += '\n';
    start = end + 1;
  }
  return out;
}

// --- BpfObject -------------------------------------------------------------

void BpfObject::add_source(std::string file, std::string text) {
  sources_.emplace_back(std::move(file), std::move(text));
}

Expected<BpfObject> BpfObject::open(std::vector<uint8_t> elf,
                                    std::string name) {
  BpfObject object;
  object.elf_ = std::move(elf);
  object.name_ = std::move(name);
  if (Status s = object.reopen(); !s.ok())
    return s.error();
  return object;
}

BpfObject::BpfObject(BpfObject &&other) noexcept { *this = std::move(other); }

BpfObject &BpfObject::operator=(BpfObject &&other) noexcept {
  if (this != &other) {
    close();
    obj_ = other.obj_;
    other.obj_ = nullptr;
    name_ = std::move(other.name_);
    elf_ = std::move(other.elf_);
    globals_ = std::move(other.globals_);
    sources_ = std::move(other.sources_);
    loaded_ = other.loaded_;
    other.loaded_ = false;
    verifier_log_ = std::move(other.verifier_log_);
    libbpf_log_ = std::move(other.libbpf_log_);
    reused_maps_ = std::move(other.reused_maps_);
  }
  return *this;
}

BpfObject::~BpfObject() { close(); }

void BpfObject::close() {
  if (obj_ != nullptr)
    bpf_object__close(obj_);
  obj_ = nullptr;
  loaded_ = false;
}

Status BpfObject::reopen() {
  close();
  std::string log;
  LibbpfLogCapture capture(&log);
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name_.c_str());
  bpf_object *obj = bpf_object__open_mem(elf_.data(), elf_.size(), &opts);
  if (obj == nullptr) {
    Error e = errno_error("cannot open BPF object '" + name_ + "'", errno);
    e.detail = std::move(log);
    return e;
  }
  obj_ = obj;
  return apply_globals();
}

Status BpfObject::set_global(std::string_view var, const void *data,
                             size_t size) {
  if (loaded_)
    return Error{"global '" + std::string(var) +
                 "' cannot be set after the object is loaded"};
  PendingGlobal g;
  g.name = std::string(var);
  g.bytes.assign(static_cast<const uint8_t *>(data),
                 static_cast<const uint8_t *>(data) + size);
  globals_.push_back(std::move(g));
  Status s = apply_globals();
  if (!s.ok())
    globals_.pop_back();
  return s;
}

Status BpfObject::apply_globals() {
  const struct btf *btf = bpf_object__btf(obj_);
  for (const PendingGlobal &g : globals_) {
    GlobalLocation where;
    if (!find_global(btf, g.name, where))
      return Error{"BPF object '" + name_ + "' has no global variable '" +
                   g.name + "'"};
    if (where.size != g.bytes.size())
      return Error{"global '" + g.name + "' has " + std::to_string(where.size) +
                   " bytes, not " + std::to_string(g.bytes.size())};
    struct bpf_map *map = nullptr;
    bpf_object__for_each_map(map, obj_) {
      if (map_is_section(map, where.section))
        break;
    }
    if (map == nullptr)
      return Error{"no map holds section '" + where.section + "' of '" +
                   g.name + "'"};
    size_t map_size = 0;
    const void *initial = bpf_map__initial_value(map, &map_size);
    if (initial == nullptr || where.offset + where.size > map_size)
      return Error{"cannot set global '" + g.name + "'"};
    std::vector<uint8_t> bytes(static_cast<const uint8_t *>(initial),
                               static_cast<const uint8_t *>(initial) +
                                   map_size);
    std::memcpy(bytes.data() + where.offset, g.bytes.data(), where.size);
    if (int err = bpf_map__set_initial_value(map, bytes.data(), bytes.size());
        err != 0)
      return errno_error("cannot set global '" + g.name + "'", err);
  }
  return Status::success();
}

Status BpfObject::reuse_pinned_maps(
    const std::string &dir,
    const std::function<bool(const std::string &)> &filter) {
  reused_maps_.clear();
  struct bpf_map *map = nullptr;
  bpf_object__for_each_map(map, obj_) {
    if (bpf_map__is_internal(map))
      continue;
    if (filter && !filter(bpf_map__name(map)))
      continue;
    const std::string path = dir + "/" + bpf_map__name(map);
    UniqueFd fd(bpf_obj_get(path.c_str()));
    if (!fd)
      continue; // not pinned yet: created fresh
    struct bpf_map_info info;
    std::memset(&info, 0, sizeof info);
    uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0)
      continue;
    const bool compatible = info.type == bpf_map__type(map) &&
                            info.key_size == bpf_map__key_size(map) &&
                            info.value_size == bpf_map__value_size(map) &&
                            info.max_entries == bpf_map__max_entries(map) &&
                            info.map_flags == bpf_map__map_flags(map);
    if (!compatible) {
      libbpf_log_ += "map '" + std::string(bpf_map__name(map)) +
                     "' changed shape; its pinned contents are not kept\n";
      continue;
    }
    if (int err = bpf_map__reuse_fd(map, fd.get()); err != 0)
      return errno_error("cannot reuse pinned map '" + path + "'", err);
    reused_maps_.emplace_back(bpf_map__name(map));
  }
  return Status::success();
}

Status BpfObject::load(const BpfLoadOptions &options) {
  if (loaded_)
    return Error{"BPF object '" + name_ + "' is already loaded"};
  size_t log_size =
      options.initial_log_size < 4096 ? 4096 : options.initial_log_size;
  for (;;) {
    verifier_log_.clear();
    libbpf_log_.clear();
    for (const auto &[map_name, entries] : options.max_entries) {
      bpf_map *m = bpf_object__find_map_by_name(obj_, map_name.c_str());
      if (m == nullptr)
        continue;
      if (int err = bpf_map__set_max_entries(m, entries); err != 0)
        return errno_error("cannot size map '" + map_name + "'", err);
    }
    if (!options.reuse_maps_dir.empty()) {
      if (Status s = reuse_pinned_maps(options.reuse_maps_dir,
                                       options.reuse_map_filter);
          !s.ok())
        return s;
    }

    // One buffer per program so each log is attributed to its program.
    // Left uninitialized but for the first byte: with log level 0 the
    // kernel writes a log only when it rejects the program, and clearing
    // megabytes that are never written (page faults included) cost a
    // noticeable part of a load. The kernel terminates what it writes.
    std::vector<std::string> names;
    std::vector<std::unique_ptr<char[]>> logs;
    struct bpf_program *prog = nullptr;
    bpf_object__for_each_program(prog, obj_) {
      names.emplace_back(bpf_program__name(prog));
      logs.emplace_back(new char[log_size]);
      logs.back()[0] = '\0';
      bpf_program__set_log_buf(prog, logs.back().get(), log_size);
      if (options.verifier_log_level != 0)
        bpf_program__set_log_level(prog, options.verifier_log_level);
    }

    int err;
    {
      LibbpfLogCapture capture(&libbpf_log_, options.libbpf_debug);
      err = bpf_object__load(obj_);
    }

    bool truncated = false;
    std::string failed_log;
    const std::string failed_name = failed_program_from_log(libbpf_log_);
    for (size_t i = 0; i < logs.size(); ++i) {
      const size_t len = strnlen(logs[i].get(), log_size);
      if (len == 0)
        continue;
      if (len >= log_size - 1)
        truncated = true;
      verifier_log_ += "-- program " + names[i] + " --\n";
      verifier_log_.append(logs[i].get(), len);
      if (verifier_log_.back() != '\n')
        verifier_log_ += '\n';
      if (names[i] == failed_name ||
          (failed_name.empty() && failed_log.empty()))
        failed_log.assign(logs[i].get(), len);
    }
    // libbpf reads the log buffers only inside bpf_object__load, so they
    // may die with this iteration.

    for (const auto &[file, text] : sources_) {
      verifier_log_ = fill_verifier_log_source(verifier_log_, file, text);
      failed_log = fill_verifier_log_source(failed_log, file, text);
    }
    if (err == 0) {
      loaded_ = true;
      return Status::success();
    }
    // A full buffer cut the log short: reload with a bigger one, from the
    // ELF (libbpf loads an object only once).
    if ((truncated || err == -ENOSPC) && log_size < options.max_log_size) {
      log_size = std::min(log_size * 4, options.max_log_size);
      if (Status s = reopen(); !s.ok())
        return s;
      continue;
    }

    if (err == -EPERM)
      return permission_error("cannot load BPF object '" + name_ + "'", err);
    Error e;
    if (!failed_log.empty() || !failed_name.empty()) {
      e = errno_error("the BPF verifier rejected program '" +
                          (failed_name.empty() ? names.front() : failed_name) +
                          "'",
                      err);
      e.detail = failed_log.empty() ? libbpf_log_ : failed_log;
      // The program is built from the policy: the input is refused.
      e.kind = ErrorKind::User;
    } else {
      e = errno_error("cannot load BPF object '" + name_ + "'", err);
      e.detail = libbpf_log_;
    }
    return e;
  }
}

std::vector<std::string> BpfObject::program_names() const {
  std::vector<std::string> out;
  struct bpf_program *prog = nullptr;
  bpf_object__for_each_program(prog, obj_)
      out.emplace_back(bpf_program__name(prog));
  return out;
}

bpf_program *BpfObject::program(std::string_view name) const {
  if (obj_ == nullptr)
    return nullptr;
  struct bpf_program *prog = nullptr;
  bpf_object__for_each_program(prog, obj_) {
    if (name.empty() || name == bpf_program__name(prog))
      return prog;
  }
  return nullptr;
}

int BpfObject::program_fd(std::string_view name) const {
  bpf_program *prog = program(name);
  return prog != nullptr && loaded_ ? bpf_program__fd(prog) : -1;
}

std::vector<std::string> BpfObject::map_names() const {
  std::vector<std::string> out;
  struct bpf_map *map = nullptr;
  bpf_object__for_each_map(map, obj_) out.emplace_back(bpf_map__name(map));
  return out;
}

bpf_map *BpfObject::map(std::string_view name) const {
  if (obj_ == nullptr)
    return nullptr;
  struct bpf_map *map = nullptr;
  bpf_object__for_each_map(map, obj_) {
    if (name == bpf_map__name(map))
      return map;
  }
  return nullptr;
}

int BpfObject::map_fd(std::string_view name) const {
  bpf_map *m = map(name);
  return m != nullptr && loaded_ ? bpf_map__fd(m) : -1;
}

Status BpfObject::map_update(std::string_view name, const void *key,
                             size_t key_size, const void *value,
                             size_t value_size, uint64_t flags) {
  bpf_map *m = map(name);
  if (m == nullptr || !loaded_)
    return Error{"no loaded map '" + std::string(name) + "'"};
  if (int err =
          bpf_map__update_elem(m, key, key_size, value, value_size, flags);
      err != 0)
    return errno_error("cannot update map '" + std::string(name) + "'", err);
  return Status::success();
}

Status BpfObject::map_lookup(std::string_view name, const void *key,
                             size_t key_size, void *value,
                             size_t value_size) const {
  bpf_map *m = map(name);
  if (m == nullptr || !loaded_)
    return Error{"no loaded map '" + std::string(name) + "'"};
  if (int err = bpf_map__lookup_elem(m, key, key_size, value, value_size, 0);
      err != 0)
    return errno_error("cannot look up in map '" + std::string(name) + "'",
                       err);
  return Status::success();
}

// --- BpfLink -----------------------------------------------------------------

Expected<BpfLink> BpfLink::open_pinned(const std::string &path) {
  std::string log;
  LibbpfLogCapture capture(&log);
  bpf_link *link = bpf_link__open(path.c_str());
  if (link == nullptr) {
    Error e = errno_error("cannot open pinned link '" + path + "'", errno);
    e.detail = std::move(log);
    return e;
  }
  return BpfLink(link);
}

int BpfLink::fd() const { return link_ != nullptr ? bpf_link__fd(link_) : -1; }

void BpfLink::reset(bpf_link *link) {
  if (link_ != nullptr) {
    std::string ignored;
    LibbpfLogCapture capture(&ignored);
    bpf_link__destroy(link_);
  }
  link_ = link;
}

Status BpfLink::pin(const std::string &path) {
  if (link_ == nullptr)
    return Error{"no link to pin"};
  std::string log;
  LibbpfLogCapture capture(&log);
  if (int err = bpf_link__pin(link_, path.c_str()); err != 0) {
    Error e = errno_error("cannot pin link at '" + path + "'", err);
    e.detail = std::move(log);
    return e;
  }
  return Status::success();
}

Status BpfLink::update_program(int new_prog_fd, int expected_old_prog_fd) {
  if (link_ == nullptr)
    return Error{"no link to update"};
  LIBBPF_OPTS(bpf_link_update_opts, opts);
  if (expected_old_prog_fd >= 0) {
    opts.flags = BPF_F_REPLACE;
    opts.old_prog_fd = static_cast<__u32>(expected_old_prog_fd);
  }
  if (bpf_link_update(fd(), new_prog_fd, &opts) != 0)
    return errno_error("cannot switch the link to the new program", errno);
  return Status::success();
}

Status BpfLink::detach() {
  if (link_ == nullptr)
    return Error{"no link to detach"};
  if (bpf_link_detach(fd()) != 0)
    return errno_error("cannot detach the link", errno);
  return Status::success();
}

Expected<LinkInfo> BpfLink::info() const {
  if (link_ == nullptr)
    return Error{"no link"};
  struct bpf_link_info info;
  std::memset(&info, 0, sizeof info);
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd(), &info, &len) != 0)
    return errno_error("cannot read link info", errno);
  LinkInfo out;
  out.id = info.id;
  out.type = info.type;
  out.prog_id = info.prog_id;
  if (info.type == BPF_LINK_TYPE_XDP)
    out.xdp_ifindex = info.xdp.ifindex;
  return out;
}

} // namespace psl::backend
