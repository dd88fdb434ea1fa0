#include "util/masking_stream.h"

#include <gtest/gtest.h>

#include <random>

#include "util/secret_encodings.h"

namespace raibid {
namespace {

Masker MaskerFor(std::initializer_list<std::string_view> secrets) {
  Masker m;
  for (auto s : secrets) m.Add(s);
  return m;
}

// Everything the stream returns for `chunks`, Finish included.
std::string Stream(const Masker& m, const std::vector<std::string>& chunks) {
  MaskingStream stream(m);
  std::string out;
  for (const auto& c : chunks) out += stream.Feed(c);
  return out + stream.Finish();
}

TEST(MaskingStream, ASecretSplitAtEveryPositionAcrossTwoChunksIsMasked) {
  const std::string secret = "hunter2-token";
  const Masker m = MaskerFor({secret});
  const std::string text = "login with " + secret + " now\n";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    EXPECT_EQ(Stream(m, {text.substr(0, cut), text.substr(cut)}), "login with [MASKED] now\n")
        << "cut at " << cut;
  }
}

TEST(MaskingStream, AnEncodedSecretSplitAtEveryPositionIsMasked) {
  const std::string secret = "hunter2-token";
  const Masker m = MaskerFor({secret});
  for (const std::string& encoded : {Base64Encode(secret, Base64Alphabet::kStandard, true),
                                     PercentEncode("p@ss " + secret, false, true)}) {
    const Masker both = MaskerFor({secret, "p@ss " + secret});
    const std::string text = "[" + encoded + "]";
    for (size_t cut = 0; cut <= text.size(); ++cut) {
      EXPECT_EQ(Stream(both, {text.substr(0, cut), text.substr(cut)}), "[[MASKED]]")
          << encoded << " cut at " << cut;
    }
  }
}

TEST(MaskingStream, ASecretSplitAcrossThreeChunksIsMasked) {
  const Masker m = MaskerFor({"abcdefghij"});
  EXPECT_EQ(Stream(m, {"x abc", "def", "ghij y"}), "x [MASKED] y");
  EXPECT_EQ(Stream(m, {"abc", "defghi", "j"}), "[MASKED]");
  EXPECT_EQ(Stream(m, {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}), "[MASKED]");
}

TEST(MaskingStream, KeepsBackOnlyWhatCouldBeginASecret) {
  const Masker m = MaskerFor({"hunter2-token"});
  MaskingStream stream(m);
  EXPECT_EQ(stream.Feed("build ok\n"), "build ok\n");  // ends with a newline: emitted whole
  EXPECT_EQ(stream.held(), 0u);
  EXPECT_EQ(stream.Feed("password: hunt"), "password: ");
  EXPECT_EQ(stream.held(), 4u);
  EXPECT_EQ(stream.Feed("ing season\n"), "hunting season\n");
  EXPECT_EQ(stream.held(), 0u);
  EXPECT_EQ(stream.Feed("hunter2-toke"), "");
  EXPECT_EQ(stream.held(), 12u);  // the longest form minus one byte at most
  EXPECT_EQ(stream.Finish(), "hunter2-toke");
  EXPECT_EQ(stream.held(), 0u);
}

TEST(MaskingStream, HeldBytesNeverExceedTheLongestFormMinusOne) {
  const Masker m = MaskerFor({"aaaaaaaa"});
  MaskingStream stream(m);
  std::string out;
  for (int i = 0; i < 1000; ++i) {
    out += stream.Feed("aaaaaaa");
    EXPECT_LT(stream.held(), m.longest());
  }
  out += stream.Finish();
  EXPECT_EQ(out, "[MASKED]");
}

TEST(MaskingStream, DiscardDropsWhatIsHeld) {
  const Masker m = MaskerFor({"hunter2-token"});
  MaskingStream stream(m);
  EXPECT_EQ(stream.Feed("cut here: hunter2"), "cut here: ");
  stream.Discard();
  EXPECT_EQ(stream.Finish(), "");
  EXPECT_EQ(stream.Feed("fresh\n"), "fresh\n");
}

TEST(MaskingStream, WithoutSecretsEverythingPassesAtOnce) {
  MaskingStream stream(Masker{});
  EXPECT_EQ(stream.Feed("partial line"), "partial line");
  EXPECT_EQ(stream.held(), 0u);
}

// Any way of cutting the input gives what masking it whole gives.
TEST(MaskingStream, RandomChunkingEqualsMaskingTheWhole) {
  const Masker m = MaskerFor({"tok-tok-tok", "ok-to", "s3cret value", "\xff\xfe\xfd\xfc"});
  std::mt19937 rng(7);
  const std::vector<std::string> pieces = {
      "tok",
      "-",
      "ok",
      "s3cret",
      " value",
      "\xff\xfe",
      "\xfd\xfc",
      "\n",
      "x",
      PercentEncode("s3cret value", true, true),
      Base64Encode("s3cret value", Base64Alphabet::kUrlSafe, false),
      Base64Encode("ab:tok-tok-tok", Base64Alphabet::kStandard, true)};
  for (int round = 0; round < 300; ++round) {
    std::string text;
    for (int i = 0; i < 40; ++i) text += pieces[rng() % pieces.size()];
    std::vector<std::string> chunks;
    for (size_t pos = 0; pos < text.size();) {
      const size_t n = std::min<size_t>(text.size() - pos, rng() % 9);
      chunks.push_back(text.substr(pos, n));
      pos += n;
    }
    ASSERT_EQ(Stream(m, chunks), m.Apply(text)) << text;
  }
}

}  // namespace
}  // namespace raibid
