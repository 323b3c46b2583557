#include "codegen/policy_build.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <future>
#include <optional>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "backend/clang_compiler.h"
#include "backend/clang_module.h"
#include "backend/prebuilt_objects.h"
#include "backend/static_link.h"
#include "codegen/parse_layers.h"
#include "codegen/policy_compile.h"
#include "codegen/policy_object_key.h"
#include "codegen/verifier_rules.h"
#include "codegen/xdp_generator.h"

namespace psl::codegen {

using namespace backend;

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - t0)
      .count();
}

std::string where(const SourceFile *file, const SourceRange &r) {
  std::string s = file ? file->path() : std::string("<policy>");
  if (r.valid())
    s += ":" + std::to_string(r.begin.line) + ":" +
         std::to_string(r.begin.column);
  return s;
}

// "policy.c" -> "policy.o": the compiled object's name in link errors.
std::string object_name_for(const std::string &c_file_name) {
  const size_t dot = c_file_name.rfind('.');
  return (dot == std::string::npos ? c_file_name : c_file_name.substr(0, dot)) +
         ".o";
}

} // namespace

Expected<PolicyArtifact> build_policy(const Policy &policy,
                                      const SourceFile *file,
                                      const PolicyBuildOptions &options) {
  PolicyArtifact a;
  auto t0 = std::chrono::steady_clock::now();
  lower::LowerResult lowered = lower::lower_policy(policy, file, options.lower);
  a.lower_ms = ms_since(t0);
  if (!lowered.ok()) {
    std::string detail;
    for (const auto &r : lowered.error->rules)
      detail += where(file, r.range) + ": note: rule '" + r.name + "'" +
                (r.detail.empty() ? "" : ": " + r.detail) + "\n";
    return Error::user(lowered.error->message, detail);
  }
  a.classifier = std::move(lowered.classifier);
  a.c_file = options.c_file_name;
  a.policy_file = file ? file->path() : std::string("<policy>");

  t0 = std::chrono::steady_clock::now();
  codegen::GenerateOptions gen;
  gen.file_name = options.c_file_name;
  if (file)
    gen.policy_source = file->path();
  // Not the name of the linked object psc writes (a build next to it
  // would replace it): the standalone one is another object.
  const std::string stem =
      options.c_file_name.substr(0, options.c_file_name.rfind('.'));
  gen.compile_command =
      standalone_compile_command(options.c_file_name, stem + ".standalone.o",
                                 options.cpu, options.opt_level);
  if (options.parser == ParserChoice::Inline)
    gen.parse_layers = parse_layers(policy);
  a.c_source = codegen::generate_xdp(a.classifier, gen);
  a.generate_ms = ms_since(t0);

  t0 = std::chrono::steady_clock::now();
  CompileOptions copts = policy_compile_options(options.cpu, options.opt_level);
  if (options.cpu == kPolicyPchCpu) {
    const ObjectBytes pch = policy_precompiled_header();
    copts.precompiled_header = {reinterpret_cast<const char *>(pch.data),
                                pch.size};
  }
  BpfCompiler compiler(copts);
  backend::CompileInput input;
  input.name = options.c_file_name;
  input.text = a.c_source;
  const std::vector<LinkInput> prebuilt = prebuilt_link_inputs();
  std::optional<backend::Sha256Digest> key;
  if (options.object_cache) {
    key = policy_object_key(compiler, input, prebuilt);
    if (auto object = options.object_cache->find(*key)) {
      a.elf = std::move(*object);
      a.object_from_cache = true;
      a.compile_ms = ms_since(t0);
      return a;
    }
  }
  // A compiler that cannot be loaded is the machine's fault, not the C's.
  std::string no_compiler;
  if (backend::clang_entry(&no_compiler) == nullptr)
    return Error("cannot compile the policy: " + no_compiler);
  CompileResult res = compiler.compile(input);
  input = {};
  a.used_precompiled_header = res.used_precompiled_header;
  a.precompiled_header_rejected = res.precompiled_header_rejected;
  if (!res.ok()) {
    a.compile_ms = ms_since(t0);
    const CDiagnostic *e = res.first_error();
    std::string rule =
        e && e->in_main_file ? rule_at_line(a.c_source, e->line) : "";
    return Error::internal("internal error: the generated C does not compile" +
                               (rule.empty()
                                    ? std::string()
                                    : " (in the code of rule '" + rule + "')") +
                               (e ? ": " + e->message : std::string()),
                           res.format_diagnostics());
  }

  const auto link_t0 = std::chrono::steady_clock::now();
  const std::string object_name = object_name_for(options.c_file_name);
  std::vector<LinkInput> inputs = {
      {object_name, {res.object.data(), res.object.size()}}};
  inputs.insert(inputs.end(), prebuilt.begin(), prebuilt.end());
  auto linked = link_bpf_objects(inputs);
  a.link_ms = ms_since(link_t0);
  a.compile_ms = ms_since(t0);
  if (!linked.ok())
    return Error("internal error: cannot link " + object_name +
                     " with the prebuilt parser and sampled path: " +
                     linked.error().message,
                 linked.error().code, linked.error().detail,
                 ErrorKind::Internal);
  a.elf = std::move(linked.value());
  if (key) {
    if (Status stored = options.object_cache->store(*key, a.elf); !stored)
      a.object_cache_error = stored.error().message;
  }
  return a;
}

