#include "backend/static_link.h"

#include <cerrno>
#include <cstring>
#include <memory>

#include <bpf/libbpf.h>
#include <elf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/bpf_object.h"

namespace psl::backend {
namespace {

struct LinkerDeleter {
  void operator()(bpf_linker *linker) const { bpf_linker__free(linker); }
};
using LinkerPtr = std::unique_ptr<bpf_linker, LinkerDeleter>;

// An anonymous in-memory file and the name other code can open it by.
struct MemFile {
  UniqueFd fd;
  std::string path;
};

Expected<MemFile> make_memfile(const std::string &name) {
  MemFile file;
  file.fd.reset(::memfd_create(name.c_str(), MFD_CLOEXEC));
  if (!file.fd)
    return errno_error("cannot create an in-memory file for '" + name + "'",
                       errno);
  file.path = "/proc/self/fd/" + std::to_string(file.fd.get());
  return file;
}

Status write_all(int fd, ObjectBytes bytes, const std::string &name) {
  size_t done = 0;
  while (done < bytes.size) {
    const ssize_t n = ::write(fd, bytes.data + done, bytes.size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return errno_error("cannot write '" + name + "' to memory",
                         n < 0 ? errno : EIO);
    done += static_cast<size_t>(n);
  }
  return Status::success();
}

Expected<std::vector<uint8_t>> read_all(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0)
    return errno_error("cannot read the linked object", errno);
  std::vector<uint8_t> out(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd, out.data() + done, out.size() - done,
                              static_cast<off_t>(done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return errno_error("cannot read the linked object", n < 0 ? errno : EIO);
    done += static_cast<size_t>(n);
  }
  return out;
}

// libbpf 1.1's linker crashes on input that is not an ELF file (rather
// than failing), so the header is checked first: a 64-bit relocatable
// object for the BPF machine, as clang -target bpf -c writes.
Status check_bpf_object(ObjectBytes b) {
  Elf64_Ehdr header;
  if (b.data == nullptr || b.size < sizeof header)
    return Error("not a BPF object file (too short)");
  std::memcpy(&header, b.data, sizeof header);
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
      header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_type != ET_REL ||
      header.e_machine != EM_BPF)
    return Error("not a BPF object file (a 64-bit relocatable ELF for BPF)");
  return Status::success();
}

// libbpf returns -errno (or sets errno); its messages explain the cause.
Error link_error(const std::string &what, int err, std::string log) {
  Error e = errno_error(what, err);
  e.detail = std::move(log);
  return e;
}

} // namespace

Expected<std::vector<uint8_t>>
link_bpf_objects(const std::vector<LinkInput> &inputs) {
  if (inputs.empty())
    return Error("nothing to link");
  std::string log;
  LibbpfLogCapture capture(&log);

  auto output = make_memfile("psc-linked.o");
  if (!output.ok())
    return output.error();
  LIBBPF_OPTS(bpf_linker_opts, linker_opts);
  LinkerPtr linker(bpf_linker__new(output->path.c_str(), &linker_opts));
  if (!linker)
    return link_error("cannot start the BPF linker", errno, std::move(log));

  for (const LinkInput &input : inputs) {
    if (Status s = check_bpf_object(input.bytes); !s.ok())
      return Error("cannot link '" + input.name + "': " + s.error().message);
    auto file = make_memfile(input.name);
    if (!file.ok())
      return file.error();
    Status s = write_all(file->fd.get(), input.bytes, input.name);
    if (!s.ok())
      return s.error();
    LIBBPF_OPTS(bpf_linker_file_opts, file_opts);
    const int err =
        bpf_linker__add_file(linker.get(), file->path.c_str(), &file_opts);
    if (err != 0)
      return link_error("cannot link '" + input.name + "'", err,
                        std::move(log));
  }
  const int err = bpf_linker__finalize(linker.get());
  if (err != 0)
    return link_error("cannot finish linking " + inputs.front().name, err,
                      std::move(log));
  return read_all(output->fd.get());
}

} // namespace psl::backend
