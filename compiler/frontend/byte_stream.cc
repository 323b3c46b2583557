#include "frontend/byte_stream.h"

#include <algorithm>

namespace psl::frontend {

ByteStream::ByteStream(const std::string &bytes, size_t begin, size_t end)
    : bytes_(bytes), begin_(std::min(begin, bytes.size())),
      end_(std::max(begin_, std::min(end, bytes.size()))), pos_(begin_) {}

void ByteStream::consume() {
  if (pos_ >= end_)
    throw antlr4::IllegalStateException("cannot consume EOF");
  ++pos_;
}

// LA(1) is the current byte, LA(-1) the one before; outside the range,
// EOF (as ANTLRInputStream does outside its data).
size_t ByteStream::LA(ssize_t i) {
  if (i == 1) // the lexer's every step
    return pos_ < end_ ? static_cast<unsigned char>(bytes_[pos_])
                       : antlr4::IntStream::EOF;
  if (i == 0)
    return 0; // undefined, as in ANTLRInputStream
  ssize_t at = static_cast<ssize_t>(pos_) + (i > 0 ? i - 1 : i);
  if (at < static_cast<ssize_t>(begin_) || at >= static_cast<ssize_t>(end_))
    return antlr4::IntStream::EOF;
  return static_cast<unsigned char>(bytes_[static_cast<size_t>(at)]);
}

void ByteStream::seek(size_t index) { pos_ = std::clamp(index, begin_, end_); }

std::string ByteStream::getSourceName() const {
  return antlr4::IntStream::UNKNOWN_SOURCE_NAME;
}

std::string ByteStream::getText(const antlr4::misc::Interval &interval) {
  if (interval.a < 0 || interval.b < interval.a)
    return "";
  size_t start = static_cast<size_t>(interval.a);
  size_t stop = std::min(static_cast<size_t>(interval.b) + 1, end_);
  if (start >= stop)
    return "";
  return bytes_.substr(start, stop - start);
}

std::string ByteStream::toString() const {
  return bytes_.substr(begin_, end_ - begin_);
}

} // namespace psl::frontend
