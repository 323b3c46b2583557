#include "config_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

namespace psd {

namespace be = psl::backend;

namespace {

std::string where(const std::string &path, const toml::source_region &r) {
  return path + ":" + std::to_string(r.begin.line) + ":" +
         std::to_string(r.begin.column);
}

// One value as a setting; lists must hold strings.
be::Expected<SettingValue> value_of(const std::string &path,
                                    const std::string &key,
                                    const toml::node &node) {
  SettingValue v;
  v.where = where(path, node.source());
  if (auto b = node.value_exact<bool>()) {
    v.value = *b;
  } else if (auto i = node.value_exact<int64_t>()) {
    v.value = *i;
  } else if (auto s = node.value_exact<std::string>()) {
    v.value = *s;
  } else if (const toml::array *a = node.as_array()) {
    std::vector<std::string> list;
    for (const toml::node &e : *a) {
      auto s = e.value_exact<std::string>();
      if (!s)
        return be::Error(where(path, e.source()) + ": " + key +
                         ": expected a list of strings");
      list.push_back(*s);
    }
    v.value = std::move(list);
  } else if (auto f = node.value_exact<double>()) {
    std::ostringstream text;
    text << *f;
    v.value = text.str(); // rejected by make_options with its expectation
  } else {
    return be::Error(v.where + ": " + key +
                     ": a date, time or table is not a value psd takes");
  }
  return v;
}

} // namespace

be::Expected<Settings> parse_config(const std::string &path,
                                    const std::string &text) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error &e) {
    return be::Error(where(path, e.source()) +
                     ": error: " + std::string(e.description()));
  }
  Settings out;
  for (auto &&[key, node] : root) {
    std::string name(key.str());
    if (const toml::table *t = node.as_table()) {
      for (auto &&[sub_key, sub] : *t) {
        std::string full = name + "." + std::string(sub_key.str());
        if (sub.is_table())
          return be::Error(where(path, sub_key.source()) + ": " + full +
                           ": psd's settings are one table deep");
        auto v = value_of(path, full, sub);
        if (!v.ok())
          return v.error();
        v->where = where(path, sub_key.source());
        out[full] = std::move(v.value());
      }
      continue;
    }
    auto v = value_of(path, name, node);
    if (!v.ok())
      return v.error();
    v->where = where(path, key.source());
    out[name] = std::move(v.value());
  }
  return out;
}

be::Expected<Settings> read_config_file(const std::string &path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return be::Error("cannot read the config file '" + path +
                         "': " + std::strerror(errno),
                     errno);
  if (!S_ISREG(st.st_mode))
    return be::Error("the config file '" + path + "' is not a regular file");
  if (st.st_size > (1 << 20))
    return be::Error("the config file '" + path +
                     "' is larger than 1 MiB; is it the right file?");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return be::Error("cannot read the config file '" + path +
                         "': " + std::strerror(errno),
                     errno);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(path, text.str());
}

} // namespace psd
