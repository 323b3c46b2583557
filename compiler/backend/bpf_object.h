// RAII over the kernel objects libbpf hands out: file descriptors, BPF
// objects opened from an ELF in memory, and links.
//
// libbpf reports through one process-wide print callback. The backend
// installs its own once (install_libbpf_log_capture) and routes every line
// to the LibbpfLogCapture active on the calling thread, so messages end up
// in the Error or log string of the operation that caused them and are
// never printed raw. Lines logged outside any capture are dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/status.h"

struct bpf_object;
struct bpf_program;
struct bpf_map;
struct bpf_link;

namespace psl::backend {

// Owns one file descriptor; closes it on destruction. Move-only.
class UniqueFd {
public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd &&other) noexcept : fd_(other.release()) {}
  UniqueFd &operator=(UniqueFd &&other) noexcept {
    if (this != &other)
      reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd &) = delete;
  UniqueFd &operator=(const UniqueFd &) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

private:
  int fd_ = -1;
};

// Routes libbpf's messages to `sink` on this thread while alive. Nests: the
// previous capture is restored on destruction.
class LibbpfLogCapture {
public:
  explicit LibbpfLogCapture(std::string *sink, bool include_debug = false);
  ~LibbpfLogCapture();
  LibbpfLogCapture(const LibbpfLogCapture &) = delete;
  LibbpfLogCapture &operator=(const LibbpfLogCapture &) = delete;

private:
  std::string *previous_sink_;
  bool previous_debug_;
};

// Installs the routing callback with libbpf_set_print (idempotent). Every
// backend entry point calls it; a program that calls libbpf directly
// before using the backend can call it first.
void install_libbpf_log_capture();

struct ProgramInfo {
  uint32_t id = 0;
  uint32_t type = 0;         // enum bpf_prog_type
  std::string name;          // as the kernel keeps it (15 characters at most)
  std::string tag;           // 16 hex digits
  uint64_t load_time_ns = 0; // since boot
};
Expected<ProgramInfo> program_info(int prog_fd);

struct BpfLoadOptions {
  // The kernel's log_level. 0: the log is requested only when a program is
  // rejected (libbpf retries the load with level 1: the path that failed);
  // 1: also on success, where it keeps only the summary line; 2: every
  // path, large; 4 (may be OR-ed in): statistics.
  uint32_t verifier_log_level = 0;
  // Per program. Grown fourfold and the load retried (from the ELF) while
  // the log fills the buffer, up to max_log_size.
  size_t initial_log_size = size_t{1} << 20;
  size_t max_log_size = size_t{16} << 20; // the limit of kernels <= 5.1
  // Non-internal maps pinned in this directory under the map's name are
  // reused (their contents kept) when type, sizes and flags match; other
  // maps are created fresh. Empty: every map is fresh.
  std::string reuse_maps_dir;
  // With reuse_maps_dir: only the maps whose name this accepts are reused
  // (a policy swap keeps its dynamic sets but not its lookup groups).
  // Empty: every pinned map of a matching shape.
  std::function<bool(const std::string &name)> reuse_map_filter;
  // Also capture libbpf's debug-level lines into libbpf_log().
  bool libbpf_debug = false;
  // Maps created with another size than the object declares
  // (bpf_map__set_max_entries before creation), by name; a name the
  // object lacks is ignored. Applied before maps are reused, so a pinned
  // map is kept only if it has this size.
  std::vector<std::pair<std::string, uint32_t>> max_entries;
};

// A BPF object (programs + maps) opened from an ELF held in memory with
// bpf_object__open_mem, then loaded into the kernel. Closing it (the
// destructor) releases programs and maps that nothing else holds (a pin or
// a link keeps them alive). Move-only.
class BpfObject {
public:
  // `name` names the object in libbpf messages and prefixes its internal
  // maps (".rodata" ...). The ELF is kept for reloads.
  static Expected<BpfObject> open(std::vector<uint8_t> elf, std::string name);

  BpfObject(BpfObject &&other) noexcept;
  BpfObject &operator=(BpfObject &&other) noexcept;
  BpfObject(const BpfObject &) = delete;
  BpfObject &operator=(const BpfObject &) = delete;
  ~BpfObject();

  // Before load(): sets a global variable (a `const volatile` load-time
  // parameter in .rodata, or one in .data/.bss) from bytes. The size must
  // be the variable's size.
  Status set_global(std::string_view var, const void *data, size_t size);
  template <class T>
  Status set_global(std::string_view var, const T &value) {
    return set_global(var, &value, sizeof(T));
  }

