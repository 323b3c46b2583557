// An ANTLR character stream over raw bytes: one symbol per byte, so token
// indexes are byte offsets and charPositionInLine is a byte column, as PSL
// diagnostics require. (ANTLRInputStream would decode UTF-8 into code
// points and count columns in characters.)
#pragma once

#include <string>

#include "antlr4-runtime.h"

namespace psl::frontend {

class ByteStream : public antlr4::ANTLRInputStream {
public:
  explicit ByteStream(const std::string &bytes);
};

} // namespace psl::frontend
