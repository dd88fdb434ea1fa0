// The Docker Engine API's multiplexed stream decoder (engine/mux_stream.h): whatever an engine
// (or something posing as one) sends, the decoder never crashes, passes on exactly the payload
// bytes its frame headers announce (stdout and stderr apart), and gives the same answer however
// the input is cut into pieces: whole, byte by byte, and in pieces sized by the input itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/mux_stream.h"
#include "fuzz_check.h"

namespace {

struct Decoded {
  std::string out, err;
  bool ok = true, complete = false;
  uint64_t payload = 0;
  std::string error;
};

template <typename Cut>
Decoded Decode(std::string_view input, Cut next_piece) {
  Decoded d;
  raibid::MuxDecoder decoder([&](raibid::MuxStream s, std::string_view bytes) {
    FUZZ_CHECK(s == raibid::MuxStream::kStdin || s == raibid::MuxStream::kStdout ||
                   s == raibid::MuxStream::kStderr,
               "an unknown stream reached the output");
    FUZZ_CHECK(!bytes.empty(), "an empty piece of payload was passed on");
    (s == raibid::MuxStream::kStderr ? d.err : d.out).append(bytes);
  });
  size_t at = 0;
  while (at < input.size() && d.ok) {
    const size_t n = std::min(next_piece(at), input.size() - at);
    d.ok = decoder.Feed(input.substr(at, n));
    at += n;
  }
  d.complete = decoder.complete();
  d.payload = decoder.payload_bytes();
  d.error = decoder.error();
  FUZZ_CHECK(d.payload == d.out.size() + d.err.size(), "payload_bytes disagrees with the output");
  FUZZ_CHECK(d.payload <= input.size(), "more payload than input");
  FUZZ_CHECK(d.ok == d.error.empty(), "a refusal without a reason, or a reason without one");
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Decoded whole = Decode(input, [&](size_t) { return input.size(); });
  const Decoded bytes = Decode(input, [](size_t) { return size_t{1}; });
  const Decoded pieces = Decode(input, [&](size_t at) {
    return size_t{1} + (at < input.size() ? static_cast<unsigned char>(input[at]) % 13 : 0);
  });
  for (const Decoded* other : {&bytes, &pieces}) {
    FUZZ_CHECK(other->ok == whole.ok, "the answer depends on how the input was cut");
    FUZZ_CHECK(other->complete == whole.complete, "completeness depends on the cut");
    if (whole.ok) {
      FUZZ_CHECK(other->out == whole.out && other->err == whole.err,
                 "the output depends on the cut");
    }
  }
  return 0;
}
