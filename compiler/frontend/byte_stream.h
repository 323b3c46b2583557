// An ANTLR character stream over raw bytes: one symbol per byte, so token
// indexes are byte offsets and charPositionInLine is a byte column, as PSL
// diagnostics require. (ANTLRInputStream would decode UTF-8 into code
// points and count columns in characters.) It reads the file's text in
// place rather than copying it into 32-bit code units (4 bytes of memory
// per byte of input), and it can be limited to a byte range of the file so
// that pieces of one file can be lexed separately with indexes that are
// still offsets into the whole file.
#pragma once

#include <string>

#include "antlr4-runtime.h"

namespace psl::frontend {

class ByteStream : public antlr4::CharStream {
public:
  // The stream over bytes [begin, end) of `bytes`, which must outlive it.
  explicit ByteStream(const std::string &bytes, size_t begin = 0,
                      size_t end = std::string::npos);

  void consume() override;
  size_t LA(ssize_t i) override;
  ssize_t mark() override { return -1; }
  void release(ssize_t) override {}
  size_t index() override { return pos_; }
  void seek(size_t index) override;
  size_t size() override { return end_; }
  std::string getSourceName() const override;
  std::string getText(const antlr4::misc::Interval &interval) override;
  std::string toString() const override;

private:
  const std::string &bytes_;
  size_t begin_;
  size_t end_;
  size_t pos_;
};

} // namespace psl::frontend
