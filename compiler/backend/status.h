// Results of backend operations that touch the kernel or the compiler.
//
// A backend failure is usually the environment's (no CAP_BPF, interface
// gone) or the input's (the verifier said no), not a bug, so it is a value
// the caller shows to the user, not an exception. `Error::message` is one
// user-facing sentence in the house diagnostic style (lower-case start, no
// trailing period); `detail` carries long supporting text such as a
// verifier log, `notes` the places in the policy's source that the error
// is about, and `kind` whose fault it is, which front ends map to an exit
// status (psc: compiler/tools/psc/commands.h) without reading the text.
#pragma once

#include <cassert>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace psl::backend {

// A place in the policy's source that an error is about: the rule whose
// generated code the verifier rejected, say. The backend only carries
// notes; the layers that know the policy (codegen) write them.
struct ErrorNote {
  std::string rule;              // the rule it is about; may be empty
  std::string file;              // the policy's path
  uint32_t line = 0, column = 0; // 1-based; 0 when unknown
  std::string message; // "the verifier stopped in the code of rule 'x'"
};

// Whose fault an error is.
enum class ErrorKind : uint8_t {
  // The input: a policy or value that a limit, the kernel's verifier or a
  // map refuses; a file that cannot be read. The user can fix it there.
  User,
  // The machine: missing privileges or kernel features (BPF, XDP,
  // BPF_PROG_TEST_RUN), an interface that does not exist, a failed system
  // call. Nothing in the input is wrong.
  Environment,
  // A bug in psc: generated C that does not compile, a broken invariant.
  Internal,
};

// "user input", "environment", "internal".
const char *error_kind_name(ErrorKind kind);

struct Error {
  Error() = default;
  Error(std::string message_, int code_ = 0, std::string detail_ = {},
        ErrorKind kind_ = ErrorKind::Environment)
      : message(std::move(message_)), code(code_), detail(std::move(detail_)),
        kind(kind_) {}
  static Error user(std::string message, std::string detail = {}) {
    return Error(std::move(message), 0, std::move(detail), ErrorKind::User);
  }
  static Error internal(std::string message, std::string detail = {}) {
    return Error(std::move(message), 0, std::move(detail), ErrorKind::Internal);
  }

  std::string message;
  int code = 0;       // errno value when a system call failed, else 0
  std::string detail; // verifier log, libbpf log lines; may be empty
  std::vector<ErrorNote> notes;
  ErrorKind kind = ErrorKind::Environment;
};

// "FILE:LINE:COL: note: MESSAGE\n" per note, as the frontend writes its
// notes (without LINE:COL when the place is unknown).
std::string format_notes(const std::vector<ErrorNote> &notes);

// Builds an Error from a failed call that set errno (or returned -errno):
// the environment's.
Error errno_error(std::string what, int err);

class [[nodiscard]] Status {
public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}
  static Status success() { return Status(); }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error &error() const {
    assert(!ok_);
    return error_;
  }

private:
  Error error_;
  bool ok_ = true;
};

template <class T>
class [[nodiscard]] Expected {
public:
  Expected(T value) : v_(std::move(value)) {}
  Expected(Error error) : v_(std::move(error)) {}
  Expected(Status status) : v_(status.error()) { assert(!status.ok()); }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T &value() & { return std::get<0>(v_); }
  const T &value() const & { return std::get<0>(v_); }
  T &&value() && { return std::get<0>(std::move(v_)); }
  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }
  const Error &error() const { return std::get<1>(v_); }
  Status status() const { return ok() ? Status() : Status(error()); }

private:
  std::variant<T, Error> v_;
};

} // namespace psl::backend
