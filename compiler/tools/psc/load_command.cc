// psc load / unload / status / set: put a policy in force on an interface
// through the pinned XDP link, take it off, show its counters, and edit its
// dynamic sets.
//
// State per interface:
//   <pin root>/<ifname>/link, maps/<name>  bpffs (XdpAttacher)
//   <state dir>/<ifname>/policy.json       the sidecar of the policy in
//                                          force (rules <-> counter ids,
//                                          dynamic sets) plus source, mode
//                                          and program id; bpffs holds
//                                          only BPF objects, so it lives
//                                          here, written atomically.
// The pin root is /sys/fs/bpf/packetscope and the state dir
// /run/packetscope unless PSC_PIN_ROOT / PSC_STATE_DIR say otherwise
// (tests, several instances).
#include <algorithm>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <iomanip>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "atomic_write.h"
#include "backend/bpf_features.h"
#include "backend/xdp_attach.h"
#include "codegen/policy_build.h"
#include "commands.h"
#include "driver.h"
#include "single_policy.h"

namespace psc {

namespace {

using nlohmann::json;
namespace be = psl::backend;

std::string env_or(const char *name, const char *fallback) {
  const char *v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : std::string(fallback);
}

std::string pin_root() {
  return env_or("PSC_PIN_ROOT", "/sys/fs/bpf/packetscope");
}
std::string state_root() { return env_or("PSC_STATE_DIR", "/run/packetscope"); }
std::string state_dir(const std::string &ifname) {
  return state_root() + "/" + ifname;
}
std::string state_file(const std::string &ifname) {
  return state_dir(ifname) + "/policy.json";
}

be::XdpAttacher attacher(be::XdpMode mode = be::XdpMode::Auto) {
  be::XdpAttachOptions o;
  o.mode = mode;
  o.pin_root = pin_root();
  return be::XdpAttacher(o);
}

std::optional<std::string> mkdirs(const std::string &path) {
  std::string partial;
  std::stringstream ss(path);
  std::string part;
  if (!path.empty() && path[0] == '/')
    partial = "";
  while (std::getline(ss, part, '/')) {
    if (part.empty())
      continue;
    partial += "/" + part;
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST)
      return "cannot create directory '" + partial +
             "': " + std::strerror(errno);
  }
  return std::nullopt;
}

// Writes `content` to a temporary beside `path`; returns its name.
std::optional<std::string> write_temp(const std::string &path,
                                      const std::string &content,
                                      std::string &tmp_name) {
  if (auto err = stage_file(path, content, 0644, tmp_name))
    return "cannot write '" + path + "': " + *err;
  return std::nullopt;
}

// Puts the members of `extra` first in `object_text` (a JSON object as
// artifact_to_json writes it: "{\n" then one member per line, never
// empty), in place of the `spliced` bytes an earlier call put there (0 the
// first time; updated). In place because the text is a 100k-rule
// sidecar's size, and a copy of it would be psc load's peak.
void splice_members(std::string &object_text, const json &extra,
                    size_t &spliced) {
  std::string members;
  for (const auto &[key, value] : extra.items())
    members += " " + json(key).dump() + ": " + value.dump() + ",\n";
  object_text.replace(object_text.find("{\n") + 2, spliced, members);
  spliced = members.size();
}

std::optional<json> read_state(const std::string &ifname) {
  std::ifstream in(state_file(ifname));
  if (!in)
    return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return std::nullopt;
  return j;
}

std::vector<std::string> list_dir(const std::string &dir) {
  std::vector<std::string> names;
  if (DIR *d = ::opendir(dir.c_str())) {
    while (struct dirent *e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..")
        names.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The last `n` lines of a log.
std::string tail(const std::string &text, size_t n) {
  size_t pos = text.size();
  while (n > 0 && pos > 0) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) {
      pos = 0;
      break;
    }
    --n;
  }
  return text.substr(pos == 0 ? 0 : pos + 1);
}

// Missing privileges or kernel support: one line naming what is missing.
bool bpf_ready(const char *verb, std::ostream &err) {
  const be::BpfFeatures &f = be::bpf_features();
  if (!f.load.available) {
    err << "psc " << verb << ": cannot load BPF programs: " << f.load.reason
        << "\n";
    return false;
  }
  if (!f.xdp_link.available) {
    err << "psc " << verb
        << ": this kernel cannot attach XDP through a bpf_link: "
        << f.xdp_link.reason << "\n";
    return false;
  }
  return true;
}

bool valid_ifname(const std::string &name) {
  return !name.empty() && name.size() < 16 &&
         name.find('/') == std::string::npos && name != "." && name != "..";
}

struct Counter {
  uint64_t packets = 0, bytes = 0;
};

// Sums the per-CPU counters of a pinned psl_*_cnt map; nullopt if absent.
std::optional<std::vector<Counter>> read_counters(const std::string &pin,
                                                  uint32_t max_id) {
  be::UniqueFd fd(bpf_obj_get(pin.c_str()));
  if (!fd)
    return std::nullopt;
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0)
    return std::nullopt;
  std::vector<Counter> out(max_id + 1);
  std::vector<Counter> per_cpu(static_cast<size_t>(cpus));
  for (uint32_t id = 0; id <= max_id; ++id) {
    if (bpf_map_lookup_elem(fd.get(), &id, per_cpu.data()) != 0)
      continue;
    for (const Counter &c : per_cpu) {
      out[id].packets += c.packets;
      out[id].bytes += c.bytes;
    }
  }
  return out;
}

uint64_t monotonic_ns() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<uint64_t>(ts.tv_nsec);
}

