#include "frontend/byte_stream.h"

namespace psl::frontend {

ByteStream::ByteStream(const std::string &bytes) : antlr4::ANTLRInputStream() {
  _data.clear();
  _data.reserve(bytes.size());
  for (char c : bytes)
    _data.push_back(static_cast<char32_t>(static_cast<unsigned char>(c)));
  p = 0;
}

} // namespace psl::frontend
