#include "codegen/policy_object_key.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "backend/clang_module.h"
#include "codegen/policy_compile.h"

namespace psl::codegen {

using namespace backend;

namespace {

// Bumped when what goes into the key changes.
constexpr std::string_view kKeyVersion = "psc policy object 1";

// A file as Clang's PCH check sees it: path, size, mtime.
void add_file(Sha256 &h, const std::string &path) {
  h.field(path);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    h.number(~0ull);
    return;
  }
  h.number(static_cast<uint64_t>(st.st_size));
  h.number(static_cast<uint64_t>(st.st_mtim.tv_sec));
  h.number(static_cast<uint64_t>(st.st_mtim.tv_nsec));
}

void add_dir(Sha256 &h, const std::string &dir) {
  std::vector<std::string> names;
  if (DIR *d = ::opendir(dir.c_str())) {
    while (const dirent *e = ::readdir(d))
      if (e->d_name[0] != '.')
        names.emplace_back(e->d_name);
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  h.field(dir);
  h.number(names.size());
  for (const std::string &name : names)
    add_file(h, dir + "/" + name);
}

} // namespace

Sha256Digest policy_object_key(const BpfCompiler &compiler,
                               const CompileInput &input,
                               const std::vector<LinkInput> &link_inputs) {
  Sha256 h;
  h.field(kKeyVersion);
  const std::vector<std::string> args = compiler.cc1_args(input);
  h.number(args.size());
  for (const std::string &arg : args)
    h.field(arg);
  h.field(input.name);
  h.field(input.text);
  h.number(input.extra_files.size());
  for (const auto &[name, text] : input.extra_files) {
    h.field(name);
    h.field(text);
  }
  const std::string_view pch = compiler.options().precompiled_header;
  h.field(pch);
  h.number(link_inputs.size());
  for (const LinkInput &in : link_inputs) {
    h.field(in.name);
    h.field({reinterpret_cast<const char *>(in.bytes.data), in.bytes.size});
  }
  // The files the compile reads from disk.
  const ObjectBytes recorded = policy_pch_inputs();
  std::string_view list(reinterpret_cast<const char *>(recorded.data),
                        recorded.size);
  while (!list.empty()) {
    const size_t end = std::min(list.find('\n'), list.size());
    if (end > 0)
      add_file(h, std::string(list.substr(0, end)));
    list.remove_prefix(std::min(end + 1, list.size()));
  }
  for (const std::string &dir : compiler.options().include_dirs)
    add_dir(h, dir);
  add_file(h, clang_module_path());
  return h.finish();
}

} // namespace psl::codegen