// "10s", "500ms", "5m", "1h", "2d" -> ns.
std::optional<uint64_t> parse_duration(const std::string &text) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
    ++i;
  if (i == 0 || i > 15)
    return std::nullopt;
  uint64_t n = std::stoull(text.substr(0, i));
  std::string unit = text.substr(i);
  uint64_t scale = unit == "ms"  ? 1000000ull
                   : unit == "s" ? 1000000000ull
                   : unit == "m" ? 60ull * 1000000000ull
                   : unit == "h" ? 3600ull * 1000000000ull
                   : unit == "d" ? 86400ull * 1000000000ull
                                 : 0;
  if (scale == 0)
    return std::nullopt;
  return n * scale;
}

struct IpKey {
  uint8_t addr[16];
  uint8_t family;
  uint8_t pad[3];
};
static_assert(sizeof(IpKey) == 20, "struct psl_ip_key");

// A dynamic set's key from the text of a value of type `elem`.
std::optional<std::vector<uint8_t>>
encode_key(const std::string &elem, const std::string &text, std::string &why) {
  if (elem == "ip") {
    IpKey k{};
    in_addr v4;
    in6_addr v6;
    if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) {
      k.addr[10] = k.addr[11] = 0xff;
      std::memcpy(k.addr + 12, &v4, 4);
      k.family = 4;
    } else if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
      std::memcpy(k.addr, &v6, 16);
      k.family = 6;
    } else {
      why = "'" + text + "' is not an IPv4 or IPv6 address";
      return std::nullopt;
    }
    const uint8_t *b = reinterpret_cast<const uint8_t *>(&k);
    return std::vector<uint8_t>(b, b + sizeof k);
  }
  uint64_t value = 0;
  if (elem == "mac") {
    unsigned m[6];
    char extra;
    if (std::sscanf(text.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1],
                    &m[2], &m[3], &m[4], &m[5], &extra) != 6) {
      why = "'" + text + "' is not a MAC address (aa:bb:cc:dd:ee:ff)";
      return std::nullopt;
    }
    for (unsigned x : m)
      value = (value << 8) | x;
  } else {
    static const std::pair<const char *, uint64_t> protos[] = {
        {"icmp", 1}, {"tcp", 6}, {"udp", 17},    {"gre", 47},
        {"esp", 50}, {"ah", 51}, {"icmpv6", 58}, {"sctp", 132}};
    bool named = false;
    if (elem == "proto")
      for (const auto &p : protos)
        if (text == p.first) {
          value = p.second;
          named = true;
        }
    if (!named) {
      char *end = nullptr;
      errno = 0;
      unsigned long long v = std::strtoull(text.c_str(), &end, 0);
      uint64_t limit = elem == "port"    ? 65535
                       : elem == "proto" ? 255
                                         : UINT64_MAX;
      if (text.empty() || *end != '\0' || errno != 0 || text[0] == '-' ||
          v > limit) {
        why = "'" + text + "' is not a valid " + elem + " value";
        return std::nullopt;
      }
      value = v;
    }
  }
  std::vector<uint8_t> key(8);
  std::memcpy(key.data(), &value, 8);
  return key;
}