namespace {

// The kernel answers a batch operation a map type does not implement with
// EINVAL or ENOTSUPP (524, not in userspace's errno.h), older kernels
// without batch ops at all with EINVAL too.
constexpr int kKernelENOTSUPP = 524;

// One map's entries as the contiguous key and value arrays
// bpf_map_update_batch takes, in the classifier's order (a key listed
// twice keeps its last value, as with one update per entry).
struct MapBatch {
  std::vector<uint32_t> entries; // indexes into Classifier::entries
  std::vector<uint8_t> keys, values;
  bool packed = true; // every entry has the map's key and value size
};

// Writes `batch` with one syscall when the kernel supports batch updates
// for the map's type; else, and for whatever a batch left unwritten, one
// update per entry, whose error names the map.
Status write_map_batch(BpfObject &obj, const std::string &map,
                       const MapBatch &batch, const lower::MapEntries &all) {
  size_t done = 0;
  const int fd = obj.map_fd(map);
  if (fd >= 0 && batch.packed && batch.entries.size() > 1) {
    LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
    auto count = static_cast<uint32_t>(batch.entries.size());
    if (bpf_map_update_batch(fd, batch.keys.data(), batch.values.data(), &count,
                             &opts) == 0)
      return Status::success();
    // An unsupported batch leaves `count` as it was; after a failed entry
    // it is how many the kernel wrote before it. EINVAL can mean either,
    // so it starts over (rewriting an entry is harmless).
    const int err = errno;
    if (err != EINVAL && err != kKernelENOTSUPP && err != EOPNOTSUPP)
      done = std::min<size_t>(count, batch.entries.size());
  }
  for (size_t i = done; i < batch.entries.size(); ++i) {
    const lower::MapEntryView e = all[batch.entries[i]];
    Status s = obj.map_update(map, e.key.data(), e.key.size(), e.value.data(),
                              e.value.size());
    if (!s.ok())
      return Error("cannot fill map '" + map + "': " + s.error().message,
                   s.error().code, s.error().detail);
  }
  return Status::success();
}

// Below this many entries the maps are written on the calling thread
// alone: a second thread would not pay for itself.
constexpr size_t kSecondWriterEntries = 16384;

// The kernel's cost of one entry by map type, relative to a hash entry:
// an LPM insert walks and may split the trie under the map's lock (on
// mixed/100000, most of the writing was its class tables' tries).
size_t entry_cost(lower::MapKind kind) {
  return kind == lower::MapKind::Lpm ? 4 : 1;
}

// Two shares of the maps of about equal cost: the costliest map first,
// each to the lighter share. share[i] is 0 or 1.
std::vector<uint8_t> split_maps(const lower::Classifier &c,
                                const std::vector<size_t> &entries) {
  std::vector<size_t> order(c.maps.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  const auto cost = [&](size_t i) {
    return entries[i] * entry_cost(c.maps[i].kind);
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return cost(a) > cost(b); });
  std::vector<uint8_t> share(c.maps.size(), 0);
  size_t load[2] = {0, 0};
  for (size_t i : order) {
    const uint8_t lighter = load[1] < load[0] ? 1 : 0;
    share[i] = lighter;
    load[lighter] += cost(i);
  }
  return share;
}

// Packs and writes, in map order, the maps of share `which`; stops at its
// first failure, which it leaves in status[map].
void write_share(BpfObject &obj, const lower::Classifier &c,
                 const std::vector<std::pair<size_t, size_t>> &sizes,
                 const std::vector<uint8_t> &share, uint8_t which,
                 std::vector<Status> &status) {
  std::vector<MapBatch> batches(c.maps.size());
  for (uint32_t i = 0; i < c.entries.size(); ++i) {
    const lower::MapEntryView e = c.entries[i];
    if (share[e.map] != which)
      continue;
    MapBatch &b = batches[e.map];
    b.entries.push_back(i);
    b.packed = b.packed && e.key.size() == sizes[e.map].first &&
               e.value.size() == sizes[e.map].second;
    if (b.packed) {
      b.keys.insert(b.keys.end(), e.key.begin(), e.key.end());
      b.values.insert(b.values.end(), e.value.begin(), e.value.end());
    }
  }
  for (size_t i = 0; i < batches.size(); ++i) {
    if (share[i] != which)
      continue;
    status[i] = write_map_batch(obj, c.maps[i].name, batches[i], c.entries);
    if (!status[i].ok())
      return;
    batches[i] = MapBatch{}; // written: its copies are not needed
  }
}

} // namespace

