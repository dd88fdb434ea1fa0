#include "registry/digest.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace raibid {
namespace {

TEST(Digest, MatchesKnownSha256) {
  EXPECT_EQ(DigestOf("{}").digest,
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  EXPECT_EQ(DigestOf("").digest,
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Digest, StreamingEqualsOneShot) {
  Sha256 h;
  h.Update("hello ");
  h.Update("world");
  EXPECT_EQ(h.Finish(), DigestOf("hello world").digest);
}

TEST(Digest, FileDigestReadsTheWholeFile) {
  testing::TempDir dir;
  std::string content(3 << 20, 'x');  // several 1 MiB reads
  content += "tail";
  testing::WriteFile(dir.path() / "f", content);
  auto d = DigestFile(dir.path() / "f");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->digest, DigestOf(content).digest);
  EXPECT_EQ(d->size, content.size());
  EXPECT_FALSE(DigestFile(dir.path() / "missing"));
}

TEST(Digest, RecognisesOnlyLowerHexSha256) {
  EXPECT_TRUE(IsSha256Digest(DigestOf("x").digest));
  EXPECT_FALSE(IsSha256Digest("sha256:ABC"));
  EXPECT_FALSE(IsSha256Digest("sha512:" + std::string(64, 'a')));
  EXPECT_FALSE(IsSha256Digest("sha256:" + std::string(63, 'a') + "/"));
}

}  // namespace
}  // namespace raibid

namespace raibid {
namespace {

TEST(Digest, PipelinedHashEqualsTheDirectOne) {
  std::string data;
  // 64-bit: i * 7919 passes INT_MAX before the data is long enough (UBSan, the asan preset).
  for (uint64_t i = 0; data.size() < 9 * PipelinedSha256::kBufferSize + 123; ++i) {
    data += std::to_string(i * 7919) + ",";
  }
  PipelinedSha256 h;
  for (size_t pos = 0, step = 1; pos < data.size(); pos += step, step = step * 3 % 700001 + 1) {
    h.Update(std::string_view(data).substr(pos, step));
  }
  EXPECT_EQ(h.Finish(), DigestOf(data).digest);
}

TEST(Digest, PipelinedHashOfNothing) {
  PipelinedSha256 h;
  EXPECT_EQ(h.Finish(), DigestOf("").digest);
}

}  // namespace
}  // namespace raibid