std::string decode_key(const std::string &elem,
                       const std::vector<uint8_t> &key) {
  if (elem == "ip" && key.size() == sizeof(IpKey)) {
    IpKey k;
    std::memcpy(&k, key.data(), sizeof k);
    char buf[INET6_ADDRSTRLEN] = {};
    if (k.family == 4)
      ::inet_ntop(AF_INET, k.addr + 12, buf, sizeof buf);
    else
      ::inet_ntop(AF_INET6, k.addr, buf, sizeof buf);
    return buf;
  }
  uint64_t v = 0;
  std::memcpy(&v, key.data(), std::min<size_t>(8, key.size()));
  if (elem == "mac") {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x",
                  static_cast<unsigned>((v >> 40) & 0xff),
                  static_cast<unsigned>((v >> 32) & 0xff),
                  static_cast<unsigned>((v >> 24) & 0xff),
                  static_cast<unsigned>((v >> 16) & 0xff),
                  static_cast<unsigned>((v >> 8) & 0xff),
                  static_cast<unsigned>(v & 0xff));
    return buf;
  }
  return std::to_string(v);
}

} // namespace

int run_load(const LoadOptions &options, Streams io) {
  if (!valid_ifname(options.dev)) {
    io.err << "psc load: '" << options.dev << "' is not an interface name\n";
    return kExitUsage;
  }
  be::XdpMode mode = options.mode == "native"    ? be::XdpMode::Native
                     : options.mode == "generic" ? be::XdpMode::Generic
                                                 : be::XdpMode::Auto;
  // 1. check
  psl::TextOptions text_options;
  text_options.color = options.color;
  const std::string not_loaded =
      "psc load: nothing changed on '" + options.dev + "'\n";
  int status = kExitOk;
  std::optional<CheckedPolicy> policy = check_single_policy(
      "load", options.path, text_options, io, ShowDiagnostics::All, &status);
  if (!policy) {
    if (status == kExitFindings)
      io.err << not_loaded;
    return status;
  }
  const psl::CheckedModule &checked = policy->checked;
  if (!bpf_ready("load", io.err))
    return kExitFindings;

  // 2. build
  auto built =
      be::build_policy(*checked.module.policy, checked.diags.file_ptr().get());
  if (!built.ok()) {
    const auto &e = built.error();
    io.err << policy->file->path() << ": error: " << e.message << "\n"
           << e.detail << not_loaded;
    return kExitFindings;
  }
  const be::PolicyArtifact &a = built.value();
  release_tree(*policy);

  // 3. load (verifier) and fill the maps. Fresh maps: entries of the old
  // policy's lookup groups must not survive into the new one.
  auto obj = be::load_policy(a);
  if (!obj.ok()) {
    const auto &e = obj.error();
    io.err << policy->file->path()
           << ": error: the kernel rejected the policy: " << e.message << "\n"
           << be::format_notes(e.notes);
    if (!e.detail.empty())
      io.err << "verifier log (last lines):\n" << tail(e.detail, 20);
    if (!e.detail.empty() && e.detail.back() != '\n')
      io.err << "\n";
    io.err << not_loaded;
    return kExitFindings;
  }

  // 4. the state file, staged before the switch: the sidecar's JSON with
  // the load's own members put in front. Spliced as text, because a JSON
  // tree of a 100k-rule artifact would cost psc more memory than the rest
  // of the load.
  std::string state_json = be::artifact_to_json(a);
  size_t spliced = 0;
  json extra;
  {
    char *real = policy->input.path.empty()
                     ? nullptr
                     : ::realpath(policy->input.path.c_str(), nullptr);
    extra["source"] =
        real != nullptr ? std::string(real) : policy->file->path();
    std::free(real);
  }
  extra["ifname"] = options.dev;
  if (auto err = mkdirs(state_dir(options.dev))) {
    io.err << "psc load: " << *err << "\n" << not_loaded;
    return kExitFindings;
  }
  std::string tmp;
  splice_members(state_json, extra, spliced);
  if (auto err = write_temp(state_file(options.dev), state_json, tmp)) {
    io.err << "psc load: " << *err << "\n" << not_loaded;
    return kExitFindings;
  }

  // 5. attach or switch atomically.
  auto att = attacher(mode).attach(options.dev, *obj, a.program);
  if (!att.ok()) {
    ::unlink(tmp.c_str());
    io.err << "psc load: " << att.error().message << "\n";
    if (!att.error().detail.empty())
      io.err << att.error().detail
             << (att.error().detail.back() == '\n' ? "" : "\n");
    io.err << not_loaded;
    return kExitFindings;
  }
  extra["prog_id"] = att->prog_id;
  extra["mode"] = be::xdp_mode_name(att->mode);
  std::string tmp2;
  splice_members(state_json, extra, spliced);
  if (!write_temp(state_file(options.dev), state_json, tmp2)) {
    ::unlink(tmp.c_str());
    tmp = tmp2;
  }
  if (::rename(tmp.c_str(), state_file(options.dev).c_str()) != 0) {
    io.err << "psc load: warning: the policy is in force but '"
           << state_file(options.dev)
           << "' could not be written: " << std::strerror(errno) << "\n";
    ::unlink(tmp.c_str());
  }
  io.out << "loaded policy '" << a.classifier.policy << "' on " << options.dev
         << " (" << be::xdp_mode_name(att->mode) << ", program " << att->prog_id
         << (att->replaced_prog_id
                 ? ", replaced program " + std::to_string(att->replaced_prog_id)
                 : std::string())
         << ")\n";
  return kExitOk;
}