Status write_map_contents(BpfObject &obj, const lower::Classifier &c) {
  // The sizes the kernel has for each map; an entry of another size is
  // left to the per-entry path, which reports it.
  std::vector<std::pair<size_t, size_t>> sizes(c.maps.size());
  for (size_t i = 0; i < c.maps.size(); ++i)
    if (const bpf_map *m = obj.map(c.maps[i].name))
      sizes[i] = {bpf_map__key_size(m), bpf_map__value_size(m)};
  std::vector<size_t> entries(c.maps.size(), 0);
  for (const auto &e : c.entries)
    ++entries[e.map];
  // Most of the time is the kernel's, in each map's own update path: two
  // threads writing different maps take about half of it on two cores.
  const std::vector<uint8_t> share =
      c.entries.size() < kSecondWriterEntries
          ? std::vector<uint8_t>(c.maps.size(), 0)
          : split_maps(c, entries);
  std::vector<Status> status(c.maps.size(), Status::success());
  if (std::find(share.begin(), share.end(), 1) == share.end()) {
    write_share(obj, c, sizes, share, 0, status);
  } else {
    std::future<void> second = std::async(std::launch::async, [&] {
      write_share(obj, c, sizes, share, 1, status);
    });
    write_share(obj, c, sizes, share, 0, status);
    second.get();
  }
  // The first failure in map order: what writing them one after the other
  // reports.
  for (const Status &s : status)
    if (!s.ok())
      return s;
  return Status::success();
}

std::vector<std::string> observation_map_names() {
  return {"pso_proto",  "pso_src",     "pso_cfg",
          "pso_budget", "pso_scratch", "pso_events"};
}

Expected<BpfObject> load_policy(const PolicyArtifact &artifact,
                                const PolicyLoadOptions &options) {
  auto obj = BpfObject::open(artifact.elf, artifact.classifier.policy.empty()
                                               ? std::string("psl_policy")
                                               : artifact.classifier.policy);
  if (!obj.ok())
    return obj.error();
  if (!artifact.c_source.empty())
    obj->add_source(artifact.c_file, artifact.c_source);
  if (options.clock_from_map) {
    uint8_t one = 1;
    Status s = obj->set_global("psl_clock_from_map", one);
    if (!s.ok())
      return s.error();
  }
  BpfLoadOptions bpf = options.bpf;
  if (options.observe) {
    uint8_t one = 1;
    if (Status s = obj->set_global("pso_observe", one); !s.ok())
      return Error("the policy object has no XDP observation (built by an "
                   "older psc?): rebuild it",
                   s.error().code, s.error().message);
  } else {
    // Never touched: the smallest each map type allows.
    for (const std::string &name : observation_map_names())
      bpf.max_entries.emplace_back(name, name == "pso_events" ? 4096u : 1u);
  }
  Status s = obj->load(bpf);
  if (!s.ok()) {
    Error e = s.error();
    e.notes =
        verifier_stop_notes(e.detail, artifact.c_source, artifact.c_file,
                            artifact.classifier.rules, artifact.policy_file);
    return e;
  }
  s = write_map_contents(*obj, artifact.classifier);
  if (!s.ok())
    return s.error();
  return std::move(obj.value());
}

} // namespace psl::codegen