  // Registers the text of a source file compiled into this object (the
  // generated C lives only in memory, so BTF line info cannot quote it):
  // the verifier log then shows each line's code, as it does for files on
  // disk. `file` as in the compiler's main file name.
  void add_source(std::string file, std::string text);

  // Creates the maps and runs the verifier on every program. On rejection
  // the Error's message names the program and its detail holds the
  // verifier log (also in verifier_log()).
  Status load(const BpfLoadOptions &options = {});
  bool loaded() const { return loaded_; }

  const std::string &name() const { return name_; }
  bpf_object *get() const { return obj_; }
  const std::vector<uint8_t> &elf() const { return elf_; }

  std::vector<std::string> program_names() const;
  // nullptr / -1 when there is no such program (or before load for fd).
  // An empty name means the object's first program.
  bpf_program *program(std::string_view name = {}) const;
  int program_fd(std::string_view name = {}) const;

  std::vector<std::string> map_names() const; // includes internal maps
  bpf_map *map(std::string_view name) const;
  int map_fd(std::string_view name) const;
  // Byte-level map access after load. Sizes must match the map's.
  Status map_update(std::string_view map, const void *key, size_t key_size,
                    const void *value, size_t value_size, uint64_t flags = 0);
  Status map_lookup(std::string_view map, const void *key, size_t key_size,
                    void *value, size_t value_size) const;

  // The logs of the last load(): the verifier's, every program that
  // produced one, each headed "-- program NAME --"; and libbpf's messages.
  const std::string &verifier_log() const { return verifier_log_; }
  const std::string &libbpf_log() const { return libbpf_log_; }
  // Maps whose kernel object was taken from reuse_maps_dir.
  const std::vector<std::string> &reused_maps() const { return reused_maps_; }

private:
  BpfObject() = default;
  Status reopen();
  Status apply_globals();
  Status
  reuse_pinned_maps(const std::string &dir,
                    const std::function<bool(const std::string &)> &filter);
  void close();

  struct PendingGlobal {
    std::string name;
    std::vector<uint8_t> bytes;
  };

  bpf_object *obj_ = nullptr;
  std::string name_;
  std::vector<uint8_t> elf_;
  std::vector<PendingGlobal> globals_;
  std::vector<std::pair<std::string, std::string>> sources_;
  bool loaded_ = false;
  std::string verifier_log_;
  std::string libbpf_log_;
  std::vector<std::string> reused_maps_;
};

// Fills in the code of `file` (whose text is `text`) on the verifier log's
// line-info lines that lack it ("; @ file:12" -> "; x = y; @ file:12").
std::string fill_verifier_log_source(const std::string &log,
                                     const std::string &file,
                                     const std::string &text);

struct LinkInfo {
  uint32_t id = 0;
  uint32_t type = 0; // enum bpf_link_type
  uint32_t prog_id = 0;
  uint32_t xdp_ifindex = 0; // XDP links: 0 once the device is gone
};

// Owns a libbpf bpf_link; bpf_link__destroy on destruction closes this
// process's reference (the kernel link lives on while it is pinned).
class BpfLink {
public:
  BpfLink() = default;
  explicit BpfLink(bpf_link *link) : link_(link) {}
  ~BpfLink() { reset(); }
  BpfLink(BpfLink &&other) noexcept : link_(other.release()) {}
  BpfLink &operator=(BpfLink &&other) noexcept {
    if (this != &other)
      reset(other.release());
    return *this;
  }
  BpfLink(const BpfLink &) = delete;
  BpfLink &operator=(const BpfLink &) = delete;

  // A link pinned on bpffs (bpf_link__open).
  static Expected<BpfLink> open_pinned(const std::string &path);

  bool valid() const { return link_ != nullptr; }
  int fd() const;
  bpf_link *get() const { return link_; }
  bpf_link *release() {
    bpf_link *link = link_;
    link_ = nullptr;
    return link;
  }
  void reset(bpf_link *link = nullptr);

  Status pin(const std::string &path);
  // Points the link at another program in one step (bpf_link_update). With
  // expected_old_prog_fd >= 0 the kernel swaps only if that program is the
  // one attached (BPF_F_REPLACE), so concurrent swaps cannot interleave.
  Status update_program(int new_prog_fd, int expected_old_prog_fd = -1);
  // Detaches the program from its hook (BPF_LINK_DETACH) even while the
  // link is pinned or held elsewhere.
  Status detach();
  Expected<LinkInfo> info() const;

private:
  bpf_link *link_ = nullptr;
};

} // namespace psl::backend