int run_unload(const UnloadOptions &options, Streams io) {
  if (!valid_ifname(options.dev)) {
    io.err << "psc unload: '" << options.dev << "' is not an interface name\n";
    return kExitUsage;
  }
  if (!bpf_ready("unload", io.err))
    return kExitFindings;
  be::XdpAttacher at = attacher();
  auto st = at.status(options.dev);
  bool had = st.ok() && (st->attached || !st->link_pin.empty());
  bool pinned = st.ok() && ::access(st->link_pin.c_str(), F_OK) == 0;
  be::Status s = at.detach(options.dev);
  ::unlink(state_file(options.dev).c_str());
  ::rmdir(state_dir(options.dev).c_str());
  if (!s.ok()) {
    io.err << "psc unload: " << s.error().message << "\n";
    return kExitFindings;
  }
  if (!had || !pinned) {
    io.err << "psc unload: no PacketScope policy on '" << options.dev << "'\n";
    return kExitFindings;
  }
  io.out << "unloaded the policy from " << options.dev << "\n";
  return kExitOk;
}

int run_status(const StatusOptions &options, Streams io) {
  if (!options.dev.empty() && !valid_ifname(options.dev)) {
    io.err << "psc status: '" << options.dev << "' is not an interface name\n";
    return kExitUsage;
  }
  if (!bpf_ready("status", io.err))
    return kExitFindings;
  std::vector<std::string> devs;
  if (!options.dev.empty())
    devs.push_back(options.dev);
  else
    devs = list_dir(pin_root());
  be::XdpAttacher at = attacher();
  json all = json::array();
  int rc = kExitOk;
  for (const std::string &dev : devs) {
    json d;
    d["ifname"] = dev;
    auto st = at.status(dev);
    if (!st.ok()) {
      io.err << "psc status: " << st.error().message << "\n";
      rc = kExitFindings;
      continue;
    }
    d["attached"] = st->attached;
    if (!st->attached) {
      all.push_back(d);
      continue;
    }
    d["program_id"] = st->program.id;
    d["program"] = st->program.name;
    d["link_id"] = st->link_id;
    d["mode"] = be::xdp_mode_name(st->mode);
    std::optional<json> state = read_state(dev);
    if (state && state->value("prog_id", 0u) != st->program.id)
      state.reset(); // stale: another tool switched the link
    d["policy"] = state ? state->value("policy", std::string()) : std::string();
    if (state)
      d["source"] = state->value("source", std::string());
    uint32_t max_id = 0;
    if (state)
      for (const auto &r : state->at("rules"))
        max_id = std::max(max_id, r.value("counter", 0u));
    std::string maps = at.maps_pin_dir(dev);
    auto cnt = read_counters(maps + "/psl_rule_cnt", max_id);
    auto shadow = read_counters(maps + "/psl_shadow_cnt", max_id);
    json rules = json::array();
    if (state) {
      for (const auto &r : state->at("rules")) {
        uint32_t id = r.value("counter", 0u);
        json x;
        x["name"] = r.value("name", std::string());
        x["action"] = r.value("action", std::string());
        x["shadow"] = r.value("shadow", false);
        x["packets"] = cnt ? (*cnt)[id].packets : 0;
        x["bytes"] = cnt ? (*cnt)[id].bytes : 0;
        x["shadow_packets"] = shadow ? (*shadow)[id].packets : 0;
        x["shadow_bytes"] = shadow ? (*shadow)[id].bytes : 0;
        rules.push_back(x);
      }
    }
    d["rules"] = rules;
    d["default"] = {{"action", state ? state->value("default", std::string())
                                     : std::string()},
                    {"packets", cnt ? (*cnt)[0].packets : 0},
                    {"bytes", cnt ? (*cnt)[0].bytes : 0}};
    json sets = json::array();
    if (state && state->contains("dynsets"))
      for (const auto &s : state->at("dynsets")) {
        be::UniqueFd fd(
            bpf_obj_get((maps + "/" + s.value("name", std::string())).c_str()));
        uint64_t n = 0;
        if (fd) {
          std::vector<uint8_t> k(64), next(64);
          void *prev = nullptr;
          while (bpf_map_get_next_key(fd.get(), prev, next.data()) == 0) {
            ++n;
            k = next;
            prev = k.data();
          }
        }
        sets.push_back({{"name", s.value("name", std::string())},
                        {"elem", s.value("elem", std::string())},
                        {"entries", n},
                        {"capacity", s.value("capacity", 0u)}});
      }
    d["dynsets"] = sets;
    all.push_back(d);
  }
  if (options.format == StatusOptions::Format::Json) {
    io.out << (options.dev.empty() ? all.dump(1)
                                   : (all.empty() ? json() : all[0]).dump(1))
           << "\n";
    return rc;
  }
  if (all.empty() && rc == kExitOk)
    io.out << "no PacketScope policy loaded\n";
  for (const auto &d : all) {
    if (!d.value("attached", false)) {
      io.out << d["ifname"].get<std::string>() << ": no policy attached\n";
      continue;
    }
    io.out << d["ifname"].get<std::string>() << ": policy '"
           << d["policy"].get<std::string>() << "', program "
           << d["program_id"].get<uint32_t>() << ", "
           << d["mode"].get<std::string>() << "\n";
    size_t w = 7;
    for (const auto &r : d["rules"])
      w = std::max(w, r["name"].get<std::string>().size());
    auto row = [&](const std::string &name, const std::string &action,
                   uint64_t p, uint64_t b, const std::string &extra) {
      io.out << "  " << std::left << std::setw(static_cast<int>(w)) << name
             << "  " << std::setw(6) << action << std::right << std::setw(12)
             << p << " pkts" << std::setw(14) << b << " bytes" << extra << "\n";
    };
    for (const auto &r : d["rules"]) {
      std::string extra;
      if (r["shadow"].get<bool>())
        extra = "  (shadow: would have matched " +
                std::to_string(r["shadow_packets"].get<uint64_t>()) + " pkts)";
      row(r["name"].get<std::string>(), r["action"].get<std::string>(),
          r["packets"].get<uint64_t>(), r["bytes"].get<uint64_t>(), extra);
    }
    row("default", d["default"]["action"].get<std::string>(),
        d["default"]["packets"].get<uint64_t>(),
        d["default"]["bytes"].get<uint64_t>(), "");
    for (const auto &s : d["dynsets"])
      io.out << "  set " << s["name"].get<std::string>() << ": "
             << s["entries"].get<uint64_t>() << " of "
             << s["capacity"].get<uint32_t>() << " entries\n";
  }
  return rc;
}

