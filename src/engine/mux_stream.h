// The Docker Engine API's multiplexed stream: what `exec/{id}/start` (and `attach`, `logs`)
// answer with when the process has no TTY. Frames of an 8-byte header, [stream, 0, 0, 0,
// size as 4 bytes big-endian], then `size` bytes of payload; stream 1 is stdout, 2 stderr
// (0 stdin, which an engine echoes only for TTY-less attach with stdin).
//
// The decoder is fed the body as it arrives, in pieces of any size, and hands payload on as it
// comes: a frame is never buffered whole (an engine may send frames of megabytes). It reads
// input from a build, so every byte sequence is handled without crashing; a header naming an
// unknown stream or carrying non-zero padding is an error, after which the decoder refuses
// everything.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace raibid {

enum class MuxStream { kStdin = 0, kStdout = 1, kStderr = 2 };

class MuxDecoder {
 public:
  using Output = std::function<void(MuxStream, std::string_view)>;
  explicit MuxDecoder(Output output) : output_(std::move(output)) {}

  // False once the stream is malformed (error() says how); nothing more is decoded then.
  bool Feed(std::string_view bytes);
  // True when the input ended on a frame boundary (a cut-off frame is an engine failure).
  bool complete() const { return error_.empty() && header_have_ == 0 && remaining_ == 0; }
  const std::string& error() const { return error_; }
  uint64_t payload_bytes() const { return payload_bytes_; }

 private:
  Output output_;
  unsigned char header_[8] = {};
  size_t header_have_ = 0;
  uint32_t remaining_ = 0;  // payload bytes still due for the current frame
  MuxStream stream_ = MuxStream::kStdout;
  uint64_t payload_bytes_ = 0;
  std::string error_;
};

}  // namespace raibid
