// A test fixture that runs the psc binary (PSC_BINARY) as users do: from a
// temporary directory of its own, with files written there, standard
// input from a string, and the exit status and both output streams kept.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#ifndef PSC_BINARY
#error "PSC_BINARY must name the psc executable"
#endif

namespace psc_test {

namespace fs = std::filesystem;

struct Result {
  int status = -1;
  std::string out;
  std::string err;
};

inline std::string read_file(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_file(const fs::path &p, const std::string &text) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << text;
}

// `s` as one single-quoted shell word.
inline std::string quote(const std::string &s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

class PscDirTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string templ =
        (fs::temp_directory_path() / "psc_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path path(const std::string &rel) const { return dir_ / rel; }
  void write(const std::string &rel, const std::string &text) {
    write_file(dir_ / rel, text);
  }

  // Runs psc with `args` (already shell-quoted where needed) from the
  // temporary directory, with `input` on standard input.
  Result psc(const std::string &args, const std::string &input = "") {
    return shell("env -u NO_COLOR " + quote(PSC_BINARY) + " " + args, input);
  }

  // Runs a shell command from the temporary directory.
  Result shell(const std::string &command, const std::string &input = "") {
    write_file(dir_ / ".stdin", input);
    std::string cmd = "cd " + quote(dir_.string()) + " && " + command +
                      " < .stdin > .stdout 2> .stderr";
    int raw = std::system(cmd.c_str());
    Result r;
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    r.out = read_file(dir_ / ".stdout");
    r.err = read_file(dir_ / ".stderr");
    for (const char *f : {".stdin", ".stdout", ".stderr"})
      fs::remove(dir_ / f);
    return r;
  }

  // The names in the temporary directory, sorted.
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto &e : fs::directory_iterator(dir_))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
};

} // namespace psc_test
