#include "engine/mux_stream.h"

#include <algorithm>

namespace raibid {

bool MuxDecoder::Feed(std::string_view bytes) {
  if (!error_.empty()) return false;
  while (!bytes.empty()) {
    if (remaining_ > 0) {
      const size_t n = std::min<size_t>(remaining_, bytes.size());
      payload_bytes_ += n;
      output_(stream_, bytes.substr(0, n));
      remaining_ -= static_cast<uint32_t>(n);
      bytes.remove_prefix(n);
      continue;
    }
    const size_t n = std::min(sizeof header_ - header_have_, bytes.size());
    std::copy_n(bytes.begin(), n, header_ + header_have_);
    header_have_ += n;
    bytes.remove_prefix(n);
    if (header_have_ < sizeof header_) break;
    header_have_ = 0;
    if (header_[0] > 2 || header_[1] != 0 || header_[2] != 0 || header_[3] != 0) {
      error_ = "malformed multiplexed stream: frame header names stream " +
               std::to_string(header_[0]) + " with padding " + std::to_string(header_[1]) + "," +
               std::to_string(header_[2]) + "," + std::to_string(header_[3]);
      return false;
    }
    stream_ = static_cast<MuxStream>(header_[0]);
    remaining_ = (uint32_t{header_[4]} << 24) | (uint32_t{header_[5]} << 16) |
                 (uint32_t{header_[6]} << 8) | uint32_t{header_[7]};
  }
  return true;
}

}  // namespace raibid
