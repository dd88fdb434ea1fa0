#include "engine/mux_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace raibid {
namespace {

std::string Frame(int stream, const std::string& payload) {
  std::string f(8, '\0');
  f[0] = static_cast<char>(stream);
  const uint32_t n = static_cast<uint32_t>(payload.size());
  f[4] = static_cast<char>(n >> 24);
  f[5] = static_cast<char>(n >> 16);
  f[6] = static_cast<char>(n >> 8);
  f[7] = static_cast<char>(n);
  return f + payload;
}

struct Collected {
  std::string out, err;
  MuxDecoder::Output Sink() {
    return [this](MuxStream s, std::string_view b) {
      (s == MuxStream::kStderr ? err : out).append(b);
    };
  }
};

TEST(MuxDecoder, SplitsFramesByStreamWhateverThePieceSizes) {
  const std::string wire = Frame(1, "hello\n") + Frame(2, "warning\n") + Frame(1, "") +
                           Frame(1, std::string(70000, 'x')) + Frame(2, "end");
  for (size_t piece : {size_t{1}, size_t{3}, size_t{8}, size_t{9}, size_t{4096}, wire.size()}) {
    Collected c;
    MuxDecoder d(c.Sink());
    for (size_t i = 0; i < wire.size(); i += piece) ASSERT_TRUE(d.Feed(wire.substr(i, piece)));
    EXPECT_TRUE(d.complete()) << piece;
    EXPECT_EQ(c.out, "hello\n" + std::string(70000, 'x')) << piece;
    EXPECT_EQ(c.err, "warning\nend") << piece;
    EXPECT_EQ(d.payload_bytes(), 6u + 8 + 70000 + 3);
  }
}

TEST(MuxDecoder, AFrameCutOffIsIncomplete) {
  Collected c;
  MuxDecoder d(c.Sink());
  ASSERT_TRUE(d.Feed(Frame(1, "abcdef").substr(0, 10)));
  EXPECT_FALSE(d.complete());
  EXPECT_EQ(c.out, "ab");  // payload is passed on as it comes, not held for the whole frame
}

TEST(MuxDecoder, RefusesAHeaderThatIsNotAFrame) {
  Collected c;
  MuxDecoder d(c.Sink());
  // A TTY-mode (raw) stream, or garbage: "hello wo" read as a header.
  EXPECT_FALSE(d.Feed("hello world\n"));
  EXPECT_NE(d.error().find("malformed multiplexed stream"), std::string::npos);
  EXPECT_FALSE(d.complete());
  EXPECT_FALSE(d.Feed(Frame(1, "later")));
  EXPECT_EQ(c.out, "");
  MuxDecoder padded(c.Sink());
  std::string bad = Frame(1, "x");
  bad[2] = 1;
  EXPECT_FALSE(padded.Feed(bad));
}

}  // namespace
}  // namespace raibid