int run_set(const SetOptions &options, Streams io) {
  if (!valid_ifname(options.dev)) {
    io.err << "psc set: '" << options.dev << "' is not an interface name\n";
    return kExitUsage;
  }
  if (options.action != "list" && options.value.empty()) {
    io.err << "psc set " << options.action << ": a VALUE is required\n";
    return kExitUsage;
  }
  if (!bpf_ready("set", io.err))
    return kExitFindings;
  std::optional<json> state = read_state(options.dev);
  if (!state) {
    io.err << "psc set: no PacketScope policy loaded on '" << options.dev
           << "'\n";
    return kExitFindings;
  }
  std::optional<json> spec;
  std::string names;
  if (state->contains("dynsets"))
    for (const auto &s : state->at("dynsets")) {
      names +=
          (names.empty() ? "'" : ", '") + s.value("name", std::string()) + "'";
      if (s.value("name", std::string()) == options.set)
        spec = s;
    }
  if (!spec) {
    io.err << "psc set: policy '" << state->value("policy", std::string())
           << "' has no dynamic set '" << options.set << "'"
           << (names.empty() ? std::string(" (it has none)")
                             : " (it has " + names + ")")
           << "\n";
    return kExitFindings;
  }
  std::string elem = spec->value("elem", std::string("int"));
  std::string pin = attacher().maps_pin_dir(options.dev) + "/" + options.set;
  be::UniqueFd fd(bpf_obj_get(pin.c_str()));
  if (!fd) {
    io.err << "psc set: cannot open the pinned map '" << pin
           << "': " << std::strerror(errno) << "\n";
    return kExitFindings;
  }
  size_t key_size = elem == "ip" ? sizeof(IpKey) : 8;
  if (options.action == "list") {
    uint64_t now = monotonic_ns();
    std::vector<uint8_t> key(key_size), next(key_size);
    bool first = true;
    json list = json::array();
    while (bpf_map_get_next_key(fd.get(), first ? nullptr : key.data(),
                                next.data()) == 0) {
      first = false;
      key = next;
      uint64_t expires = 0;
      if (bpf_map_lookup_elem(fd.get(), key.data(), &expires) != 0)
        continue;
      if (expires != 0 && expires <= now)
        continue; // expired: a miss for the program too
      std::string text = decode_key(elem, key);
      if (expires == 0)
        io.out << text << "\n";
      else
        io.out << text << "  expires in "
               << (expires - now + 999999999ull) / 1000000000ull << "s\n";
    }
    return kExitOk;
  }
  std::string why;
  auto key = encode_key(elem, options.value, why);
  if (!key) {
    io.err << "psc set: " << why << " (set '" << options.set << "' holds "
           << elem << " values)\n";
    return kExitFindings;
  }
  if (options.action == "del") {
    if (bpf_map_delete_elem(fd.get(), key->data()) != 0) {
      if (errno == ENOENT) {
        io.err << "psc set: '" << options.value << "' is not in set '"
               << options.set << "'\n";
        return kExitFindings;
      }
      io.err << "psc set: cannot delete: " << std::strerror(errno) << "\n";
      return kExitFindings;
    }
    return kExitOk;
  }
  uint64_t ttl = spec->value("ttl_ns", uint64_t{0});
  if (!options.ttl.empty()) {
    auto d = parse_duration(options.ttl);
    if (!d) {
      io.err << "psc set: '" << options.ttl
             << "' is not a duration (e.g. 500ms, 30s, 10m, 1h)\n";
      return kExitUsage;
    }
    ttl = *d;
  }
  uint64_t expires = ttl == 0 ? 0 : monotonic_ns() + ttl;
  if (bpf_map_update_elem(fd.get(), key->data(), &expires, BPF_ANY) != 0) {
    int err = errno;
    io.err << "psc set: cannot add '" << options.value << "' to set '"
           << options.set << "': "
           << (err == E2BIG ? std::string("the set is full")
                            : std::strerror(err))
           << "\n";
    return kExitFindings;
  }
  return kExitOk;
}

} // namespace psc
